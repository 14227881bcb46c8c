//! What a load balancer and an orchestrator ask: `/healthz` (the process answers) and
//! `/readyz` (it can serve: the store is reachable, its layout is the one this build knows,
//! it can be written). Neither is part of the v1.0 API, and neither needs sign-in.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::{ApiError, AppState};

/// How long a load balancer is asked to wait before it asks `/readyz` again.
const RETRY_AFTER_SECS: u32 = 1;

/// `GET /healthz`: alive, whatever the store says.
pub(crate) async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// `GET /readyz`: 200 when the store can serve, else 503 with the reason and `Retry-After`.
pub(crate) async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.readiness().await {
        Ok(()) => Json(serde_json::json!({ "status": "ready" })).into_response(),
        Err(e) => {
            let message = format!("not ready: {e}");
            let mut response =
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable", message).into_response();
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
            response
        }
    }
}
