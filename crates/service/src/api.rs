//! The routes of the v1.0 API and their handlers, listed once: the router and the OpenAPI
//! document are both made from the table in [`router`].

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use commerce_model::wire::{
    AuditEntry, ErrorBody, Items, Policy, PolicyUpdate, ProductPolicy, ScopePolicy, ScopedPolicy,
};
use commerce_model::{OfferType, PolicyId, ProductId};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::store::{Actor, ChangeContext, PolicyStore, Versioned};
use crate::{ApiError, AppState, ServiceConfig, auth, middleware};

/// The largest request body accepted; a policy update is a few dozen bytes.
const MAX_BODY_BYTES: usize = 16 * 1024;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "commerce-policy v1.0 API",
        description = "Self-service purchase policies, wire-compatible with Microsoft's licensing service (licensing.m365.microsoft.com/v1.0)."
    ),
    components(schemas(ErrorBody, Scope))
)]
struct ApiDoc;

/// The security scheme's name in the OpenAPI document.
const BEARER: &str = "bearer";

/// The document, declaring the bearer scheme; with `required`, every v1.0 operation needs it
/// (a service without sign-in does not say so, or clients would be told to send tokens).
pub(crate) fn openapi(required: bool) -> utoipa::openapi::OpenApi {
    let mut doc = v1_routes().split_for_parts().1;
    declare_bearer(&mut doc, required);
    doc
}

fn declare_bearer(doc: &mut utoipa::openapi::OpenApi, required: bool) {
    use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
    let scheme = HttpBuilder::new()
        .scheme(HttpAuthScheme::Bearer)
        .bearer_format("JWT")
        .description(Some(
            "An Entra ID (or other OpenID provider) access token for the service's audience; app roles \
             Policy.Read/ReadWrite.AllowSelfServicePurchase or the Global Reader, Billing Administrator or \
             Global Administrator directory roles.",
        ))
        .build();
    doc.components.get_or_insert_with(Default::default).add_security_scheme(BEARER, SecurityScheme::Http(scheme));
    if required {
        doc.security = Some(vec![SecurityRequirement::new(BEARER, Vec::<String>::new())]);
    }
}

/// Every route of the v1.0 API, in one table.
fn v1_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(list_policies))
        .routes(routes!(get_policy))
        .routes(routes!(list_scoped_policies))
        .routes(routes!(get_product_policy, put_product_policy))
        .routes(routes!(get_offer_type_policy, put_offer_type_policy))
        .routes(routes!(list_audit))
}

pub(crate) fn router(state: AppState, config: &ServiceConfig) -> axum::Router {
    let (v1, mut doc) = v1_routes().split_for_parts();
    declare_bearer(&mut doc, config.auth.is_some());
    let mut v1 = v1;
    if config.simulation.is_active() {
        v1 = v1.layer(axum::middleware::from_fn_with_state(config.simulation.clone(), middleware::simulate));
    }
    // Outside the simulation: a request without a valid token is refused before anything else.
    if let Some(auth) = &config.auth {
        v1 = v1.layer(axum::middleware::from_fn_with_state(auth.clone(), auth::require_token));
    }
    let doc = serde_json::to_value(&doc).unwrap_or_default();
    v1.route("/healthz", axum::routing::get(healthz))
        .route("/openapi.json", axum::routing::get(move || async move { Json(doc) }))
        .fallback(not_found)
        .with_state(state)
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(http::StatusCode::REQUEST_TIMEOUT, config.request_timeout))
        .layer(axum::middleware::from_fn(middleware::correlation))
}

async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

async fn not_found() -> ApiError {
    ApiError::new(http::StatusCode::NOT_FOUND, "NotFound", "no such route: see /openapi.json for the API")
}

/// Runs a blocking store call off the async runtime.
async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&dyn PolicyStore) -> Result<T, crate::StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || f(store.as_ref()))
        .await
        .map_err(|e| ApiError::new(http::StatusCode::INTERNAL_SERVER_ERROR, "InternalError", e.to_string()))?
        .map_err(ApiError::from)
}

