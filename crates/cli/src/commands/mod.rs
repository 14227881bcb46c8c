//! One function per subcommand; `run` checks the command line as a whole, then dispatches.

mod admin;
mod audit;
mod baseline;
mod connect;
mod describe;
mod graph;
mod policies;
mod product_policies;
mod serve;
mod shell;
mod update;

use commerce_client::ClientError;
use commerce_signin::SignInError;

use crate::cli::{Cli, Command, Format, PoliciesCommand, ProductPoliciesCommand};
use crate::endpoint::Endpoint;
use crate::error::CliError;
use crate::output::{Printer, for_terminal, without_credentials};

/// Runs the command. Usage is checked first, before anything is sent; whatever fails, the
/// message never carries credentials given in a URL, nor control characters a service put
/// in its error text.
pub use admin::hint as admin_hint;

pub async fn run(cli: Cli) -> Result<(), CliError> {
    check_usage(&cli)?;
    dispatch(cli).await.map_err(redacted)
}

/// The checks that need the whole command line (flags that are fine alone but not with
/// this subcommand), made before the first request: a command that is refused changes
/// nothing and sends nothing.
fn check_usage(cli: &Cli) -> Result<(), CliError> {
    let export = matches!(cli.command, Command::Export(_));
    if export && cli.global.output_on_command_line && cli.global.output != Format::Json {
        return Err(CliError::Usage(
            "export writes a baseline file, which is JSON: drop --output (or use -o json)".into(),
        ));
    }
    let prints_records =
        !matches!(cli.command, Command::Serve(_) | Command::DescribeCli | Command::Completions { .. } | Command::Man);
    let reports_tests = match &cli.command {
        Command::Plan(_) | Command::Apply(_) => true,
        Command::Subscriptions(args) => matches!(args.command, crate::cli::SubscriptionsCommand::List { .. }),
        _ => false,
    };
    if cli.global.output == Format::Junit && prints_records && !reports_tests {
        return Err(CliError::Usage(
            "--output junit is for plan, apply and subscriptions list: use table, json or csv here".into(),
        ));
    }
    match &cli.command {
        Command::Plan(args) => baseline::check_out(args.out.as_deref()),
        Command::Export(args) => baseline::check_out(args.out.as_deref()),
        _ => Ok(()),
    }
}

async fn dispatch(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Serve(args) => return serve::serve(args).await,
        Command::DescribeCli => return describe::print(),
        Command::Completions { shell } => return shell::completions(shell),
        Command::Man => return shell::man(),
        Command::Connect(args) => return connect::connect(&cli.global, args).await,
        Command::Disconnect => return connect::disconnect(&cli.global),
        command @ (Command::Users(_)
        | Command::Purchase(_)
        | Command::Subscriptions(_)
        | Command::Licenses(_)
        | Command::Centralize(_)
        | Command::Notifications(_)) => return admin::run(&cli.global, command).await,
        _ => {}
    }
    // A baseline that cannot be read or parsed is refused before anything is asked of
    // the endpoint (which may mean signing in).
    let plan_input = match &cli.command {
        Command::Plan(args) => Some(baseline::Input::read(&args.file)?),
        Command::Apply(args) => match (&args.plan, &args.file) {
            (None, Some(file)) => Some(baseline::Input::read(file)?),
            _ => None,
        },
        _ => None,
    };
    // So are the ids of an update (from the command line or stdin).
    let update_selection = match &cli.command {
        Command::ProductPolicies(ProductPoliciesCommand::Update(args)) => Some(update::selection(&args.targets)?),
        _ => None,
    };
    let endpoint = Endpoint::open(&cli.global).await?;
    let printer = Printer { format: cli.global.output, endpoint: without_credentials(&endpoint.description) };
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
        Command::ProductPolicies(ProductPoliciesCommand::Update(args)) => match update_selection {
            Some(selection) => update::update(client, &printer, args, selection).await,
            None => unreachable!("read above"),
        },
        Command::Plan(args) => match plan_input {
            Some(input) => baseline::plan(client, &printer, args, input).await,
            None => unreachable!("read above"),
        },
        Command::Apply(args) => baseline::apply(client, &printer, args, plan_input).await,
        Command::Export(args) => baseline::export(client, args).await,
        Command::Audit(args) => audit::list(client, &printer, args).await,
        Command::Serve(_)
        | Command::DescribeCli
        | Command::Completions { .. }
        | Command::Man
        | Command::Connect(_)
        | Command::Disconnect
        | Command::Users(_)
        | Command::Purchase(_)
        | Command::Subscriptions(_)
        | Command::Licenses(_)
        | Command::Centralize(_)
        | Command::Notifications(_) => {
            unreachable!("handled above")
        }
    }
}

/// The error with every URL's user name and password replaced (`--endpoint
/// http://user:pass@host` reaches messages through the client's and reqwest's texts) and
/// control characters escaped (a service's message must not act on the terminal).
fn redacted(e: CliError) -> CliError {
    let clean = clean_text;
    match e {
        CliError::Request { doing, source } => {
            CliError::Request { doing: clean(doing), source: redacted_source(source) }
        }
        CliError::Usage(m) => CliError::Usage(clean(m)),
        CliError::Partial { failed, total, first, code } => {
            CliError::Partial { failed, total, first: clean(first), code }
        }
        CliError::Auth(SignInError::NotSignedIn(m)) => CliError::Auth(SignInError::NotSignedIn(clean(m))),
        CliError::Auth(SignInError::Config(m)) => CliError::Auth(SignInError::Config(clean(m))),
        CliError::Auth(SignInError::Unreachable(m)) => CliError::Auth(SignInError::Unreachable(clean(m))),
        CliError::Other(m) => CliError::Other(clean(m)),
        CliError::Noted { error, note } => CliError::Noted { error: Box::new(redacted(*error)), note: clean(note) },
        other => other,
    }
}

fn clean_text(text: String) -> String {
    for_terminal(&without_credentials(&text))
}

fn redacted_source(e: ClientError) -> ClientError {
    let clean = clean_text;
    match e {
        ClientError::Status { status, code, message, correlation_id, attempts } => {
            ClientError::Status { status, code, message: clean(message), correlation_id, attempts }
        }
        ClientError::Unreachable { message, correlation_id } => {
            ClientError::Unreachable { message: clean(message), correlation_id }
        }
        ClientError::Decode { message, correlation_id } => {
            ClientError::Decode { message: clean(message), correlation_id }
        }
        ClientError::Unusable { message, correlation_id } => {
            ClientError::Unusable { message: clean(message), correlation_id }
        }
        ClientError::Config(m) => ClientError::Config(clean(m)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_leave_out_credentials_and_control_characters_and_keep_their_exit_code() {
        let message = "GET to http://admin:hunter2@h:1 got no answer \u{1b}[2J".to_string();
        let source = ClientError::Unreachable { message, correlation_id: "c".into() };
        let e = redacted(CliError::Request { doing: "listing policies".into(), source });
        let line = e.to_string();
        assert!(!line.contains("hunter2") && !line.contains('\u{1b}'), "{line}");
        assert!(line.contains("http://***@h:1") && line.contains("\\u{1b}[2J"), "{line}");
        assert_eq!(e.exit_code(), crate::error::exit::UNAVAILABLE);
    }
}
