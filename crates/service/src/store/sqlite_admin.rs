//! [`AdminStore`] for [`SqliteStore`]: each change is one immediate transaction on the writer
//! (`sqlite_admin_ops.rs`), reads go to the readers (`sqlite_admin_rows.rs`). A what-if runs
//! the change and drops its transaction, which rolls it back.

use std::time::Duration;

use async_trait::async_trait;
use commerce_model::ProductId;
use commerce_model::admin::{
    AdminAuditEntry, Cancellation, Centralize, LicenseHolder, LicenseSummary, NewCentralSubscription, NewPurchase,
    NewUser, Notification, Outcome, Subscription, TakeOver, User,
};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use super::{SqliteStore, ops, rows};
use crate::store::admin::{answer_to_keep, centralize_request, kept_answer, take_over_request};
use crate::store::admin_rules::unix_millis;
use crate::store::{Acting, AdminStore, Buyer, ChangeContext, PendingMail, StoreError, SubscriptionFilter, Versioned};

impl SqliteStore {
    /// Runs `change` in one transaction; commits it unless `what_if`, and answers what it did.
    async fn change<T: Send + 'static>(
        &self,
        what_if: bool,
        change: impl FnOnce(&Transaction) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.connections
            .write(move |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let done = change(&tx)?;
                if !what_if {
                    tx.commit()?;
                }
                Ok(done)
            })
            .await
    }

    /// Runs `change` and reads the subscription it made or changed, in the same transaction.
    async fn change_subscription(
        &self,
        change: impl FnOnce(&Transaction) -> Result<String, StoreError> + Send + 'static,
    ) -> Result<Versioned<Subscription>, StoreError> {
        self.change(false, move |tx| rows::subscription(tx, &change(tx)?)?.into_wire(false)).await
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.connections.read(move |conn| f(conn)).await
    }
}

/// Makes a change once per request: a retry of one whose answer was lost (the same
/// correlation id, actor and request) gets the first attempt's answer, not a refusal of what
/// that attempt already did. A what-if is never answered from kept answers, and keeps none.
fn once(
    tx: &Transaction,
    ctx: &ChangeContext,
    request: &str,
    what_if: bool,
    change: impl FnOnce(&Transaction) -> Result<Outcome, StoreError>,
) -> Result<Outcome, StoreError> {
    let key = params![ctx.correlation_id, ctx.actor.name, request];
    if !what_if {
        let sql = "SELECT answer FROM answered WHERE correlation_id = ?1 AND actor = ?2 AND request = ?3";
        if let Some(kept) = tx.query_row(sql, key, |r| r.get::<_, String>(0)).optional()? {
            return kept_answer(&kept);
        }
    }
    let done = change(tx)?;
    let (answer, now, forget_before) = answer_to_keep(&done);
    tx.execute("DELETE FROM answered WHERE at < ?1", [forget_before])?;
    tx.execute(
        "INSERT INTO answered (correlation_id, actor, request, answer, at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![ctx.correlation_id, ctx.actor.name, request, answer, now],
    )?;
    Ok(done)
}

fn what_if(mut outcome: Outcome, what_if: bool) -> Outcome {
    outcome.what_if = what_if;
    outcome
}

#[async_trait]
impl AdminStore for SqliteStore {
    async fn users(&self) -> Result<Vec<User>, StoreError> {
        self.read(rows::all_users).await
    }

    async fn user(&self, id_or_upn: &str) -> Result<Option<User>, StoreError> {
        let key = id_or_upn.to_string();
        self.read(move |conn| rows::find_user(conn, &key)).await
    }

    async fn add_users(&self, users: Vec<NewUser>, ctx: &ChangeContext) -> Result<Vec<User>, StoreError> {
        let ctx = ctx.clone();
        self.change(false, move |tx| ops::add_users(tx, &users, &ctx)).await
    }

    async fn subscriptions(&self, filter: &SubscriptionFilter) -> Result<Vec<Versioned<Subscription>>, StoreError> {
        let filter = filter.clone();
        self.read(move |conn| rows::subscriptions(conn, &filter)?.into_iter().map(|r| r.into_wire(true)).collect())
            .await
    }

    async fn subscription(&self, id: &str) -> Result<Versioned<Subscription>, StoreError> {
        let id = id.to_string();
        self.read(move |conn| rows::subscription(conn, &id)?.into_wire(false)).await
    }

    async fn purchase(
        &self,
        buyer: &Buyer,
        purchase: &NewPurchase,
        ctx: &ChangeContext,
    ) -> Result<Versioned<Subscription>, StoreError> {
        let (buyer, p, ctx) = (buyer.clone(), purchase.clone(), ctx.clone());
        self.change_subscription(move |tx| ops::purchase(tx, &buyer, &p.product_id, p.quantity, p.trial, &ctx)).await
    }

    async fn add_central(
        &self,
        new: &NewCentralSubscription,
        ctx: &ChangeContext,
    ) -> Result<Versioned<Subscription>, StoreError> {
        let (new, ctx) = (new.clone(), ctx.clone());
        self.change_subscription(move |tx| ops::add_central(tx, &new.product_id, new.quantity, &ctx)).await
    }

