//! `/metrics` in the Prometheus text format (the `prometheus` crate without protobuf): requests
//! by route, method and status, a latency histogram by route, requests in flight, the store's connections in use,
//! the outbox backlog, and the read cache's hits and misses. Routes are the route table's
//! templates (`/v1.0/policies/{policyId}`), never raw paths, so a client cannot make the
//! series grow.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

use crate::AppState;

/// The latency buckets, in seconds: from half a millisecond (a cached read) to the request timeout.
const BUCKETS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// The service's metrics, registered in a registry of their own (not the crate's global one:
/// two services in one process, as in tests, keep apart).
pub(crate) struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    in_flight: IntGauge,
    pool_in_use: IntGauge,
    pool_size: IntGauge,
    outbox_backlog: IntGauge,
    pub(crate) cache_hits: IntCounter,
    pub(crate) cache_misses: IntCounter,
}

impl Metrics {
    pub(crate) fn new() -> Self {
        let requests = IntCounterVec::new(
            Opts::new(
                "commerce_policy_http_requests_total",
                "HTTP requests answered, by route template, method and status",
            ),
            &["route", "method", "status"],
        )
        .expect("valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "commerce_policy_http_request_duration_seconds",
                "Time to answer a request, by route template",
            )
            .buckets(BUCKETS.to_vec()),
            &["route"],
        )
        .expect("valid metric");
        let gauge = |name: &str, help: &str| IntGauge::new(name, help).expect("valid metric");
        let counter = |name: &str, help: &str| IntCounter::new(name, help).expect("valid metric");
        let metrics = Self {
            registry: Registry::new(),
            requests,
            latency,
            in_flight: gauge("commerce_policy_http_requests_in_flight", "Requests being answered now"),
            pool_in_use: gauge("commerce_policy_store_connections_in_use", "Store connections serving a call now"),
            pool_size: gauge("commerce_policy_store_connections", "Store connections in the pool"),
            outbox_backlog: gauge("commerce_policy_outbox_backlog", "Notifications waiting in the outbox for delivery"),
            cache_hits: counter("commerce_policy_read_cache_hits_total", "GETs answered from the read cache"),
            cache_misses: counter(
                "commerce_policy_read_cache_misses_total",
                "GETs the read cache had to ask the store for",
            ),
        };
        metrics.register();
        metrics
    }

    fn register(&self) {
        let collectors: [Box<dyn prometheus::core::Collector>; 8] = [
            Box::new(self.requests.clone()),
            Box::new(self.latency.clone()),
            Box::new(self.in_flight.clone()),
            Box::new(self.pool_in_use.clone()),
            Box::new(self.pool_size.clone()),
            Box::new(self.outbox_backlog.clone()),
            Box::new(self.cache_hits.clone()),
            Box::new(self.cache_misses.clone()),
        ];
        for collector in collectors {
            self.registry.register(collector).expect("metric names are unique");
        }
    }
}

/// Counts and times every answer by the template of the route it matched.
pub(crate) async fn record(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let method = request.method().clone();
    let in_flight = InFlight::new(&metrics.in_flight);
    let response = next.run(request).await;
    drop(in_flight);
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    metrics.requests.with_label_values(&[route, method.as_str(), response.status().as_str()]).inc();
    metrics.latency.with_label_values(&[route]).observe(start.elapsed().as_secs_f64());
    response
}

/// One request in flight: counted down when dropped, also when its client went away mid-answer.
struct InFlight(IntGauge);

impl InFlight {
    fn new(gauge: &IntGauge) -> Self {
        gauge.inc();
        Self(gauge.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// `GET /metrics`: the store's gauges read now, then every metric in the text format.
pub(crate) async fn metrics(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    let metrics = &state.metrics;
    if let Some(usage) = state.store.pool_usage() {
        metrics.pool_in_use.set(usage.in_use as i64);
        metrics.pool_size.set(usage.size as i64);
    }
    // A store that cannot be read now leaves the last backlog: the scrape itself still answers.
    if let Ok(Some(backlog)) = state.store.outbox_backlog().await {
        metrics.outbox_backlog.set(backlog as i64);
    }
    let mut text = Vec::new();
    let encoder = TextEncoder::new();
    if let Err(e) = encoder.encode(&metrics.registry.gather(), &mut text) {
        tracing::error!(error = %e, "could not render the metrics");
    }
    let mut response = text.into_response();
    if let Ok(kind) = HeaderValue::from_str(encoder.format_type()) {
        response.headers_mut().insert(header::CONTENT_TYPE, kind);
    }
    response
}
