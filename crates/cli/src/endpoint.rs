//! Where commands are sent: the embedded local service (in-process, no port), Microsoft's
//! licensing service, or any URL of a `commerce-policy serve`.

use std::path::PathBuf;
use std::sync::Arc;

use commerce_client::{Client, MICROSOFT_ENDPOINT, RetryPolicy, Transport, TransportFuture};
use commerce_service::{ServiceConfig, SqliteStore};

use crate::cli::GlobalArgs;
use crate::error::CliError;

/// A resolved endpoint: a client for it and how to name it to a person.
pub struct Endpoint {
    pub client: Client,
    pub description: String,
}

impl Endpoint {
    pub fn open(global: &GlobalArgs) -> Result<Self, CliError> {
        let retry = RetryPolicy { max_attempts: global.max_retries.saturating_add(1), ..RetryPolicy::default() };
        let (client, description) = match global.endpoint.trim() {
            "local" => {
                let path = local_store_path()?;
                let client = Client::with_transport("http://local", Arc::new(InProcess::open(&path)?));
                (client, format!("local ({})", path.display()))
            }
            "microsoft" => (http_client(MICROSOFT_ENDPOINT, global)?, MICROSOFT_ENDPOINT.to_string()),
            url => (http_client(url, global)?, url.trim_end_matches('/').to_string()),
        };
        let client = client.with_retry(retry).with_token(global.access_token.clone());
        Ok(Self { client, description })
    }
}

fn http_client(url: &str, global: &GlobalArgs) -> Result<Client, CliError> {
    Client::http(url, global.timeout).map_err(|e| {
        CliError::Usage(format!("--endpoint {e}: use local, microsoft, or a URL like http://127.0.0.1:8080"))
    })
}

/// The data folder of the embedded default: `COMMERCE_POLICY_DATA_DIR`, else the user's
/// data folder (`~/.local/share/commerce-policy` on Linux, `%APPDATA%\commerce-policy` on
/// Windows).
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
struct InProcess {
    app: commerce_service::Router,
}

impl InProcess {
    fn open(path: &std::path::Path) -> Result<Self, CliError> {
        let store = SqliteStore::open(path, &commerce_service::builtin_catalog())
            .map_err(|e| CliError::Other(format!("could not open the local store {}: {e}", path.display())))?;
        Ok(Self { app: commerce_service::app(Arc::new(store), &ServiceConfig::default()) })
    }
}

impl Transport for InProcess {
    fn send(&self, request: http::Request<bytes::Bytes>) -> TransportFuture<'_> {
        Box::pin(async move { Ok(commerce_service::call_in_process(&self.app, request).await) })
    }
}
