//! The in-process service the unit tests run against: the real service over a real SQLite
//! store in a temp folder, reached through the client's transport seam.

use std::sync::Arc;

use commerce_client::{Client, Transport, TransportFuture};
use commerce_model::{Catalog, Target};
use commerce_service::{ServiceConfig, SqliteStore};

pub const POLICY: &str = "AllowSelfServicePurchase";

const CATALOG: &str = r#"{"policies":[{"id":"AllowSelfServicePurchase","description":"d","defaultValue":"Enabled"}],
    "products":[
      {"id":"CFQ7TTC0LH2H","name":"Power Apps per user","trials":false,"formerIds":["CFQ7TTC0KP0P"]},
      {"id":"CFQ7TTC0HDB1","name":"Project Plan 1","trials":true},
      {"id":"CFQ7TTC0H9MP","name":"Power BI Pro","trials":false}],
    "offerTypes":[{"id":"SaaS","name":"Software as a Service"}]}"#;

struct InProcess(commerce_service::Router);

impl Transport for InProcess {
    fn send(&self, request: http::Request<bytes::Bytes>) -> TransportFuture<'_> {
        Box::pin(async move { Ok(commerce_service::call_in_process(&self.0, request).await) })
    }
}

/// A client of a fresh service; keep the folder alive as long as the client.
pub fn local_client() -> (tempfile::TempDir, Client) {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::parse(CATALOG).unwrap();
    let store = SqliteStore::open(&dir.path().join("store.db"), &catalog).unwrap();
    let app = commerce_service::app(Arc::new(store), &ServiceConfig::default());
    (dir, Client::with_transport("http://local", Arc::new(InProcess(app))))
}

pub fn product(id: &str) -> Target {
    Target::Product(id.parse().unwrap())
}
