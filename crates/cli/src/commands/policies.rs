//! `policies list|get`.

use commerce_client::Client;
use commerce_model::PolicyId;

use crate::error::CliError;
use crate::output::Printer;
use crate::records::PolicyRecord;

pub async fn list(client: &Client, printer: &Printer) -> Result<(), CliError> {
    let policies = client.policies().await.map_err(CliError::request("listing policies"))?;
    printer.many(&policies.into_iter().map(PolicyRecord::from).collect::<Vec<_>>())
}

pub async fn get(client: &Client, printer: &Printer, id: &PolicyId) -> Result<(), CliError> {
    let policy = client.policy(id).await.map_err(CliError::request(format!("reading policy {id}")))?;
    printer.one(&PolicyRecord::from(policy))
}
