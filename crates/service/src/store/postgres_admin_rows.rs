//! Reading the administration's rows from PostgreSQL, into the same row types as SQLite's
//! store (`sqlite_admin_rows.rs`), so the rules and the wire shapes are shared.

use std::collections::HashMap;

use commerce_model::admin::{AdminAuditEntry, LicenseHolder, LicenseSummary, Notification, Price, User};
use commerce_model::{ProductId, Target};
use tokio_postgres::types::ToSql;
use tokio_postgres::{GenericClient, Row};

use super::{parse, target_row, version_of};
use crate::store::sqlite::rows::{SubscriptionRow, summarize, unknown_users};
use crate::store::{Rule, StoreError, SubscriptionFilter};

const USER_COLUMNS: &str = "id, upn, display_name, mail";

fn read_user(r: &Row) -> User {
    User { id: r.get(0), user_principal_name: r.get(1), display_name: r.get(2), mail: r.get(3) }
}

pub(super) async fn find_user(c: &impl GenericClient, key: &str) -> Result<Option<User>, StoreError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1 OR upn = $1");
    Ok(c.query_opt(&sql, &[&key]).await?.as_ref().map(read_user))
}

pub(super) async fn all_users(c: &impl GenericClient) -> Result<Vec<User>, StoreError> {
    let rows = c.query(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY upn"), &[]).await?;
    Ok(rows.iter().map(read_user).collect())
}

/// The users named, in the order given; unknown ones are a 404 that names them all.
pub(super) async fn users_named(c: &impl GenericClient, names: &[String]) -> Result<Vec<User>, StoreError> {
    let mut found: Vec<User> = Vec::new();
    let mut unknown = Vec::new();
    for name in names {
        match find_user(c, name).await? {
            Some(user) if !found.iter().any(|u| u.id == user.id) => found.push(user),
            Some(_) => {}
            None => unknown.push(name.as_str()),
        }
    }
    if !unknown.is_empty() {
        return Err(unknown_users(&unknown));
    }
    Ok(found)
}

/// The WHERE clause of a filter (or of one id) and its parameters.
fn conditions(filter: &SubscriptionFilter, product: Option<String>, id: Option<&str>) -> (String, Vec<String>) {
    let mut clauses: Vec<String> = Vec::new();
    let mut args: Vec<String> = Vec::new();
    let mut arg = |clauses: &mut Vec<String>, sql: &str, value: String| {
        args.push(value);
        clauses.push(sql.replace('?', &format!("${}", args.len())));
    };
    if let Some(id) = id {
        arg(&mut clauses, "s.id = ?", id.to_string());
    }
    if filter.self_service {
        clauses.push("s.owner_id IS NOT NULL".into());
    }
    if let Some(product) = product {
        arg(&mut clauses, "s.product_id = ?", product);
    }
    if let Some(purchaser) = &filter.purchaser {
        arg(&mut clauses, "s.owner_id IN (SELECT id FROM users WHERE upn = ? OR id = ?)", purchaser.clone());
    }
    if let Some(status) = filter.status {
        arg(&mut clauses, "s.status = ?", status.as_str().to_string());
    }
    if let Some(user) = &filter.visible_to {
        arg(&mut clauses, "s.owner_id = ?", user.clone());
    }
    let clause = if clauses.is_empty() { String::new() } else { format!("WHERE {}", clauses.join(" AND ")) };
    (clause, args)
}

fn read_subscription(r: &Row) -> Result<SubscriptionRow, StoreError> {
    let owner = r.get::<_, Option<String>>(3).map(|id| User {
        id,
        user_principal_name: r.get(4),
        display_name: r.get(5),
        mail: r.get(6),
    });
    let price = match (r.get(11), r.get(12), r.get(13)) {
        (Some(amount), Some(currency), Some(billing_period)) => Some(Price { amount, currency, billing_period }),
        _ => None,
    };
    let quantity: i64 = r.get(7);
    Ok(SubscriptionRow {
        id: r.get(0),
        product_id: r.get(1),
        product_name: r.get(2),
        owner,
        quantity: u32::try_from(quantity).map_err(|_| StoreError::Corrupt(format!("quantity {quantity}")))?,
        status: parse(r.get(8))?,
        trial: r.get(9),
        created: r.get(10),
        expires: r.get(15),
        price,
        version: version_of(r, 14)?,
        holders: Vec::new(),
    })
}

/// The subscriptions a filter selects (or the one `id`), each with its holders: two queries.
async fn select(
    c: &impl GenericClient,
    filter: &SubscriptionFilter,
    id: Option<&str>,
) -> Result<Vec<SubscriptionRow>, StoreError> {
    let product = match &filter.product_id {
        Some(p) => Some(target_row(c, &Target::Product(p.clone())).await?.target.id().to_string()),
        None => None,
    };
    let (filter, args) = conditions(filter, product, id);
    let params: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| a as &(dyn ToSql + Sync)).collect();
    let sql = format!(
        "SELECT s.id, s.product_id, p.name, s.owner_id, o.upn, o.display_name, o.mail, s.quantity, s.status, s.trial,
                s.created, s.price_amount, s.price_currency, s.price_period, s.version, s.expires
           FROM subscriptions s JOIN products p ON p.id = s.product_id LEFT JOIN users o ON o.id = s.owner_id
           {filter} ORDER BY s.created, s.id"
    );
    let mut rows: Vec<SubscriptionRow> =
        c.query(&sql, &params).await?.iter().map(read_subscription).collect::<Result<_, _>>()?;
    let sql = format!(
        "SELECT a.subscription_id, u.id, u.upn FROM assignments a JOIN users u ON u.id = a.user_id
           JOIN subscriptions s ON s.id = a.subscription_id {filter} ORDER BY u.upn"
    );
    let mut holders: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for row in c.query(&sql, &params).await? {
        let subscription: String = row.get(0);
        holders.entry(subscription.to_lowercase()).or_default().push((row.get(1), row.get(2)));
    }
    for row in &mut rows {
        row.holders = holders.remove(&row.id.to_lowercase()).unwrap_or_default();
    }
    Ok(rows)
}

