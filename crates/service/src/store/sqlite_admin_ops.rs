//! The administration's changes in one SQLite transaction each: the caller opens it, these
//! functions check every rule before (or while) they write, and any refusal returns before
//! the caller commits, so nothing of a refused operation stays. A what-if runs the same
//! function and rolls back.

use commerce_model::admin::{
    Cancellation, LicenseMove, NewUser, Notification, NotificationKind, NotificationState, Outcome, SubscriptionStatus,
    User,
};
use commerce_model::{ALLOW_SELF_SERVICE_PURCHASE, PolicyId, ProductId, Target};
use rusqlite::{OptionalExtension, Transaction, params};
use serde_json::json;

use super::rows::{self, SubscriptionRow};
use super::{stored_value, target_row};
use crate::store::admin_rules::{self as rules, Mail};
use crate::store::{Acting, Buyer, ChangeContext, Rule, StoreError, SubscriptionFilter};

/// Records one change in the administration audit log.
fn audit(
    tx: &Transaction,
    ctx: &ChangeContext,
    action: &str,
    subject: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO admin_audit (at, actor, actor_object_id, actor_upn, action, subject_id, before, after, correlation_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string(),
            ctx.actor.name,
            ctx.actor.object_id,
            ctx.actor.upn,
            action,
            subject,
            before.map(|v| v.to_string()),
            after.map(|v| v.to_string()),
            ctx.correlation_id,
        ],
    )?;
    Ok(())
}

/// What the audit log keeps of a subscription.
pub(crate) fn snapshot(row: &SubscriptionRow) -> serde_json::Value {
    let users: Vec<&str> = row.holders.iter().map(|(_, upn)| upn.as_str()).collect();
    json!({ "status": row.status.as_str(), "quantity": row.quantity, "assignedUsers": users })
}

pub(super) fn add_users(tx: &Transaction, users: &[NewUser], ctx: &ChangeContext) -> Result<Vec<User>, StoreError> {
    let mut added = Vec::new();
    for new in users {
        let user = rules::checked_user(new)?;
        for key in [&user.id, &user.user_principal_name] {
            if rows::find_user(tx, key)?.is_some()
                || added.iter().any(|u: &User| u.id == *key || u.user_principal_name.eq_ignore_ascii_case(key))
            {
                return Err(StoreError::rule(
                    Rule::Conflict,
                    format!("the user {key} is in the directory already: nothing was added"),
                ));
            }
        }
        tx.execute(
            "INSERT INTO users (id, upn, display_name, mail) VALUES (?1, ?2, ?3, ?4)",
            params![user.id, user.user_principal_name, user.display_name, user.mail],
        )?;
        audit(tx, ctx, "AddUser", &user.id, None, Some(serde_json::to_value(&user).unwrap_or_default()))?;
        added.push(user);
    }
    Ok(added)
}

/// A new subscription of `product` for `owner` (None: the tenant), as the rules price it.
fn insert_subscription(
    tx: &Transaction,
    product: &ProductId,
    owner: Option<&str>,
    quantity: u32,
    trial: bool,
    ctx: &ChangeContext,
) -> Result<String, StoreError> {
    let id = uuid::Uuid::new_v4().to_string();
    let price = (!trial).then(rules::paid_price);
    tx.execute(
        "INSERT INTO subscriptions (id, product_id, owner_id, quantity, status, trial, created, expires,
                                    price_amount, price_currency, price_period, version)
         VALUES (?1, ?2, ?3, ?4, 'Active', ?5, ?6, ?7, ?8, ?9, ?10, 1)",
        params![
            id,
            product.as_str(),
            owner,
            quantity,
            trial,
            rules::now(),
            rules::expiry(),
            price.as_ref().map(|p| &p.amount),
            price.as_ref().map(|p| &p.currency),
            price.as_ref().map(|p| &p.billing_period),
        ],
    )?;
    let row = rows::subscription(tx, &id)?;
    let action = if owner.is_some() { "Purchase" } else { "AddSubscription" };
    audit(tx, ctx, action, &id, None, Some(snapshot(&row)))?;
    Ok(id)
}