/// A JSON answer carrying its entity tag.
fn tagged<T: serde::Serialize>(v: Versioned<T>) -> Response {
    let mut response = Json(v.value).into_response();
    if let Ok(etag) = HeaderValue::from_str(&v.etag) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

/// The change's attribution: the signed-in caller, else the service's configured actor.
fn change_context(state: &AppState, caller: Option<Extension<Actor>>, headers: &HeaderMap) -> ChangeContext {
    ChangeContext {
        actor: caller.map(|Extension(actor)| actor).unwrap_or_else(|| state.actor.as_ref().clone()),
        correlation_id: middleware::current_correlation_id().unwrap_or_default(),
        if_match: headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()).map(str::to_string),
    }
}

fn parse_update(body: &Bytes) -> Result<PolicyUpdate, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(format!(
            "the body must be {{\"policyValue\": \"Enabled|Disabled|OnlyTrialsWithoutPaymentMethod\"}}: {e}"
        ))
    })
}

/// The scopes a policy's values can be listed in (documentation only: the handler matches
/// them in any case).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
enum Scope {
    #[schema(rename = "product")]
    Product,
    OfferType,
}

/// Lists the policies.
#[utoipa::path(get, path = "/v1.0/policies", tag = "policies",
    responses((status = 200, body = Items<Policy>)))]
async fn list_policies(State(state): State<AppState>) -> Result<Json<Items<Policy>>, ApiError> {
    let items = blocking(&state, |s| s.policies()).await?;
    Ok(Json(Items { items }))
}

