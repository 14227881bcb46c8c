//! Reading the administration's rows from SQLite: users, subscriptions with their holders
//! (one query for the subscriptions, one for all their holders: no query per subscription),
//! license summaries and holders, the outbox and the audit log.

use std::collections::HashMap;

use commerce_model::admin::{
    AdminAuditEntry, LicenseHolder, LicenseSummary, Notification, OwnerType, Price, PurchaserLicenses, Subscription,
    SubscriptionStatus, User, UserRef,
};
use commerce_model::{ProductId, Target};
use rusqlite::{Connection, OptionalExtension};

use super::{parse, stored_version, target_row};
use crate::store::{Rule, StoreError, SubscriptionFilter, Versioned};

pub(super) const USER_COLUMNS: &str = "id, upn, display_name, mail";

pub(super) fn read_user(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    Ok(User { id: r.get(0)?, user_principal_name: r.get(1)?, display_name: r.get(2)?, mail: r.get(3)? })
}

/// The user with this object id or principal name.
pub(super) fn find_user(conn: &Connection, key: &str) -> Result<Option<User>, StoreError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1 OR upn = ?1");
    Ok(conn.query_row(&sql, [key], read_user).optional()?)
}

pub(super) fn all_users(conn: &Connection) -> Result<Vec<User>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY upn"))?;
    let rows = stmt.query_map([], read_user)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The users named by principal name (or object id), in the order given; unknown ones are a
/// 404 that names them all.
pub(super) fn users_named(conn: &Connection, names: &[String]) -> Result<Vec<User>, StoreError> {
    let mut found = Vec::new();
    let mut unknown = Vec::new();
    for name in names {
        match find_user(conn, name)? {
            Some(user) if !found.iter().any(|u: &User| u.id == user.id) => found.push(user),
            Some(_) => {}
            None => unknown.push(name.as_str()),
        }
    }
    if !unknown.is_empty() {
        return Err(unknown_users(&unknown));
    }
    Ok(found)
}

/// The 404 of users named that are not in the directory, naming them all.
pub(crate) fn unknown_users(unknown: &[&str]) -> StoreError {
    let (them, are) = if unknown.len() == 1 { ("user", "is") } else { ("users", "are") };
    StoreError::Unknown(format!(
        "the {them} {} {are} not in the directory: add them first (nothing was changed)",
        unknown.join(", ")
    ))
}

/// A subscription as stored, with its owner and holders (object id and principal name).
pub(crate) struct SubscriptionRow {
    pub id: String,
    pub product_id: String,
    pub product_name: String,
    pub owner: Option<User>,
    pub quantity: u32,
    pub status: SubscriptionStatus,
    pub trial: bool,
    pub created: String,
    pub expires: String,
    pub price: Option<Price>,
    pub version: u64,
    pub holders: Vec<(String, String)>,
}

impl SubscriptionRow {
    pub fn available(&self) -> u32 {
        self.quantity.saturating_sub(self.holders.len() as u32)
    }

    pub fn holds(&self, user_id: &str) -> bool {
        self.holders.iter().any(|(id, _)| id.eq_ignore_ascii_case(user_id))
    }

    pub fn into_wire(self, with_etag: bool) -> Result<Versioned<Subscription>, StoreError> {
        let assigned = self.holders.len() as u32;
        let value = Subscription {
            product_id: parse(self.product_id)?,
            product_name: self.product_name,
            owner_type: if self.owner.is_some() { OwnerType::User } else { OwnerType::Tenant },
            purchaser: self
                .owner
                .map(|o| UserRef { user_principal_name: o.user_principal_name, display_name: o.display_name }),
            quantity: self.quantity,
            assigned_licenses: assigned,
            available_licenses: self.quantity.saturating_sub(assigned),
            status: self.status,
            is_trial: self.trial,
            created: self.created,
            expires_on: self.expires,
            price: self.price,
            assigned_users: self.holders.into_iter().map(|(_, upn)| upn).collect(),
            etag: with_etag.then(|| crate::etag::etag(self.version)),
            id: self.id,
        };
        Ok(Versioned { value, version: self.version })
    }
}

