//! The self-service purchase administration, as our service speaks it on the wire (camelCase
//! JSON, like the policy types): the tenant's users, subscriptions (bought centrally or by a
//! user), license assignments, purchases, take-over and centralize, and the notifications
//! mailed to purchasers. Microsoft offers no public API for these workflows; these shapes
//! are ours (docs/admin.md), and the binary renders them with PascalCase names.
//!
//! Routes (all under `/v1.0`; `?whatIf=true` on the three admin operations answers what would
//! happen, changing nothing):
//!
//! | method and path | body | answer |
//! |---|---|---|
//! | GET `/users` | | `Items<User>` |
//! | POST `/users` | [`NewUser`] | 201 [`User`] |
//! | POST `/users/import` | `Items<NewUser>` (all or nothing) | `Items<User>` |
//! | POST `/purchases` | [`NewPurchase`] (the acting user buys) | 201 [`Subscription`] |
//! | GET `/subscriptions?selfService&productId&purchaser&status` | | `Items<Subscription>` |
//! | GET `/subscriptions/{id}` | | [`Subscription`] with `ETag` |
//! | POST `/subscriptions` | [`NewCentralSubscription`] (admin) | 201 [`Subscription`] |
//! | POST `/subscriptions/{id}/cancel` | [`Cancellation`] (its purchaser) | [`Outcome`] |
//! | POST `/subscriptions/{id}/assign`, `/unassign` | [`LicenseChange`] | [`Subscription`] |
//! | POST `/subscriptions/{id}/takeOver` (`If-Match`) | [`TakeOver`] (admin) | [`Outcome`] |
//! | GET `/licenses?selfService&productId` | | `Items<LicenseSummary>` |
//! | GET `/licenses/holders?subscriptionId=a&subscriptionId=b` | | `Items<LicenseHolder>` |
//! | POST `/centralize` | [`Centralize`] (admin) | [`Outcome`] |
//! | GET `/notifications` | | `Items<Notification>` |
//! | GET `/audit/administration?limit` | | `Items<AdminAuditEntry>` |

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ProductId;
use crate::value::named_values;

/// The header by which a caller of a service without sign-in (`serve --auth none`, the
/// embedded store) says which user of the directory acts (`--as UPN`). Without it the
/// caller is the admin. A service with sign-in ignores it: the token says who acts.
pub const ACTING_USER_HEADER: &str = "x-commerce-acting-user";

/// The largest body `POST /v1.0/users/import` takes (other routes take 16 KiB): about 40,000
/// users, so a directory's file goes in one all-or-nothing request.
pub const IMPORT_BODY_LIMIT: usize = 4 * 1024 * 1024;

/// A user of the tenant's directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// The object id, a GUID.
    pub id: String,
    pub user_principal_name: String,
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail: Option<String>,
}

/// A user to add to the directory; the service makes the object id when none is given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewUser {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub user_principal_name: String,
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail: Option<String>,
}

/// Who owns a subscription: the tenant (bought centrally) or a user (a self-service
/// purchase; that user is its purchaser).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
pub enum OwnerType {
    Tenant,
    User,
}

impl OwnerType {
    pub const ALL: [OwnerType; 2] = [Self::Tenant, Self::User];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tenant => "Tenant",
            Self::User => "User",
        }
    }
}
named_values!(OwnerType, OwnerType);

/// A subscription's state. `Deleted` is a cancelled subscription: it holds no licenses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
pub enum SubscriptionStatus {
    Active,
    Deleted,
}

impl SubscriptionStatus {
    pub const ALL: [SubscriptionStatus; 2] = [Self::Active, Self::Deleted];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Deleted => "Deleted",
        }
    }
}
named_values!(SubscriptionStatus, SubscriptionStatus);

/// What a subscription costs. The emulator's prices are its own (docs/admin.md): Microsoft
/// publishes no price API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Price {
    /// Per license and billing period, as a decimal string (`"10.00"`), so no float rounds it.
    pub amount: String,
    /// ISO 4217, like `USD`.
    pub currency: String,
    /// ISO 8601 duration: `P1M` monthly, `P1Y` yearly.
    pub billing_period: String,
}

/// A user named by principal name and display name, as lists show purchasers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserRef {
    pub user_principal_name: String,
    pub display_name: String,
}

/// A subscription, with its licenses and who holds them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    /// A GUID.
    pub id: String,
    pub product_id: ProductId,
    pub product_name: String,
    pub owner_type: OwnerType,
    /// The user who bought it; absent for the tenant's own subscriptions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchaser: Option<UserRef>,
    /// Licenses bought.
    pub quantity: u32,
    pub assigned_licenses: u32,
    pub available_licenses: u32,
    pub status: SubscriptionStatus,
    pub is_trial: bool,
    /// RFC 3339, UTC.
    pub created: String,
    /// When it ends or renews, RFC 3339, UTC.
    pub expires_on: String,
    /// Absent for trials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Price>,
    /// The principal names of the users holding a license of it.
    pub assigned_users: Vec<String>,
    /// The entity tag, on list items (a single read carries the `ETag` header), as for policies.
    #[serde(rename = "@odata.etag", default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
}

/// A purchase by the acting user: `quantity` licenses, or a trial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewPurchase {
    pub product_id: ProductId,
    pub quantity: u32,
    #[serde(default)]
    pub trial: bool,
}

/// A subscription the tenant buys centrally ("buy through existing agreements").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewCentralSubscription {
    pub product_id: ProductId,
    pub quantity: u32,
}

/// Users to give or take a license of one subscription, by principal name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LicenseChange {
    pub users: Vec<String>,
}

