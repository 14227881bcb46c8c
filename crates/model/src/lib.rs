//! The shared vocabulary of commerce-policy: identifiers, policy values, the v1.0 wire types
//! spoken by Microsoft's licensing service and by `commerce-policy serve`, and the product
//! catalogue format. No I/O lives here, so client and service cannot drift apart.

pub mod baseline;
mod catalog;
mod error;
mod ids;
mod value;
pub mod wire;

pub use catalog::{Catalog, CatalogOfferType, CatalogPolicy, CatalogProduct};
pub use error::ModelError;
pub use ids::{OfferType, PolicyId, ProductId};
pub use value::PolicyValue;

/// The one policy Microsoft's service carries today.
pub const ALLOW_SELF_SERVICE_PURCHASE: &str = "AllowSelfServicePurchase";

/// The header that carries a request's correlation id, both ways.
pub const CORRELATION_HEADER: &str = "x-ms-correlation-id";
