//! `product-policies list|get`.

use commerce_client::Client;
use commerce_model::PolicyId;

use crate::cli::OneTarget;
use crate::error::CliError;
use crate::output::Printer;
use crate::records::{ProductPolicyRecord, ScopeRecord, ScopedRecord};

pub async fn list(client: &Client, printer: &Printer, policy: &PolicyId, scope: &str) -> Result<(), CliError> {
    let items = client
        .scoped_policies(policy, scope)
        .await
        .map_err(CliError::request(format!("listing {policy} for scope {scope}")))?;
    printer.many(&items.into_iter().map(ScopedRecord::from).collect::<Vec<_>>())
}

pub async fn get(client: &Client, printer: &Printer, policy: &PolicyId, target: OneTarget) -> Result<(), CliError> {
    match (target.product_id, target.offer_type) {
        (Some(product), _) => {
            let got = client
                .product_policy(policy, &product)
                .await
                .map_err(CliError::request(format!("reading {policy} for product {product}")))?;
            printer.one(&ProductPolicyRecord::from(got.value))
        }
        (None, Some(offer)) => {
            let got = client
                .offer_type_policy(policy, &offer)
                .await
                .map_err(CliError::request(format!("reading {policy} for offer type {offer}")))?;
            printer.one(&ScopeRecord::from(got.value))
        }
        (None, None) => Err(CliError::Usage("give --product-id or --offer-type".into())),
    }
}
