//! The handlers of the administration's directory and subscriptions: users, purchases, lists
//! and single reads, central subscriptions, license assignment and cancellation. Who may do
//! what is decided by [`Principal`]; the rules of the domain by the store.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use commerce_model::ProductId;
use commerce_model::admin::{
    Cancellation, LicenseChange, NewCentralSubscription, NewPurchase, NewUser, Outcome, Subscription,
    SubscriptionStatus, User,
};
use commerce_model::wire::{ErrorBody, Items};
use serde::Deserialize;

use crate::extract::{ApiJson, ApiPath, ApiQuery, WriteContext};
use crate::handlers::tagged;
use crate::principal::Principal;
use crate::store::{Buyer, SubscriptionFilter, Versioned};
use crate::{ApiError, AppState};

fn created(read: Versioned<Subscription>) -> Response {
    let mut response = tagged(read.value, read.version);
    *response.status_mut() = StatusCode::CREATED;
    response
}

/// The users of the directory (admins and readers).
#[utoipa::path(get, path = "/v1.0/users", tag = "administration",
    responses((status = 200, body = Items<User>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn list_users(State(state): State<AppState>, who: Principal) -> Result<Json<Items<User>>, ApiError> {
    who.reader()?;
    Ok(Json(Items { items: state.store.users().await? }))
}

/// Adds a user to the directory (admins).
#[utoipa::path(post, path = "/v1.0/users", tag = "administration", request_body = NewUser,
    responses((status = 201, body = User), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn add_user(
    State(state): State<AppState>,
    who: Principal,
    WriteContext(ctx): WriteContext,
    ApiJson(user): ApiJson<NewUser>,
) -> Result<Response, ApiError> {
    who.admin()?;
    let mut added = state.store.add_users(vec![user], &ctx).await?;
    let user = added
        .pop()
        .ok_or_else(|| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", "no user added"))?;
    Ok((StatusCode::CREATED, Json(user)).into_response())
}

/// Adds users to the directory, all or none (admins).
#[utoipa::path(post, path = "/v1.0/users/import", tag = "administration", request_body = Items<NewUser>,
    responses((status = 200, body = Items<User>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn import_users(
    State(state): State<AppState>,
    who: Principal,
    WriteContext(ctx): WriteContext,
    ApiJson(users): ApiJson<Items<NewUser>>,
) -> Result<Json<Items<User>>, ApiError> {
    who.admin()?;
    Ok(Json(Items { items: state.store.add_users(users.items, &ctx).await? }))
}

/// The acting user buys licenses or starts a trial, as the product's `AllowSelfServicePurchase`
/// value allows (403 `PurchaseNotAllowed` otherwise). The buyer owns the new subscription.
#[utoipa::path(post, path = "/v1.0/purchases", tag = "administration", request_body = NewPurchase,
    responses((status = 201, body = Subscription, headers(("ETag" = String))), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn purchase(
    State(state): State<AppState>,
    who: Principal,
    WriteContext(ctx): WriteContext,
    ApiJson(purchase): ApiJson<NewPurchase>,
) -> Result<Response, ApiError> {
    let buyer = match who {
        Principal::User(user) => Buyer::Listed(user.id),
        // A signed-in user buying for the first time joins the directory with the purchase.
        Principal::Newcomer(new) => Buyer::Joining(new),
        _ => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "Forbidden",
                "a purchase is made by a user of the directory: name one (--as UPN, the x-commerce-acting-user header) \
                 or sign in as that user",
            ));
        }
    };
    Ok(created(state.store.purchase(&buyer, &purchase, &ctx).await?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SubscriptionQuery {
    self_service: Option<bool>,
    product_id: Option<ProductId>,
    purchaser: Option<String>,
    status: Option<SubscriptionStatus>,
}

/// Lists subscriptions: every one for admins and readers, a user's own for a user.
#[utoipa::path(get, path = "/v1.0/subscriptions", tag = "administration",
    params(
        ("selfService" = Option<bool>, Query, description = "only those bought by users"),
        ("productId" = Option<String>, Query, pattern = "^[A-Za-z0-9]{12}$"),
        ("purchaser" = Option<String>, Query, description = "the purchaser's principal name or object id"),
        ("status" = Option<SubscriptionStatus>, Query)
    ),
    responses((status = 200, body = Items<Subscription>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn list_subscriptions(
    State(state): State<AppState>,
    who: Principal,
    ApiQuery(q): ApiQuery<SubscriptionQuery>,
) -> Result<Json<Items<Subscription>>, ApiError> {
    let filter = SubscriptionFilter {
        self_service: q.self_service.unwrap_or(false),
        product_id: q.product_id,
        purchaser: q.purchaser,
        status: q.status,
        visible_to: who.visible_to(),
    };
    let items = state.store.subscriptions(&filter).await?.into_iter().map(|s| s.value).collect();
    Ok(Json(Items { items }))
}

/// A subscription the caller may see: a user sees only their own (403 otherwise).
async fn visible(state: &AppState, who: &Principal, id: &str) -> Result<Versioned<Subscription>, ApiError> {
    let read = state.store.subscription(id).await?;
    if !who.sees(read.value.purchaser.as_ref()) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "Forbidden",
            format!("subscription {id} is not yours: a user sees only the subscriptions they bought"),
        ));
    }
    Ok(read)
}

#[derive(Deserialize)]
pub(crate) struct SubscriptionPath {
    pub(crate) id: String,
}

/// One subscription, with its entity tag (for `If-Match` on a take-over).
#[utoipa::path(get, path = "/v1.0/subscriptions/{id}", tag = "administration",
    params(("id" = String, Path, description = "the subscription's id")),
    responses((status = 200, body = Subscription, headers(("ETag" = String))), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub(crate) async fn get_subscription(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(path): ApiPath<SubscriptionPath>,
) -> Result<Response, ApiError> {
    let read = visible(&state, &who, &path.id).await?;
    Ok(tagged(read.value, read.version))
}

/// Adds a central subscription, the tenant's own ("buy through existing agreements"; admins).
#[utoipa::path(post, path = "/v1.0/subscriptions", tag = "administration", request_body = NewCentralSubscription,
    responses((status = 201, body = Subscription, headers(("ETag" = String))), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn add_subscription(
    State(state): State<AppState>,
    who: Principal,
    WriteContext(ctx): WriteContext,
    ApiJson(new): ApiJson<NewCentralSubscription>,
) -> Result<Response, ApiError> {
    who.admin()?;
    Ok(created(state.store.add_central(&new, &ctx).await?))
}

async fn change_licenses(
    state: AppState,
    who: Principal,
    id: String,
    ctx: WriteContext,
    change: LicenseChange,
    assign: bool,
) -> Result<Response, ApiError> {
    let acting = who.acting()?;
    let read = state.store.change_licenses(&id, &change.users, assign, &acting, &ctx.0).await?;
    Ok(tagged(read.value, read.version))
}

/// Gives users licenses of a subscription: its purchaser for a user's, admins for the
/// tenant's (403 `NotTakenOver` for an admin on a user's subscription).
#[utoipa::path(post, path = "/v1.0/subscriptions/{id}/assign", tag = "administration",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "the ETag last read")), request_body = LicenseChange,
    responses((status = 200, body = Subscription), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 412, body = ErrorBody)))]
pub(crate) async fn assign(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(path): ApiPath<SubscriptionPath>,
    ctx: WriteContext,
    ApiJson(change): ApiJson<LicenseChange>,
) -> Result<Response, ApiError> {
    change_licenses(state, who, path.id, ctx, change, true).await
}

/// Takes licenses of a subscription away from users (who may, as for assign).
#[utoipa::path(post, path = "/v1.0/subscriptions/{id}/unassign", tag = "administration",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "the ETag last read")), request_body = LicenseChange,
    responses((status = 200, body = Subscription), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 412, body = ErrorBody)))]
pub(crate) async fn unassign(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(path): ApiPath<SubscriptionPath>,
    ctx: WriteContext,
    ApiJson(change): ApiJson<LicenseChange>,
) -> Result<Response, ApiError> {
    change_licenses(state, who, path.id, ctx, change, false).await
}

/// Cancels a subscription: its purchaser their own, admins the tenant's. Its users lose
/// their licenses; cancelling a cancelled one again answers an empty outcome.
#[utoipa::path(post, path = "/v1.0/subscriptions/{id}/cancel", tag = "administration",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "the ETag last read")), request_body = Cancellation,
    responses((status = 200, body = Outcome), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 412, body = ErrorBody)))]
pub(crate) async fn cancel(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(path): ApiPath<SubscriptionPath>,
    WriteContext(ctx): WriteContext,
    ApiJson(c): ApiJson<Cancellation>,
) -> Result<Json<Outcome>, ApiError> {
    let acting = who.acting()?;
    Ok(Json(state.store.cancel(&path.id, &c, &acting, &ctx).await?))
}
