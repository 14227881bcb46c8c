//! The handlers of the admin operations that span subscriptions (take-over by move or cancel,
//! centralize; `?whatIf=true` previews them with the same code), the license views and the
//! export, the outbox and the administration audit log.

use axum::Json;
use axum::extract::State;
use commerce_model::ProductId;
use commerce_model::admin::{
    AdminAuditEntry, Centralize, LicenseHolder, LicenseSummary, Notification, Outcome, TakeOver,
};
use commerce_model::wire::{ErrorBody, Items};
use serde::Deserialize;

use crate::extract::{ApiJson, ApiPath, ApiQuery, WriteContext};
use crate::handlers::AuditQuery;
use crate::handlers_admin::SubscriptionPath;
use crate::principal::Principal;
use crate::{ApiError, AppState};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WhatIfQuery {
    what_if: Option<bool>,
}

/// Wakes the outbox worker when an operation committed mail.
fn committed(state: &AppState, outcome: Outcome) -> Json<Outcome> {
    if !outcome.what_if && !outcome.notifications.is_empty() {
        state.outbox.notify_one();
    }
    Json(outcome)
}

/// An admin takes over a subscription a user bought: its users move to a central subscription
/// (`moveTo`; 409 `NotEnoughLicenses` naming how many are missing, nothing changed), or it is
/// cancelled (`cancel` with a reason: BoughtCentrally, NoLongerNeeded, TooExpensive,
/// NotApproved, or Other with a text). Either way it ends `Deleted` and its purchaser is
/// mailed, in one transaction. `If-Match` refuses (412) a subscription changed since read.
#[utoipa::path(post, path = "/v1.0/subscriptions/{id}/takeOver", tag = "administration",
    params(
        ("id" = String, Path),
        ("whatIf" = Option<bool>, Query, description = "answer what would happen, changing nothing"),
        ("If-Match" = Option<String>, Header, description = "the ETag last read")
    ),
    request_body = TakeOver,
    responses((status = 200, body = Outcome), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 412, body = ErrorBody)))]
pub(crate) async fn take_over(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(path): ApiPath<SubscriptionPath>,
    ApiQuery(q): ApiQuery<WhatIfQuery>,
    WriteContext(ctx): WriteContext,
    ApiJson(take_over): ApiJson<TakeOver>,
) -> Result<Json<Outcome>, ApiError> {
    who.admin()?;
    let outcome = state.store.take_over(&path.id, &take_over, q.what_if.unwrap_or(false), &ctx).await?;
    Ok(committed(&state, outcome))
}

/// Centralize a product: every user holding it through self-service purchases gets a license
/// of the central subscription `to` (all or nothing), and each purchaser whose users got one
/// is asked by mail to cancel; their subscriptions stay.
#[utoipa::path(post, path = "/v1.0/centralize", tag = "administration",
    params(("whatIf" = Option<bool>, Query, description = "answer what would happen, changing nothing")),
    request_body = Centralize,
    responses((status = 200, body = Outcome), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn centralize(
    State(state): State<AppState>,
    who: Principal,
    ApiQuery(q): ApiQuery<WhatIfQuery>,
    WriteContext(ctx): WriteContext,
    ApiJson(c): ApiJson<Centralize>,
) -> Result<Json<Outcome>, ApiError> {
    who.admin()?;
    let outcome = state.store.centralize(&c, q.what_if.unwrap_or(false), &ctx).await?;
    Ok(committed(&state, outcome))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LicenseQuery {
    self_service: Option<bool>,
    product_id: Option<ProductId>,
}

/// Per product: one row with the licenses of all its active subscriptions and their users
/// grouped by purchaser (a user sees their own purchases only).
#[utoipa::path(get, path = "/v1.0/licenses", tag = "administration",
    params(("selfService" = Option<bool>, Query), ("productId" = Option<String>, Query, pattern = "^[A-Za-z0-9]{12}$")),
    responses((status = 200, body = Items<LicenseSummary>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn list_licenses(
    State(state): State<AppState>,
    who: Principal,
    ApiQuery(q): ApiQuery<LicenseQuery>,
) -> Result<Json<Items<LicenseSummary>>, ApiError> {
    let visible = who.visible_to();
    let items =
        state.store.licenses(q.self_service.unwrap_or(false), q.product_id.as_ref(), visible.as_deref()).await?;
    Ok(Json(Items { items }))
}

/// The users holding licenses of the subscriptions named (`subscriptionId`, repeated or
/// comma-separated): the rows of the export.
#[utoipa::path(get, path = "/v1.0/licenses/holders", tag = "administration",
    params(("subscriptionId" = Vec<String>, Query, description = "one or more subscription ids")),
    responses((status = 200, body = Items<LicenseHolder>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub(crate) async fn license_holders(
    State(state): State<AppState>,
    who: Principal,
    ApiQuery(pairs): ApiQuery<Vec<(String, String)>>,
) -> Result<Json<Items<LicenseHolder>>, ApiError> {
    let ids: Vec<String> = pairs
        .into_iter()
        .filter(|(name, _)| name == "subscriptionId")
        .flat_map(|(_, v)| {
            v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect::<Vec<_>>()
        })
        .collect();
    if ids.is_empty() {
        return Err(ApiError::bad_request("name one or more subscriptions: ?subscriptionId=<id>"));
    }
    let visible = who.visible_to();
    Ok(Json(Items { items: state.store.license_holders(&ids, visible.as_deref()).await? }))
}

/// The mail outbox, newest first, with each notification's state and attempts (admins and readers).
#[utoipa::path(get, path = "/v1.0/notifications", tag = "administration",
    params(("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "how many (default 100)")),
    responses((status = 200, body = Items<Notification>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub(crate) async fn list_notifications(
    State(state): State<AppState>,
    who: Principal,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<Items<Notification>>, ApiError> {
    who.reader()?;
    Ok(Json(Items { items: state.store.notifications(q.limit()).await? }))
}

/// The administration audit log, newest first: every change with who, before → after and
/// its correlation id (the policy changes stay in `/v1.0/audit`).
#[utoipa::path(get, path = "/v1.0/audit/administration", tag = "audit",
    params(("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "how many entries (default 100)")),
    responses((status = 200, body = Items<AdminAuditEntry>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub(crate) async fn list_admin_audit(
    State(state): State<AppState>,
    who: Principal,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<Items<AdminAuditEntry>>, ApiError> {
    who.reader()?;
    Ok(Json(Items { items: state.store.admin_audit(q.limit()).await? }))
}