/// The subscription an earlier attempt of this same request made: a client retries a POST
/// whose answer it lost with the same correlation id, and must not buy twice.
fn made_by_this_request(tx: &Transaction, ctx: &ChangeContext, action: &str) -> Result<Option<String>, StoreError> {
    let made = tx
        .query_row(
            "SELECT subject_id FROM admin_audit WHERE correlation_id = ?1 AND action = ?2 AND actor = ?3 LIMIT 1",
            params![ctx.correlation_id, action, ctx.actor.name],
            |r| r.get(0),
        )
        .optional()?;
    Ok(made)
}

/// A user's purchase, as the product's `AllowSelfServicePurchase` value decides.
pub(super) fn purchase(
    tx: &Transaction,
    buyer: &Buyer,
    product: &ProductId,
    quantity: u32,
    trial: bool,
    ctx: &ChangeContext,
) -> Result<String, StoreError> {
    if let Some(id) = made_by_this_request(tx, ctx, "Purchase")? {
        return Ok(id);
    }
    let buyer = match buyer {
        Buyer::Listed(key) => {
            rows::find_user(tx, key)?.ok_or_else(|| StoreError::NotFound(format!("the user {key}")))?
        }
        Buyer::Joining(new) => add_users(tx, std::slice::from_ref(new), ctx)?.remove(0),
    };
    let row = target_row(tx, &Target::Product(product.clone()))?;
    let policy: PolicyId = ALLOW_SELF_SERVICE_PURCHASE
        .parse()
        .map_err(|e: commerce_model::ModelError| StoreError::Corrupt(e.to_string()))?;
    let (value, _) = stored_value(tx, &policy, &row.target)?;
    rules::purchase_allowed(value, &row.name, row.trials, trial, quantity)?;
    let Target::Product(product) = &row.target else {
        return Err(StoreError::Corrupt("a product that is not one".into()));
    };
    insert_subscription(tx, product, Some(&buyer.id), quantity, trial, ctx)
}

pub(super) fn add_central(
    tx: &Transaction,
    product: &ProductId,
    quantity: u32,
    ctx: &ChangeContext,
) -> Result<String, StoreError> {
    if let Some(id) = made_by_this_request(tx, ctx, "AddSubscription")? {
        return Ok(id);
    }
    rules::check_quantity(quantity, rules::QUANTITIES)?;
    let row = target_row(tx, &Target::Product(product.clone()))?;
    let Target::Product(product) = &row.target else {
        return Err(StoreError::Corrupt("a product that is not one".into()));
    };
    insert_subscription(tx, product, None, quantity, false, ctx)
}

/// Whether `acting` may change `row`: its purchaser a user's own, an admin the tenant's.
pub(crate) fn may_change(row: &SubscriptionRow, acting: &Acting, how: &str) -> Result<(), StoreError> {
    match (&row.owner, acting) {
        (None, Acting::Admin) => Ok(()),
        (Some(owner), Acting::User(user)) if owner.id.eq_ignore_ascii_case(user) => Ok(()),
        (Some(owner), Acting::Admin) => Err(StoreError::rule(
            Rule::NotTakenOver,
            format!(
                "subscription {} was bought by {}: an admin cannot {how} until taking it over (take-over by move or cancel)",
                row.id, owner.user_principal_name
            ),
        )),
        (Some(_), Acting::User(_)) => Err(StoreError::rule(
            Rule::Forbidden,
            format!("subscription {} is not yours: only its purchaser can change it", row.id),
        )),
        (None, Acting::User(_)) => Err(StoreError::rule(
            Rule::Forbidden,
            format!("subscription {} is the tenant's: only admins can change it", row.id),
        )),
    }
}

