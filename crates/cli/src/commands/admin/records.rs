//! What the administration commands print: PascalCase records with the names issue 11
//! gives (scripts and the module read them), JSON as they are, and for a table or CSV one
//! row each, its lists joined into one cell.

use commerce_model::admin::{
    LicenseHolder, LicenseMove, LicenseSummary, Notification, Outcome, Subscription, SubscriptionStatus, User,
};
use serde::Serialize;
use serde_json::Value;

use crate::cli::Format;
use crate::error::CliError;
use crate::output::Printer;

/// A user of the directory.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserRecord {
    pub user_principal_name: String,
    pub display_name: String,
    pub mail: Option<String>,
    pub id: String,
}

impl From<User> for UserRecord {
    fn from(u: User) -> Self {
        Self { user_principal_name: u.user_principal_name, display_name: u.display_name, mail: u.mail, id: u.id }
    }
}

/// A subscription.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SubscriptionRecord {
    pub subscription_id: String,
    pub product_id: String,
    pub product_name: String,
    pub owner_type: String,
    /// The purchaser's principal name; empty for the tenant's subscriptions.
    pub purchaser: String,
    pub purchaser_name: String,
    pub quantity: u32,
    pub assigned_licenses: u32,
    pub available_licenses: u32,
    pub status: SubscriptionStatus,
    pub is_trial: bool,
    pub created: String,
    pub expires_on: String,
    /// Per license and billing period; null for trials.
    pub price: Option<String>,
    pub currency: Option<String>,
    pub billing_period: Option<String>,
    pub assigned_users: Vec<String>,
}

impl From<Subscription> for SubscriptionRecord {
    fn from(s: Subscription) -> Self {
        let (purchaser, purchaser_name) =
            s.purchaser.map(|p| (p.user_principal_name, p.display_name)).unwrap_or_default();
        Self {
            subscription_id: s.id,
            product_id: s.product_id.to_string(),
            product_name: s.product_name,
            owner_type: s.owner_type.as_str().to_string(),
            purchaser,
            purchaser_name,
            quantity: s.quantity,
            assigned_licenses: s.assigned_licenses,
            available_licenses: s.available_licenses,
            status: s.status,
            is_trial: s.is_trial,
            created: s.created,
            expires_on: s.expires_on,
            price: s.price.as_ref().map(|p| p.amount.clone()),
            currency: s.price.as_ref().map(|p| p.currency.clone()),
            billing_period: s.price.map(|p| p.billing_period),
            assigned_users: s.assigned_users,
        }
    }
}

/// Per product: its licenses and who holds them, by purchaser.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LicenseRecord {
    pub product_id: String,
    pub product_name: String,
    pub total_licenses: u32,
    pub assigned_licenses: u32,
    pub available_licenses: u32,
    pub purchasers: Vec<PurchaserRecord>,
}

/// One purchaser of a product and the users holding its licenses.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PurchaserRecord {
    pub user_principal_name: String,
    pub display_name: String,
    pub users: Vec<String>,
}

impl From<LicenseSummary> for LicenseRecord {
    fn from(l: LicenseSummary) -> Self {
        let purchasers = l
            .purchasers
            .into_iter()
            .map(|p| PurchaserRecord {
                user_principal_name: p.purchaser.user_principal_name,
                display_name: p.purchaser.display_name,
                users: p.users,
            })
            .collect();
        Self {
            product_id: l.product_id.to_string(),
            product_name: l.product_name,
            total_licenses: l.total_licenses,
            assigned_licenses: l.assigned_licenses,
            available_licenses: l.available_licenses,
            purchasers,
        }
    }
}

/// A row of `licenses export`: who holds a license of which subscription.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct HolderRecord {
    pub user_principal_name: String,
    pub display_name: String,
    pub mail: Option<String>,
    pub product_id: String,
    pub product_name: String,
    pub subscription_id: String,
    pub purchaser: Option<String>,
}

impl From<LicenseHolder> for HolderRecord {
    fn from(h: LicenseHolder) -> Self {
        Self {
            user_principal_name: h.user_principal_name,
            display_name: h.display_name,
            mail: h.mail,
            product_id: h.product_id.to_string(),
            product_name: h.product_name,
            subscription_id: h.subscription_id,
            purchaser: h.purchaser,
        }
    }
}