    async fn change_licenses(
        &self,
        id: &str,
        users: &[String],
        assign: bool,
        acting: &Acting,
        ctx: &ChangeContext,
    ) -> Result<Versioned<Subscription>, StoreError> {
        let (id, users, acting, ctx) = (id.to_string(), users.to_vec(), acting.clone(), ctx.clone());
        self.change_subscription(move |tx| {
            ops::change_licenses(tx, &id, &users, assign, &acting, &ctx)?;
            Ok(id)
        })
        .await
    }

    async fn cancel(
        &self,
        id: &str,
        cancellation: &Cancellation,
        acting: &Acting,
        ctx: &ChangeContext,
    ) -> Result<Outcome, StoreError> {
        let (id, c, acting, ctx) = (id.to_string(), cancellation.clone(), acting.clone(), ctx.clone());
        self.change(false, move |tx| ops::cancel(tx, &id, &c, &acting, &ctx)).await
    }

    async fn take_over(
        &self,
        id: &str,
        take_over: &TakeOver,
        what: bool,
        ctx: &ChangeContext,
    ) -> Result<Outcome, StoreError> {
        let (id, take_over, ctx) = (id.to_string(), take_over.clone(), ctx.clone());
        let request = take_over_request(&id, &take_over);
        let done = self
            .change(what, move |tx| {
                once(tx, &ctx, &request, what, |tx| match &take_over {
                    TakeOver::MoveTo(target) => ops::move_to(tx, &id, target, &ctx),
                    TakeOver::Cancel(c) => ops::take_over_cancel(tx, &id, c, &ctx),
                })
            })
            .await?;
        Ok(what_if(done, what))
    }

    async fn centralize(&self, c: &Centralize, what: bool, ctx: &ChangeContext) -> Result<Outcome, StoreError> {
        let (c, ctx) = (c.clone(), ctx.clone());
        let request = centralize_request(&c);
        let done = self
            .change(what, move |tx| {
                once(tx, &ctx, &request, what, |tx| ops::centralize(tx, &c.product_id, &c.to, &ctx))
            })
            .await?;
        Ok(what_if(done, what))
    }

    async fn licenses(
        &self,
        self_service: bool,
        product_id: Option<&ProductId>,
        visible_to: Option<&str>,
    ) -> Result<Vec<LicenseSummary>, StoreError> {
        let (product, visible) = (product_id.cloned(), visible_to.map(str::to_string));
        self.read(move |conn| rows::licenses(conn, self_service, product.as_ref(), visible.as_deref())).await
    }

    async fn license_holders(
        &self,
        subscriptions: &[String],
        visible_to: Option<&str>,
    ) -> Result<Vec<LicenseHolder>, StoreError> {
        let (ids, visible) = (subscriptions.to_vec(), visible_to.map(str::to_string));
        self.read(move |conn| rows::holders(conn, &ids, visible.as_deref())).await
    }

    async fn notifications(&self, limit: u32) -> Result<Vec<Notification>, StoreError> {
        self.read(move |conn| rows::notifications(conn, limit)).await
    }

    async fn due_mail(&self, limit: u32) -> Result<Vec<PendingMail>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, recipient, subject, body, attempts FROM notifications
                  WHERE state = 'Pending' AND next_attempt <= ?1 ORDER BY seq LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![unix_millis(Duration::ZERO), limit], |r| {
                Ok(PendingMail {
                    id: r.get(0)?,
                    recipient: r.get(1)?,
                    subject: r.get(2)?,
                    body: r.get(3)?,
                    attempts: r.get(4)?,
                    lease: 0,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn mail_delivered(&self, id: &str) -> Result<(), StoreError> {
        let id = id.to_string();
        self.change(false, move |tx| {
            tx.execute(
                "UPDATE notifications SET state = 'Delivered', attempts = attempts + 1, delivered = ?2 WHERE id = ?1",
                params![id, crate::store::admin_rules::now()],
            )?;
            Ok(())
        })
        .await
    }

    async fn mail_failed(&self, mail: &PendingMail, retry_in: Duration) -> Result<(), StoreError> {
        let id = mail.id.clone();
        self.change(false, move |tx| {
            tx.execute(
                "UPDATE notifications SET attempts = attempts + 1, next_attempt = ?2 WHERE id = ?1",
                params![id, unix_millis(retry_in)],
            )?;
            Ok(())
        })
        .await
    }

    async fn next_mail_due(&self) -> Result<Option<Duration>, StoreError> {
        self.read(|conn| {
            let next: Option<i64> =
                conn.query_row("SELECT MIN(next_attempt) FROM notifications WHERE state = 'Pending'", [], |r| {
                    r.get(0)
                })?;
            let now = unix_millis(Duration::ZERO);
            Ok(next.map(|at| Duration::from_millis(at.saturating_sub(now).max(0) as u64)))
        })
        .await
    }

    async fn admin_audit(&self, limit: u32) -> Result<Vec<AdminAuditEntry>, StoreError> {
        self.read(move |conn| rows::admin_audit(conn, limit)).await
    }

    async fn outbox_backlog(&self) -> Result<Option<u64>, StoreError> {
        self.read(|conn| {
            let sql = "SELECT COUNT(*) FROM notifications WHERE state = 'Pending'";
            Ok(Some(conn.prepare_cached(sql)?.query_row([], |r| r.get::<_, i64>(0))?.max(0) as u64))
        })
        .await
    }
}
