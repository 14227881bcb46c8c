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
    #[error("the catalogue is not valid: {0}")]
    Catalog(String),
}
