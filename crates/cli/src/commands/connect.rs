//! `connect` and `disconnect`: sign in to a tenant, keep the sign-in in the OS credential
//! store, and make the tenant where commands go; or forget it all.

use std::io::IsTerminal;
use std::time::{Duration, UNIX_EPOCH};

use commerce_signin::{
    BrowserSignIn, DeviceCodePrompt, FederatedSource, Flow, Given, Interaction, MSCOMMERCE_CLIENT_ID, Profile, Saved,
    Secret, Session, Token, Vault, parse_tenant_id,
};
use serde::Serialize;

use crate::cli::{ConnectArgs, Format, GlobalArgs, SignInMethod};
use crate::endpoint::{Endpoint, connection_name, data_dir, given_by_environment, licensing_endpoint};
use crate::error::CliError;
use crate::output::{Printer, for_terminal, without_credentials};
use crate::text;

/// What `connect` did, with the names the module's Connect-MSCommerce returns.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Connection {
    /// None without a sign-in.
    tenant_id: Option<String>,
    environment: String,
    endpoint: String,
    account: Option<String>,
    /// The flow's name, or `None` for a connection without sign-in.
    sign_in: &'static str,
    expires_on: Option<String>,
    /// The credential store that keeps the sign-in, or none (kept for this command only).
    credential_store: Option<&'static str>,
    /// Whether later commands get a token again without the user: see [`renews_unattended`].
    renewable: bool,
}

/// What the module's Connect-MSCommerce passes on when no sign-in was made.
const NO_SIGN_IN: &str = "None";

/// Signs in and makes the tenant where commands go (or saves an endpoint that needs no
/// sign-in); a failure says where they go instead, so no one takes the next command for
/// one sent to the tenant just tried.
pub async fn connect(global: &GlobalArgs, args: ConnectArgs) -> Result<(), CliError> {
    let explicit_local = global.endpoint.as_deref().map(str::trim) == Some("local");
    let outcome = if args.method.no_sign_in || explicit_local {
        save_without_sign_in(global, &args).await
    } else {
        sign_in_and_save(global, args).await
    };
    match outcome {
        Ok(()) => Ok(()),
        Err(error) => Err(CliError::Noted { error: Box::new(error), note: still_active() }),
    }
}

/// Which connection the failed `connect` left in place.
fn still_active() -> String {
    let read = data_dir().ok().and_then(|dir| Profile::read(&dir).ok());
    match read {
        Some(Saved::Connection(profile)) => {
            format!("still connected to {}", without_credentials(&connection_name(&profile)))
        }
        Some(Saved::Missing) => format!("no connection is active: {WITHOUT_CONNECTION}"),
        Some(Saved::Damaged { path, .. }) => {
            format!("the saved connection {} is damaged: run `commerce-policy disconnect`", path.display())
        }
        None => "the saved connection could not be read".into(),
    }
}

async fn sign_in_and_save(global: &GlobalArgs, args: ConnectArgs) -> Result<(), CliError> {
    let flow = flow(&args, global)?;
    let mut given = given_by_environment();
    given.access_token = global.access_token.clone().map(Secret::new);
    let profile = profile(&args, global, flow, &given)?;
    if profile.flow == Flow::ClientSecret && given.client_secret.is_none() {
        given.client_secret = Some(read_client_secret(&profile.client_id)?);
    }
    let dir = data_dir()?;
    let session = Session::open(profile);
    let open = |url: &str| open_sign_in_page(url, args.browser_timeout);
    let person = Interaction {
        show_device_code: &show_device_code,
        browser: BrowserSignIn { open: &open, timeout: args.browser_timeout },
    };
    let token = session.sign_in(&given, &person).await?;
    // Without --tenant-id, the token names the tenant signed in to.
    let mut profile = session.profile.clone();
    let named = token.identity().tenant_id.filter(|t| !t.is_empty() && parse_tenant_id(t).is_ok());
    if let Some(tenant) = named.filter(|_| profile.tenant_id == "organizations") {
        profile.tenant_id = tenant;
    }
    let session = session.rename(profile)?;
    // Only a sign-in that worked replaces the old connection.
    forget_other_connection(&dir, &session.profile)?;
    session.profile.save(&dir)?;
    super::graph::connect_graph(&session, &given).await;
    report(global, &session.profile, &token, session.vault())
}

