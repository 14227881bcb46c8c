//! [`AdminStore`] for [`PostgresStore`]: each change one REPEATABLE READ transaction, retried
//! from the start when PostgreSQL reports a serialization failure or a deadlock (another
//! replica changed the same rows first); a what-if runs the change and rolls it back. The
//! outbox is claimed row by row with `FOR UPDATE SKIP LOCKED` and a lease: one replica
//! delivers a row at a time, and a row whose replica died mid-delivery is delivered again
//! once its lease lapses (at least once; the notification id is the mail's dedupe key).

use std::time::Duration;

use async_trait::async_trait;
use commerce_model::ProductId;
use commerce_model::admin::{
    AdminAuditEntry, Cancellation, Centralize, LicenseHolder, LicenseSummary, NewCentralSubscription, NewPurchase,
    NewUser, Notification, Outcome, Subscription, TakeOver, User,
};
use tokio_postgres::IsolationLevel;

use super::errors::retryable;
use super::{PostgresStore, ops, rows};
use crate::store::admin::{answer_to_keep, centralize_request, kept_answer, take_over_request};
use crate::store::admin_rules::unix_millis;
use crate::store::{Acting, AdminStore, Buyer, ChangeContext, PendingMail, StoreError, SubscriptionFilter, Versioned};

/// How often a change is tried when it keeps failing to serialize.
const ATTEMPTS: u32 = 30;

/// Runs `$body` (an expression using `$tx`, the transaction) in a REPEATABLE READ transaction
/// of `$store`, committing unless `$what_if`, retrying on serialization failures. A macro, not
/// a function taking a closure: the body borrows the transaction across awaits.
macro_rules! in_transaction {
    ($store:expr, $what_if:expr, |$tx:ident| $body:expr) => {{
        let store: &PostgresStore = $store;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut client = store.client().await?;
            let outcome: Result<_, StoreError> = async {
                let t = client.build_transaction().isolation_level(IsolationLevel::RepeatableRead).start().await?;
                let done = {
                    let $tx = &*t;
                    $body.await?
                };
                if !$what_if {
                    t.commit().await?;
                }
                Ok(done)
            }
            .await;
            match outcome {
                Err(e) if retryable(&e) && attempt < ATTEMPTS => {
                    tokio::time::sleep(Duration::from_millis(fastrand::u64(1..=10 * u64::from(attempt)))).await;
                }
                other => break other.map_err(|e| store.fail(e)),
            }
        }
    }};
}

impl PostgresStore {
    async fn change_subscription(&self, id: String) -> Result<Versioned<Subscription>, StoreError> {
        self.read(async |c| rows::subscription(&***c, &id).await?.into_wire(false)).await
    }
}

/// Makes a change once per request, in its transaction: a retry of one whose answer was
/// lost (the same correlation id, actor and request) gets the first attempt's answer, not a
/// refusal of what that attempt already did. A what-if is never answered from kept answers,
/// and what it keeps is rolled back with it. Answers past
/// [`crate::store::admin::ANSWERS_KEPT`] are forgotten.
async fn once(
    tx: &tokio_postgres::Transaction<'_>,
    ctx: &ChangeContext,
    request: &str,
    what_if: bool,
    change: impl AsyncFnOnce() -> Result<Outcome, StoreError>,
) -> Result<Outcome, StoreError> {
    if !what_if {
        let sql = "SELECT answer FROM answered WHERE correlation_id = $1 AND actor = $2 AND request = $3";
        if let Some(row) = tx.query_opt(sql, &[&ctx.correlation_id, &ctx.actor.name, &request]).await? {
            return kept_answer(row.get(0));
        }
    }
    let done = change().await?;
    let (answer, now, forget_before) = answer_to_keep(&done);
    tx.execute("DELETE FROM answered WHERE at < $1", &[&forget_before]).await?;
    tx.execute(
        "INSERT INTO answered (correlation_id, actor, request, answer, at) VALUES ($1, $2, $3, $4, $5)",
        &[&ctx.correlation_id, &ctx.actor.name, &request, &answer, &now],
    )
    .await?;
    Ok(done)
}

