//! `serve`: our policy service on a socket.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use commerce_model::Catalog;
use commerce_service::{ServiceConfig, Simulation, SqliteStore};

use crate::cli::ServeArgs;
use crate::endpoint::local_store_path;
use crate::error::CliError;

pub async fn serve(args: ServeArgs) -> Result<(), CliError> {
    if !args.listen.ip().is_loopback() {
        return Err(CliError::Usage(format!(
            "--listen {}: the service has no sign-in yet, so it listens on loopback only: use 127.0.0.1 or [::1]",
            args.listen
        )));
    }
    let catalog = match &args.catalog {
        Some(path) => read_catalog(path)?,
        None => commerce_service::builtin_catalog(),
    };
    let path = match &args.store {
        Some(path) => path.clone(),
        None => local_store_path()?,
    };
    let store = SqliteStore::open(&path, &catalog)
        .map_err(|e| CliError::Other(format!("could not open the store {}: {e}", path.display())))?;
    let config = ServiceConfig {
        simulation: Simulation {
            latency: args.simulate_latency.unwrap_or(Duration::ZERO),
            throttle: args.simulate_throttle,
            errors: args.simulate_errors,
            retry_after_secs: args.simulate_retry_after,
        },
        ..ServiceConfig::default()
    };
    let app = commerce_service::app(Arc::new(store), &config);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| CliError::Other(format!("could not listen on {}: {e}", args.listen)))?;
    let address = listener.local_addr().map_err(|e| CliError::Other(e.to_string()))?;
    // The first line of stdout names the address, so scripts that asked for port 0 can read it.
    println!("listening on http://{address} (store {})", path.display());
    commerce_service::serve(listener, app, commerce_service::shutdown_signal())
        .await
        .map_err(|e| CliError::Other(format!("the service stopped: {e}")))?;
    tracing::info!("stopped");
    Ok(())
}

fn read_catalog(path: &Path) -> Result<Catalog, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Usage(format!("--catalog {}: could not read it: {e}", path.display())))?;
    Catalog::parse(&text).map_err(|e| CliError::Usage(format!("--catalog {}: {e}", path.display())))
}