pub(super) async fn subscriptions(
    c: &impl GenericClient,
    filter: &SubscriptionFilter,
) -> Result<Vec<SubscriptionRow>, StoreError> {
    select(c, filter, None).await
}

/// One subscription, or a 404 naming it.
pub(super) async fn subscription(c: &impl GenericClient, id: &str) -> Result<SubscriptionRow, StoreError> {
    select(c, &SubscriptionFilter::default(), Some(id))
        .await?
        .pop()
        .ok_or_else(|| StoreError::NotFound(format!("subscription {id}")))
}

pub(super) async fn licenses(
    c: &impl GenericClient,
    self_service: bool,
    product: Option<&ProductId>,
    visible_to: Option<&str>,
) -> Result<Vec<LicenseSummary>, StoreError> {
    let filter = SubscriptionFilter {
        self_service,
        product_id: product.cloned(),
        status: Some(commerce_model::admin::SubscriptionStatus::Active),
        visible_to: visible_to.map(str::to_string),
        ..SubscriptionFilter::default()
    };
    summarize(subscriptions(c, &filter).await?)
}

pub(super) async fn holders(
    c: &impl GenericClient,
    ids: &[String],
    visible_to: Option<&str>,
) -> Result<Vec<LicenseHolder>, StoreError> {
    let mut out = Vec::new();
    for id in ids {
        let row = subscription(c, id).await?;
        if let Some(user) = visible_to
            && row.owner.as_ref().is_none_or(|o| !o.id.eq_ignore_ascii_case(user))
        {
            return Err(StoreError::rule(
                Rule::Forbidden,
                format!("subscription {id} is not yours: a user sees only the subscriptions they bought"),
            ));
        }
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id IN (SELECT user_id FROM assignments WHERE subscription_id = $1) ORDER BY upn"
        );
        for user in c.query(&sql, &[&row.id]).await?.iter().map(read_user) {
            out.push(LicenseHolder {
                user_principal_name: user.user_principal_name,
                display_name: user.display_name,
                mail: user.mail,
                product_id: parse(row.product_id.clone())?,
                product_name: row.product_name.clone(),
                subscription_id: row.id.clone(),
                purchaser: row.owner.as_ref().map(|o| o.user_principal_name.clone()),
            });
        }
    }
    Ok(out)
}

pub(super) async fn notifications(c: &impl GenericClient, limit: u32) -> Result<Vec<Notification>, StoreError> {
    let rows = c
        .query(
            "SELECT id, kind, recipient, subject, body, subscription_id, created, state, attempts, delivered
               FROM notifications ORDER BY seq DESC LIMIT $1",
            &[&i64::from(limit)],
        )
        .await?;
    rows.iter()
        .map(|r| {
            let attempts: i64 = r.get(8);
            Ok(Notification {
                id: r.get(0),
                kind: parse(r.get(1))?,
                recipient: r.get(2),
                subject: r.get(3),
                body: r.get(4),
                subscription_id: r.get(5),
                created: r.get(6),
                state: parse(r.get(7))?,
                attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                delivered: r.get(9),
            })
        })
        .collect()
}

pub(super) async fn admin_audit(c: &impl GenericClient, limit: u32) -> Result<Vec<AdminAuditEntry>, StoreError> {
    let rows = c
        .query(
            "SELECT id, at, actor, actor_object_id, actor_upn, action, subject_id, before, after, correlation_id
               FROM admin_audit ORDER BY id DESC LIMIT $1",
            &[&i64::from(limit)],
        )
        .await?;
    let json = |text: Option<String>| text.and_then(|t| serde_json::from_str(&t).ok());
    Ok(rows
        .iter()
        .map(|r| AdminAuditEntry {
            id: r.get(0),
            at: r.get(1),
            actor: r.get(2),
            actor_object_id: r.get(3),
            actor_upn: r.get(4),
            action: r.get(5),
            subject_id: r.get(6),
            before: json(r.get(7)),
            after: json(r.get(8)),
            correlation_id: r.get(9),
        })
        .collect())
}
