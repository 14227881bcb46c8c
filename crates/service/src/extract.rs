//! The request's parts as typed values, each refused with the service's own JSON error when
//! it is not valid: handlers never parse a string by hand.

use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::header;
use axum::http::request::Parts;
use commerce_model::wire::PolicyUpdate;
use commerce_model::{OfferType, PolicyId, ProductId, Target};
use serde::de::DeserializeOwned;

use crate::store::{Actor, ChangeContext};
use crate::{ApiError, AppState, etag, middleware};

/// Path parameters, validated by their types' parsers.
pub(crate) struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state).await.map(|Path(v)| Self(v)).map_err(|e| match e {
            PathRejection::FailedToDeserializePathParams(e) => ApiError::bad_request(match e.kind() {
                axum::extract::path::ErrorKind::Message(message) => message.clone(),
                _ => e.body_text(),
            }),
            other => ApiError::bad_request(other.body_text()),
        })
    }
}

/// The policy and product of `/policies/{policyId}/products/{productId}`.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProductPath {
    policy_id: PolicyId,
    product_id: ProductId,
}

/// The policy and offer type of `/policies/{policyId}/offerTypes/{offerType}`.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OfferTypePath {
    policy_id: PolicyId,
    offer_type: OfferType,
}

impl From<ProductPath> for (PolicyId, Target) {
    fn from(p: ProductPath) -> Self {
        (p.policy_id, Target::Product(p.product_id))
    }
}

impl From<OfferTypePath> for (PolicyId, Target) {
    fn from(p: OfferTypePath) -> Self {
        (p.policy_id, Target::OfferType(p.offer_type))
    }
}

/// Query parameters, validated by their types' parsers.
pub(crate) struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state).await.map(|Query(v)| Self(v)).map_err(|e| match e {
            // The innermost cause is the parser's own sentence ("'x' is not a scope: …").
            QueryRejection::FailedToDeserializeQueryString(e) => ApiError::bad_request(innermost(&e)),
            other => ApiError::bad_request(other.body_text()),
        })
    }
}

fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// The body of a PUT, `{"policyValue": …}`, whatever content type it was sent with (the
/// MSCommerce module's requests are not all labelled).
pub(crate) struct UpdateBody(pub PolicyUpdate);

impl<S: Send + Sync> FromRequest<S> for UpdateBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|e| ApiError::new(e.status(), ApiError::code_for(e.status()), e.body_text()))?;
        serde_json::from_slice(&body).map(Self).map_err(|e| {
            ApiError::bad_request(format!(
                "the body must be {{\"policyValue\": \"Enabled|Disabled|OnlyTrialsWithoutPaymentMethod\"}}: {e}"
            ))
        })
    }
}

/// Who is asking: the signed-in caller the auth layer found, else the service's configured
/// actor.
pub(crate) struct Caller(pub Actor);

impl FromRequestParts<AppState> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let actor = parts.extensions.get::<Actor>().cloned();
        Ok(Self(actor.unwrap_or_else(|| state.actor.as_ref().clone())))
    }
}

/// A write's context: its caller, its correlation id and what `If-Match` allows it to replace.
pub(crate) struct WriteContext(pub ChangeContext);

impl FromRequestParts<AppState> for WriteContext {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Ok(Caller(actor)) = Caller::from_request_parts(parts, state).await;
        let header = |name| parts.headers.get(name).and_then(|v: &header::HeaderValue| v.to_str().ok());
        let expected =
            etag::expected_with(header(header::IF_MATCH), header(header::IF_NONE_MATCH)).ok_or_else(|| {
                ApiError::new(
                    http::StatusCode::PRECONDITION_FAILED,
                    "PreconditionFailed",
                    "If-None-Match: * asks to create a value that does not exist yet, and every policy value exists: \
                 use If-Match with the ETag last read to change it",
                )
            })?;
        Ok(Self(ChangeContext {
            actor,
            correlation_id: middleware::current_correlation_id().unwrap_or_default(),
            expected,
        }))
    }
}

/// Whether the caller asked for every list item's entity tag (`Prefer:
/// odata.include-annotations="odata.etag"`, or `="*"`), as our client does.
pub(crate) struct WantsEtags(pub bool);

impl<S: Send + Sync> FromRequestParts<S> for WantsEtags {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let wants = parts.headers.get_all("prefer").iter().filter_map(|v| v.to_str().ok()).any(|v| {
            v.split(',').filter_map(|p| p.trim().strip_prefix("odata.include-annotations=")).any(|annotations| {
                annotations.trim_matches('"').split(',').any(|a| matches!(a.trim(), "odata.etag" | "*"))
            })
        });
        Ok(Self(wants))
    }
}

/// A JSON body of an administration route, refused with the service's JSON error (400) and
/// the parser's reason when it is not the type's shape.
pub(crate) struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|e| ApiError::new(e.status(), ApiError::code_for(e.status()), e.body_text()))?;
        serde_json::from_slice(&body)
            .map(Self)
            .map_err(|e| ApiError::bad_request(format!("the body is not valid: {e}")))
    }
}
