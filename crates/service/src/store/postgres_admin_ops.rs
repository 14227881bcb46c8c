//! The administration's changes in one PostgreSQL transaction each, the same steps and rules
//! as SQLite's (`sqlite_admin_ops.rs`, whose pure helpers are shared). Every change that reads
//! a subscription and then writes bumps that subscription's version, so two transactions
//! that decided on the same state cannot both commit under REPEATABLE READ: the second fails
//! to serialize and is retried from the start.

use commerce_model::admin::{
    Cancellation, LicenseMove, NewUser, Notification, NotificationKind, Outcome, SubscriptionStatus, User,
};
use commerce_model::{ALLOW_SELF_SERVICE_PURCHASE, PolicyId, ProductId, Target};
use serde_json::json;
use tokio_postgres::GenericClient;

use super::rows;
use super::{lock_audit, stored_value, target_row};
use crate::store::admin_rules as rules;
use crate::store::sqlite::ops::{fresh, may_change, notification, outcome, planned_moves, snapshot};
use crate::store::sqlite::rows::{SubscriptionRow, active};
use crate::store::{Acting, Buyer, ChangeContext, Rule, StoreError, SubscriptionFilter};

/// Records one change in the administration audit log (under the audit lock: ids in commit order).
async fn audit(
    tx: &impl GenericClient,
    ctx: &ChangeContext,
    action: &str,
    subject: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<(), StoreError> {
    lock_audit(tx).await?;
    tx.execute(
        "INSERT INTO admin_audit (at, actor, actor_object_id, actor_upn, action, subject_id, before, after, correlation_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            &humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string(),
            &ctx.actor.name,
            &ctx.actor.object_id,
            &ctx.actor.upn,
            &action,
            &subject,
            &before.map(|v| v.to_string()),
            &after.map(|v| v.to_string()),
            &ctx.correlation_id,
        ],
    )
    .await?;
    Ok(())
}

pub(super) async fn add_users(
    tx: &impl GenericClient,
    users: &[NewUser],
    ctx: &ChangeContext,
) -> Result<Vec<User>, StoreError> {
    let mut added: Vec<User> = Vec::new();
    for new in users {
        let user = rules::checked_user(new)?;
        for key in [&user.id, &user.user_principal_name] {
            if rows::find_user(tx, key).await?.is_some()
                || added.iter().any(|u| u.id == *key || u.user_principal_name.eq_ignore_ascii_case(key))
            {
                return Err(StoreError::rule(
                    Rule::Conflict,
                    format!("the user {key} is in the directory already: nothing was added"),
                ));
            }
        }
        tx.execute(
            "INSERT INTO users (id, upn, display_name, mail) VALUES ($1, $2, $3, $4)",
            &[&user.id, &user.user_principal_name, &user.display_name, &user.mail],
        )
        .await?;
        audit(tx, ctx, "AddUser", &user.id, None, Some(serde_json::to_value(&user).unwrap_or_default())).await?;
        added.push(user);
    }
    Ok(added)
}

async fn insert_subscription(
    tx: &impl GenericClient,
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
         VALUES ($1, $2, $3, $4, 'Active', $5, $6, $7, $8, $9, $10, 1)",
        &[
            &id,
            &product.as_str(),
            &owner,
            &i64::from(quantity),
            &trial,
            &rules::now(),
            &rules::expiry(),
            &price.as_ref().map(|p| &p.amount),
            &price.as_ref().map(|p| &p.currency),
            &price.as_ref().map(|p| &p.billing_period),
        ],
    )
    .await?;
    let row = rows::subscription(tx, &id).await?;
    let action = if owner.is_some() { "Purchase" } else { "AddSubscription" };
    audit(tx, ctx, action, &id, None, Some(snapshot(&row))).await?;
    Ok(id)
}

/// The subscription an earlier attempt of this same request made: a client retries a POST
/// whose answer it lost with the same correlation id, and must not buy twice.
async fn made_by_this_request(
    tx: &impl GenericClient,
    ctx: &ChangeContext,
    action: &str,
) -> Result<Option<String>, StoreError> {
    let row = tx
        .query_opt(
            "SELECT subject_id FROM admin_audit WHERE correlation_id = $1 AND action = $2 AND actor = $3 LIMIT 1",
            &[&ctx.correlation_id, &action, &ctx.actor.name],
        )
        .await?;
    Ok(row.map(|r| r.get(0)))
}

