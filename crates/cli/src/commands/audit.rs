//! `audit`: the change logs of a commerce-policy service: the policy changes, or with
//! `--administration` the administration's.

use commerce_client::Client;

use crate::cli::AuditArgs;
use crate::error::CliError;
use crate::output::Printer;
use crate::records::{AdminAuditRecord, AuditRecord};

pub async fn list(client: &Client, printer: &Printer, args: AuditArgs) -> Result<(), CliError> {
    if args.administration {
        let entries =
            client.admin_audit(args.limit).await.map_err(CliError::request("reading the administration audit log"))?;
        return printer.many(&entries.into_iter().map(AdminAuditRecord::from).collect::<Vec<_>>());
    }
    let entries = client.audit(args.limit).await.map_err(CliError::request("reading the audit log"))?;
    printer.many(&entries.into_iter().map(AuditRecord::from).collect::<Vec<_>>())
}
