//! The self-service purchase administration (issue 11, docs/admin.md): users, purchases,
//! subscriptions, licenses, take-over, centralize, notifications — against a commerce-policy
//! service or the embedded default. Microsoft's licensing service has no API for them, so
//! against it every command refuses, before any request, and names the admin center page.

mod directory;
pub(super) mod licenses;
pub(super) mod records;
mod subscriptions;

use commerce_client::{Client, ClientError, MICROSOFT_ENDPOINT};
use commerce_signin::{Cloud, Profile};

use crate::cli::{ActingUser, Command, GlobalArgs, NotificationsCommand};
use crate::endpoint::{Endpoint, data_dir, microsoft_endpoint};
use crate::error::CliError;
use crate::output::{Printer, without_credentials};

/// Runs an administration command.
pub async fn run(global: &GlobalArgs, command: Command) -> Result<(), CliError> {
    // On a tenant, the read-only commands read through Microsoft Graph (docs/graph.md).
    if super::graph::reads_tenant(global, &command)? {
        return super::graph::run(global, command).await;
    }
    match command {
        Command::Users(args) => directory::run(global, args).await,
        Command::Purchase(args) => subscriptions::purchase(global, args).await,
        Command::Subscriptions(args) => subscriptions::run(global, args).await,
        Command::Licenses(args) => licenses::run(global, args).await,
        Command::Centralize(args) => licenses::centralize(global, args).await,
        Command::Notifications(args) => match args.command {
            NotificationsCommand::List => {
                let (client, printer) = open(global, &args.acting, "notifications list").await?;
                let items = client.notifications().await.map_err(CliError::request("listing notifications"))?;
                records::print_many(&printer, items.into_iter().map(records::NotificationRecord::from).collect())
            }
        },
        _ => Err(CliError::Other("not an administration command".into())),
    }
}

/// What to do about a refusal of the administration routes, by the service's error code
/// and what its message is about; `None` leaves the general hint of the status (which speaks
/// of policies).
pub fn hint(error: &ClientError) -> Option<&'static str> {
    let ClientError::Status { status, code, message, .. } = error else { return None };
    let about = |subjects: &[&str]| subjects.iter().any(|s| message.starts_with(s));
    let users = ["the acting user", "the user "];
    Some(match (code.as_deref().unwrap_or_default(), *status) {
        ("PurchaseNotAllowed", _) => {
            " — the product's AllowSelfServicePurchase value refuses it; an admin can change it with `commerce-policy product-policies update`"
        }
        ("NotTakenOver", _) => {
            " — a user bought it: take it over first with `commerce-policy subscriptions take-over SUB --move-to SUB2` (or --cancel)"
        }
        ("NotEnoughLicenses", _) => {
            " — add licenses to the target (`commerce-policy subscriptions add`) or free some (`licenses unassign`)"
        }
        ("SubscriptionDeleted", _) => " — `commerce-policy subscriptions get SUB` shows it",
        // The service's own words say who may do what.
        (_, 403) if about(&["subscription ", "a purchase ", "only admins", "this caller may read"]) => "",
        (_, 404) if about(&["subscription "]) => {
            " — `commerce-policy subscriptions list` shows the subscriptions you may see"
        }
        (_, 404) if about(&users) => " — `commerce-policy users list` shows the directory; `users add` adds a user",
        _ => return None,
    })
}

/// The endpoint's client, acting as `--as` if given, and the printer naming the endpoint;
/// refused before any request (any sign-in too) when the endpoint is Microsoft's service.
async fn open(global: &GlobalArgs, acting: &ActingUser, command: &str) -> Result<(Client, Printer), CliError> {
    refuse_microsoft(global, command)?;
    let endpoint = Endpoint::open(global).await?;
    let printer = Printer { format: global.output, endpoint: without_credentials(&endpoint.description) };
    Ok((endpoint.client.acting_as(acting.acting_as.clone()), printer))
}

