//! A [`PolicyStore`] in one SQLite file: WAL, `synchronous=FULL` (a change is on disk before
//! its answer leaves), one writer and a few read-only readers (`sqlite_connections.rs`), calls
//! run on tokio's blocking pool so a slow disk never stalls the async workers. A file that
//! cannot be written (its mode, a read-only mount) is opened read-only: reads work, writes are
//! refused as "read-only".

use std::path::Path;

use async_trait::async_trait;
use commerce_model::wire::{AuditEntry, Policy};
use commerce_model::{Catalog, PolicyId, PolicyValue, Scope, Target, TargetPolicy, trial_rule};
use rusqlite::{Connection, MAIN_DB, OptionalExtension, Transaction, TransactionBehavior, params};

use super::{ChangeContext, PolicyStore, StoreError, Versioned};

#[path = "sqlite_connections.rs"]
mod connections;
use connections::Connections;
pub use connections::StoreOptions;
#[path = "sqlite_admin.rs"]
mod admin;
#[path = "sqlite_admin_ops.rs"]
pub(super) mod ops;
#[path = "sqlite_admin_rows.rs"]
pub(super) mod rows;

/// The layout version kept in SQLite's `user_version`: a store written by a newer
/// commerce-policy is refused rather than misread.
pub const SCHEMA_VERSION: i64 = 4;

const SCHEMA: &str = include_str!("schema.sql");
const MIGRATE_1_TO_2: &str = include_str!("migrate_1_to_2.sql");
const MIGRATE_2_TO_3: &str = include_str!("migrate_2_to_3.sql");

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Backend(Box::new(e))
    }
}

