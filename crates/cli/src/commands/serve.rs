//! `serve`: our policy service on a socket.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use commerce_model::Catalog;
use commerce_service::auth::{AuthSettings, Authenticator, KeySource};
use commerce_service::outbox::{MailError, MailSettings, Mailer};
use commerce_service::store::{PostgresOptions, PostgresStore, StoreOptions, redacted};
use commerce_service::{ServerLimits, ServiceConfig, Simulation, SqliteStore, Store};

use crate::cli::{ServeArgs, ServeAuth};
use crate::endpoint::local_store_path;
use crate::error::CliError;
use crate::text;

pub async fn serve(args: ServeArgs) -> Result<(), CliError> {
    let simulation = simulation(&args)?;
    let mailer = mailer(&args)?;
    let auth = authenticator(&args).await?;
    let catalog = match &args.catalog {
        Some(path) => read_catalog(path)?,
        None => Catalog::builtin().clone(),
    };
    // Bound before the store is opened: an address in use leaves no new store file behind.
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| CliError::Other(format!("could not listen on {}: {e}", args.listen)))?;
    let address = listener.local_addr().map_err(|e| CliError::Other(e.to_string()))?;
    let (store, name) = open_store(&args, &catalog).await?;
    let config = ServiceConfig { simulation, auth, ..ServiceConfig::default() };
    let app = commerce_service::app(store.clone(), &config);
    // Without --smtp the notifications wait in the outbox: nothing delivers them.
    if let Some(mailer) = mailer {
        tokio::spawn(commerce_service::outbox::deliver(store, mailer, config.outbox.clone()));
    }
    let limits = ServerLimits {
        header_read_timeout: args.header_timeout,
        drain_timeout: args.drain_timeout,
        max_connections: args.max_connections,
    };
    let shutdown = commerce_service::shutdown_signal();
    // The first line of stdout names the address, so scripts that asked for port 0 can read it.
    // Not `println!`: with stdout closed (a script that read nothing) it would panic. The
    // service's own output is its log on stderr.
    let _ = writeln!(std::io::stdout(), "listening on http://{address} (store {name})");
    let _ = std::io::stdout().flush();
    commerce_service::serve_with_limits(listener, app, limits, shutdown)
        .await
        .map_err(|e| CliError::Other(format!("the service stopped: {e}")))?;
    tracing::info!("stopped");
    Ok(())
}

/// The store `--store` names: a PostgreSQL URL, else a SQLite file (`sqlite:` prefix
/// optional; the local store by default). Answers it with its name for messages, which never
/// holds a password.
async fn open_store(args: &ServeArgs, catalog: &Catalog) -> Result<(Arc<dyn Store>, String), CliError> {
    let given = args.store.as_ref().map(|p| p.to_string_lossy().into_owned());
    if let Some(url) = given.as_deref().filter(|s| s.starts_with("postgres://") || s.starts_with("postgresql://")) {
        let options = PostgresOptions {
            pool_size: args.pool_size,
            statement_timeout: args.statement_timeout,
            connect_retries: args.connect_retries,
            mail_lease: args.mail_lease,
        };
        let store = PostgresStore::open(url, catalog, &options)
            .await
            .map_err(|e| CliError::Other(format!("could not open the store {}: {e}", redacted(url))))?;
        let name = store.name().to_string();
        return Ok((Arc::new(store), name));
    }
    let path = match given.as_deref().and_then(|s| s.strip_prefix("sqlite:")) {
        Some(rest) => PathBuf::from(rest),
        None => match &args.store {
            Some(path) => path.clone(),
            None => local_store_path()?,
        },
    };
    let options = StoreOptions { busy_timeout: args.busy_timeout, ..StoreOptions::default() };
    let store = SqliteStore::open_with(&path, catalog, &options)
        .map_err(|e| CliError::Other(format!("could not open the store {}: {e}", path.display())))?;
    Ok((Arc::new(store), path.display().to_string()))
}