/// Why a subscription is cancelled. The list is ours (Microsoft's admin center asks for a
/// reason but documents no list); `Other` takes a free text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
pub enum CancellationReason {
    /// The organisation buys the product centrally instead.
    BoughtCentrally,
    NoLongerNeeded,
    TooExpensive,
    /// The purchase breaks the organisation's purchasing rules.
    NotApproved,
    Other,
}

impl CancellationReason {
    pub const ALL: [CancellationReason; 5] =
        [Self::BoughtCentrally, Self::NoLongerNeeded, Self::TooExpensive, Self::NotApproved, Self::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::BoughtCentrally => "BoughtCentrally",
            Self::NoLongerNeeded => "NoLongerNeeded",
            Self::TooExpensive => "TooExpensive",
            Self::NotApproved => "NotApproved",
            Self::Other => "Other",
        }
    }
}
named_values!(CancellationReason, CancellationReason);

/// A cancellation: a reason from the list, and a text (required with `Other`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Cancellation {
    pub reason: CancellationReason,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_text: Option<String>,
}

/// An admin takes over a user's subscription: its users move to another subscription
/// (`{"moveTo": "<id>"}`), or it is cancelled (`{"cancel": {"reason": …}}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum TakeOver {
    MoveTo(String),
    Cancel(Cancellation),
}

/// Centralize a product: every user holding it through self-service purchases gets a
/// license of the central subscription `to`, and each purchaser is asked to cancel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Centralize {
    pub product_id: ProductId,
    pub to: String,
}

/// One user's license moved from one subscription to another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LicenseMove {
    pub user_principal_name: String,
    pub from: String,
    pub to: String,
}

/// What an administration operation did, or (`whatIf`) would do: every license moved,
/// every subscription cancelled, every mail queued — under one correlation id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub what_if: bool,
    pub moved: Vec<LicenseMove>,
    /// Ids of the subscriptions cancelled.
    pub cancelled: Vec<String>,
    pub notifications: Vec<Notification>,
    pub correlation_id: String,
}

/// Per product bought self-service: one row however many purchases, with the licenses of
/// all its subscriptions and the users grouped by purchaser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LicenseSummary {
    pub product_id: ProductId,
    pub product_name: String,
    pub total_licenses: u32,
    pub assigned_licenses: u32,
    pub available_licenses: u32,
    pub purchasers: Vec<PurchaserLicenses>,
}

/// One purchaser's users of a product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PurchaserLicenses {
    pub purchaser: UserRef,
    /// Principal names.
    pub users: Vec<String>,
}

/// A user holding a license of a subscription: a row of the export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LicenseHolder {
    pub user_principal_name: String,
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail: Option<String>,
    pub product_id: ProductId,
    pub product_name: String,
    pub subscription_id: String,
    /// The purchaser's principal name; absent for the tenant's subscriptions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchaser: Option<String>,
}

/// Why a purchaser is mailed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
pub enum NotificationKind {
    /// Their users were moved to another subscription and theirs was cancelled.
    Moved,
    Cancelled,
    /// Centralize: the tenant now licenses their users; they are asked to cancel.
    AskedToCancel,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 3] = [Self::Moved, Self::Cancelled, Self::AskedToCancel];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Moved => "Moved",
            Self::Cancelled => "Cancelled",
            Self::AskedToCancel => "AskedToCancel",
        }
    }
}
named_values!(NotificationKind, NotificationKind);

/// A notification's delivery: waiting in the outbox, or accepted by the SMTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
pub enum NotificationState {
    Pending,
    Delivered,
}

impl NotificationState {
    pub const ALL: [NotificationState; 2] = [Self::Pending, Self::Delivered];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Delivered => "Delivered",
        }
    }
}
named_values!(NotificationState, NotificationState);

/// A mail to a purchaser, from the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub id: String,
    pub kind: NotificationKind,
    /// The purchaser's mail address.
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub subscription_id: String,
    /// RFC 3339, UTC.
    pub created: String,
    pub state: NotificationState,
    /// Delivery attempts so far.
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered: Option<String>,
}

/// A change of the administration (a user added, a purchase, licenses assigned, a take-over,
/// a centralize …): `GET /v1.0/audit/administration`, beside the policy audit log (whose
/// entries keep their shape). One operation's entries share its correlation id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminAuditEntry {
    pub id: i64,
    /// RFC 3339, UTC.
    pub at: String,
    /// Who made the change, readable (as in the policy audit log).
    pub actor: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_object_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_upn: Option<String>,
    /// What was done: `AddUser`, `Purchase`, `AddSubscription`, `Assign`, `Unassign`, `Cancel`,
    /// `TakeOverMove`, `TakeOverCancel`, `Centralize`, `QueueMail`.
    pub action: String,
    /// The id of the subscription, user or notification changed.
    pub subject_id: String,
    /// The subject before the change (absent when it is new).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    pub correlation_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_over_is_move_or_cancel() {
        let to: TakeOver = serde_json::from_str(r#"{"moveTo":"b1"}"#).unwrap();
        assert_eq!(to, TakeOver::MoveTo("b1".into()));
        let cancel: TakeOver = serde_json::from_str(r#"{"cancel":{"reason":"other","reasonText":"x"}}"#).unwrap();
        assert_eq!(
            cancel,
            TakeOver::Cancel(Cancellation { reason: CancellationReason::Other, reason_text: Some("x".into()) })
        );
        assert!(serde_json::from_str::<TakeOver>(r#"{"moveTo":"b1","cancel":{"reason":"Other"}}"#).is_err());
    }

    #[test]
    fn reasons_parse_any_case_and_name_the_list_when_wrong() {
        assert_eq!("boughtcentrally".parse::<CancellationReason>().unwrap(), CancellationReason::BoughtCentrally);
        let e = "Bored".parse::<CancellationReason>().unwrap_err().to_string();
        assert!(e.contains("BoughtCentrally") && e.contains("Other"), "{e}");
    }
}