/// Where commands go once no connection is saved, under the endpoint rules (the implicit
/// local default is announced, and refused in pipelines).
const WITHOUT_CONNECTION: &str = "commands without --endpoint now use the embedded local store, each with a notice on stderr, and are refused in pipelines (CI set) — run `commerce-policy connect`, or `commerce-policy connect --endpoint local` to choose the local store";

pub fn disconnect(global: &GlobalArgs) -> Result<(), CliError> {
    let dir = data_dir()?;
    let printer = Printer { format: global.output, endpoint: String::new() };
    let profile = match Profile::read(&dir)? {
        Saved::Missing => return printer.write(&message(global, &format!("Not connected: {WITHOUT_CONNECTION}."))),
        Saved::Connection(profile) => profile,
        // Nothing in it can be trusted to name a sign-in, and keeping it would leave every
        // command refusing: it goes.
        Saved::Damaged { path, why } => {
            Profile::remove(&dir)?;
            let text =
                format!("Removed {}: it was not a saved connection ({why}); {WITHOUT_CONNECTION}.", path.display());
            return printer.write(&message(global, &for_terminal(&text)));
        }
    };
    if profile.flow != Flow::NoSignIn {
        Session::open(profile.clone()).sign_out()?;
    }
    Profile::remove(&dir)?;
    let what = if profile.flow == Flow::NoSignIn { "the connection was removed" } else { "its sign-in was removed" };
    let text =
        format!("Disconnected from {}: {what}; {WITHOUT_CONNECTION}.", without_credentials(&connection_name(&profile)));
    printer.write(&message(global, &text))
}

/// `connect --endpoint <URL|local> --no-sign-in`: checks that the endpoint answers (one
/// `policies list`), then saves it as where commands go, with no token and nothing in the
/// credential store. The embedded store chosen this way is an explicit choice: no notice,
/// and pipelines may use it.
async fn save_without_sign_in(global: &GlobalArgs, args: &ConnectArgs) -> Result<(), CliError> {
    if let Some(flag) = sign_in_flag(&args.method) {
        return Err(CliError::Usage(format!("{flag} signs in: leave it out to connect without sign-in")));
    }
    let endpoint = match global.endpoint.as_deref().map(str::trim) {
        None | Some("") => {
            return Err(CliError::Usage("--no-sign-in needs --endpoint: a service's URL, or local".into()));
        }
        Some("microsoft") => {
            return Err(CliError::Usage("Microsoft's service needs a sign-in: leave out --no-sign-in".into()));
        }
        Some(endpoint) => endpoint.trim_end_matches('/').to_string(),
    };
    let profile = Profile {
        cloud: args.environment,
        tenant_id: "organizations".into(),
        client_id: String::new(),
        flow: Flow::NoSignIn,
        authority: String::new(),
        resource: String::new(),
        endpoint,
    };
    let checked = Endpoint::of_connection(&profile, global)?;
    checked.client.policies().await.map_err(CliError::request(format!("checking {}", checked.description)))?;
    let dir = data_dir()?;
    forget_other_connection(&dir, &profile)?;
    profile.save(&dir)?;
    let connection = Connection {
        tenant_id: None,
        environment: profile.cloud.to_string(),
        endpoint: without_credentials(&profile.endpoint),
        account: None,
        sign_in: NO_SIGN_IN,
        expires_on: None,
        credential_store: None,
        renewable: false,
    };
    let printer = Printer { format: global.output, endpoint: without_credentials(&checked.description) };
    match global.output {
        Format::Table => printer.write(&format!(
            "Connected to {} without sign-in: commands now go there (in pipelines too); --endpoint overrides it, `commerce-policy disconnect` forgets it.",
            for_terminal(&printer.endpoint)
        )),
        _ => printer.one(&connection),
    }
}

/// The sign-in flag given, if any (`--no-sign-in` aside).
fn sign_in_flag(m: &SignInMethod) -> Option<&'static str> {
    let flags = [
        (m.device_code, "--device-code"),
        (m.client_secret, "--client-secret"),
        (m.certificate.is_some(), "--certificate"),
        (m.federated_token_file.is_some(), "--federated-token-file"),
        (m.federated_token_env.is_some(), "--federated-token-env"),
        (m.federated_github, "--federated-github"),
        (m.managed_identity, "--managed-identity"),
    ];
    flags.into_iter().find(|(given, _)| *given).map(|(_, name)| name)
}

/// A plain message, or `{"Message": …}` for scripts.
fn message(global: &GlobalArgs, text: &str) -> String {
    match global.output {
        Format::Json => serde_json::json!({ "Message": text }).to_string(),
        _ => text.to_string(),
    }
}