fn bump(tx: &Transaction, id: &str) -> Result<(), StoreError> {
    tx.execute("UPDATE subscriptions SET version = version + 1 WHERE id = ?1", [id])?;
    Ok(())
}

fn assign_to(tx: &Transaction, subscription: &str, user: &str) -> Result<(), StoreError> {
    tx.execute("INSERT OR IGNORE INTO assignments (subscription_id, user_id) VALUES (?1, ?2)", [subscription, user])?;
    Ok(())
}

/// Gives or takes licenses; users who already have (or lack) one are left as they are.
pub(super) fn change_licenses(
    tx: &Transaction,
    id: &str,
    names: &[String],
    assign: bool,
    acting: &Acting,
    ctx: &ChangeContext,
) -> Result<(), StoreError> {
    let row = rows::subscription(tx, id)?;
    rows::active(&row)?;
    may_change(&row, acting, if assign { "assign its licenses" } else { "unassign its licenses" })?;
    let users = rows::users_named(tx, names)?;
    let changing: Vec<&User> = users.iter().filter(|u| row.holds(&u.id) != assign).collect();
    // Already as asked: a retry whose first answer was lost succeeds (RFC 9110 §13.1.1).
    if changing.is_empty() {
        return Ok(());
    }
    fresh(&row, ctx)?;
    if assign && changing.len() as u32 > row.available() {
        return Err(rules::not_enough(changing.len() as u32, row.available(), &row.id));
    }
    for user in &changing {
        if assign {
            assign_to(tx, &row.id, &user.id)?;
        } else {
            tx.execute("DELETE FROM assignments WHERE subscription_id = ?1 AND user_id = ?2", [&row.id, &user.id])?;
        }
    }
    bump(tx, &row.id)?;
    let after = rows::subscription(tx, &row.id)?;
    audit(tx, ctx, if assign { "Assign" } else { "Unassign" }, &row.id, Some(snapshot(&row)), Some(snapshot(&after)))
}

/// Drops a subscription's licenses and marks it `Deleted` with its reason.
fn close(
    tx: &Transaction,
    row: &SubscriptionRow,
    reason: &str,
    action: &str,
    ctx: &ChangeContext,
) -> Result<(), StoreError> {
    tx.execute("DELETE FROM assignments WHERE subscription_id = ?1", [&row.id])?;
    tx.execute(
        "UPDATE subscriptions SET status = 'Deleted', cancel_reason = ?2, version = version + 1 WHERE id = ?1",
        [&row.id, reason],
    )?;
    let after = rows::subscription(tx, &row.id)?;
    audit(tx, ctx, action, &row.id, Some(snapshot(row)), Some(snapshot(&after)))
}

pub(crate) fn outcome(ctx: &ChangeContext) -> Outcome {
    Outcome {
        what_if: false,
        moved: vec![],
        cancelled: vec![],
        notifications: vec![],
        correlation_id: ctx.correlation_id.clone(),
    }
}

/// A cancellation by its purchaser (or by an admin, of the tenant's own). Cancelling a
/// cancelled subscription again changes nothing and says so with an empty outcome.
pub(super) fn cancel(
    tx: &Transaction,
    id: &str,
    c: &Cancellation,
    acting: &Acting,
    ctx: &ChangeContext,
) -> Result<Outcome, StoreError> {
    let row = rows::subscription(tx, id)?;
    may_change(&row, acting, "cancel it")?;
    let reason = rules::reason_text(c)?;
    let mut done = outcome(ctx);
    if row.status == SubscriptionStatus::Deleted {
        return Ok(done);
    }
    fresh(&row, ctx)?;
    close(tx, &row, &reason, "Cancel", ctx)?;
    done.cancelled.push(row.id);
    Ok(done)
}

