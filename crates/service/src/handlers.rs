//! The handlers of the v1.0 routes: typed extractors in, the store's domain values mapped
//! to the wire out. A product and an offer type share one reader and one writer.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use commerce_model::wire::{
    AuditEntry, ErrorBody, Items, Policy, PolicyUpdate, ProductPolicy, ScopePolicy, ScopedPolicy,
};
use commerce_model::{PolicyId, Scope, Target, TargetPolicy};
use serde::Deserialize;

use crate::extract::{ApiPath, ApiQuery, OfferTypePath, ProductPath, UpdateBody, WantsEtags, WriteContext};
use crate::store::Versioned;
use crate::{ApiError, AppState, etag};

/// A JSON answer carrying its entity tag.
pub(crate) fn tagged<T: serde::Serialize>(value: T, version: u64) -> Response {
    let mut response = Json(value).into_response();
    if let Ok(tag) = HeaderValue::from_str(&etag::etag(version)) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    response
}

fn target_answer(read: Versioned<TargetPolicy>) -> Response {
    tagged(read.value.into_wire(false, None), read.version)
}

/// Lists the policies.
#[utoipa::path(get, path = "/v1.0/policies", tag = "policies",
    responses((status = 200, body = Items<Policy>)))]
pub(crate) async fn list_policies(State(state): State<AppState>) -> Result<Json<Items<Policy>>, ApiError> {
    Ok(Json(Items { items: state.store.policies().await? }))
}

/// Reads one policy.
#[utoipa::path(get, path = "/v1.0/policies/{policyId}", tag = "policies",
    params(("policyId" = String, Path, example = "AllowSelfServicePurchase", pattern = "^[A-Za-z0-9]{1,64}$")),
    responses((status = 200, body = Policy), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_policy(
    State(state): State<AppState>,
    ApiPath(policy): ApiPath<PolicyId>,
) -> Result<Response, ApiError> {
    let read = state.store.policy(&policy).await?;
    Ok(tagged(read.value, read.version))
}

#[derive(Deserialize)]
pub(crate) struct ListQuery {
    scope: Option<Scope>,
}

/// Lists a policy's values: for every product (`scope=product`, the default) or every
/// offer type (`scope=OfferType`). With `Prefer: odata.include-annotations="odata.etag"`,
/// every item carries its entity tag as `@odata.etag`.
#[utoipa::path(get, path = "/v1.0/policies/{policyId}/products", tag = "policies",
    params(
        ("policyId" = String, Path, example = "AllowSelfServicePurchase", pattern = "^[A-Za-z0-9]{1,64}$"),
        ("scope" = Option<Scope>, Query, description = "`product` (default) or `OfferType`; any case"),
        ("Prefer" = Option<String>, Header, description = "`odata.include-annotations=\"odata.etag\"` tags every item")
    ),
    responses((status = 200, body = Items<ScopedPolicy>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn list_values(
    State(state): State<AppState>,
    ApiPath(policy): ApiPath<PolicyId>,
    ApiQuery(query): ApiQuery<ListQuery>,
    WantsEtags(with_etags): WantsEtags,
) -> Result<Response, ApiError> {
    let values = state.store.values(&policy, query.scope.unwrap_or(Scope::Product)).await?;
    let items: Vec<ScopedPolicy> =
        values.into_iter().map(|v| v.value.into_wire(true, with_etags.then(|| etag::etag(v.version)))).collect();
    let mut response = Json(Items { items }).into_response();
    if with_etags {
        response.headers_mut().insert("preference-applied", HeaderValue::from_static(commerce_model::PREFER_ETAGS));
    }
    Ok(response)
}

async fn read(state: AppState, (policy, target): (PolicyId, Target)) -> Result<Response, ApiError> {
    Ok(target_answer(state.store.value(&policy, &target).await?))
}

async fn write(
    state: AppState,
    (policy, target): (PolicyId, Target),
    WriteContext(ctx): WriteContext,
    UpdateBody(update): UpdateBody,
) -> Result<Response, ApiError> {
    Ok(target_answer(state.store.set_value(&policy, &target, update.policy_value, &ctx).await?))
}

/// Reads a policy's value for one product. Former product ids answer for the current one.
#[utoipa::path(get, path = "/v1.0/policies/{policyId}/products/{productId}", tag = "products",
    params(("policyId" = String, Path, example = "AllowSelfServicePurchase", pattern = "^[A-Za-z0-9]{1,64}$"), ("productId" = String, Path, example = "CFQ7TTC0H9MP", pattern = "^[A-Za-z0-9]{12}$")),
    responses((status = 200, body = ProductPolicy, headers(("ETag" = String))), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_product_policy(
    State(state): State<AppState>,
    ApiPath(path): ApiPath<ProductPath>,
) -> Result<Response, ApiError> {
    read(state, path.into()).await
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
pub(crate) async fn put_product_policy(
    State(state): State<AppState>,
    ApiPath(path): ApiPath<ProductPath>,
    ctx: WriteContext,
    body: UpdateBody,
) -> Result<Response, ApiError> {
    write(state, path.into(), ctx, body).await
}

/// Reads a policy's value for one offer type.
#[utoipa::path(get, path = "/v1.0/policies/{policyId}/offerTypes/{offerType}", tag = "offer types",
    params(("policyId" = String, Path, example = "AllowSelfServicePurchase", pattern = "^[A-Za-z0-9]{1,64}$"), ("offerType" = String, Path, example = "SaaS", pattern = "^[A-Za-z0-9]{1,64}$")),
    responses((status = 200, body = ScopePolicy, headers(("ETag" = String))), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_offer_type_policy(
    State(state): State<AppState>,
    ApiPath(path): ApiPath<OfferTypePath>,
) -> Result<Response, ApiError> {
    read(state, path.into()).await
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
pub(crate) async fn put_offer_type_policy(
    State(state): State<AppState>,
    ApiPath(path): ApiPath<OfferTypePath>,
    ctx: WriteContext,
    body: UpdateBody,
) -> Result<Response, ApiError> {
    write(state, path.into(), ctx, body).await
}

/// How many audit entries to answer: 1 to 1000.
pub(crate) struct AuditLimit(u32);

impl<'de> Deserialize<'de> for AuditLimit {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse::<u32>().ok().filter(|l| (1..=1000).contains(l)).map(Self).ok_or_else(|| {
            serde::de::Error::custom(format!("'{}' is not a limit: use a number from 1 to 1000", text.escape_debug()))
        })
    }
}

#[derive(Deserialize)]
pub(crate) struct AuditQuery {
    limit: Option<AuditLimit>,
}

impl AuditQuery {
    /// The limit asked for, 100 by default.
    pub(crate) fn limit(&self) -> u32 {
        self.limit.as_ref().map_or(100, |AuditLimit(l)| *l)
    }
}

/// The audit log, newest change first.
#[utoipa::path(get, path = "/v1.0/audit", tag = "audit",
    params(("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "how many entries (default 100)")),
    responses((status = 200, body = Items<AuditEntry>), (status = 400, body = ErrorBody)))]
pub(crate) async fn list_audit(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Json<Items<AuditEntry>>, ApiError> {
    Ok(Json(Items { items: state.store.audit(query.limit()).await? }))
}
