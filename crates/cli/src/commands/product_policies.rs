//! `product-policies list|get`.

use commerce_client::Client;
use commerce_model::{PolicyId, Scope, Target};

use crate::cli::OneTarget;
use crate::error::CliError;
use crate::output::Printer;
use crate::records::ScopedRecord;

pub async fn list(client: &Client, printer: &Printer, policy: &PolicyId, scope: Scope) -> Result<(), CliError> {
    let items =
        client.list(policy, scope).await.map_err(CliError::request(format!("listing {policy} for scope {scope}")))?;
    printer.many(&items.into_iter().map(ScopedRecord::from).collect::<Vec<_>>())
}

pub async fn get(client: &Client, printer: &Printer, policy: &PolicyId, target: OneTarget) -> Result<(), CliError> {
    let target = match (target.product_id, target.offer_type) {
        (Some(product), _) => Target::Product(product),
        (None, Some(offer)) => Target::OfferType(offer),
        (None, None) => return Err(CliError::Usage("give --product-id or --offer-type".into())),
    };
    let got = client.get(policy, &target).await.map_err(CliError::request(format!("reading {policy} for {target}")))?;
    printer.one(&ScopedRecord::from(got.value))
}
