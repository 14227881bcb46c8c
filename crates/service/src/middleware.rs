//! Request plumbing shared by every route: correlation ids, JSON error bodies for answers
//! the handlers did not make (404 of an unknown path, 405, 408, 413), and the emulator
//! controls that make the service slow, throttled or failing on purpose.

use std::time::Duration;

use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use commerce_model::CORRELATION_HEADER;

use crate::ApiError;
use crate::error::Refusal;

tokio::task_local! {
    static CORRELATION_ID: String;
}

/// The correlation id of the request being answered, if called while answering one.
pub(crate) fn current_correlation_id() -> Option<String> {
    CORRELATION_ID.try_with(Clone::clone).ok()
}

/// Reads the caller's correlation id (or makes one), answers with it, and logs it.
pub(crate) async fn correlation(request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(CORRELATION_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128)
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let method = request.method().clone();
    // A path is logged whole up to a point: a hostile one must not flood the log.
    let path: String = request.uri().path().chars().take(256).collect();
    let mut response = CORRELATION_ID.scope(id.clone(), json_errors(request, next)).await;
    let status = response.status().as_u16();
    match response.extensions().get::<Refusal>() {
        Some(Refusal { code, failure: Some(failure) }) => {
            tracing::error!(%method, %path, status, code, error = %failure, correlation_id = %id, "request failed")
        }
        Some(Refusal { code, failure: None }) => {
            tracing::info!(%method, %path, status, code, correlation_id = %id, "request")
        }
        None => tracing::info!(%method, %path, status, correlation_id = %id, "request"),
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(CORRELATION_HEADER, value);
    }
    response
}

/// Refuses a request target longer than [`crate::limits::MAX_URI_BYTES`] with 414, before
/// anything else reads it (hyper's own limit is far larger, 64 KiB).
pub(crate) async fn bounded_target(request: Request, next: Next) -> Response {
    let length = request.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if length > crate::limits::MAX_URI_BYTES {
        let message = format!("the request target is too long: at most {} bytes", crate::limits::MAX_URI_BYTES);
        return ApiError::new(StatusCode::URI_TOO_LONG, "UriTooLong", message).into_response();
    }
    next.run(request).await
}

/// Turns an error answer that is not JSON into the service's JSON error body.
async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json =
        response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if status.as_u16() < 400 || is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = to_bytes(body, 4096).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_string();
    let message = if text.is_empty() { status.canonical_reason().unwrap_or("error").to_string() } else { text };
    let mut answer = ApiError::new(status, ApiError::code_for(status), message).into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            answer.headers_mut().insert(name, value.clone());
        }
    }
    answer
}

/// Emulator controls: make the service behave like a loaded or failing one, so clients'
/// retries and concurrency can be tested and measured.
#[derive(Debug, Clone, Default)]
pub struct Simulation {
    /// Added to every API request before it is answered.
    pub latency: Duration,
    /// Share of API requests (0..=1) answered `429 Too Many Requests` with `Retry-After`.
    pub throttle: f64,
    /// Share of API requests (0..=1) answered `503 Service Unavailable`.
    pub errors: f64,
    /// The `Retry-After` of a throttled answer, in whole seconds.
    pub retry_after_secs: u64,
}

impl Simulation {
    pub fn is_active(&self) -> bool {
        !self.latency.is_zero() || self.throttle > 0.0 || self.errors > 0.0
    }
}

/// Applies [`Simulation`] before the request reaches its handler, so a refused request
/// changed nothing.
pub(crate) async fn simulate(State(sim): State<Simulation>, request: Request, next: Next) -> Response {
    if !sim.latency.is_zero() {
        tokio::time::sleep(sim.latency).await;
    }
    let roll = fastrand::f64();
    if roll < sim.throttle {
        let mut response = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "simulated throttling: retry after the delay given",
        )
        .into_response();
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(sim.retry_after_secs));
        return response;
    }
    if roll < sim.throttle + sim.errors {
        return ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable", "simulated outage: retry later")
            .into_response();
    }
    next.run(request).await
}