const SUBSCRIPTION_FROM: &str = "FROM subscriptions s JOIN products p ON p.id = s.product_id
      LEFT JOIN users o ON o.id = s.owner_id";

/// The WHERE clause of a filter (or of one id) and its parameters: only the conditions asked
/// for, so SQLite can use the indexes on id, product, owner and status.
fn conditions(
    filter: &SubscriptionFilter,
    product: Option<String>,
    id: Option<&str>,
) -> (String, Vec<Box<dyn rusqlite::ToSql>>) {
    let mut clauses: Vec<&str> = Vec::new();
    let mut args: Vec<Box<dyn rusqlite::ToSql>> = Vec::new();
    if let Some(id) = id {
        clauses.push("s.id = ?");
        args.push(Box::new(id.to_string()));
    }
    if filter.self_service {
        clauses.push("s.owner_id IS NOT NULL");
    }
    if let Some(product) = product {
        clauses.push("s.product_id = ?");
        args.push(Box::new(product));
    }
    if let Some(purchaser) = &filter.purchaser {
        clauses.push("s.owner_id IN (SELECT id FROM users WHERE upn = ? OR id = ?)");
        args.push(Box::new(purchaser.clone()));
        args.push(Box::new(purchaser.clone()));
    }
    if let Some(status) = filter.status {
        clauses.push("s.status = ?");
        args.push(Box::new(status.as_str()));
    }
    if let Some(user) = &filter.visible_to {
        clauses.push("s.owner_id = ?");
        args.push(Box::new(user.clone()));
    }
    let clause = if clauses.is_empty() { String::new() } else { format!("WHERE {}", clauses.join(" AND ")) };
    (clause, args)
}