/// The SMTP client `--smtp` asks for, with credentials from the environment (never a flag,
/// so they stay out of process lists and shell history).
fn mailer(args: &ServeArgs) -> Result<Option<Mailer>, CliError> {
    let (Some(url), Some(from)) = (&args.smtp, &args.smtp_from) else { return Ok(None) };
    let from = from.parse().map_err(|_| CliError::Usage(MailError::From(from.clone()).to_string()))?;
    let username = std::env::var("COMMERCE_POLICY_SMTP_USERNAME").ok().filter(|u| !u.is_empty());
    let password = std::env::var("COMMERCE_POLICY_SMTP_PASSWORD").ok().unwrap_or_default();
    let settings = MailSettings { url: url.clone(), from, credentials: username.map(|u| (u, password)) };
    Mailer::new(&settings).map(Some).map_err(|e| CliError::Usage(e.to_string()))
}

/// The emulator settings; each share is checked when parsed, their sum here.
fn simulation(args: &ServeArgs) -> Result<Simulation, CliError> {
    if args.simulate_throttle + args.simulate_errors > 1.0 {
        return Err(usage(&format!(
            "--simulate-throttle {} and --simulate-errors {} add up to more than 1: they are shares of the same requests",
            args.simulate_throttle, args.simulate_errors
        )));
    }
    Ok(Simulation {
        latency: args.simulate_latency.unwrap_or(Duration::ZERO),
        throttle: args.simulate_throttle,
        errors: args.simulate_errors,
        retry_after_secs: args.simulate_retry_after,
    })
}

/// The token checker `--auth` asks for, with its keys loaded if they can be: a JWKS URL that
/// is down is not fatal (requests answer 503 until the keys load), a bad JWKS file is.
async fn authenticator(args: &ServeArgs) -> Result<Option<Arc<Authenticator>>, CliError> {
    if args.auth == ServeAuth::None {
        return no_auth(args).map(|()| None);
    }
    let issuer = args.issuer.clone().ok_or_else(|| usage("--auth jwt needs --issuer, the `iss` of accepted tokens"))?;
    if args.audience.is_empty() {
        return Err(usage("--auth jwt needs --audience, the `aud` of accepted tokens (the service's app id or URI)"));
    }
    let keys = match (&args.jwks_url, &args.jwks_file) {
        (Some(url), None) => KeySource::Url(url.clone()),
        (None, Some(path)) => KeySource::File(path.clone()),
        _ => return Err(usage("--auth jwt needs --jwks-url or --jwks-file, where the issuer's signing keys are")),
    };
    let settings = AuthSettings { issuer, audiences: args.audience.clone(), keys, leeway: args.clock_skew };
    let auth = Authenticator::new(settings).map_err(|e| usage(&e.to_string()))?;
    match (auth.load_keys().await, &auth.settings().keys) {
        (Ok(_), _) => {}
        (Err(e), KeySource::File(_)) => return Err(CliError::Usage(format!("--jwks-file: {e}"))),
        (Err(e), KeySource::Url(_)) => {
            tracing::warn!(error = %e, "signing keys not loaded yet: requests answer 503 until they load")
        }
    }
    Ok(Some(Arc::new(auth)))
}

/// Without sign-in anyone who can reach the port can change policies: loopback only, and
/// sign-in flags are refused rather than silently ignored.
fn no_auth(args: &ServeArgs) -> Result<(), CliError> {
    if !args.listen.ip().is_loopback() {
        return Err(CliError::Usage(format!(
            "--listen {}: without sign-in the service listens on loopback only: use 127.0.0.1 or [::1], or --auth jwt",
            args.listen
        )));
    }
    let given =
        args.issuer.is_some() || !args.audience.is_empty() || args.jwks_url.is_some() || args.jwks_file.is_some();
    if given {
        return Err(usage("--issuer, --audience, --jwks-url and --jwks-file need --auth jwt"));
    }
    Ok(())
}

fn usage(message: &str) -> CliError {
    CliError::Usage(message.to_string())
}

fn read_catalog(path: &Path) -> Result<Catalog, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Usage(format!("--catalog {}: could not read it: {e}", path.display())))?;
    Catalog::parse(text::without_bom(&text)).map_err(|e| CliError::Usage(format!("--catalog {}: {e}", path.display())))
}
