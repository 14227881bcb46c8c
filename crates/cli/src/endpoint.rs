//! Where commands are sent: the embedded local service (in-process, no port), the tenant of
//! `connect`, Microsoft's licensing service, or any URL of a `commerce-policy serve`.

use std::path::PathBuf;
use std::sync::Arc;

use commerce_client::{Client, MICROSOFT_ENDPOINT, RetryPolicy, Transport, TransportError, TransportFuture};
use commerce_model::Catalog;
use commerce_model::wire::ErrorBody;
use commerce_service::{ServiceConfig, SqliteStore};
use commerce_signin::{Cloud, Flow, Given, Profile, Secret, Session, SignInError};
use tracing::instrument::WithSubscriber;
use tracing::subscriber::NoSubscriber;

use crate::cli::GlobalArgs;
use crate::error::CliError;

/// A resolved endpoint: a client for it and how to name it to a person.
pub struct Endpoint {
    pub client: Client,
    pub description: String,
}

impl Endpoint {
    /// `--endpoint` if given, else the saved connection, else Microsoft's service when a
    /// token was given (a token is meant for a tenant, never for a file on disk), else the
    /// embedded default, said on stderr and refused in a pipeline (and refused everywhere
    /// with `--require-connection`). The tenant's token goes only to the tenant's own
    /// endpoint; a connection without sign-in sends none of its own.
    pub async fn open(global: &GlobalArgs) -> Result<Self, CliError> {
        let explicit = global.endpoint.as_deref().map(str::trim).filter(|e| !e.is_empty());
        // `local` needs no connection, so a damaged connection file cannot stand in its way.
        let connected = if explicit == Some("local") { None } else { Profile::load(&data_dir()?)? };
        let explicit = match (explicit, &connected, &global.access_token) {
            (None, None, Some(_)) => Some("microsoft"),
            _ => explicit,
        };
        let (client, description, profile) = match (explicit, connected) {
            (Some("local"), _) => local(global)?,
            (None, None) => implicit_local(global)?,
            (None, Some(profile)) => {
                let (client, description) = connected_client(&profile, global)?;
                (client, description, Some(profile))
            }
            (Some(name), connected) => {
                let url = if name == "microsoft" { microsoft_endpoint() } else { name.to_string() };
                let profile = connected.filter(|p| same_url(&p.endpoint, &url));
                let description =
                    profile.as_ref().map_or_else(|| url.trim_end_matches('/').to_string(), connection_name);
                (http_client(&url, global)?, description, profile)
            }
        };
        let token = match (&global.access_token, profile) {
            (Some(token), _) => Some(token.clone()),
            (None, Some(profile)) if profile.flow != Flow::NoSignIn => Some(signed_in_token(profile).await?),
            (None, _) => None,
        };
        Ok(Self { client: client.with_retry(retry(global)).with_token(token), description })
    }

    /// The endpoint of a connection about to be saved, for `connect` to check it answers.
    pub fn of_connection(profile: &Profile, global: &GlobalArgs) -> Result<Self, CliError> {
        let (client, description) = connected_client(profile, global)?;
        let client = client.with_retry(retry(global)).with_token(global.access_token.clone());
        Ok(Self { client, description })
    }
}

/// The retries `--max-retries` and `--retry-timeout` allow.
pub(crate) fn retry(global: &GlobalArgs) -> RetryPolicy {
    RetryPolicy {
        max_attempts: global.max_retries.map_or(u32::MAX, |n| n.saturating_add(1)),
        max_elapsed: global.retry_timeout,
        ..RetryPolicy::default()
    }
}

/// The client of a saved connection and its name: `local` is the embedded store, chosen.
fn connected_client(profile: &Profile, global: &GlobalArgs) -> Result<(Client, String), CliError> {
    if profile.endpoint == "local" {
        let (client, description, _) = local(global)?;
        return Ok((client, description));
    }
    Ok((http_client(&profile.endpoint, global)?, connection_name(profile)))
}

/// A person's name for a saved connection: the tenant's, or for one without sign-in the
/// endpoint itself (`local` names its store).
pub fn connection_name(profile: &Profile) -> String {
    match (profile.flow == Flow::NoSignIn, profile.endpoint.as_str()) {
        (true, "local") => local_store_path().map_or_else(|_| "local".into(), |p| format!("local ({})", p.display())),
        (true, url) => url.to_string(),
        (false, _) => profile.describe(),
    }
}

type Resolved = (Client, String, Option<Profile>);

/// The embedded local service, in this process.
fn local(global: &GlobalArgs) -> Result<Resolved, CliError> {
    let path = local_store_path()?;
    let client = Client::with_transport("http://local", Arc::new(InProcess::open(&path, global.verbose)?));
    Ok((client, format!("local ({})", path.display()), None))
}

/// The variables by which a pipeline (GitHub Actions, Azure Pipelines, GitLab, most others)
/// says it runs one: there a forgotten sign-in must fail, not pass against a file on disk.
pub const PIPELINE_VARIABLES: [&str; 4] = ["CI", "TF_BUILD", "GITHUB_ACTIONS", "GITLAB_CI"];