fn read_subscription(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<SubscriptionRow, StoreError>> {
    let owner = match r.get::<_, Option<String>>(3)? {
        Some(id) => Some(User { id, user_principal_name: r.get(4)?, display_name: r.get(5)?, mail: r.get(6)? }),
        None => None,
    };
    let price =
        match (r.get::<_, Option<String>>(11)?, r.get::<_, Option<String>>(12)?, r.get::<_, Option<String>>(13)?) {
            (Some(amount), Some(currency), Some(billing_period)) => Some(Price { amount, currency, billing_period }),
            _ => None,
        };
    let (status, version): (String, i64) = (r.get(8)?, r.get(14)?);
    Ok((|| {
        Ok(SubscriptionRow {
            id: r.get(0)?,
            product_id: r.get(1)?,
            product_name: r.get(2)?,
            owner,
            quantity: r.get(7)?,
            status: parse(status)?,
            trial: r.get(9)?,
            created: r.get(10)?,
            expires: r.get(15)?,
            price,
            version: stored_version(version)?,
            holders: Vec::new(),
        })
    })())
}

/// The subscriptions a filter selects (or the one `id`), each with its holders: two queries.
fn select(
    conn: &Connection,
    filter: &SubscriptionFilter,
    id: Option<&str>,
) -> Result<Vec<SubscriptionRow>, StoreError> {
    let product = match &filter.product_id {
        Some(p) => Some(target_row(conn, &Target::Product(p.clone()))?.target.id().to_string()),
        None => None,
    };
    let (filter, args) = conditions(filter, product, id);
    let sql = format!(
        "SELECT s.id, s.product_id, p.name, s.owner_id, o.upn, o.display_name, o.mail, s.quantity, s.status, s.trial,
                s.created, s.price_amount, s.price_currency, s.price_period, s.version, s.expires
           {SUBSCRIPTION_FROM} {filter} ORDER BY s.created, s.id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows: Vec<SubscriptionRow> = stmt
        .query_map(rusqlite::params_from_iter(args.iter()), read_subscription)?
        .collect::<Result<Result<_, _>, _>>()??;
    let sql = format!(
        "SELECT a.subscription_id, u.id, u.upn FROM assignments a JOIN users u ON u.id = a.user_id
           JOIN subscriptions s ON s.id = a.subscription_id
           {filter} ORDER BY u.upn"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut holders: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for row in stmt.query_map(rusqlite::params_from_iter(args.iter()), |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
    })? {
        let (subscription, user, upn) = row?;
        holders.entry(subscription.to_ascii_lowercase()).or_default().push((user, upn));
    }
    for row in &mut rows {
        row.holders = holders.remove(&row.id.to_ascii_lowercase()).unwrap_or_default();
    }
    Ok(rows)
}

pub(super) fn subscriptions(
    conn: &Connection,
    filter: &SubscriptionFilter,
) -> Result<Vec<SubscriptionRow>, StoreError> {
    select(conn, filter, None)
}

/// One subscription, or a 404 naming it.
pub(super) fn subscription(conn: &Connection, id: &str) -> Result<SubscriptionRow, StoreError> {
    select(conn, &SubscriptionFilter::default(), Some(id))?
        .pop()
        .ok_or_else(|| StoreError::NotFound(format!("subscription {id}")))
}

/// Refuses a change to a cancelled subscription.
pub(crate) fn active(row: &SubscriptionRow) -> Result<(), StoreError> {
    if row.status == SubscriptionStatus::Deleted {
        return Err(StoreError::rule(
            Rule::SubscriptionDeleted,
            format!("subscription {} is cancelled (Deleted): it was taken over or cancelled already", row.id),
        ));
    }
    Ok(())
}

/// Per product: the licenses of its subscriptions and their users grouped by purchaser.
pub(super) fn licenses(
    conn: &Connection,
    self_service: bool,
    product: Option<&ProductId>,
    visible_to: Option<&str>,
) -> Result<Vec<LicenseSummary>, StoreError> {
    let filter = SubscriptionFilter {
        self_service,
        product_id: product.cloned(),
        status: Some(SubscriptionStatus::Active),
        visible_to: visible_to.map(str::to_string),
        ..SubscriptionFilter::default()
    };
    summarize(subscriptions(conn, &filter)?)
}

/// Per product, the licenses of `rows` (active subscriptions) with their users by purchaser.
pub(crate) fn summarize(rows: Vec<SubscriptionRow>) -> Result<Vec<LicenseSummary>, StoreError> {
    let mut summaries: Vec<LicenseSummary> = Vec::new();
    for row in rows {
        let index = match summaries.iter().position(|s| s.product_id.as_str() == row.product_id) {
            Some(i) => i,
            None => {
                summaries.push(LicenseSummary {
                    product_id: parse(row.product_id.clone())?,
                    product_name: row.product_name.clone(),
                    total_licenses: 0,
                    assigned_licenses: 0,
                    available_licenses: 0,
                    purchasers: Vec::new(),
                });
                summaries.len() - 1
            }
        };
        add_to_summary(&mut summaries[index], row);
    }
    summaries.sort_by(|a, b| a.product_name.cmp(&b.product_name));
    Ok(summaries)
}

fn add_to_summary(summary: &mut LicenseSummary, row: SubscriptionRow) {
    summary.total_licenses += row.quantity;
    summary.assigned_licenses += row.holders.len() as u32;
    summary.available_licenses = summary.total_licenses.saturating_sub(summary.assigned_licenses);
    // The tenant's own subscriptions are grouped under an empty purchaser.
    let purchaser = row.owner.map_or_else(
        || UserRef { user_principal_name: String::new(), display_name: "Tenant".into() },
        |o| UserRef { user_principal_name: o.user_principal_name, display_name: o.display_name },
    );
    let group = match summary.purchasers.iter().position(|p| p.purchaser == purchaser) {
        Some(i) => &mut summary.purchasers[i],
        None => {
            summary.purchasers.push(PurchaserLicenses { purchaser, users: Vec::new() });
            summary.purchasers.last_mut().expect("just pushed")
        }
    };
    for (_, upn) in row.holders {
        if !group.users.contains(&upn) {
            group.users.push(upn);
        }
    }
}

/// The users holding licenses of the subscriptions named, one row per license.
/// The holders of the subscriptions `ids`, in the order asked, users by name: one query to
/// check that each exists (and is the caller's, for a user) and one for every holder, however
/// many subscriptions are asked for.
pub(super) fn holders(
    conn: &Connection,
    ids: &[String],
    visible_to: Option<&str>,
) -> Result<Vec<LicenseHolder>, StoreError> {
    let wanted = serde_json::Value::from(ids.to_vec()).to_string();
    check_visible(conn, &wanted, visible_to)?;
    let mut stmt = conn.prepare_cached(
        "SELECT u.upn, u.display_name, u.mail, s.product_id, p.name, s.id, o.upn
           FROM (SELECT MIN(key) AS position, value FROM json_each(?1) GROUP BY value COLLATE NOCASE) w
           JOIN subscriptions s ON s.id = w.value
           JOIN products p ON p.id = s.product_id
           LEFT JOIN users o ON o.id = s.owner_id
           JOIN assignments a ON a.subscription_id = s.id
           JOIN users u ON u.id = a.user_id
          ORDER BY w.position, u.upn",
    )?;
    let rows = stmt.query_map([&wanted], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, Option<String>>(6)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (upn, display_name, mail, product_id, product_name, subscription_id, purchaser) = row?;
        out.push(LicenseHolder {
            user_principal_name: upn,
            display_name,
            mail,
            product_id: parse(product_id)?,
            product_name,
            subscription_id,
            purchaser,
        });
    }
    Ok(out)
}

/// Refuses the first of `wanted` (a JSON array of ids) that does not exist (404) or, for a
/// user, is not theirs.
fn check_visible(conn: &Connection, wanted: &str, visible_to: Option<&str>) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT w.value, s.id IS NOT NULL, s.owner_id FROM json_each(?1) w
           LEFT JOIN subscriptions s ON s.id = w.value ORDER BY w.key",
    )?;
    let rows = stmt
        .query_map([wanted], |r| Ok((r.get::<_, String>(0)?, r.get::<_, bool>(1)?, r.get::<_, Option<String>>(2)?)))?;
    for row in rows {
        let (id, exists, owner) = row?;
        if !exists {
            return Err(StoreError::NotFound(format!("subscription {id}")));
        }
        if let Some(user) = visible_to
            && owner.as_deref().is_none_or(|o| !o.eq_ignore_ascii_case(user))
        {
            return Err(StoreError::rule(
                Rule::Forbidden,
                format!("subscription {id} is not yours: a user sees only the subscriptions they bought"),
            ));
        }
    }
    Ok(())
}

