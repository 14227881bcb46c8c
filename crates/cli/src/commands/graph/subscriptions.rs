//! `subscriptions list|get` on a tenant: Graph's `companySubscription`s, their owners
//! resolved twenty a call, shown with the names and properties our service uses.

use std::collections::HashMap;

use commerce_graph::{CompanySubscription, DirectoryUser};
use commerce_model::admin::SubscriptionStatus;
use serde::Serialize;

use super::admin_records::print_one;
use super::detection;
use super::{Tenant, refuse_product_id};
use crate::cli::{GlobalArgs, SubscriptionsArgs, SubscriptionsCommand};
use crate::error::CliError;

/// A tenant's subscription, with the property names of our service's (issue 11) so scripts
/// and the module read both alike; what Graph does not say is null or empty.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TenantSubscriptionRecord {
    pub subscription_id: String,
    /// The SKU id: Graph has no product ids of the licensing catalogue.
    pub product_id: String,
    pub product_name: String,
    pub sku_part_number: String,
    pub owner_type: String,
    /// The purchaser's principal name for `OwnerType` `User`; empty otherwise, and the
    /// owner's object id when Graph no longer knows the user.
    pub purchaser: String,
    pub purchaser_name: String,
    pub quantity: u32,
    pub assigned_licenses: Option<u32>,
    pub available_licenses: Option<u32>,
    /// `Active` (Graph's `Enabled` or `Warning`), else Graph's status as it is (`Deleted`,
    /// `Suspended`, `LockedOut`).
    pub status: String,
    pub graph_status: String,
    pub is_trial: bool,
    pub created: String,
    pub expires_on: String,
    pub price: Option<String>,
    pub currency: Option<String>,
    pub assigned_users: Vec<String>,
}

impl TenantSubscriptionRecord {
    fn new(tenant: &Tenant, s: CompanySubscription, owners: &HashMap<String, DirectoryUser>) -> Self {
        let owner = s.owner_id.as_ref().and_then(|id| owners.get(id));
        let (purchaser, purchaser_name) = match (s.is_self_service(), owner) {
            (true, Some(user)) => (user.user_principal_name.clone(), user.display_name.clone().unwrap_or_default()),
            (true, None) => (s.owner_id.clone().unwrap_or_default(), String::new()),
            (false, _) => (String::new(), String::new()),
        };
        let graph_status = s.status.clone().unwrap_or_default();
        Self {
            product_name: tenant.product_name(&s.sku_id, s.sku_part_number.as_deref()),
            subscription_id: s.id,
            product_id: s.sku_id,
            sku_part_number: s.sku_part_number.unwrap_or_default(),
            owner_type: s.owner_type.unwrap_or_default(),
            purchaser,
            purchaser_name,
            quantity: s.total_licenses,
            assigned_licenses: None,
            available_licenses: None,
            status: status(&graph_status),
            graph_status,
            is_trial: s.is_trial,
            created: s.created_date_time.unwrap_or_default(),
            expires_on: s.next_lifecycle_date_time.unwrap_or_default(),
            price: None,
            currency: None,
            assigned_users: Vec::new(),
        }
    }
}

/// Our service's status for Graph's: a subscription in its grace period (`Warning`) still
/// serves its users.
fn status(graph: &str) -> String {
    match graph {
        "Enabled" | "Warning" => SubscriptionStatus::Active.as_str().to_string(),
        other => other.to_string(),
    }
}

/// Whether a Graph status is what `--status` asks for: `Deleted` is any that is not active.
fn status_matches(record: &TenantSubscriptionRecord, wanted: SubscriptionStatus) -> bool {
    let active = record.status == SubscriptionStatus::Active.as_str();
    active == (wanted == SubscriptionStatus::Active)
}

pub async fn run(global: &GlobalArgs, args: SubscriptionsArgs) -> Result<(), CliError> {
    match args.command {
        SubscriptionsCommand::List { self_service, product_id, purchaser, status, detection } => {
            refuse_product_id(product_id.is_some())?;
            let tenant = Tenant::open(global).await?;
            let found = tenant.graph.subscriptions().await?;
            let found: Vec<CompanySubscription> =
                found.into_iter().filter(|s| !self_service || s.is_self_service()).collect();
            let mut records = with_owners(&tenant, found).await?;
            records.retain(|r| status.is_none_or(|wanted| status_matches(r, wanted)));
            if let Some(upn) = purchaser.as_deref().map(str::trim) {
                records.retain(|r| r.purchaser.eq_ignore_ascii_case(upn));
            }
            tracing::debug!(calls = tenant.graph.calls(), "Graph requests");
            detection::report(&tenant.printer, records, &detection)
        }
        SubscriptionsCommand::Get { subscription } => {
            let id = super::super::admin::subscription_id(&subscription)?;
            let tenant = Tenant::open(global).await?;
            let found = tenant.graph.subscription(&id).await?;
            let record = with_owners(&tenant, vec![found]).await?.pop();
            print_one(&tenant.printer, record)
        }
        _ => Err(CliError::Other("not a command that reads a tenant".into())),
    }
}

/// The records of `found`, the owners of the self-service ones read in batches of twenty.
pub(super) async fn with_owners(
    tenant: &Tenant,
    found: Vec<CompanySubscription>,
) -> Result<Vec<TenantSubscriptionRecord>, CliError> {
    let owner_ids: Vec<String> =
        found.iter().filter(|s| s.is_self_service()).filter_map(|s| s.owner_id.clone()).collect();
    let owners = if owner_ids.is_empty() { HashMap::new() } else { tenant.graph.users(&owner_ids).await? };
    Ok(found.into_iter().map(|s| TenantSubscriptionRecord::new(tenant, s, &owners)).collect())
}