pub(super) async fn purchase(
    tx: &impl GenericClient,
    buyer: &Buyer,
    product: &ProductId,
    quantity: u32,
    trial: bool,
    ctx: &ChangeContext,
) -> Result<String, StoreError> {
    if let Some(id) = made_by_this_request(tx, ctx, "Purchase").await? {
        return Ok(id);
    }
    let buyer = match buyer {
        Buyer::Listed(key) => {
            rows::find_user(tx, key).await?.ok_or_else(|| StoreError::NotFound(format!("the user {key}")))?
        }
        Buyer::Joining(new) => add_users(tx, std::slice::from_ref(new), ctx).await?.remove(0),
    };
    let row = target_row(tx, &Target::Product(product.clone())).await?;
    let policy: PolicyId = ALLOW_SELF_SERVICE_PURCHASE
        .parse()
        .map_err(|e: commerce_model::ModelError| StoreError::Corrupt(e.to_string()))?;
    // Locked: a purchase and a change of the product's policy value do not interleave.
    let (value, _) = stored_value(tx, &policy, &row.target, true).await?;
    rules::purchase_allowed(value, &row.name, row.trials, trial, quantity)?;
    let Target::Product(product) = &row.target else {
        return Err(StoreError::Corrupt("a product that is not one".into()));
    };
    insert_subscription(tx, product, Some(&buyer.id), quantity, trial, ctx).await
}

pub(super) async fn add_central(
    tx: &impl GenericClient,
    product: &ProductId,
    quantity: u32,
    ctx: &ChangeContext,
) -> Result<String, StoreError> {
    if let Some(id) = made_by_this_request(tx, ctx, "AddSubscription").await? {
        return Ok(id);
    }
    rules::check_quantity(quantity, rules::QUANTITIES)?;
    let row = target_row(tx, &Target::Product(product.clone())).await?;
    let Target::Product(product) = &row.target else {
        return Err(StoreError::Corrupt("a product that is not one".into()));
    };
    insert_subscription(tx, product, None, quantity, false, ctx).await
}

async fn bump(tx: &impl GenericClient, id: &str) -> Result<(), StoreError> {
    tx.execute("UPDATE subscriptions SET version = version + 1 WHERE id = $1", &[&id]).await?;
    Ok(())
}

async fn assign_to(tx: &impl GenericClient, subscription: &str, user: &str) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO assignments (subscription_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        &[&subscription, &user],
    )
    .await?;
    Ok(())
}

pub(super) async fn change_licenses(
    tx: &impl GenericClient,
    id: &str,
    names: &[String],
    assign: bool,
    acting: &Acting,
    ctx: &ChangeContext,
) -> Result<(), StoreError> {
    let row = rows::subscription(tx, id).await?;
    active(&row)?;
    may_change(&row, acting, if assign { "assign its licenses" } else { "unassign its licenses" })?;
    let users = rows::users_named(tx, names).await?;
    let changing: Vec<&User> = users.iter().filter(|u| row.holds(&u.id) != assign).collect();
    // Already as asked: a retry whose first answer was lost succeeds (RFC 9110 §13.1.1).
    if changing.is_empty() {
        return Ok(());
    }
    fresh(&row, ctx)?;
    if assign && changing.len() as u32 > row.available() {
        return Err(rules::not_enough(changing.len() as u32, row.available(), &row.id));
    }
    bump(tx, &row.id).await?;
    for user in &changing {
        if assign {
            assign_to(tx, &row.id, &user.id).await?;
        } else {
            tx.execute("DELETE FROM assignments WHERE subscription_id = $1 AND user_id = $2", &[&row.id, &user.id])
                .await?;
        }
    }
    let after = rows::subscription(tx, &row.id).await?;
    let action = if assign { "Assign" } else { "Unassign" };
    audit(tx, ctx, action, &row.id, Some(snapshot(&row)), Some(snapshot(&after))).await
}

async fn close(
    tx: &impl GenericClient,
    row: &SubscriptionRow,
    reason: &str,
    action: &str,
    ctx: &ChangeContext,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE subscriptions SET status = 'Deleted', cancel_reason = $2, version = version + 1 WHERE id = $1",
        &[&row.id, &reason],
    )
    .await?;
    tx.execute("DELETE FROM assignments WHERE subscription_id = $1", &[&row.id]).await?;
    let after = rows::subscription(tx, &row.id).await?;
    audit(tx, ctx, action, &row.id, Some(snapshot(row)), Some(snapshot(&after))).await
}

pub(super) async fn cancel(
    tx: &impl GenericClient,
    id: &str,
    c: &Cancellation,
    acting: &Acting,
    ctx: &ChangeContext,
) -> Result<Outcome, StoreError> {
    let row = rows::subscription(tx, id).await?;
    may_change(&row, acting, "cancel it")?;
    let reason = rules::reason_text(c)?;
    let mut done = outcome(ctx);
    if row.status == SubscriptionStatus::Deleted {
        return Ok(done);
    }
    fresh(&row, ctx)?;
    close(tx, &row, &reason, "Cancel", ctx).await?;
    done.cancelled.push(row.id);
    Ok(done)
}

