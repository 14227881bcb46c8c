//! The store of the self-service purchase administration: the tenant's users, subscriptions,
//! license assignments, the mail outbox and the administration audit log. [`AdminStore`] sits
//! beside [`super::PolicyStore`] and speaks the model's wire types; every operation that
//! changes several rows is one transaction in the backend, and the rules it applies are the
//! backend-neutral functions of `admin_rules.rs`, so a second backend applies the same ones.

use async_trait::async_trait;
use commerce_model::ProductId;
use commerce_model::admin::{
    AdminAuditEntry, Cancellation, Centralize, LicenseHolder, LicenseSummary, NewCentralSubscription, NewPurchase,
    NewUser, Notification, Outcome, Subscription, SubscriptionStatus, TakeOver, User,
};

use super::{ChangeContext, StoreError, Versioned};

/// How long a change's answer is kept for its retries (far longer than any client retries).
pub(crate) const ANSWERS_KEPT: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// What a take-over was asked, as its answer is kept (with the correlation id and the actor),
/// so a correlation id reused for another request is not taken for a retry of this one.
pub(crate) fn take_over_request(id: &str, take_over: &TakeOver) -> String {
    match take_over {
        TakeOver::MoveTo(to) => format!("take-over {} move-to {}", id.to_ascii_lowercase(), to.to_ascii_lowercase()),
        TakeOver::Cancel(_) => format!("take-over {} cancel", id.to_ascii_lowercase()),
    }
}

/// What a centralize was asked, as its answer is kept.
pub(crate) fn centralize_request(c: &Centralize) -> String {
    format!("centralize {} to {}", c.product_id.as_str().to_ascii_lowercase(), c.to.to_ascii_lowercase())
}

/// A kept answer read back.
pub(crate) fn kept_answer(text: &str) -> Result<Outcome, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("a kept answer of a change: {e}")))
}

/// An answer to keep, and the time before which kept answers are forgotten (RFC 3339, UTC).
pub(crate) fn answer_to_keep(done: &Outcome) -> (String, String, String) {
    let now = std::time::SystemTime::now();
    let at = |t| humantime::format_rfc3339_millis(t).to_string();
    let answer = serde_json::to_string(done).unwrap_or_default();
    (answer, at(now), at(now - ANSWERS_KEPT))
}

/// Who acts on a subscription: an administrator, or a user of the directory (by object id),
/// who may act on the subscriptions they bought only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acting {
    Admin,
    User(String),
}

/// Who buys: a user of the directory (object id or principal name), or a signed-in user
/// who joins the directory with this purchase (in its transaction: a refused purchase adds
/// no one).
#[derive(Debug, Clone)]
pub enum Buyer {
    Listed(String),
    Joining(NewUser),
}

/// Which subscriptions a list shows.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionFilter {
    /// Only those bought by users.
    pub self_service: bool,
    pub product_id: Option<ProductId>,
    /// The purchaser's principal name or object id.
    pub purchaser: Option<String>,
    pub status: Option<SubscriptionStatus>,
    /// Only those bought by this user (object id): what a user who is no admin sees.
    pub visible_to: Option<String>,
}

/// A notification the outbox worker is to deliver now.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingMail {
    pub id: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub attempts: u32,
    /// Until when this replica holds the mail (Unix ms): the lease it claimed it with, and
    /// the proof that it still holds it. 0 where the store has no leases (SQLite).
    pub lease: i64,
}

