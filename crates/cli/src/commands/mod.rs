//! One function per subcommand; `run` dispatches.

mod audit;
mod baseline;
mod connect;
mod describe;
mod policies;
mod product_policies;
mod serve;
mod update;

use crate::cli::{Cli, Command, PoliciesCommand, ProductPoliciesCommand};
use crate::endpoint::Endpoint;
use crate::error::CliError;
use crate::output::Printer;

pub async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Serve(args) => return serve::serve(args).await,
        Command::DescribeCli => return describe::print(),
        Command::Connect(args) => return connect::connect(&cli.global, args).await,
        Command::Disconnect => return connect::disconnect(&cli.global),
        _ => {}
    }
    let endpoint = Endpoint::open(&cli.global).await?;
    let printer = Printer { format: cli.global.output, endpoint: endpoint.description.clone() };
    let client = &endpoint.client;
    match cli.command {
        Command::Policies(PoliciesCommand::List) => policies::list(client, &printer).await,
        Command::Policies(PoliciesCommand::Get { policy_id }) => policies::get(client, &printer, &policy_id).await,
        Command::ProductPolicies(ProductPoliciesCommand::List { policy, scope }) => {
            product_policies::list(client, &printer, &policy.policy_id, scope).await
        }
        Command::ProductPolicies(ProductPoliciesCommand::Get { policy, target }) => {
            product_policies::get(client, &printer, &policy.policy_id, target).await
        }
        Command::ProductPolicies(ProductPoliciesCommand::Update(args)) => update::update(client, &printer, args).await,
        Command::Plan(args) => baseline::plan(client, &printer, args).await,
        Command::Apply(args) => baseline::apply(client, &printer, args).await,
        Command::Export(args) => baseline::export(client, args).await,
        Command::Audit(args) => audit::list(client, &printer, args.limit).await,
        Command::Serve(_) | Command::DescribeCli | Command::Connect(_) | Command::Disconnect => {
            unreachable!("handled above")
        }
    }
}