fn what_if(mut outcome: Outcome, what_if: bool) -> Outcome {
    outcome.what_if = what_if;
    outcome
}

#[async_trait]
impl AdminStore for PostgresStore {
    async fn users(&self) -> Result<Vec<User>, StoreError> {
        self.read(async |c| rows::all_users(&***c).await).await
    }

    async fn user(&self, id_or_upn: &str) -> Result<Option<User>, StoreError> {
        self.read(async |c| rows::find_user(&***c, id_or_upn).await).await
    }

    async fn add_users(&self, users: Vec<NewUser>, ctx: &ChangeContext) -> Result<Vec<User>, StoreError> {
        in_transaction!(self, false, |tx| ops::add_users(tx, &users, ctx))
    }

    async fn subscriptions(&self, filter: &SubscriptionFilter) -> Result<Vec<Versioned<Subscription>>, StoreError> {
        self.read(async |c| rows::subscriptions(&***c, filter).await?.into_iter().map(|r| r.into_wire(true)).collect())
            .await
    }

    async fn subscription(&self, id: &str) -> Result<Versioned<Subscription>, StoreError> {
        self.change_subscription(id.to_string()).await
    }

    async fn purchase(
        &self,
        buyer: &Buyer,
        p: &NewPurchase,
        ctx: &ChangeContext,
    ) -> Result<Versioned<Subscription>, StoreError> {
        let id = in_transaction!(self, false, |tx| ops::purchase(tx, buyer, &p.product_id, p.quantity, p.trial, ctx))?;
        self.change_subscription(id).await
    }

    async fn add_central(
        &self,
        new: &NewCentralSubscription,
        ctx: &ChangeContext,
    ) -> Result<Versioned<Subscription>, StoreError> {
        let id = in_transaction!(self, false, |tx| ops::add_central(tx, &new.product_id, new.quantity, ctx))?;
        self.change_subscription(id).await
    }

    async fn change_licenses(
        &self,
        id: &str,
        users: &[String],
        assign: bool,
        acting: &Acting,
        ctx: &ChangeContext,
    ) -> Result<Versioned<Subscription>, StoreError> {
        in_transaction!(self, false, |tx| ops::change_licenses(tx, id, users, assign, acting, ctx))?;
        self.change_subscription(id.to_string()).await
    }

    async fn cancel(
        &self,
        id: &str,
        cancellation: &Cancellation,
        acting: &Acting,
        ctx: &ChangeContext,
    ) -> Result<Outcome, StoreError> {
        in_transaction!(self, false, |tx| ops::cancel(tx, id, cancellation, acting, ctx))
    }

    async fn take_over(
        &self,
        id: &str,
        take_over: &TakeOver,
        what: bool,
        ctx: &ChangeContext,
    ) -> Result<Outcome, StoreError> {
        let request = take_over_request(id, take_over);
        let done = in_transaction!(self, what, |tx| once(tx, ctx, &request, what, async || match take_over {
            TakeOver::MoveTo(target) => ops::move_to(tx, id, target, ctx).await,
            TakeOver::Cancel(c) => ops::take_over_cancel(tx, id, c, ctx).await,
        }))?;
        Ok(what_if(done, what))
    }

    async fn centralize(&self, c: &Centralize, what: bool, ctx: &ChangeContext) -> Result<Outcome, StoreError> {
        let request = centralize_request(c);
        let done = in_transaction!(self, what, |tx| once(tx, ctx, &request, what, async || {
            ops::centralize(tx, &c.product_id, &c.to, ctx).await
        }))?;
        Ok(what_if(done, what))
    }