/// A [`PolicyStore`] in one SQLite file.
pub struct SqliteStore {
    connections: Connections,
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path` and adds what `catalog` lists that the
    /// store lacks. Values already stored are never changed by seeding.
    pub fn open(path: &Path, catalog: &Catalog) -> Result<Self, StoreError> {
        Self::open_with(path, catalog, &StoreOptions::default())
    }

    /// As [`SqliteStore::open`], with `options`. A file SQLite can only open read-only is
    /// checked (its layout must be current) but neither migrated nor seeded.
    pub fn open_with(path: &Path, catalog: &Catalog, options: &StoreOptions) -> Result<Self, StoreError> {
        let name = path.display().to_string();
        let classify = |e: StoreError| connections::classify(e, &name);
        // SQLite opens a file it may not write read-only, silently: that is asked afterwards.
        let mut conn = Connection::open(path).map_err(|e| classify(e.into()))?;
        conn.busy_timeout(options.busy_timeout)?;
        let read_only = conn.is_readonly(MAIN_DB)?;
        if read_only {
            check_layout(&conn, &name).map_err(classify)?;
            // Info, not a warning: `serve` logs it, a CLI command over the local store stays quiet.
            tracing::info!(store = %name, "the store is read-only: reads work, changes are refused");
        } else {
            prepare(&mut conn, catalog).map_err(classify)?;
        }
        Ok(Self { connections: Connections::new(conn, Some(path), options, read_only).map_err(classify)? })
    }

    /// A store that lives in memory only, for unit tests.
    pub fn in_memory(catalog: &Catalog) -> Result<Self, StoreError> {
        let mut conn = Connection::open_in_memory()?;
        prepare(&mut conn, catalog)?;
        Ok(Self { connections: Connections::new(conn, None, &StoreOptions::default(), false)? })
    }

    /// Whether the store could only be opened read-only.
    pub fn is_read_only(&self) -> bool {
        self.connections.is_read_only()
    }
}

/// Sets the connection up and brings the layout and the seed up to date, in one transaction.
fn prepare(conn: &mut Connection, catalog: &Catalog) -> Result<(), StoreError> {
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::Newer(version));
    }
    // Older layouts are migrated in place, in the same transaction as everything else.
    if version == 1 {
        tx.execute_batch(MIGRATE_1_TO_2)?;
    }
    if (1..=2).contains(&version) {
        tx.execute_batch(MIGRATE_2_TO_3)?;
    }
    tx.execute_batch(SCHEMA)?;
    tx.execute_batch(super::ANSWERED)?;
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    seed(&tx, catalog)?;
    tx.commit()?;
    Ok(())
}

/// A read-only store can be read only in the current layout: it cannot be migrated.
fn check_layout(conn: &Connection, name: &str) -> Result<(), StoreError> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    match version {
        SCHEMA_VERSION => Ok(()),
        v if v > SCHEMA_VERSION => Err(StoreError::Newer(v)),
        0 => Err(StoreError::ReadOnly(name.to_string())),
        v => Err(StoreError::Corrupt(format!(
            "the store {name} is read-only and in an older layout ({v}): make it writable once so it can be upgraded"
        ))),
    }
}

fn seed(tx: &Transaction, catalog: &Catalog) -> Result<(), StoreError> {
    for p in &catalog.policies {
        tx.execute(
            "INSERT OR IGNORE INTO policies (id, description, default_value) VALUES (?1, ?2, ?3)",
            params![p.id.as_str(), p.description, p.default_value.as_str()],
        )?;
    }
    for p in &catalog.products {
        tx.execute(
            "INSERT OR IGNORE INTO products (id, name, trials) VALUES (?1, ?2, ?3)",
            params![p.id.as_str(), p.name, p.trials],
        )?;
        for alias in &p.former_ids {
            tx.execute(
                "INSERT OR IGNORE INTO product_aliases (alias, product_id) VALUES (?1, ?2)",
                params![alias.as_str(), p.id.as_str()],
            )?;
        }
    }
    for offer in &catalog.offer_types {
        tx.execute(
            "INSERT OR IGNORE INTO offer_types (id, name) VALUES (?1, ?2)",
            params![offer.id.as_str(), offer.name],
        )?;
    }
    // Every (policy, target) starts at the policy's default value.
    tx.execute(
        "INSERT OR IGNORE INTO scoped_values (policy_id, scope, target_id, value, version)
           SELECT policies.id, ?1, products.id, policies.default_value, 1 FROM policies, products",
        [Scope::Product.as_str()],
    )?;
    tx.execute(
        "INSERT OR IGNORE INTO scoped_values (policy_id, scope, target_id, value, version)
           SELECT policies.id, ?1, offer_types.id, policies.default_value, 1 FROM policies, offer_types",
        [Scope::OfferType.as_str()],
    )?;
    Ok(())
}

fn parse<T: std::str::FromStr>(s: String) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e: T::Err| StoreError::Corrupt(e.to_string()))
}

fn canonical_policy(conn: &Connection, id: &PolicyId) -> Result<Policy, StoreError> {
    conn.query_row("SELECT id, description, default_value FROM policies WHERE id = ?1", [id.as_str()], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
    })
    .optional()?
    .ok_or_else(|| StoreError::NotFound(format!("policy {id}")))
    .and_then(|(id, description, default)| Ok(Policy { id: parse(id)?, description, default_value: parse(default)? }))
}

/// A target as the store knows it: its canonical id (former ids resolved, the stored
/// spelling of an offer type), its name, and whether it offers trials.
struct TargetRow {
    target: Target,
    name: String,
    trials: bool,
}

fn target_row(conn: &Connection, target: &Target) -> Result<TargetRow, StoreError> {
    let sql = match target {
        Target::Product(_) => {
            "SELECT id, name, trials FROM products
              WHERE id = COALESCE((SELECT product_id FROM product_aliases WHERE alias = ?1), ?1)"
        }
        Target::OfferType(_) => "SELECT id, name, 0 FROM offer_types WHERE id = ?1",
    };
    let row = conn
        .query_row(sql, [target.id()], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, bool>(2)?)))
        .optional()?
        .ok_or_else(|| StoreError::NotFound(target.to_string()))?;
    let (id, name, trials) = row;
    let target = Target::parse(target.scope(), &id).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(TargetRow { target, name, trials })
}

fn stored_value(conn: &Connection, policy: &PolicyId, target: &Target) -> Result<(PolicyValue, u64), StoreError> {
    let (value, version) = conn
        .query_row(
            "SELECT value, version FROM scoped_values WHERE policy_id = ?1 AND scope = ?2 AND target_id = ?3",
            params![policy.as_str(), target.scope().as_str(), target.id()],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
        )
        .optional()?
        .ok_or_else(|| StoreError::Corrupt(format!("no value of {policy} for {target}")))?;
    let row = || format!("the stored value of {policy} for {target}");
    Ok((parse(value).map_err(in_row(row()))?, stored_version(version).map_err(in_row(row()))?))
}

/// Names the row a damaged value was read from, so whoever repairs the store knows where.
fn in_row(row: String) -> impl FnOnce(StoreError) -> StoreError {
    move |e| match e {
        StoreError::Corrupt(why) => StoreError::Corrupt(format!("{row}: {why}")),
        other => other,
    }
}

/// Writes a new value (if it differs) with its audit entry; returns the version it has.
fn write_value(
    tx: &Transaction,
    policy: &PolicyId,
    row: &TargetRow,
    value: PolicyValue,
    ctx: &ChangeContext,
) -> Result<u64, StoreError> {
    let (old, version) = stored_value(tx, policy, &row.target)?;
    if !ctx.expected.allows(version) {
        return Err(StoreError::VersionMismatch { target: row.target.clone(), current: version });
    }
    if old == value {
        return Ok(version);
    }
    let (scope, target_id) = (row.target.scope().as_str(), row.target.id());
    tx.execute(
        "UPDATE scoped_values SET value = ?4, version = version + 1
          WHERE policy_id = ?1 AND scope = ?2 AND target_id = ?3",
        params![policy.as_str(), scope, target_id, value.as_str()],
    )?;
    tx.execute(
        "INSERT INTO audit (at, actor, policy_id, scope, target_id, target_name, old_value, new_value, correlation_id,
                            actor_object_id, actor_app_id, actor_upn)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string(),
            ctx.actor.name,
            policy.as_str(),
            scope,
            target_id,
            row.name,
            old.as_str(),
            value.as_str(),
            ctx.correlation_id,
            ctx.actor.object_id,
            ctx.actor.app_id,
            ctx.actor.upn,
        ],
    )?;
    Ok(version + 1)
}

fn list_values(conn: &Connection, policy: &PolicyId, scope: Scope) -> Result<Vec<Versioned<TargetPolicy>>, StoreError> {
    let policy = canonical_policy(conn, policy)?;
    let sql = match scope {
        Scope::Product => {
            "SELECT products.id, products.name, v.value, v.version FROM products
               JOIN scoped_values v ON v.target_id = products.id
              WHERE v.policy_id = ?1 AND v.scope = ?2 ORDER BY products.name"
        }
        Scope::OfferType => {
            "SELECT offer_types.id, offer_types.name, v.value, v.version FROM offer_types
               JOIN scoped_values v ON v.target_id = offer_types.id
              WHERE v.policy_id = ?1 AND v.scope = ?2 ORDER BY offer_types.id"
        }
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params![policy.id.as_str(), scope.as_str()], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?))
    })?;
    rows.map(|row| {
        let (id, name, value, version) = row?;
        let at = || format!("the stored value of {} for {scope} {id}", policy.id);
        let target = Target::parse(scope, &id).map_err(|e| StoreError::Corrupt(format!("{}: {e}", at())))?;
        let value = parse(value).map_err(in_row(at()))?;
        let version = stored_version(version).map_err(in_row(at()))?;
        Ok(Versioned { value: TargetPolicy { policy_id: policy.id.clone(), target, name, value }, version })
    })
    .collect()
}

/// SQLite keeps integers signed; versions start at 1 and only grow.
fn stored_version(version: i64) -> Result<u64, StoreError> {
    u64::try_from(version).map_err(|_| StoreError::Corrupt(format!("version {version} is negative")))
}

/// An audit row as stored; its values are parsed in [`AuditRow::into_entry`], so a damaged
/// one is a [`StoreError`] rather than a SQLite conversion error.
struct AuditRow {
    id: i64,
    at: String,
    actor: String,
    policy_id: String,
    scope: String,
    target_id: String,
    target_name: String,
    old_value: String,
    new_value: String,
    correlation_id: String,
    actor_object_id: Option<String>,
    actor_app_id: Option<String>,
    actor_upn: Option<String>,
}

impl AuditRow {
    fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            at: r.get(1)?,
            actor: r.get(2)?,
            policy_id: r.get(3)?,
            scope: r.get(4)?,
            target_id: r.get(5)?,
            target_name: r.get(6)?,
            old_value: r.get(7)?,
            new_value: r.get(8)?,
            correlation_id: r.get(9)?,
            actor_object_id: r.get(10)?,
            actor_app_id: r.get(11)?,
            actor_upn: r.get(12)?,
        })
    }

    fn into_entry(self) -> Result<AuditEntry, StoreError> {
        Ok(AuditEntry {
            id: self.id,
            at: self.at,
            actor: self.actor,
            actor_object_id: self.actor_object_id,
            actor_app_id: self.actor_app_id,
            actor_upn: self.actor_upn,
            policy_id: parse(self.policy_id)?,
            scope: parse(self.scope)?,
            target_id: self.target_id,
            target_name: self.target_name,
            old_value: parse(self.old_value)?,
            new_value: parse(self.new_value)?,
            correlation_id: self.correlation_id,
        })
    }
}

#[async_trait]
impl PolicyStore for SqliteStore {
    async fn policies(&self) -> Result<Vec<Policy>, StoreError> {
        self.connections
            .read(|conn| {
                let mut stmt =
                    conn.prepare_cached("SELECT id, description, default_value FROM policies ORDER BY id")?;
                let rows = stmt
                    .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?;
                rows.map(|row| {
                    let (id, description, default) = row?;
                    Ok(Policy { id: parse(id)?, description, default_value: parse(default)? })
                })
                .collect()
            })
            .await
    }

    async fn policy(&self, id: &PolicyId) -> Result<Versioned<Policy>, StoreError> {
        let id = id.clone();
        // Policies themselves are not changed through the API: they stay at version 1.
        self.connections.read(move |conn| Ok(Versioned { value: canonical_policy(conn, &id)?, version: 1 })).await
    }

    async fn values(&self, policy: &PolicyId, scope: Scope) -> Result<Vec<Versioned<TargetPolicy>>, StoreError> {
        let policy = policy.clone();
        self.connections.read(move |conn| list_values(conn, &policy, scope)).await
    }

    async fn value(&self, policy: &PolicyId, target: &Target) -> Result<Versioned<TargetPolicy>, StoreError> {
        let (policy, target) = (policy.clone(), target.clone());
        self.connections
            .read(move |conn| {
                let policy = canonical_policy(conn, &policy)?;
                let row = target_row(conn, &target)?;
                let (value, version) = stored_value(conn, &policy.id, &row.target)?;
                let value = TargetPolicy { policy_id: policy.id, target: row.target, name: row.name, value };
                Ok(Versioned { value, version })
            })
            .await
    }

    async fn set_value(
        &self,
        policy: &PolicyId,
        target: &Target,
        value: PolicyValue,
        ctx: &ChangeContext,
    ) -> Result<Versioned<TargetPolicy>, StoreError> {
        let (policy, target, ctx) = (policy.clone(), target.clone(), ctx.clone());
        self.connections
            .write(move |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let policy = canonical_policy(&tx, &policy)?;
                let row = target_row(&tx, &target)?;
                trial_rule(&row.target, &row.name, row.trials, value)?;
                let version = write_value(&tx, &policy.id, &row, value, &ctx)?;
                tx.commit()?;
                let value = TargetPolicy { policy_id: policy.id, target: row.target, name: row.name, value };
                Ok(Versioned { value, version })
            })
            .await
    }

    async fn audit(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        self.connections
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(
                "SELECT id, at, actor, policy_id, scope, target_id, target_name, old_value, new_value, correlation_id,
                        actor_object_id, actor_app_id, actor_upn
                   FROM audit ORDER BY id DESC LIMIT ?1",
            )?;
                let rows = stmt.query_map([limit], AuditRow::read)?;
                rows.map(|row| row?.into_entry()).collect()
            })
            .await
    }

    async fn readiness(&self) -> Result<(), StoreError> {
        self.connections.readiness(SCHEMA_VERSION).await
    }

    async fn change_token(&self) -> Result<Option<u64>, StoreError> {
        self.connections.change_token().await.map(Some)
    }

    fn pool_usage(&self) -> Option<super::PoolUsage> {
        Some(self.connections.usage())
    }
}

#[cfg(test)]
#[path = "sqlite_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "sqlite_admin_tests.rs"]
mod admin_tests;
