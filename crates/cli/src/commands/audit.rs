//! `audit`: the change log of a commerce-policy service.

use commerce_client::Client;

use crate::error::CliError;
use crate::output::Printer;
use crate::records::AuditRecord;

pub async fn list(client: &Client, printer: &Printer, limit: u32) -> Result<(), CliError> {
    let entries = client.audit(limit).await.map_err(CliError::request("reading the audit log"))?;
    printer.many(&entries.into_iter().map(AuditRecord::from).collect::<Vec<_>>())
}