async fn queue_mail(
    tx: &impl GenericClient,
    row: &SubscriptionRow,
    kind: NotificationKind,
    detail: &str,
    ctx: &ChangeContext,
) -> Result<Option<Notification>, StoreError> {
    let Some(n) = notification(row, kind, detail) else { return Ok(None) };
    tx.execute(
        "INSERT INTO notifications (id, kind, recipient, subject, body, subscription_id, created, state, next_attempt)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'Pending', $8)",
        &[
            &n.id,
            &kind.as_str(),
            &n.recipient,
            &n.subject,
            &n.body,
            &n.subscription_id,
            &n.created,
            &rules::unix_millis(std::time::Duration::ZERO),
        ],
    )
    .await?;
    let what = json!({ "kind": kind.as_str(), "recipient": n.recipient, "subscriptionId": row.id });
    audit(tx, ctx, "QueueMail", &n.id, None, Some(what)).await?;
    Ok(Some(n))
}

async fn taken(tx: &impl GenericClient, id: &str, ctx: &ChangeContext) -> Result<SubscriptionRow, StoreError> {
    let row = rows::subscription(tx, id).await?;
    active(&row)?;
    if row.owner.is_none() {
        return Err(StoreError::rule(
            Rule::Conflict,
            format!("subscription {id} is the tenant's own: take-over is for subscriptions users bought"),
        ));
    }
    fresh(&row, ctx)?;
    Ok(row)
}

async fn central(tx: &impl GenericClient, id: &str) -> Result<SubscriptionRow, StoreError> {
    let row = rows::subscription(tx, id).await?;
    active(&row)?;
    if row.owner.is_some() {
        return Err(StoreError::rule(
            Rule::Conflict,
            format!("subscription {id} was bought by a user: licenses move to a central subscription (the tenant's)"),
        ));
    }
    Ok(row)
}

pub(super) async fn move_to(
    tx: &impl GenericClient,
    id: &str,
    target: &str,
    ctx: &ChangeContext,
) -> Result<Outcome, StoreError> {
    let row = taken(tx, id, ctx).await?;
    let to = central(tx, target).await?;
    if to.id.eq_ignore_ascii_case(&row.id) {
        return Err(StoreError::rule(Rule::Invalid, "a subscription cannot be moved to itself"));
    }
    let needed = row.holders.iter().filter(|(user, _)| !to.holds(user)).count() as u32;
    if needed > to.available() {
        return Err(rules::not_enough(needed, to.available(), &to.id));
    }
    bump(tx, &to.id).await?;
    for (user, _) in &row.holders {
        assign_to(tx, &to.id, user).await?;
    }
    let to_after = rows::subscription(tx, &to.id).await?;
    audit(tx, ctx, "Assign", &to.id, Some(snapshot(&to)), Some(snapshot(&to_after))).await?;
    close(tx, &row, &format!("moved to {}", to.id), "TakeOverMove", ctx).await?;
    let mut done = outcome(ctx);
    done.moved = row
        .holders
        .iter()
        .map(|(_, upn)| LicenseMove { user_principal_name: upn.clone(), from: row.id.clone(), to: to.id.clone() })
        .collect();
    done.notifications.extend(queue_mail(tx, &row, NotificationKind::Moved, &to.id, ctx).await?);
    done.cancelled.push(row.id);
    Ok(done)
}

pub(super) async fn take_over_cancel(
    tx: &impl GenericClient,
    id: &str,
    c: &Cancellation,
    ctx: &ChangeContext,
) -> Result<Outcome, StoreError> {
    let row = taken(tx, id, ctx).await?;
    let reason = rules::reason_text(c)?;
    close(tx, &row, &reason, "TakeOverCancel", ctx).await?;
    let mut done = outcome(ctx);
    done.notifications.extend(queue_mail(tx, &row, NotificationKind::Cancelled, &reason, ctx).await?);
    done.cancelled.push(row.id);
    Ok(done)
}

pub(super) async fn centralize(
    tx: &impl GenericClient,
    product: &ProductId,
    to: &str,
    ctx: &ChangeContext,
) -> Result<Outcome, StoreError> {
    let product = target_row(tx, &Target::Product(product.clone())).await?;
    let target = central(tx, to).await?;
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
    let sources = rows::subscriptions(tx, &filter).await?;
    let moves = planned_moves(&sources, &target);
    let mut done = outcome(ctx);
    if moves.is_empty() {
        return Ok(done);
    }
    if moves.len() as u32 > target.available() {
        return Err(rules::not_enough(moves.len() as u32, target.available(), &target.id));
    }
    bump(tx, &target.id).await?;
    for (user, _) in &moves {
        assign_to(tx, &target.id, user).await?;
    }
    let after = rows::subscription(tx, &target.id).await?;
    audit(tx, ctx, "Centralize", &target.id, Some(snapshot(&target)), Some(snapshot(&after))).await?;
    let newly_licensed = |s: &&SubscriptionRow| s.holders.iter().any(|(u, _)| moves.iter().any(|(m, _)| m == u));
    for source in sources.iter().filter(newly_licensed) {
        done.notifications.extend(queue_mail(tx, source, NotificationKind::AskedToCancel, &target.id, ctx).await?);
    }
    done.moved = moves.into_iter().map(|(_, m)| m).collect();
    Ok(done)
}
