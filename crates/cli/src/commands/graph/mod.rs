//! The administration commands that read a real tenant, through Microsoft Graph (issue 12,
//! docs/graph.md): `subscriptions list|get`, `licenses list|export`. Microsoft's licensing
//! service has no API for them; Graph shows the tenant's subscriptions, who owns them and
//! who holds which SKU. Everything else of the administration stays refused on a tenant.

pub mod detection;
mod licenses;
mod subscriptions;

use commerce_graph::{GraphClient, SkuNames};
use commerce_signin::{Cloud, Flow, Profile, Session, SignInError};

use super::admin::records as admin_records;
use super::admin::{destination, is_microsoft};
use crate::cli::{Command, GlobalArgs, LicensesCommand, SubscriptionsCommand};
use crate::endpoint::{data_dir, given_by_environment, retry};
use crate::error::CliError;
use crate::output::{Printer, without_credentials};

/// A Graph token handed in whole (tests, or a token got elsewhere), as
/// `COMMERCE_POLICY_ACCESS_TOKEN` is for the licensing service.
const GRAPH_TOKEN_VARIABLE: &str = "COMMERCE_POLICY_GRAPH_ACCESS_TOKEN";

/// Whether `command` reads a tenant through Graph: a read-only administration command whose
/// endpoint is Microsoft's licensing service.
pub fn reads_tenant(global: &GlobalArgs, command: &Command) -> Result<bool, CliError> {
    let read_only = match command {
        Command::Subscriptions(a) => {
            matches!(a.command, SubscriptionsCommand::List { .. } | SubscriptionsCommand::Get { .. })
        }
        Command::Licenses(a) => matches!(a.command, LicensesCommand::List { .. } | LicensesCommand::Export { .. }),
        _ => false,
    };
    Ok(read_only && destination(global)?.is_some_and(|url| is_microsoft(&url)))
}

/// Runs a command [`reads_tenant`] said reads the tenant.
pub async fn run(global: &GlobalArgs, command: Command) -> Result<(), CliError> {
    match command {
        Command::Subscriptions(args) => subscriptions::run(global, args).await,
        Command::Licenses(args) => licenses::run(global, args).await,
        _ => Err(CliError::Other("not a command that reads a tenant".into())),
    }
}

/// What every tenant read needs: the Graph client, the printer naming where it reads, and
/// the product names.
pub(super) struct Tenant {
    pub graph: GraphClient,
    pub printer: Printer,
    pub names: SkuNames,
}

impl Tenant {
    async fn open(global: &GlobalArgs) -> Result<Self, CliError> {
        let profile = Profile::load(&data_dir()?)?.filter(|p| p.flow != Flow::NoSignIn);
        let cloud = profile.as_ref().map_or(Cloud::Worldwide, |p| p.cloud);
        let token = graph_token(profile.as_ref()).await?;
        let base = global.graph_endpoint.as_deref().map(str::trim).filter(|e| !e.is_empty());
        let base = base.unwrap_or(cloud.graph_endpoint());
        let graph = GraphClient::new(base, token, global.timeout)?.with_retry(retry(global));
        let tenant = profile.as_ref().map(|p| format!(" (tenant {})", p.tenant_id)).unwrap_or_default();
        let printer = Printer {
            format: global.output,
            endpoint: format!("Microsoft Graph {}{tenant}", without_credentials(graph.base())),
        };
        Ok(Self { graph, printer, names: sku_names()? })
    }

    /// The product's friendly name, else its part number, else its SKU id.
    pub fn product_name(&self, sku_id: &str, part_number: Option<&str>) -> String {
        self.names.name(sku_id).or(part_number).unwrap_or(sku_id).to_string()
    }
}

/// The Graph token: handed in, or the connection's (kept, refreshed or asked for again).
async fn graph_token(profile: Option<&Profile>) -> Result<String, CliError> {
    if let Some(token) = std::env::var(GRAPH_TOKEN_VARIABLE).ok().filter(|t| !t.trim().is_empty()) {
        return Ok(token.trim().to_string());
    }
    let Some(profile) = profile else {
        return Err(CliError::Auth(SignInError::NotSignedIn(format!(
            "reading a tenant's subscriptions needs a Microsoft Graph token: run `commerce-policy connect`, or set {GRAPH_TOKEN_VARIABLE}"
        ))));
    };
    let token = Session::open(profile.clone()).graph_token(&given_by_environment()).await?;
    Ok(token.access_token.expose().to_string())
}

/// On `connect` to a tenant, the Graph token beside the licensing one (docs/graph.md), so a
/// missing consent shows now rather than in the first pipeline run. A connection that only
/// manages policies works without it: a failure is a warning, and the commands that read
/// Graph say it again.
pub async fn connect_graph(session: &Session, given: &commerce_signin::Given) {
    let flow = &session.profile.flow;
    let keeps = flow.is_unattended() || session.vault().unavailable().is_none();
    if matches!(flow, Flow::AccessToken | Flow::NoSignIn) || !keeps || !is_microsoft(&session.profile.endpoint) {
        return;
    }
    if let Err(e) = session.graph_token(given).await {
        crate::log::notice(
            "WARN",
            &format!(
                "signed in, but got no Microsoft Graph token ({e}): `subscriptions` and `licenses` cannot read the tenant until it is granted"
            ),
        );
    }
}

/// Microsoft's full table when `COMMERCE_POLICY_SKU_NAMES` names its CSV, else the shipped one.
fn sku_names() -> Result<SkuNames, CliError> {
    match std::env::var_os("COMMERCE_POLICY_SKU_NAMES").filter(|v| !v.is_empty()) {
        Some(path) => Ok(SkuNames::from_file(std::path::Path::new(&path))?),
        None => Ok(SkuNames::shipped()),
    }
}

/// `--product-id` names a product of the licensing catalogue (`CFQ7TTC0…`), which Graph
/// does not show: refused before anything is sent.
fn refuse_product_id(given: bool) -> Result<(), CliError> {
    match given {
        false => Ok(()),
        true => Err(CliError::Usage(
            "--product-id names a product of the licensing catalogue, which Microsoft Graph does not show: on a tenant, select by ProductName or SkuPartNumber in the output (or leave products out with --allow-product)".into(),
        )),
    }
}