pub(super) const NOTIFICATION_COLUMNS: &str =
    "id, kind, recipient, subject, body, subscription_id, created, state, attempts, delivered";

pub(super) fn read_notification(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<Notification, StoreError>> {
    let (kind, state): (String, String) = (r.get(1)?, r.get(7)?);
    let (id, recipient, subject, body, subscription_id, created) =
        (r.get(0)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?);
    let (attempts, delivered) = (r.get(8)?, r.get(9)?);
    Ok((|| {
        Ok(Notification {
            id,
            kind: parse(kind)?,
            recipient,
            subject,
            body,
            subscription_id,
            created,
            state: parse(state)?,
            attempts,
            delivered,
        })
    })())
}

pub(super) fn notifications(conn: &Connection, limit: u32) -> Result<Vec<Notification>, StoreError> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {NOTIFICATION_COLUMNS} FROM notifications ORDER BY seq DESC LIMIT ?1"))?;
    let rows = stmt.query_map([limit], read_notification)?;
    rows.map(|r| r?).collect()
}

pub(super) fn admin_audit(conn: &Connection, limit: u32) -> Result<Vec<AdminAuditEntry>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, actor, actor_object_id, actor_upn, action, subject_id, before, after, correlation_id
           FROM admin_audit ORDER BY id DESC LIMIT ?1",
    )?;
    let json = |text: Option<String>| text.and_then(|t| serde_json::from_str(&t).ok());
    let rows = stmt.query_map([limit], |r| {
        Ok(AdminAuditEntry {
            id: r.get(0)?,
            at: r.get(1)?,
            actor: r.get(2)?,
            actor_object_id: r.get(3)?,
            actor_upn: r.get(4)?,
            action: r.get(5)?,
            subject_id: r.get(6)?,
            before: json(r.get(7)?),
            after: json(r.get(8)?),
            correlation_id: r.get(9)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