    async fn licenses(
        &self,
        self_service: bool,
        product_id: Option<&ProductId>,
        visible_to: Option<&str>,
    ) -> Result<Vec<LicenseSummary>, StoreError> {
        self.read(async |c| rows::licenses(&***c, self_service, product_id, visible_to).await).await
    }

    async fn license_holders(
        &self,
        subscriptions: &[String],
        visible_to: Option<&str>,
    ) -> Result<Vec<LicenseHolder>, StoreError> {
        self.read(async |c| rows::holders(&***c, subscriptions, visible_to).await).await
    }

    async fn notifications(&self, limit: u32) -> Result<Vec<Notification>, StoreError> {
        self.read(async |c| rows::notifications(&***c, limit).await).await
    }

    /// Claims one due row at a time (the worker asks again at once while rows are due), so a
    /// lease never covers more than one SMTP delivery.
    async fn due_mail(&self, _limit: u32) -> Result<Vec<PendingMail>, StoreError> {
        let now = unix_millis(Duration::ZERO);
        let lease = now + i64::try_from(self.mail_lease.as_millis()).unwrap_or(i64::MAX / 2);
        self.read(async |c| {
            let rows = c
                .query(
                    "UPDATE notifications SET lease_until = $2 WHERE seq = (
                       SELECT seq FROM notifications
                        WHERE state = 'Pending' AND next_attempt <= $1 AND lease_until <= $1
                        ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED)
                     RETURNING id, recipient, subject, body, attempts",
                    &[&now, &lease],
                )
                .await?;
            Ok(rows
                .iter()
                .map(|r| PendingMail {
                    id: r.get(0),
                    recipient: r.get(1),
                    subject: r.get(2),
                    body: r.get(3),
                    attempts: u32::try_from(r.get::<_, i64>(4)).unwrap_or(u32::MAX),
                    lease,
                })
                .collect())
        })
        .await
    }

    async fn mail_delivered(&self, id: &str) -> Result<(), StoreError> {
        let now = crate::store::admin_rules::now();
        self.read(async |c| {
            c.execute(
                "UPDATE notifications SET state = 'Delivered', attempts = attempts + 1, delivered = $2, lease_until = 0
                  WHERE id = $1",
                &[&id, &now],
            )
            .await?;
            Ok(())
        })
        .await
    }

    async fn mail_failed(&self, mail: &PendingMail, retry_in: Duration) -> Result<(), StoreError> {
        let next = unix_millis(retry_in);
        self.read(async |c| {
            // Only while the lease is still the one this replica claimed: after a lapse another
            // replica may hold the row, and a late failure must not hand it out a third time.
            c.execute(
                "UPDATE notifications SET attempts = attempts + 1, next_attempt = $2, lease_until = 0
                  WHERE id = $1 AND state = 'Pending' AND lease_until = $3",
                &[&mail.id, &next, &mail.lease],
            )
            .await?;
            Ok(())
        })
        .await
    }

    async fn next_mail_due(&self) -> Result<Option<Duration>, StoreError> {
        let now = unix_millis(Duration::ZERO);
        self.read(async |c| {
            let next: Option<i64> = c
                .query_one(
                    "SELECT MIN(GREATEST(next_attempt, lease_until)) FROM notifications WHERE state = 'Pending'",
                    &[],
                )
                .await?
                .get(0);
            Ok(next.map(|at| Duration::from_millis(at.saturating_sub(now).max(0) as u64)))
        })
        .await
    }

    async fn admin_audit(&self, limit: u32) -> Result<Vec<AdminAuditEntry>, StoreError> {
        self.read(async |c| rows::admin_audit(&***c, limit).await).await
    }

    async fn outbox_backlog(&self) -> Result<Option<u64>, StoreError> {
        self.read(async |c| {
            let row = c.query_one("SELECT COUNT(*) FROM notifications WHERE state = 'Pending'", &[]).await?;
            Ok(Some(row.get::<_, i64>(0).max(0) as u64))
        })
        .await
    }
}