/// The storage of the administration workflows. Writes that an admin may preview take
/// `what_if`: the same code runs in a transaction that is then rolled back.
#[async_trait]
pub trait AdminStore: Send + Sync + 'static {
    async fn users(&self) -> Result<Vec<User>, StoreError>;
    /// The user with this object id or principal name.
    async fn user(&self, id_or_upn: &str) -> Result<Option<User>, StoreError>;
    /// Adds users, all or none (a principal name or id already there refuses all).
    async fn add_users(&self, users: Vec<NewUser>, ctx: &ChangeContext) -> Result<Vec<User>, StoreError>;

    async fn subscriptions(&self, filter: &SubscriptionFilter) -> Result<Vec<Versioned<Subscription>>, StoreError>;
    async fn subscription(&self, id: &str) -> Result<Versioned<Subscription>, StoreError>;
    /// A user's purchase, decided by the product's `AllowSelfServicePurchase` value.
    async fn purchase(
        &self,
        buyer: &Buyer,
        purchase: &NewPurchase,
        ctx: &ChangeContext,
    ) -> Result<Versioned<Subscription>, StoreError>;
    /// A subscription the tenant buys centrally.
    async fn add_central(
        &self,
        new: &NewCentralSubscription,
        ctx: &ChangeContext,
    ) -> Result<Versioned<Subscription>, StoreError>;
    /// Gives (`assign`) or takes away licenses of a subscription to users by principal name.
    async fn change_licenses(
        &self,
        id: &str,
        users: &[String],
        assign: bool,
        acting: &Acting,
        ctx: &ChangeContext,
    ) -> Result<Versioned<Subscription>, StoreError>;
    /// Cancels a subscription (by its purchaser, or an admin for the tenant's own).
    async fn cancel(
        &self,
        id: &str,
        cancellation: &Cancellation,
        acting: &Acting,
        ctx: &ChangeContext,
    ) -> Result<Outcome, StoreError>;
    /// An admin takes a user's subscription over; `ctx.expected` guards its version.
    async fn take_over(
        &self,
        id: &str,
        take_over: &TakeOver,
        what_if: bool,
        ctx: &ChangeContext,
    ) -> Result<Outcome, StoreError>;
    async fn centralize(
        &self,
        centralize: &Centralize,
        what_if: bool,
        ctx: &ChangeContext,
    ) -> Result<Outcome, StoreError>;

    async fn licenses(
        &self,
        self_service: bool,
        product_id: Option<&ProductId>,
        visible_to: Option<&str>,
    ) -> Result<Vec<LicenseSummary>, StoreError>;
    async fn license_holders(
        &self,
        subscriptions: &[String],
        visible_to: Option<&str>,
    ) -> Result<Vec<LicenseHolder>, StoreError>;

    /// The outbox, newest first.
    async fn notifications(&self, limit: u32) -> Result<Vec<Notification>, StoreError>;
    /// Pending notifications whose next attempt is due, oldest first.
    async fn due_mail(&self, limit: u32) -> Result<Vec<PendingMail>, StoreError>;
    /// The SMTP server accepted the message.
    async fn mail_delivered(&self, id: &str) -> Result<(), StoreError>;
    /// An attempt failed: counts it and sets the next one `retry_in` from now — unless the
    /// mail's lease lapsed meanwhile and another replica claimed it, whose turn it is now.
    async fn mail_failed(&self, mail: &PendingMail, retry_in: std::time::Duration) -> Result<(), StoreError>;
    /// Seconds until the earliest pending notification is due, if any is pending.
    async fn next_mail_due(&self) -> Result<Option<std::time::Duration>, StoreError>;

    /// The administration audit log, newest first.
    async fn admin_audit(&self, limit: u32) -> Result<Vec<AdminAuditEntry>, StoreError>;

    /// How many notifications wait in the outbox for delivery, due now or later
    /// (`/metrics`); `None` where the backend cannot count them cheaply (the default).
    async fn outbox_backlog(&self) -> Result<Option<u64>, StoreError> {
        Ok(None)
    }
}

/// Which administration rule refused an operation (nothing changed): each is one error code
/// on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The product's `AllowSelfServicePurchase` value does not allow this purchase (403).
    PurchaseNotAllowed,
    /// An admin acts on a user's subscription that was not taken over (403).
    NotTakenOver,
    /// The caller may not act on this subscription or resource (403).
    Forbidden,
    /// Not enough available licenses (409).
    NotEnoughLicenses,
    /// The subscription is cancelled (409).
    SubscriptionDeleted,
    /// The state does not allow the operation, e.g. a user already in the directory (409).
    Conflict,
    /// The request breaks a rule of the domain, e.g. a quantity out of range (400).
    Invalid,
}

impl Rule {
    pub fn code(self) -> &'static str {
        match self {
            Self::PurchaseNotAllowed => "PurchaseNotAllowed",
            Self::NotTakenOver => "NotTakenOver",
            Self::Forbidden => "Forbidden",
            Self::NotEnoughLicenses => "NotEnoughLicenses",
            Self::SubscriptionDeleted => "SubscriptionDeleted",
            Self::Conflict => "Conflict",
            Self::Invalid => "BadRequest",
        }
    }
}
