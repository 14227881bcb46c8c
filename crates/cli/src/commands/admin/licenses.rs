//! `licenses list|assign|unassign|export` and `centralize`.

use commerce_model::admin::Centralize;

use super::records::{HolderRecord, LicenseRecord, SubscriptionRecord, print_many, print_one, print_outcome};
use super::{open, subscription_id, subscription_ids, version_of};
use crate::cli::{CentralizeArgs, Format, GlobalArgs, LicenseChangeArgs, LicensesArgs, LicensesCommand};
use crate::commands::baseline::{check_out, write_file};
use crate::error::CliError;

pub async fn run(global: &GlobalArgs, args: LicensesArgs) -> Result<(), CliError> {
    let acting = &args.acting;
    match args.command {
        LicensesCommand::List { self_service, product_id } => {
            let (client, printer) = open(global, acting, "licenses list").await?;
            let found = client
                .licenses(self_service, product_id.as_ref())
                .await
                .map_err(CliError::request("listing licenses"))?;
            print_many(&printer, found.into_iter().map(LicenseRecord::from).collect())
        }
        LicensesCommand::Assign(change) => change_licenses(global, acting, change, true).await,
        LicensesCommand::Unassign(change) => change_licenses(global, acting, change, false).await,
        LicensesCommand::Export { subscription, out } => {
            let (ids, json) = export_request(global, subscription, out.as_deref())?;
            let (client, printer) = open(global, acting, "licenses export").await?;
            let holders = client
                .license_holders(&ids)
                .await
                .map_err(CliError::request(format!("exporting the users of {} subscription(s)", ids.len())))?;
            write_export(&printer, holders.into_iter().map(HolderRecord::from).collect(), out, json)
        }
    }
}

/// The subscriptions `licenses export` names, checked, and whether it writes JSON: refused
/// before anything is sent (on our service and on a tenant alike).
pub(crate) fn export_request(
    global: &GlobalArgs,
    subscription: Vec<String>,
    out: Option<&std::path::Path>,
) -> Result<(Vec<String>, bool), CliError> {
    let ids = subscription_ids(&from_stdin_if_asked(subscription)?)?;
    let json = global.output == Format::Json;
    if global.output_on_command_line && !json && global.output != Format::Csv {
        return Err(CliError::Usage("licenses export writes CSV: drop --output (or -o json for objects)".into()));
    }
    check_out(out)?;
    Ok((ids, json))
}

/// Writes the export: CSV (its header even when no user holds a license) or JSON, to stdout
/// or a file.
pub(crate) fn write_export(
    printer: &crate::output::Printer,
    records: Vec<HolderRecord>,
    out: Option<std::path::PathBuf>,
    json: bool,
) -> Result<(), CliError> {
    let format = if json { Format::Json } else { Format::Csv };
    let text = match records.is_empty() {
        true if !json => format!("{EXPORT_HEADER}\n"),
        _ => crate::output::render_many(format, &records)?,
    };
    match out {
        None => printer.write(&text),
        // A spreadsheet (Excel) reads a CSV file without a byte order mark in the
        // system's code page, garbling non-ASCII names: a file gets one.
        Some(path) => write_file(&path, &format!("{}{text}", if json { "" } else { "\u{feff}" })),
    }
}

/// The export's columns, written even when no user holds a license.
const EXPORT_HEADER: &str = "UserPrincipalName,DisplayName,Mail,ProductId,ProductName,SubscriptionId,Purchaser";

/// `--subscription -`: the ids from stdin, one a line or separated by spaces or commas (as
/// `subscriptions list -o json | jq -r '.[].SubscriptionId'` writes them).
fn from_stdin_if_asked(ids: Vec<String>) -> Result<Vec<String>, CliError> {
    if ids.iter().map(|i| i.trim()).ne(["-"]) {
        return Ok(ids);
    }
    let text = crate::text::read_stdin().map_err(|e| CliError::Usage(format!("could not read stdin: {e}")))?;
    Ok(text.split(|c: char| c == ',' || c.is_whitespace()).map(str::to_string).collect())
}

async fn change_licenses(
    global: &GlobalArgs,
    acting: &crate::cli::ActingUser,
    args: LicenseChangeArgs,
    assign: bool,
) -> Result<(), CliError> {
    let id = subscription_id(&args.subscription)?;
    let mut users: Vec<String> = Vec::new();
    for user in args.user.iter().map(|u| u.trim()).filter(|u| !u.is_empty()) {
        if !users.iter().any(|u| u.eq_ignore_ascii_case(user)) {
            users.push(user.to_string());
        }
    }
    if users.is_empty() {
        return Err(CliError::Usage("no user given: name one or more with --user".into()));
    }
    let command = if assign { "licenses assign" } else { "licenses unassign" };
    let (client, printer) = open(global, acting, command).await?;
    let doing = if assign { "assigning" } else { "unassigning" };
    let count = users.len();
    let version = version_of(&client, &id).await?;
    let changed = client
        .change_licenses(&id, assign, users, version.as_deref())
        .await
        .map_err(CliError::request(format!("{doing} {count} license(s) of subscription {id}")))?;
    print_one(&printer, SubscriptionRecord::from(changed))
}

/// Every self-service user of the product gets a license of the central subscription, or
/// none does; each purchaser is asked by mail to cancel.
pub async fn centralize(global: &GlobalArgs, args: CentralizeArgs) -> Result<(), CliError> {
    let to = subscription_id(&args.to)?;
    let (client, printer) = open(global, &args.acting, "centralize").await?;
    let request = Centralize { product_id: args.product_id, to };
    let outcome = client
        .centralize(&request, args.what_if)
        .await
        .map_err(CliError::request(format!("centralizing {} on subscription {}", request.product_id, request.to)))?;
    print_outcome(&printer, outcome)
}
