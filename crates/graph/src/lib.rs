//! A client of the few Microsoft Graph v1.0 endpoints that show a tenant's self-service
//! purchases (docs/graph.md): the tenant's subscriptions (`/directory/subscriptions`), their
//! owners (`/users/{id}`, twenty a call through `$batch`) and the users holding a SKU
//! (`/users?$filter=assignedLicenses/any(…)`). Read only. Pages are followed through
//! `@odata.nextLink`, throttling (429 with `Retry-After`) goes through the licensing client's
//! [`RetryPolicy`], and a refusal for want of a permission names the permission to grant.

mod batch;
mod client;
mod error;
mod skus;
mod wire;

pub use batch::BATCH_SIZE;
pub use client::GraphClient;
pub use commerce_client::RetryPolicy;
pub use error::GraphError;
pub use skus::{SkuName, SkuNames};
pub use wire::{CompanySubscription, DirectoryUser};

/// The permission `/directory/subscriptions` needs.
pub const SUBSCRIPTIONS_PERMISSION: &str = "Organization.Read.All";
/// The permission reading users (by id, or by the licenses they hold) needs.
pub const USERS_PERMISSION: &str = "User.Read.All";