/// The sign-in flow the flags ask for.
fn flow(args: &ConnectArgs, global: &GlobalArgs) -> Result<Flow, CliError> {
    let m = &args.method;
    Ok(if m.client_secret {
        Flow::ClientSecret
    } else if let Some(path) = &m.certificate {
        Flow::Certificate { path: absolute(path) }
    } else if let Some(path) = &m.federated_token_file {
        Flow::FederatedToken { source: FederatedSource::File(absolute(path)) }
    } else if let Some(name) = &m.federated_token_env {
        Flow::FederatedToken { source: FederatedSource::Env(name.clone()) }
    } else if m.federated_github {
        Flow::FederatedToken { source: FederatedSource::GitHubActions }
    } else if m.managed_identity {
        Flow::ManagedIdentity
    } else if m.browser {
        Flow::Browser
    } else if global.access_token.is_some() && !m.device_code {
        Flow::AccessToken
    } else {
        Flow::DeviceCode
    })
}

/// A file the saved connection names is read by later commands, from other folders.
fn absolute(path: &std::path::Path) -> std::path::PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

fn profile(args: &ConnectArgs, global: &GlobalArgs, flow: Flow, given: &Given) -> Result<Profile, CliError> {
    let is_app = matches!(flow, Flow::ClientSecret | Flow::Certificate { .. } | Flow::FederatedToken { .. });
    let tenant_id = match args.tenant_id.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(tenant) => tenant.to_string(),
        None if is_app => {
            return Err(CliError::Usage(format!("--tenant-id is required to sign in with {}", flow.name())));
        }
        None => "organizations".to_string(),
    };
    let client_id = match (args.client_id.as_deref().map(str::trim).filter(|c| !c.is_empty()), &flow) {
        (Some(id), _) => id.to_string(),
        (None, Flow::DeviceCode | Flow::Browser) => MSCOMMERCE_CLIENT_ID.to_string(),
        (None, Flow::ManagedIdentity | Flow::AccessToken) => String::new(),
        (None, _) => {
            return Err(CliError::Usage(format!("--client-id (the application id) is required with {}", flow.name())));
        }
    };
    if flow == Flow::AccessToken && given.access_token.as_ref().is_none_or(Secret::is_empty) {
        return Err(CliError::Usage("--access-token is empty".into()));
    }
    let endpoint = match global.endpoint.as_deref().map(str::trim) {
        None | Some("" | "microsoft") => licensing_endpoint(args.environment),
        Some(url) => url.trim_end_matches('/').to_string(),
    };
    let authority = match &args.authority {
        Some(url) => commerce_signin::parse_authority(url)
            .map(|url| url.as_str().trim_end_matches('/').to_string())
            .map_err(|why| CliError::Usage(format!("--authority {why}")))?,
        None => args.environment.authority().to_string(),
    };
    Ok(Profile {
        cloud: args.environment,
        tenant_id,
        client_id,
        flow,
        authority,
        // MSCommerce's -Resource is the scope (`…/.default`); the resource is what precedes it.
        resource: args.resource.trim().trim_end_matches("/.default").trim_end_matches('/').to_string(),
        endpoint,
    })
}

/// A new connection replaces the old one: its kept sign-in goes too. A damaged file names
/// no sign-in; saving the new connection replaces it.
fn forget_other_connection(dir: &std::path::Path, new: &Profile) -> Result<(), CliError> {
    if let Saved::Connection(old) = Profile::read(dir)?
        && old.account() != new.account()
    {
        Session::open(old).sign_out()?;
    }
    Ok(())
}

/// The client secret from stdin when it is piped, else asked for without echo.
fn read_client_secret(client_id: &str) -> Result<Secret, CliError> {
    let secret = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("Client secret of application {client_id}: "))
            .map_err(|e| CliError::Other(format!("could not read the client secret: {e}")))?
    } else {
        text::read_stdin().map_err(|e| CliError::Other(format!("could not read the client secret from stdin: {e}")))?
    };
    let secret = Secret::new(secret.trim());
    if secret.is_empty() {
        return Err(CliError::Usage(
            "no client secret: set COMMERCE_POLICY_CLIENT_SECRET or pipe it to stdin (never on the command line)"
                .into(),
        ));
    }
    Ok(secret)
}

/// The device-code instructions go to stderr, so stdout stays the command's answer.
fn show_device_code(prompt: &DeviceCodePrompt) {
    crate::log::prompt(&format!(
        "To sign in, open {} and enter the code {} (within {} minutes).",
        prompt.verification_uri,
        prompt.user_code,
        prompt.expires_in.as_secs().div_ceil(60)
    ));
}