/// The embedded default chosen for want of anything else: fine for someone trying the tool,
/// who is told so every time; refused in a pipeline, where it means a sign-in was forgotten.
fn implicit_local(global: &GlobalArgs) -> Result<Resolved, CliError> {
    if global.require_connection {
        return Err(CliError::Auth(SignInError::NotSignedIn(
            "not connected: run Connect-MSCommerce (commerce-policy connect), or connect --endpoint local for the embedded store".into(),
        )));
    }
    if let Some(name) = PIPELINE_VARIABLES.iter().find(|n| std::env::var_os(n).is_some_and(|v| !v.is_empty())) {
        return Err(CliError::Auth(SignInError::NotSignedIn(format!(
            "no tenant connected and {name} is set (a pipeline): run `commerce-policy connect`, or pass --endpoint local to use the embedded local store"
        ))));
    }
    let path = local_store_path()?;
    let resolved = local(global)?;
    crate::log::notice(
        "WARN",
        &format!(
            "no tenant connected: using the embedded local store {} (pass --endpoint local to choose it, or connect)",
            path.display()
        ),
    );
    Ok(resolved)
}

/// Microsoft's licensing service: `COMMERCE_POLICY_MICROSOFT_ENDPOINT` overrides its host,
/// for tests and for a sovereign cloud whose host Microsoft names elsewhere.
pub fn microsoft_endpoint() -> String {
    microsoft_override().unwrap_or_else(|| MICROSOFT_ENDPOINT.to_string())
}

/// The licensing service of `cloud`, or the override of [`microsoft_endpoint`].
pub fn licensing_endpoint(cloud: Cloud) -> String {
    microsoft_override().unwrap_or_else(|| cloud.licensing_endpoint().to_string())
}

fn microsoft_override() -> Option<String> {
    let value = std::env::var("COMMERCE_POLICY_MICROSOFT_ENDPOINT").ok()?;
    Some(value.trim().trim_end_matches('/').to_string()).filter(|v| !v.is_empty())
}

/// The connected tenant's token: kept, refreshed, or signed in again unattended.
async fn signed_in_token(profile: Profile) -> Result<String, CliError> {
    let token = Session::open(profile).token(&given_by_environment()).await?;
    Ok(token.access_token.expose().to_string())
}

/// Secrets a pipeline hands every command through the environment.
pub fn given_by_environment() -> Given {
    let secret = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty()).map(Secret::new);
    Given {
        client_secret: secret("COMMERCE_POLICY_CLIENT_SECRET"),
        certificate_password: secret("COMMERCE_POLICY_CERTIFICATE_PASSWORD"),
        access_token: None,
    }
}

fn same_url(a: &str, b: &str) -> bool {
    a.trim_end_matches('/').eq_ignore_ascii_case(b.trim_end_matches('/'))
}

fn http_client(url: &str, global: &GlobalArgs) -> Result<Client, CliError> {
    Client::http(url, global.timeout).map_err(|e| {
        CliError::Usage(format!("--endpoint {e}: use local, microsoft, or a URL like http://127.0.0.1:8080"))
    })
}

/// The data folder of the embedded default and the saved connection:
/// `COMMERCE_POLICY_DATA_DIR`, else the user's data folder (`~/.local/share/commerce-policy`
/// on Linux, `%APPDATA%\commerce-policy` on Windows).
pub fn data_dir() -> Result<PathBuf, CliError> {
    if let Some(dir) = std::env::var_os("COMMERCE_POLICY_DATA_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    dirs::data_dir()
        .map(|d| d.join("commerce-policy"))
        .ok_or_else(|| CliError::Other("no data folder is known for this user: set COMMERCE_POLICY_DATA_DIR".into()))
}

/// The store of the embedded default, its folder created if missing.
pub fn local_store_path() -> Result<PathBuf, CliError> {
    let dir = data_dir()?;
    std::fs::create_dir_all(&dir)
        .map_err(|e| CliError::Other(format!("could not create the data folder {}: {e}", dir.display())))?;
    Ok(dir.join("local.db"))
}

/// Our service, answering in this process: every command works with no tenant and no port.
/// No network lies between, so an error answer of the service is its store failing, never
/// something a retry can mend: it becomes one non-retried error naming the store.
struct InProcess {
    app: commerce_service::Router,
    path: PathBuf,
    /// Whether the service's own request log goes to stderr (`--verbose`); otherwise the
    /// command's one error line says it all.
    verbose: bool,
}

impl InProcess {
    fn open(path: &std::path::Path, verbose: bool) -> Result<Self, CliError> {
        let store = SqliteStore::open(path, Catalog::builtin())
            .map_err(|e| CliError::Other(format!("could not open the local store {}: {e}", path.display())))?;
        let app = commerce_service::app(Arc::new(store), &ServiceConfig::default());
        Ok(Self { app, path: path.to_path_buf(), verbose })
    }

    /// The store's failure, named, from a 5xx answer's body.
    fn fault(&self, answer: &http::Response<bytes::Bytes>) -> TransportError {
        let message = serde_json::from_slice::<ErrorBody>(answer.body())
            .map(|b| b.error.message)
            .unwrap_or_else(|_| String::from_utf8_lossy(answer.body()).into_owned());
        let message: String = message.split_whitespace().collect::<Vec<_>>().join(" ");
        TransportError::Fault(format!("the local store {} failed: {message}", self.path.display()))
    }
}

impl Transport for InProcess {
    fn send(&self, request: http::Request<bytes::Bytes>) -> TransportFuture<'_> {
        Box::pin(async move {
            let call = commerce_service::call_in_process(&self.app, request);
            let answer = if self.verbose { call.await } else { call.with_subscriber(NoSubscriber::default()).await };
            if answer.status().is_server_error() {
                return Err(self.fault(&answer));
            }
            Ok(answer)
        })
    }
}