/// A mail to a purchaser, from the outbox.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NotificationRecord {
    pub notification_id: String,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub state: String,
    pub attempts: u32,
    pub subscription_id: String,
    pub created: String,
    pub delivered: Option<String>,
    /// In JSON only: a table has no room for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

impl From<Notification> for NotificationRecord {
    fn from(n: Notification) -> Self {
        Self {
            notification_id: n.id,
            kind: n.kind.as_str().to_string(),
            recipient: n.recipient,
            subject: n.subject,
            state: n.state.as_str().to_string(),
            attempts: n.attempts,
            subscription_id: n.subscription_id,
            created: n.created,
            delivered: n.delivered,
            body: Some(n.body),
        }
    }
}

/// What a take-over, cancel or centralize did, or would do (`WhatIf`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OutcomeRecord {
    pub what_if: bool,
    pub moved: Vec<MoveRecord>,
    pub cancelled: Vec<String>,
    pub notifications: Vec<NotificationRecord>,
    pub correlation_id: String,
}

/// One user's license moved.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MoveRecord {
    pub user_principal_name: String,
    pub from: String,
    pub to: String,
}

impl From<LicenseMove> for MoveRecord {
    fn from(m: LicenseMove) -> Self {
        Self { user_principal_name: m.user_principal_name, from: m.from, to: m.to }
    }
}

impl From<Outcome> for OutcomeRecord {
    fn from(o: Outcome) -> Self {
        Self {
            what_if: o.what_if,
            moved: o.moved.into_iter().map(MoveRecord::from).collect(),
            cancelled: o.cancelled,
            notifications: o.notifications.into_iter().map(NotificationRecord::from).collect(),
            correlation_id: o.correlation_id,
        }
    }
}

/// Prints records: a JSON array, or a table or CSV of one row each.
pub fn print_many<T: Serialize>(printer: &Printer, records: Vec<T>) -> Result<(), CliError> {
    match printer.format {
        Format::Json => printer.many(&records),
        format => printer.many(&rows(&records, format)?),
    }
}

/// Prints one record: a JSON object, or a one-row table or CSV.
pub fn print_one<T: Serialize>(printer: &Printer, record: T) -> Result<(), CliError> {
    match printer.format {
        Format::Json => printer.one(&record),
        format => printer.many(&rows(&[record], format)?),
    }
}

/// Prints an outcome: JSON as it is; for people, one line per license moved, subscription
/// cancelled and mail queued; as CSV, one row for each of those.
pub fn print_outcome(printer: &Printer, outcome: Outcome) -> Result<(), CliError> {
    let record = OutcomeRecord::from(outcome);
    match printer.format {
        Format::Json => printer.one(&record),
        Format::Csv => printer.many(&actions(&record)),
        _ => printer.write(&outcome_text(printer, &record)),
    }
}

/// What a table leaves out to fit a screen (CSV and JSON keep it).
const NOT_IN_TABLES: [&str; 3] = ["Created", "BillingPeriod", "PurchaserName"];

/// Records as table or CSV rows: lists joined into one cell, the mail's body left out, and
/// in a table the columns of [`NOT_IN_TABLES`].
fn rows<T: Serialize>(records: &[T], format: Format) -> Result<Vec<Value>, CliError> {
    records
        .iter()
        .map(|r| {
            let mut value =
                serde_json::to_value(r).map_err(|e| CliError::Other(format!("could not render the output: {e}")))?;
            if let Value::Object(fields) = &mut value {
                fields.remove("Body");
                if format == Format::Table {
                    fields.retain(|k, _| !NOT_IN_TABLES.contains(&k.as_str()));
                }
                for cell in fields.values_mut() {
                    if let Value::Array(items) = cell {
                        *cell = Value::String(joined(items));
                    }
                }
            }
            Ok(value)
        })
        .collect()
}

