//! `licenses list|export` on a tenant: per SKU bought self-service, its licenses and the users
//! holding it. Graph v1.0 says which SKUs a user holds, not from which subscription: users
//! are shown per product, and grouping them by purchaser is left to our service.

use std::collections::BTreeMap;

use commerce_graph::{CompanySubscription, DirectoryUser};
use serde::Serialize;

use super::admin_records::{HolderRecord, PurchaserRecord, print_many};
use super::{Tenant, refuse_product_id};
use crate::cli::{GlobalArgs, LicensesArgs, LicensesCommand};
use crate::error::CliError;

/// What the output says about grouping, in every row and in docs/graph.md.
pub const PER_PRODUCT_NOTE: &str = "Microsoft Graph does not say which subscription a user's license comes from: users are listed per product; grouping by purchaser is available only on a commerce-policy service";

/// Per SKU: the licenses of its self-service subscriptions, their purchasers, and every user
/// holding the SKU (from whichever subscription).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TenantLicenseRecord {
    pub product_id: String,
    pub product_name: String,
    pub sku_part_number: String,
    pub total_licenses: u32,
    pub assigned_licenses: u32,
    pub available_licenses: Option<u32>,
    /// The purchasers; their `Users` stay empty (see `Note`).
    pub purchasers: Vec<PurchaserRecord>,
    pub users: Vec<String>,
    pub note: &'static str,
}

pub async fn run(global: &GlobalArgs, args: LicensesArgs) -> Result<(), CliError> {
    match args.command {
        LicensesCommand::List { self_service, product_id } => {
            refuse_product_id(product_id.is_some())?;
            let tenant = Tenant::open(global).await?;
            let found = tenant.graph.subscriptions().await?;
            let active = |s: &CompanySubscription| matches!(s.status.as_deref(), Some("Enabled" | "Warning"));
            let found = found.into_iter().filter(|s| active(s) && (!self_service || s.is_self_service())).collect();
            let records = per_sku(&tenant, found).await?;
            crate::log::notice("NOTE", PER_PRODUCT_NOTE);
            print_many(&tenant.printer, records)
        }
        LicensesCommand::Export { subscription, out } => {
            let (ids, json) = super::super::admin::licenses::export_request(global, subscription, out.as_deref())?;
            let tenant = Tenant::open(global).await?;
            let records = holders(&tenant, &ids).await?;
            super::super::admin::licenses::write_export(&tenant.printer, records, out, json)
        }
        _ => Err(CliError::Other("not a command that reads a tenant".into())),
    }
}

/// One record per SKU, its users read once, its purchasers named.
async fn per_sku(tenant: &Tenant, found: Vec<CompanySubscription>) -> Result<Vec<TenantLicenseRecord>, CliError> {
    let subscriptions = super::subscriptions::with_owners(tenant, found).await?;
    let mut by_sku: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for s in subscriptions {
        by_sku.entry(s.product_id.clone()).or_default().push(s);
    }
    let mut records = Vec::new();
    for (sku, subscriptions) in by_sku {
        let users = tenant.graph.users_with_sku(&sku).await?;
        let mut purchasers: Vec<PurchaserRecord> = Vec::new();
        for s in subscriptions.iter().filter(|s| !s.purchaser.is_empty()) {
            if !purchasers.iter().any(|p| p.user_principal_name.eq_ignore_ascii_case(&s.purchaser)) {
                let (upn, name) = (s.purchaser.clone(), s.purchaser_name.clone());
                purchasers.push(PurchaserRecord { user_principal_name: upn, display_name: name, users: Vec::new() });
            }
        }
        let first = &subscriptions[0];
        records.push(TenantLicenseRecord {
            product_id: sku,
            product_name: first.product_name.clone(),
            sku_part_number: first.sku_part_number.clone(),
            total_licenses: subscriptions.iter().map(|s| s.quantity).sum(),
            assigned_licenses: u32::try_from(users.len()).unwrap_or(u32::MAX),
            available_licenses: None,
            purchasers,
            users: users.into_iter().map(|u| u.user_principal_name).collect(),
            note: PER_PRODUCT_NOTE,
        });
    }
    Ok(records)
}

/// The export's rows: for each subscription, the users holding its SKU.
async fn holders(tenant: &Tenant, ids: &[String]) -> Result<Vec<HolderRecord>, CliError> {
    let mut found = Vec::new();
    for id in ids {
        found.push(tenant.graph.subscription(id).await?);
    }
    let subscriptions = super::subscriptions::with_owners(tenant, found).await?;
    let mut rows = Vec::new();
    for s in subscriptions {
        let users: Vec<DirectoryUser> = tenant.graph.users_with_sku(&s.product_id).await?;
        let purchaser = Some(s.purchaser.clone()).filter(|p| !p.is_empty());
        rows.extend(users.into_iter().map(|u| HolderRecord {
            user_principal_name: u.user_principal_name,
            display_name: u.display_name.unwrap_or_default(),
            mail: u.mail,
            product_id: s.product_id.clone(),
            product_name: s.product_name.clone(),
            subscription_id: s.subscription_id.clone(),
            purchaser: purchaser.clone(),
        }));
    }
    Ok(rows)
}