/// The mail to a subscription's purchaser (none for the tenant's own), as the outbox keeps it.
pub(crate) fn notification(row: &SubscriptionRow, kind: NotificationKind, detail: &str) -> Option<Notification> {
    let owner = row.owner.as_ref()?;
    let Mail { subject, body } = rules::mail(kind, &owner.display_name, &row.product_name, &row.id, detail);
    let recipient = owner.mail.clone().unwrap_or_else(|| owner.user_principal_name.clone());
    Some(Notification {
        id: uuid::Uuid::new_v4().to_string(),
        kind,
        recipient,
        subject,
        body,
        subscription_id: row.id.clone(),
        created: rules::now(),
        state: NotificationState::Pending,
        attempts: 0,
        delivered: None,
    })
}

/// Writes a mail to a subscription's purchaser into the outbox.
fn queue_mail(
    tx: &Transaction,
    row: &SubscriptionRow,
    kind: NotificationKind,
    detail: &str,
    ctx: &ChangeContext,
) -> Result<Option<Notification>, StoreError> {
    let Some(n) = notification(row, kind, detail) else { return Ok(None) };
    tx.execute(
        "INSERT INTO notifications (id, kind, recipient, subject, body, subscription_id, created, state, next_attempt)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'Pending', ?8)",
        params![
            n.id,
            kind.as_str(),
            n.recipient,
            n.subject,
            n.body,
            n.subscription_id,
            n.created,
            rules::unix_millis(std::time::Duration::ZERO)
        ],
    )?;
    audit(
        tx,
        ctx,
        "QueueMail",
        &n.id,
        None,
        Some(json!({ "kind": kind.as_str(), "recipient": n.recipient, "subscriptionId": row.id })),
    )?;
    Ok(Some(n))
}

/// Refuses a change to a subscription at another version than `If-Match` named (a lost update).
pub(crate) fn fresh(row: &SubscriptionRow, ctx: &ChangeContext) -> Result<(), StoreError> {
    if !ctx.expected.allows(row.version) {
        return Err(StoreError::Stale { id: row.id.clone(), current: row.version });
    }
    Ok(())
}

/// The subscription an admin takes over: a user's, active, at the version the admin read.
fn taken(tx: &Transaction, id: &str, ctx: &ChangeContext) -> Result<SubscriptionRow, StoreError> {
    let row = rows::subscription(tx, id)?;
    rows::active(&row)?;
    if row.owner.is_none() {
        return Err(StoreError::rule(
            Rule::Conflict,
            format!("subscription {id} is the tenant's own: take-over is for subscriptions users bought"),
        ));
    }
    fresh(&row, ctx)?;
    Ok(row)
}

/// A central subscription that licenses are moved into.
fn central(tx: &Transaction, id: &str) -> Result<SubscriptionRow, StoreError> {
    let row = rows::subscription(tx, id)?;
    rows::active(&row)?;
    if row.owner.is_some() {
        return Err(StoreError::rule(
            Rule::Conflict,
            format!("subscription {id} was bought by a user: licenses move to a central subscription (the tenant's)"),
        ));
    }
    Ok(row)
}

/// Take-over by move: every holder gets a license of `target`, the source is cancelled and
/// its purchaser mailed — or, with one license short, nothing at all.
pub(super) fn move_to(tx: &Transaction, id: &str, target: &str, ctx: &ChangeContext) -> Result<Outcome, StoreError> {
    let row = taken(tx, id, ctx)?;
    let to = central(tx, target)?;
    if to.id.eq_ignore_ascii_case(&row.id) {
        return Err(StoreError::rule(Rule::Invalid, "a subscription cannot be moved to itself"));
    }
    let needed = row.holders.iter().filter(|(user, _)| !to.holds(user)).count() as u32;
    if needed > to.available() {
        return Err(rules::not_enough(needed, to.available(), &to.id));
    }
    for (user, _) in &row.holders {
        assign_to(tx, &to.id, user)?;
    }
    bump(tx, &to.id)?;
    let to_after = rows::subscription(tx, &to.id)?;
    audit(tx, ctx, "Assign", &to.id, Some(snapshot(&to)), Some(snapshot(&to_after)))?;
    close(tx, &row, &format!("moved to {}", to.id), "TakeOverMove", ctx)?;
    let mut done = outcome(ctx);
    done.moved = row
        .holders
        .iter()
        .map(|(_, upn)| LicenseMove { user_principal_name: upn.clone(), from: row.id.clone(), to: to.id.clone() })
        .collect();
    done.notifications.extend(queue_mail(tx, &row, NotificationKind::Moved, &to.id, ctx)?);
    done.cancelled.push(row.id);
    Ok(done)
}