/// Reads one policy.
#[utoipa::path(get, path = "/v1.0/policies/{policyId}", tag = "policies",
    params(("policyId" = String, Path, example = "AllowSelfServicePurchase", pattern = "^[A-Za-z0-9]{1,64}$")),
    responses((status = 200, body = Policy), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_policy(State(state): State<AppState>, Path(policy_id): Path<String>) -> Result<Response, ApiError> {
    let id: PolicyId = policy_id.parse()?;
    Ok(tagged(blocking(&state, move |s| s.policy(&id)).await?))
}

/// Lists a policy's values: for every product (`scope=product`, the default) or every
/// offer type (`scope=OfferType`).
#[utoipa::path(get, path = "/v1.0/policies/{policyId}/products", tag = "policies",
    params(
        ("policyId" = String, Path, example = "AllowSelfServicePurchase", pattern = "^[A-Za-z0-9]{1,64}$"),
        ("scope" = Option<Scope>, Query, description = "`product` (default) or `OfferType`; any case")
    ),
    responses((status = 200, body = Items<ScopedPolicy>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_scoped_policies(
    State(state): State<AppState>,
    Path(policy_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Items<ScopedPolicy>>, ApiError> {
    let id: PolicyId = policy_id.parse()?;
    let scope = query.get("scope").map(String::as_str).unwrap_or("product");
    let items = if scope.eq_ignore_ascii_case("product") {
        let items = blocking(&state, move |s| s.product_policies(&id)).await?;
        items.into_iter().map(ScopedPolicy::Product).collect()
    } else if scope.eq_ignore_ascii_case("offerType") {
        let items = blocking(&state, move |s| s.offer_type_policies(&id)).await?;
        items.into_iter().map(ScopedPolicy::Scope).collect()
    } else {
        return Err(ApiError::bad_request(format!("'{scope}' is not a scope: use product or OfferType")));
    };
    Ok(Json(Items { items }))
}

/// Reads a policy's value for one product. Former product ids answer for the current one.
#[utoipa::path(get, path = "/v1.0/policies/{policyId}/products/{productId}", tag = "products",
    params(("policyId" = String, Path, example = "AllowSelfServicePurchase", pattern = "^[A-Za-z0-9]{1,64}$"), ("productId" = String, Path, example = "CFQ7TTC0H9MP", pattern = "^[A-Za-z0-9]{12}$")),
    responses((status = 200, body = ProductPolicy, headers(("ETag" = String))), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_product_policy(
    State(state): State<AppState>,
    Path((policy_id, product_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (policy, product): (PolicyId, ProductId) = (policy_id.parse()?, product_id.parse()?);
    Ok(tagged(blocking(&state, move |s| s.product_policy(&policy, &product)).await?))
}

/// Sets a policy's value for one product. With `If-Match`, refuses (412) if the value
/// changed since it was read.
#[utoipa::path(put, path = "/v1.0/policies/{policyId}/products/{productId}", tag = "products",
    params(
        ("policyId" = String, Path, example = "AllowSelfServicePurchase", pattern = "^[A-Za-z0-9]{1,64}$"),
        ("productId" = String, Path, example = "CFQ7TTC0H9MP", pattern = "^[A-Za-z0-9]{12}$"),
        ("If-Match" = Option<String>, Header, description = "the ETag last read")
    ),
    request_body = PolicyUpdate,
    responses((status = 200, body = ProductPolicy, headers(("ETag" = String))), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 412, body = ErrorBody)))]
async fn put_product_policy(
    State(state): State<AppState>,
    Path((policy_id, product_id)): Path<(String, String)>,
    caller: Option<Extension<Actor>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (policy, product): (PolicyId, ProductId) = (policy_id.parse()?, product_id.parse()?);
    let update = parse_update(&body)?;
    let ctx = change_context(&state, caller, &headers);
    let changed = blocking(&state, move |s| s.set_product_policy(&policy, &product, update.policy_value, &ctx)).await?;
    Ok(tagged(changed))
}

/// Reads a policy's value for one offer type.
#[utoipa::path(get, path = "/v1.0/policies/{policyId}/offerTypes/{offerType}", tag = "offer types",
    params(("policyId" = String, Path, example = "AllowSelfServicePurchase", pattern = "^[A-Za-z0-9]{1,64}$"), ("offerType" = String, Path, example = "SaaS", pattern = "^[A-Za-z0-9]{1,64}$")),
    responses((status = 200, body = ScopePolicy, headers(("ETag" = String))), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_offer_type_policy(
    State(state): State<AppState>,
    Path((policy_id, offer_type)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (policy, offer): (PolicyId, OfferType) = (policy_id.parse()?, offer_type.parse()?);
    Ok(tagged(blocking(&state, move |s| s.offer_type_policy(&policy, &offer)).await?))
}

/// Sets a policy's value for one offer type (`Enabled` or `Disabled`).
#[utoipa::path(put, path = "/v1.0/policies/{policyId}/offerTypes/{offerType}", tag = "offer types",
    params(
        ("policyId" = String, Path, example = "AllowSelfServicePurchase", pattern = "^[A-Za-z0-9]{1,64}$"),
        ("offerType" = String, Path, example = "SaaS", pattern = "^[A-Za-z0-9]{1,64}$"),
        ("If-Match" = Option<String>, Header, description = "the ETag last read")
    ),
    request_body = PolicyUpdate,
    responses((status = 200, body = ScopePolicy, headers(("ETag" = String))), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 412, body = ErrorBody)))]
async fn put_offer_type_policy(
    State(state): State<AppState>,
    Path((policy_id, offer_type)): Path<(String, String)>,
    caller: Option<Extension<Actor>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (policy, offer): (PolicyId, OfferType) = (policy_id.parse()?, offer_type.parse()?);
    let update = parse_update(&body)?;
    let ctx = change_context(&state, caller, &headers);
    let changed =
        blocking(&state, move |s| s.set_offer_type_policy(&policy, &offer, update.policy_value, &ctx)).await?;
    Ok(tagged(changed))
}

/// The audit log, newest change first.
#[utoipa::path(get, path = "/v1.0/audit", tag = "audit",
    params(("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "how many entries (default 100)")),
    responses((status = 200, body = Items<AuditEntry>), (status = 400, body = ErrorBody)))]
async fn list_audit(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Items<AuditEntry>>, ApiError> {
    let limit = match query.get("limit") {
        None => 100,
        Some(l) => l
            .parse::<u32>()
            .ok()
            .filter(|l| (1..=1000).contains(l))
            .ok_or_else(|| ApiError::bad_request(format!("'{l}' is not a limit: use a number from 1 to 1000")))?,
    };
    let items = blocking(&state, move |s| s.audit(limit)).await?;
    Ok(Json(Items { items }))
}
