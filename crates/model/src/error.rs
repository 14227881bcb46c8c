//! Validation errors: each says what was wrong and what is allowed.

/// Why a value from a user, a file or the wire was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    #[error("'{0}' is not a product id: a product id is 12 upper-case letters and digits, like CFQ7TTC0L3PB")]
    ProductId(String),
    #[error("'{0}' is not a policy id: a policy id is a name of letters and digits, like AllowSelfServicePurchase")]
    PolicyId(String),
    #[error("'{0}' is not an offer type: an offer type is a name of letters and digits, like SaaS")]
    OfferType(String),
    #[error("'{0}' is not a policy value: use Enabled, Disabled or OnlyTrialsWithoutPaymentMethod")]
    PolicyValue(String),
    #[error("'{0}' is not a scope: use product or OfferType")]
    Scope(String),
    /// The trial rule: `{0}` names the product (`Power BI Pro (CFQ7TTC0H9MP)`) or offer type.
    #[error(
        "{0} offers no trial without a payment method, so OnlyTrialsWithoutPaymentMethod does not apply: use Enabled or Disabled"
    )]
    NoTrial(String),
    #[error("'{0}' is not an owner type: use Tenant or User")]
    OwnerType(String),
    #[error("'{0}' is not a subscription status: use Active or Deleted")]
    SubscriptionStatus(String),
    #[error(
        "'{0}' is not a cancellation reason: use BoughtCentrally, NoLongerNeeded, TooExpensive, NotApproved or Other (with a text)"
    )]
    CancellationReason(String),
    #[error("'{0}' is not a notification kind: use Moved, Cancelled or AskedToCancel")]
    NotificationKind(String),
    #[error("'{0}' is not a notification state: use Pending or Delivered")]
    NotificationState(String),
    #[error("the catalogue is not valid: {0}")]
    Catalog(String),
}