/// Microsoft offers no public API for these workflows (its admin center uses private ones):
/// a request would only meet a 404, so the command says where the workflow is instead.
/// Exit 2, as for other commands that cannot work with what they were given.
fn refuse_microsoft(global: &GlobalArgs, command: &str) -> Result<(), CliError> {
    match destination(global)? {
        Some(url) if is_microsoft(&url) => Err(CliError::Usage(format!(
            "`{command}` is not available on Microsoft's licensing service ({}): Microsoft offers this workflow only in the Microsoft 365 admin center, Billing > Your products (filter: Self-service); use --endpoint local or a commerce-policy serve URL to run it here",
            without_credentials(url.trim_end_matches('/'))
        ))),
        _ => Ok(()),
    }
}

/// Where requests would go, as `Endpoint::open` chooses, without signing in: a URL, or
/// `None` for the embedded default.
pub(super) fn destination(global: &GlobalArgs) -> Result<Option<String>, CliError> {
    let explicit = global.endpoint.as_deref().map(str::trim).filter(|e| !e.is_empty());
    Ok(match explicit {
        Some("local") => None,
        Some("microsoft") => Some(microsoft_endpoint()),
        Some(url) => Some(url.to_string()),
        None => match Profile::load(&data_dir()?)? {
            Some(profile) => Some(profile.endpoint),
            None => global.access_token.as_ref().map(|_| microsoft_endpoint()),
        },
    })
}

/// Whether `url` is Microsoft's licensing service: its host in any cloud, or the host
/// `COMMERCE_POLICY_MICROSOFT_ENDPOINT` names in its place.
pub(super) fn is_microsoft(url: &str) -> bool {
    let same = |known: &str| url.trim_end_matches('/').eq_ignore_ascii_case(known.trim_end_matches('/'));
    same(&microsoft_endpoint()) || same(MICROSOFT_ENDPOINT) || Cloud::ALL.iter().any(|c| same(c.licensing_endpoint()))
}

/// A subscription id as given: trimmed, and a GUID (the service's ids are), so a typo is
/// exit 2 before anything is sent.
pub(super) fn subscription_id(id: &str) -> Result<String, CliError> {
    let id = id.trim();
    uuid::Uuid::try_parse(id).map(|_| id.to_string()).map_err(|_| {
        CliError::Usage(format!("'{id}' is not a subscription id (a GUID, as `subscriptions list` shows)"))
    })
}

/// The entity tag of the subscription as it is now: every change is sent with `If-Match` on
/// the version read, as policy changes are, so a change made in between is refused (exit 6)
/// instead of being overwritten.
async fn version_of(client: &Client, id: &str) -> Result<Option<String>, CliError> {
    let read = client.subscription(id).await.map_err(CliError::request(format!("reading subscription {id}")))?;
    Ok(read.etag)
}

/// Subscription ids from repeated or comma-separated flags, checked, each once.
fn subscription_ids(ids: &[String]) -> Result<Vec<String>, CliError> {
    let mut checked: Vec<String> = Vec::new();
    for id in ids.iter().filter(|i| !i.trim().is_empty()) {
        let id = subscription_id(id)?;
        if !checked.iter().any(|c| c.eq_ignore_ascii_case(&id)) {
            checked.push(id);
        }
    }
    if checked.is_empty() {
        return Err(CliError::Usage("no subscription given: name one or more with --subscription".into()));
    }
    Ok(checked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn microsofts_host_is_known_in_any_spelling() {
        assert!(is_microsoft("https://licensing.m365.microsoft.com/"));
        assert!(is_microsoft("HTTPS://LICENSING.M365.MICROSOFT.COM"));
        assert!(!is_microsoft("http://127.0.0.1:8080"));
    }

    #[test]
    fn subscription_ids_are_guids_each_once() {
        let a = "6f1f3c1e-8d2a-4c55-9a57-0c2b1f6c9d10".to_string();
        assert_eq!(subscription_ids(&[a.clone(), format!(" {a} "), String::new()]).unwrap(), vec![a]);
        assert!(subscription_ids(&["nope".into()]).is_err());
        assert!(subscription_ids(&[]).is_err());
    }
}