/// Take-over by cancelling: the users lose their licenses, the purchaser is mailed.
pub(super) fn take_over_cancel(
    tx: &Transaction,
    id: &str,
    c: &Cancellation,
    ctx: &ChangeContext,
) -> Result<Outcome, StoreError> {
    let row = taken(tx, id, ctx)?;
    let reason = rules::reason_text(c)?;
    close(tx, &row, &reason, "TakeOverCancel", ctx)?;
    let mut done = outcome(ctx);
    done.notifications.extend(queue_mail(tx, &row, NotificationKind::Cancelled, &reason, ctx)?);
    done.cancelled.push(row.id);
    Ok(done)
}

/// Centralize's moves: each user who holds a license of `sources` and none of `target`, once
/// (by object id), with the subscription the license comes from.
pub(crate) fn planned_moves(sources: &[SubscriptionRow], target: &SubscriptionRow) -> Vec<(String, LicenseMove)> {
    let mut moves: Vec<(String, LicenseMove)> = Vec::new();
    for source in sources {
        for (user, upn) in &source.holders {
            if !target.holds(user) && !moves.iter().any(|(u, _)| u == user) {
                moves.push((
                    user.clone(),
                    LicenseMove { user_principal_name: upn.clone(), from: source.id.clone(), to: target.id.clone() },
                ));
            }
        }
    }
    moves
}

/// Centralize: every user holding `product` through a user's subscription gets a license of
/// `to` (all or nothing); each purchaser whose users got one is asked to cancel.
pub(super) fn centralize(
    tx: &Transaction,
    product: &ProductId,
    to: &str,
    ctx: &ChangeContext,
) -> Result<Outcome, StoreError> {
    let product = target_row(tx, &Target::Product(product.clone()))?;
    let target = central(tx, to)?;
    if !target.product_id.eq_ignore_ascii_case(product.target.id()) {
        return Err(StoreError::rule(
            Rule::Invalid,
            format!("subscription {} is for {}, not {}", target.id, target.product_name, product.name),
        ));
    }
    let filter = SubscriptionFilter {
        self_service: true,
        product_id: product.target.id().parse().ok(),
        status: Some(SubscriptionStatus::Active),
        ..Default::default()
    };
    let sources = rows::subscriptions(tx, &filter)?;
    let moves = planned_moves(&sources, &target);
    let mut done = outcome(ctx);
    if moves.is_empty() {
        return Ok(done);
    }
    if moves.len() as u32 > target.available() {
        return Err(rules::not_enough(moves.len() as u32, target.available(), &target.id));
    }
    for (user, _) in &moves {
        assign_to(tx, &target.id, user)?;
    }
    bump(tx, &target.id)?;
    let after = rows::subscription(tx, &target.id)?;
    audit(tx, ctx, "Centralize", &target.id, Some(snapshot(&target)), Some(snapshot(&after)))?;
    let newly_licensed = |s: &&SubscriptionRow| s.holders.iter().any(|(u, _)| moves.iter().any(|(m, _)| m == u));
    for source in sources.iter().filter(newly_licensed) {
        done.notifications.extend(queue_mail(tx, source, NotificationKind::AskedToCancel, &target.id, ctx)?);
    }
    done.moved = moves.into_iter().map(|(_, m)| m).collect();
    Ok(done)
}