/// The sign-in page always goes to stderr, so a person whose browser did not open can copy
/// it; the system browser opens it too unless COMMERCE_POLICY_BROWSER=none (tests, SSH).
fn open_sign_in_page(url: &str, timeout: Duration) {
    eprintln!(
        "To sign in within {}, open this page in a browser on this machine: {url}",
        humantime::format_duration(timeout)
    );
    if std::env::var("COMMERCE_POLICY_BROWSER").is_ok_and(|v| v.eq_ignore_ascii_case("none")) {
        return;
    }
    if !has_desktop() {
        eprintln!("No desktop session here (DISPLAY and WAYLAND_DISPLAY are unset): open the page above yourself.");
        return;
    }
    let url = url.to_string();
    // A browser can take its time to start (or, in a terminal, block): the wait goes on meanwhile.
    std::thread::spawn(move || {
        if let Err(e) = webbrowser::open(&url) {
            eprintln!("No browser could be opened ({e}): open the page above yourself.");
        }
    });
}

/// Whether a browser could show a window: always on Windows and macOS; elsewhere only in a
/// graphical session (else `webbrowser` would run a text browser in this terminal).
fn has_desktop() -> bool {
    cfg!(any(target_os = "windows", target_os = "macos"))
        || ["DISPLAY", "WAYLAND_DISPLAY"].iter().any(|v| std::env::var_os(v).is_some_and(|v| !v.is_empty()))
}

fn report(global: &GlobalArgs, profile: &Profile, token: &Token, vault: &Vault) -> Result<(), CliError> {
    let expires = humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(token.expires_at)).to_string();
    let connection = Connection {
        tenant_id: Some(profile.tenant_id.clone()),
        environment: profile.cloud.to_string(),
        endpoint: without_credentials(&profile.endpoint),
        account: token.identity().account,
        sign_in: profile.flow.name(),
        expires_on: Some(expires),
        credential_store: vault.unavailable().is_none().then(Vault::store_name),
        renewable: renews_unattended(&profile.flow, token, vault),
    };
    let printer = Printer { format: global.output, endpoint: without_credentials(&profile.describe()) };
    match global.output {
        Format::Table => printer.write(&summary(profile, &connection, vault)),
        _ => printer.one(&connection),
    }
}

/// Whether later commands get a token again without the user: a managed identity or a
/// federated token always can; an application's secret or certificate password, and a
/// person's refresh token, only from a usable credential store; a plain access token or a
/// connection without sign-in never.
fn renews_unattended(flow: &Flow, token: &Token, vault: &Vault) -> bool {
    let stored = vault.unavailable().is_none();
    match flow {
        Flow::ManagedIdentity | Flow::FederatedToken { .. } => true,
        Flow::ClientSecret | Flow::Certificate { .. } => stored,
        Flow::AccessToken | Flow::NoSignIn => false,
        // A person's sign-in (device code, and flows added later): its refresh token.
        _ => stored && token.refresh_token.is_some(),
    }
}

fn summary(profile: &Profile, c: &Connection, vault: &Vault) -> String {
    let who = c.account.as_deref().map(|a| format!(" as {}", for_terminal(a))).unwrap_or_default();
    let renewable = profile.flow.is_unattended() || c.renewable;
    let kept = match (vault.unavailable().as_deref(), profile.flow.is_unattended()) {
        (None, _) if renewable => {
            format!("The sign-in is kept in {}; commands renew it by themselves.", Vault::store_name())
        }
        (None, _) => format!("The token is kept in {} until it expires; then connect again.", Vault::store_name()),
        (Some(why), true) => format!(
            "No credential store is usable here ({why}): nothing was kept, and each command signs in again with the {}{}.",
            profile.flow.name(),
            if profile.flow == Flow::ClientSecret { " (set COMMERCE_POLICY_CLIENT_SECRET)" } else { "" }
        ),
        (Some(why), false) => format!(
            "No credential store is usable here ({why}): the token was kept for this command only; pass tokens in COMMERCE_POLICY_ACCESS_TOKEN, or sign in as an application."
        ),
    };
    format!(
        "Connected to {}{who} with {}; the token is valid until {}.\n{kept}\nCommands now go to this tenant; --endpoint local reaches the embedded default.",
        for_terminal(&without_credentials(&profile.describe())),
        c.sign_in,
        c.expires_on.as_deref().unwrap_or_default()
    )
}