/// A list in one cell: `a, b`; purchasers as `Name <upn>: a, b; Other <upn2>: c`.
fn joined(items: &[Value]) -> String {
    let text = |v: &Value| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
    let purchaser = |p: &Value| {
        let users: Vec<String> = p["Users"].as_array().map(|u| u.iter().map(text).collect()).unwrap_or_default();
        match text(&p["UserPrincipalName"]) {
            upn if upn.is_empty() => format!("{}: {}", text(&p["DisplayName"]), users.join(", ")),
            upn => format!("{} <{upn}>: {}", text(&p["DisplayName"]), users.join(", ")),
        }
    };
    if items.iter().all(Value::is_string) {
        items.iter().map(text).collect::<Vec<_>>().join(", ")
    } else {
        items.iter().map(purchaser).collect::<Vec<_>>().join("; ")
    }
}

/// An outcome's actions, one CSV row each.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ActionRow<'a> {
    what_if: bool,
    action: &'a str,
    user_principal_name: &'a str,
    subscription_id: &'a str,
    to: &'a str,
    recipient: &'a str,
    subject: &'a str,
    correlation_id: &'a str,
}

fn actions(o: &OutcomeRecord) -> Vec<ActionRow<'_>> {
    let row = |action| ActionRow {
        what_if: o.what_if,
        action,
        user_principal_name: "",
        subscription_id: "",
        to: "",
        recipient: "",
        subject: "",
        correlation_id: &o.correlation_id,
    };
    let moves = o.moved.iter().map(|m| ActionRow {
        user_principal_name: &m.user_principal_name,
        subscription_id: &m.from,
        to: &m.to,
        ..row("Move")
    });
    let cancels = o.cancelled.iter().map(|id| ActionRow { subscription_id: id, ..row("Cancel") });
    let mails = o.notifications.iter().map(|n| ActionRow {
        subscription_id: &n.subscription_id,
        recipient: &n.recipient,
        subject: &n.subject,
        ..row("Mail")
    });
    moves.chain(cancels).chain(mails).collect()
}

fn outcome_text(printer: &Printer, o: &OutcomeRecord) -> String {
    let (would, verb) = if o.what_if { ("What if: would ", "would ") } else { ("", "") };
    let mut text = format!(
        "Endpoint: {}\n\n{would}move {} license(s), cancel {} subscription(s), mail {} purchaser(s) (correlation id {}):\n",
        crate::output::for_terminal(&printer.endpoint),
        o.moved.len(),
        o.cancelled.len(),
        o.notifications.len(),
        o.correlation_id
    );
    let clean = crate::output::for_terminal;
    for m in &o.moved {
        text.push_str(&format!("  {verb}move {} from {} to {}\n", clean(&m.user_principal_name), m.from, m.to));
    }
    for id in &o.cancelled {
        text.push_str(&format!("  {verb}cancel {id}\n"));
    }
    for n in &o.notifications {
        text.push_str(&format!("  {verb}mail {} \"{}\" ({})\n", clean(&n.recipient), clean(&n.subject), n.kind));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_join_into_one_cell() {
        assert_eq!(joined(&[json!("a@x"), json!("b@x")]), "a@x, b@x");
        let purchasers = [
            json!({"UserPrincipalName": "p@x", "DisplayName": "Pat", "Users": ["a@x", "b@x"]}),
            json!({"UserPrincipalName": "q@x", "DisplayName": "Quinn", "Users": []}),
            json!({"UserPrincipalName": "", "DisplayName": "Tenant", "Users": ["c@x"]}),
        ];
        assert_eq!(joined(&purchasers), "Pat <p@x>: a@x, b@x; Quinn <q@x>: ; Tenant: c@x");
    }

    #[test]
    fn rows_leave_out_the_body_and_tables_the_columns_a_screen_lacks_room_for() {
        let record = json!({"Subject": "s", "Body": "long", "To": ["a", "b"], "Created": "t"});
        assert_eq!(rows(&[&record], Format::Table).unwrap()[0], json!({"Subject": "s", "To": "a, b"}));
        assert_eq!(rows(&[&record], Format::Csv).unwrap()[0], json!({"Subject": "s", "To": "a, b", "Created": "t"}));
    }
}
