//! `commerce-policy serve`: the v1.0 licensing policy API over a durable store, wire-compatible
//! with Microsoft's service, plus what ours adds (ETags, audit, health, OpenAPI) and emulator
//! controls for testing clients (latency, throttling, errors).

pub mod auth;
mod cache;
mod error;
mod etag;
mod extract;
mod handlers;
mod handlers_admin;
mod handlers_operations;
mod health;
pub mod limits;
mod metrics;
mod middleware;
pub mod outbox;
mod principal;
mod routes;
mod server;
pub mod store;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

pub use axum::Router;
use tokio::net::TcpListener;

pub use cache::DEFAULT_BOUND as DEFAULT_CACHE_BOUND;
pub use error::ApiError;
pub use limits::ServerLimits;
pub use middleware::Simulation;
pub use store::{Actor, AdminStore, PolicyStore, SqliteStore, Store, StoreError};

/// How a service instance behaves beyond its store.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Who changes are attributed to in the audit log while sign-in is not required.
    pub actor: String,
    /// How long one request may take before it is answered 408.
    pub request_timeout: Duration,
    pub simulation: Simulation,
    /// Bearer tokens required on every v1.0 route when set (`serve --auth jwt`).
    pub auth: Option<Arc<auth::Authenticator>>,
    /// Notified when a change commits mail to the outbox: hand the same one to
    /// [`outbox::deliver`].
    pub outbox: Arc<tokio::sync::Notify>,
    /// How long after a write through another process (another replica on the same store)
    /// a cached read may still answer what was there before it.
    pub cache_bound: Duration,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            actor: "local".into(),
            request_timeout: Duration::from_secs(30),
            simulation: Simulation::default(),
            auth: None,
            outbox: Arc::default(),
            cache_bound: DEFAULT_CACHE_BOUND,
        }
    }
}

/// Shared state of the handlers: one reference-counted pointer, because axum clones the state
/// of a route for every request it answers (one count to move instead of one per field).
#[derive(Clone)]
pub(crate) struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] points to.
pub(crate) struct Shared {
    pub(crate) store: Arc<dyn Store>,
    /// Woken when a change commits mail to the outbox, so the worker delivers it at once.
    pub(crate) outbox: Arc<tokio::sync::Notify>,
    /// Whether callers sign in (`--auth jwt`): then the token says who acts, not the header.
    pub(crate) signed_in: bool,
    /// Who changes are attributed to when no one signed in.
    pub(crate) actor: Arc<Actor>,
    pub(crate) cache: Arc<cache::ReadCache>,
    pub(crate) metrics: Arc<metrics::Metrics>,
}

/// The whole service as a router: mount it on a listener with [`serve`], or call it in-process.
pub fn app(store: Arc<dyn Store>, config: &ServiceConfig) -> Router {
    let metrics = Arc::new(metrics::Metrics::new());
    let state = AppState(Arc::new(Shared {
        cache: Arc::new(cache::ReadCache::new(store.clone(), config.cache_bound, &metrics)),
        metrics,
        store,
        actor: Arc::new(Actor::named(config.actor.as_str())),
        outbox: config.outbox.clone(),
        signed_in: config.auth.is_some(),
    }));
    routes::router(state, config)
}

/// The OpenAPI document of the v1.0 API, generated from the same route table as [`app`],
/// as a service that requires sign-in serves it.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes::openapi(true)
}

/// Serves `app` on `listener` with the default [`ServerLimits`] until `shutdown` completes,
/// then lets requests in flight finish within the drain deadline and closes the rest.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    server::serve_with_limits(listener, app, ServerLimits::default(), shutdown).await
}

pub use server::serve_with_limits;

/// Completes on SIGINT (Ctrl+C) or, on Unix, SIGTERM. The handlers are installed when this
/// is called, not when it is first awaited: call it before announcing the address, or a signal
/// sent right after the announcement would kill the process instead of stopping it.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            match (interrupt, terminate) {
                (Ok(mut interrupt), Ok(mut terminate)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {},
                        _ = terminate.recv() => {},
                    }
                }
                _ => std::future::pending::<()>().await,
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Answers one request with `app` in-process, with no socket: how the embedded default
/// endpoint serves the binary's own commands.
pub async fn call_in_process(
    app: &Router,
    request: http::Request<axum::body::Bytes>,
) -> http::Response<axum::body::Bytes> {
    use tower::ServiceExt;
    let response = match app.clone().oneshot(request.map(axum::body::Body::from)).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    http::Response::from_parts(parts, bytes)
}
