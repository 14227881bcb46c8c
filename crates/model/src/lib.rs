//! The shared vocabulary of commerce-policy: identifiers, policy values, the v1.0 wire types
//! spoken by Microsoft's licensing service and by `commerce-policy serve`, and the product
//! product catalogue with its rules. No I/O lives here, so client and service cannot drift apart.

pub mod admin;
pub mod baseline;
mod catalog;
mod error;
mod ids;
mod target;
mod value;
pub mod wire;

pub use catalog::{BUILTIN_CATALOG, Catalog, CatalogOfferType, CatalogPolicy, CatalogProduct, trial_rule};
pub use error::ModelError;
pub use ids::{OfferType, PolicyId, ProductId};
pub use target::{Scope, Target, TargetPolicy};
pub use value::PolicyValue;

/// The one policy Microsoft's service carries today.
pub const ALLOW_SELF_SERVICE_PURCHASE: &str = "AllowSelfServicePurchase";

/// The header that carries a request's correlation id, both ways.
pub const CORRELATION_HEADER: &str = "x-ms-correlation-id";

/// The preference (RFC 7240: a service that does not know it ignores it) by which a client
/// asks our service to tag every list item with its entity tag (`@odata.etag`), so a bulk
/// change can send `If-Match` without reading each item again.
pub const PREFER_ETAGS: &str = "odata.include-annotations=\"odata.etag\"";
