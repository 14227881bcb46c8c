//! The service's error answers: a status and `{"error":{"code","message","correlationId"}}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use commerce_model::ModelError;
use commerce_model::wire::{ErrorBody, ErrorDetail};

use crate::StoreError;
use crate::middleware::current_correlation_id;
use crate::store::Rule;

/// Marks an answer as one of ours for the request log, which logs the reason of every 5xx
/// once, in one place (see `middleware::correlation`).
#[derive(Debug, Clone)]
pub(crate) struct Refusal {
    pub code: &'static str,
    /// The message of a server-side failure, which an operator needs to see.
    pub failure: Option<std::sync::Arc<str>>,
}

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BadRequest", message)
    }

    /// The stable code of an error status, for answers not made by a handler.
    pub fn code_for(status: StatusCode) -> &'static str {
        match status.as_u16() {
            400 => "BadRequest",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "NotFound",
            405 => "MethodNotAllowed",
            408 => "RequestTimeout",
            409 => "Conflict",
            412 => "PreconditionFailed",
            413 => "PayloadTooLarge",
            414 => "UriTooLong",
            415 => "UnsupportedMediaType",
            429 => "TooManyRequests",
            431 => "RequestHeaderFieldsTooLarge",
            503 => "ServiceUnavailable",
            507 => "InsufficientStorage",
            s if s >= 500 => "InternalError",
            _ => "Error",
        }
    }
}

impl From<ModelError> for ApiError {
    fn from(e: ModelError) -> Self {
        Self::bad_request(e.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        if let StoreError::Rule { rule, message } = e {
            return Self::new(rule_status(rule), rule.code(), message);
        }
        let status = match &e {
            StoreError::NotFound(_) | StoreError::Unknown(_) => StatusCode::NOT_FOUND,
            StoreError::Refused(_) => StatusCode::BAD_REQUEST,
            StoreError::VersionMismatch { .. } | StoreError::Stale { .. } => StatusCode::PRECONDITION_FAILED,
            // Transient: clients retry a 503.
            StoreError::Busy(_) | StoreError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            // Not transient, so not retried: the service cannot store the change (RFC 4918 §11.5).
            StoreError::ReadOnly(_) | StoreError::Full(_) => StatusCode::INSUFFICIENT_STORAGE,
            StoreError::Backend(_) | StoreError::Corrupt(_) | StoreError::Newer(_) | StoreError::Rule { .. } => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        Self::new(status, Self::code_for(status), e.to_string())
    }
}

fn rule_status(rule: Rule) -> StatusCode {
    match rule {
        Rule::PurchaseNotAllowed | Rule::NotTakenOver | Rule::Forbidden => StatusCode::FORBIDDEN,
        Rule::NotEnoughLicenses | Rule::SubscriptionDeleted | Rule::Conflict => StatusCode::CONFLICT,
        Rule::Invalid => StatusCode::BAD_REQUEST,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let failure = self.status.is_server_error().then(|| std::sync::Arc::from(self.message.as_str()));
        let refusal = Refusal { code: self.code, failure };
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message,
                correlation_id: current_correlation_id().unwrap_or_default(),
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            // Transient (a store that is locked or cannot be reached): say when to try again.
            response.headers_mut().insert(http::header::RETRY_AFTER, http::HeaderValue::from(1));
        }
        response.extensions_mut().insert(refusal);
        response
    }
}
