//! A [`PolicyStore`] in PostgreSQL, for several `serve` replicas on one database: a pool of
//! connections (deadpool-postgres; TLS by rustls when the URL's `sslmode` asks), the layout applied
//! at start under an advisory lock, `If-Match` decided in the database (the value's row is
//! locked with `SELECT … FOR UPDATE` before its version is compared), every administration
//! change one REPEATABLE READ transaction retried on a serialization failure, and the audit
//! logs written under one transaction-scoped advisory lock, so their ids follow commit order.
//! A database that cannot be reached answers [`StoreError::Unavailable`] (503), never a hang
//! past the statement timeout.

use std::time::Duration;

use async_trait::async_trait;
use commerce_model::wire::{AuditEntry, Policy};
use commerce_model::{Catalog, PolicyId, PolicyValue, Scope, Target, TargetPolicy, trial_rule};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::{GenericClient, NoTls, Row};

use super::{ChangeContext, PolicyStore, SCHEMA_VERSION, StoreError, Versioned};

#[path = "postgres_admin.rs"]
mod admin;
#[path = "postgres_errors.rs"]
mod errors;
#[path = "postgres_admin_ops.rs"]
mod ops;
#[path = "postgres_admin_rows.rs"]
mod rows;
#[path = "postgres_tls.rs"]
mod tls;

pub use errors::redacted;

/// The first layout of this store: the tables of SQLite's layout 3.
const SCHEMA: &str = include_str!("postgres_schema.sql");
/// The advisory lock that start-up migrations hold, so replicas starting together take turns.
const MIGRATION_LOCK: i64 = 0x636f_6d6d_6572_6365;
/// The transaction-scoped advisory lock held by every write of an audit entry.
const AUDIT_LOCK: i64 = 0x636f_6d6d_6175_6474;

/// The bounds of `serve`'s PostgreSQL options.
pub const POOL_SIZE_RANGE: std::ops::RangeInclusive<usize> = 1..=1000;
pub const STATEMENT_TIMEOUT_RANGE: std::ops::RangeInclusive<Duration> =
    Duration::from_millis(100)..=Duration::from_secs(600);
pub const CONNECT_RETRIES_RANGE: std::ops::RangeInclusive<u32> = 0..=1000;
pub const MAIL_LEASE_RANGE: std::ops::RangeInclusive<Duration> = Duration::from_secs(1)..=Duration::from_secs(3600);

/// How a PostgreSQL store is opened.
#[derive(Debug, Clone)]
pub struct PostgresOptions {
    /// Connections in the pool (per replica).
    pub pool_size: usize,
    /// Longest a statement (and a wait for a pooled connection) may take before it is
    /// answered 503.
    pub statement_timeout: Duration,
    /// How often opening retries (a second apart) a database that cannot be reached yet.
    pub connect_retries: u32,
    /// How long a replica holds a notification it took for delivery; one that died
    /// mid-delivery lets it lapse and another replica delivers it (at least once).
    pub mail_lease: Duration,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        Self {
            pool_size: 16,
            statement_timeout: Duration::from_secs(5),
            connect_retries: 10,
            mail_lease: Duration::from_secs(60),
        }
    }
}

/// A [`PolicyStore`] and [`super::AdminStore`] in a PostgreSQL database.
pub struct PostgresStore {
    pool: Pool,
    /// The URL without its password, for messages.
    name: String,
    mail_lease: Duration,
}

impl PostgresStore {
    /// Connects to `url` (retrying while it cannot be reached), applies the layout and seeds
    /// what `catalog` lists that the database lacks.
    pub async fn open(url: &str, catalog: &Catalog, options: &PostgresOptions) -> Result<Self, StoreError> {
        let name = redacted(url);
        let (url, tls) = tls::split(url)?;
        let mut config: tokio_postgres::Config =
            url.parse().map_err(|e| StoreError::Unknown(format!("not a PostgreSQL URL: {}", errors::described(&e))))?;
        let timeout_ms = options.statement_timeout.as_millis().max(1);
        // Notices (such as "already exists, skipping") are not for the log.
        config.options(format!(
            "-c statement_timeout={timeout_ms} -c lock_timeout={timeout_ms} -c client_min_messages=warning"
        ));
        config.connect_timeout(options.statement_timeout.max(Duration::from_secs(1)));
        config.application_name("commerce-policy");
        let recycling = ManagerConfig { recycling_method: RecyclingMethod::Fast };
        let manager = match tls {
            Some(tls) => Manager::from_config(config, tls, recycling),
            None => Manager::from_config(config, NoTls, recycling),
        };
        let pool = Pool::builder(manager)
            .max_size(options.pool_size.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(options.statement_timeout))
            .create_timeout(Some(options.statement_timeout.max(Duration::from_secs(1))))
            .build()
            .map_err(|e| StoreError::Backend(Box::new(e)))?;
        let store = Self { pool, name, mail_lease: options.mail_lease };
        store.prepare(catalog, options.connect_retries).await?;
        Ok(store)
    }

    /// The URL the store was opened with, without its password.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A pooled connection, or [`StoreError::Unavailable`].
    async fn client(&self) -> Result<deadpool_postgres::Client, StoreError> {
        self.pool.get().await.map_err(|e| errors::pool(e, &self.name))
    }

    /// Names what went wrong with the store by its redacted URL.
    fn fail(&self, e: impl Into<StoreError>) -> StoreError {
        errors::classify(e.into(), &self.name)
    }

    /// Migrates and seeds under the migration lock, retrying the first connection.
    async fn prepare(&self, catalog: &Catalog, retries: u32) -> Result<(), StoreError> {
        let mut attempt = 0;
        let mut client = loop {
            let got = self.pool.get().await;
            if let Some(why) = got.as_ref().err().and_then(|e| tls::certificate_refusal(e)) {
                let hint = "sslrootcert must name its CA, and the URL's host be a name the certificate holds";
                return Err(StoreError::Unknown(format!("the server's certificate was refused ({why}): {hint}")));
            }
            match got.map_err(|e| errors::pool(e, &self.name)) {
                Ok(client) => break client,
                Err(StoreError::Unavailable(why)) if attempt < retries => {
                    attempt += 1;
                    tracing::warn!(store = %self.name, attempt, error = %why, "the store cannot be reached yet: retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(e) => return Err(e),
            }
        };
        client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK]).await.map_err(|e| self.fail(e))?;
        let done = migrate(&mut client, catalog).await.map_err(|e| self.fail(e));
        let unlocked = client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]).await;
        done?;
        unlocked.map_err(|e| self.fail(e))?;
        Ok(())
    }

    /// Runs one read; its errors named with the store.
    async fn read<T>(
        &self,
        f: impl AsyncFnOnce(&deadpool_postgres::Client) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let client = self.client().await?;
        f(&client).await.map_err(|e| self.fail(e))
    }
}

/// Brings an empty database to the current layout and seeds it, in one transaction.
async fn migrate(client: &mut deadpool_postgres::Client, catalog: &Catalog) -> Result<(), StoreError> {
    let tx = client.transaction().await?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS commerce_schema (version BIGINT NOT NULL)").await?;
    let version: i64 = tx.query_opt("SELECT version FROM commerce_schema", &[]).await?.map_or(0, |r| r.get(0));
    if version > SCHEMA_VERSION {
        return Err(StoreError::Newer(version));
    }
    if version == 0 {
        tx.batch_execute(SCHEMA).await?;
        tx.execute("INSERT INTO commerce_schema (version) VALUES ($1)", &[&3_i64]).await?;
    }
    // Layout 3 to 4: a table beside the others, nothing of layout 3 changes.
    if version < SCHEMA_VERSION {
        tx.batch_execute(super::ANSWERED).await?;
        tx.execute("UPDATE commerce_schema SET version = $1", &[&SCHEMA_VERSION]).await?;
    }
    seed(&*tx, catalog).await?;
    tx.commit().await?;
    Ok(())
}

async fn seed(tx: &impl GenericClient, catalog: &Catalog) -> Result<(), StoreError> {
    for p in &catalog.policies {
        tx.execute(
            "INSERT INTO policies (id, description, default_value) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&p.id.as_str(), &p.description, &p.default_value.as_str()],
        )
        .await?;
    }
    for p in &catalog.products {
        tx.execute(
            "INSERT INTO products (id, name, trials) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&p.id.as_str(), &p.name, &p.trials],
        )
        .await?;
        for alias in &p.former_ids {
            tx.execute(
                "INSERT INTO product_aliases (alias, product_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&alias.as_str(), &p.id.as_str()],
            )
            .await?;
        }
    }
    for offer in &catalog.offer_types {
        tx.execute(
            "INSERT INTO offer_types (id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&offer.id.as_str(), &offer.name],
        )
        .await?;
    }
    for (scope, table) in [(Scope::Product, "products"), (Scope::OfferType, "offer_types")] {
        let sql = format!(
            "INSERT INTO scoped_values (policy_id, scope, target_id, value, version)
               SELECT policies.id, $1, {table}.id, policies.default_value, 1 FROM policies, {table}
             ON CONFLICT DO NOTHING"
        );
        tx.execute(&sql, &[&scope.as_str()]).await?;
    }
    Ok(())
}

pub(super) fn parse<T: std::str::FromStr>(s: String) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e: T::Err| StoreError::Corrupt(e.to_string()))
}

/// Versions start at 1 and only grow.
fn version_of(row: &Row, column: usize) -> Result<u64, StoreError> {
    let version: i64 = row.get(column);
    u64::try_from(version).map_err(|_| StoreError::Corrupt(format!("version {version} is negative")))
}

async fn canonical_policy(c: &impl GenericClient, id: &PolicyId) -> Result<Policy, StoreError> {
    let row = c
        .query_opt("SELECT id, description, default_value FROM policies WHERE id = $1", &[&id.as_str()])
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("policy {id}")))?;
    Ok(Policy { id: parse(row.get(0))?, description: row.get(1), default_value: parse(row.get(2))? })
}

/// A target as the store knows it: canonical id, name, and whether it offers trials.
pub(super) struct TargetRow {
    pub target: Target,
    pub name: String,
    pub trials: bool,
}

pub(super) async fn target_row(c: &impl GenericClient, target: &Target) -> Result<TargetRow, StoreError> {
    let sql = match target {
        Target::Product(_) => {
            "SELECT id, name, trials FROM products
              WHERE id = COALESCE((SELECT product_id FROM product_aliases WHERE alias = $1), $1)"
        }
        Target::OfferType(_) => "SELECT id, name, false FROM offer_types WHERE id = $1",
    };
    let row = c.query_opt(sql, &[&target.id()]).await?.ok_or_else(|| StoreError::NotFound(target.to_string()))?;
    let target = Target::parse(target.scope(), row.get(0)).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(TargetRow { target, name: row.get(1), trials: row.get(2) })
}

/// A target's value and version; `lock` holds its row until the transaction ends.
pub(super) async fn stored_value(
    c: &impl GenericClient,
    policy: &PolicyId,
    target: &Target,
    lock: bool,
) -> Result<(PolicyValue, u64), StoreError> {
    let sql = format!(
        "SELECT value, version FROM scoped_values WHERE policy_id = $1 AND scope = $2 AND target_id = $3{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    let row = c
        .query_opt(&sql, &[&policy.as_str(), &target.scope().as_str(), &target.id()])
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("no value of {policy} for {target}")))?;
    let at = |e: StoreError| StoreError::Corrupt(format!("the stored value of {policy} for {target}: {e}"));
    Ok((parse(row.get(0)).map_err(at)?, version_of(&row, 1).map_err(at)?))
}

/// Takes the audit lock: audit ids are then handed out in commit order.
pub(super) async fn lock_audit(c: &impl GenericClient) -> Result<(), StoreError> {
    c.execute("SELECT pg_advisory_xact_lock($1)", &[&AUDIT_LOCK]).await?;
    Ok(())
}

/// Writes a new value (if it differs) with its audit entry; the value's row is locked first,
/// so a concurrent write waits and then compares against the version this one made.
async fn write_value(
    tx: &impl GenericClient,
    policy: &PolicyId,
    row: &TargetRow,
    value: PolicyValue,
    ctx: &ChangeContext,
) -> Result<u64, StoreError> {
    let (old, version) = stored_value(tx, policy, &row.target, true).await?;
    if !ctx.expected.allows(version) {
        return Err(StoreError::VersionMismatch { target: row.target.clone(), current: version });
    }
    if old == value {
        return Ok(version);
    }
    let (scope, target_id) = (row.target.scope().as_str(), row.target.id());
    let updated = tx
        .execute(
            "UPDATE scoped_values SET value = $4, version = version + 1
              WHERE policy_id = $1 AND scope = $2 AND target_id = $3 AND version = $5",
            &[&policy.as_str(), &scope, &target_id, &value.as_str(), &(version as i64)],
        )
        .await?;
    if updated != 1 {
        // Cannot happen while the row is locked; refused rather than written over if it does.
        return Err(StoreError::VersionMismatch { target: row.target.clone(), current: version + 1 });
    }
    lock_audit(tx).await?;
    tx.execute(
        "INSERT INTO audit (at, actor, policy_id, scope, target_id, target_name, old_value, new_value, correlation_id,
                            actor_object_id, actor_app_id, actor_upn)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        &[
            &humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string(),
            &ctx.actor.name,
            &policy.as_str(),
            &scope,
            &target_id,
            &row.name,
            &old.as_str(),
            &value.as_str(),
            &ctx.correlation_id,
            &ctx.actor.object_id,
            &ctx.actor.app_id,
            &ctx.actor.upn,
        ],
    )
    .await?;
    Ok(version + 1)
}

async fn list_values(
    c: &impl GenericClient,
    policy: &PolicyId,
    scope: Scope,
) -> Result<Vec<Versioned<TargetPolicy>>, StoreError> {
    let policy = canonical_policy(c, policy).await?;
    let (table, order) = match scope {
        Scope::Product => ("products", "t.name"),
        Scope::OfferType => ("offer_types", "t.id"),
    };
    let sql = format!(
        "SELECT t.id, t.name, v.value, v.version FROM {table} t JOIN scoped_values v ON v.target_id = t.id
          WHERE v.policy_id = $1 AND v.scope = $2 ORDER BY {order}"
    );
    let rows = c.query(&sql, &[&policy.id.as_str(), &scope.as_str()]).await?;
    rows.iter()
        .map(|row| {
            let id: String = row.get(0);
            let at =
                |e: String| StoreError::Corrupt(format!("the stored value of {} for {scope} {id}: {e}", policy.id));
            let target = Target::parse(scope, &id).map_err(|e| at(e.to_string()))?;
            let value = parse(row.get(2)).map_err(|e| at(e.to_string()))?;
            let version = version_of(row, 3).map_err(|e| at(e.to_string()))?;
            Ok(Versioned {
                value: TargetPolicy { policy_id: policy.id.clone(), target, name: row.get(1), value },
                version,
            })
        })
        .collect()
}

fn audit_entry(r: &Row) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        id: r.get(0),
        at: r.get(1),
        actor: r.get(2),
        policy_id: parse(r.get(3))?,
        scope: parse(r.get(4))?,
        target_id: r.get(5),
        target_name: r.get(6),
        old_value: parse(r.get(7))?,
        new_value: parse(r.get(8))?,
        correlation_id: r.get(9),
        actor_object_id: r.get(10),
        actor_app_id: r.get(11),
        actor_upn: r.get(12),
    })
}

#[async_trait]
impl PolicyStore for PostgresStore {
    async fn policies(&self) -> Result<Vec<Policy>, StoreError> {
        self.read(async |c| {
            let rows = c.query("SELECT id, description, default_value FROM policies ORDER BY id", &[]).await?;
            rows.iter()
                .map(|r| Ok(Policy { id: parse(r.get(0))?, description: r.get(1), default_value: parse(r.get(2))? }))
                .collect()
        })
        .await
    }

    async fn policy(&self, id: &PolicyId) -> Result<Versioned<Policy>, StoreError> {
        self.read(async |c| Ok(Versioned { value: canonical_policy(&***c, id).await?, version: 1 })).await
    }

    async fn values(&self, policy: &PolicyId, scope: Scope) -> Result<Vec<Versioned<TargetPolicy>>, StoreError> {
        self.read(async |c| list_values(&***c, policy, scope).await).await
    }

    async fn value(&self, policy: &PolicyId, target: &Target) -> Result<Versioned<TargetPolicy>, StoreError> {
        self.read(async |c| {
            let c = &***c;
            let policy = canonical_policy(c, policy).await?;
            let row = target_row(c, target).await?;
            let (value, version) = stored_value(c, &policy.id, &row.target, false).await?;
            Ok(Versioned {
                value: TargetPolicy { policy_id: policy.id, target: row.target, name: row.name, value },
                version,
            })
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
        let mut client = self.client().await?;
        let done = async {
            // READ COMMITTED: the row lock orders concurrent writes of one value; the second
            // reads the first's version after it commits and is refused if it expected the old.
            let tx = client.transaction().await?;
            let policy = canonical_policy(&*tx, policy).await?;
            let row = target_row(&*tx, target).await?;
            trial_rule(&row.target, &row.name, row.trials, value)?;
            let version = write_value(&*tx, &policy.id, &row, value, ctx).await?;
            tx.commit().await?;
            Ok(Versioned {
                value: TargetPolicy { policy_id: policy.id, target: row.target, name: row.name, value },
                version,
            })
        };
        done.await.map_err(|e: StoreError| self.fail(e))
    }

    async fn audit(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        self.read(async |c| {
            let rows = c
                .query(
                    "SELECT id, at, actor, policy_id, scope, target_id, target_name, old_value, new_value, correlation_id,
                            actor_object_id, actor_app_id, actor_upn
                       FROM audit ORDER BY id DESC LIMIT $1",
                    &[&i64::from(limit)],
                )
                .await?;
            rows.iter().map(audit_entry).collect()
        })
        .await
    }

    /// Ready: the database answers and is at this replica's layout (another replica of a newer
    /// commerce-policy may have migrated it since this one started).
    async fn readiness(&self) -> Result<(), StoreError> {
        self.read(async |c| {
            let layout: i64 = c
                .query_one("SELECT MAX(version) FROM commerce_schema", &[])
                .await?
                .get::<_, Option<i64>>(0)
                .unwrap_or(0);
            match layout {
                SCHEMA_VERSION => Ok(()),
                newer if newer > SCHEMA_VERSION => Err(StoreError::Newer(newer)),
                older => Err(StoreError::Corrupt(format!("the database is at layout {older}, not {SCHEMA_VERSION}"))),
            }
        })
        .await
    }

    /// The server's WAL write position: every commit of any replica moves it (before the commit
    /// is acknowledged), so a read cache that saw it unchanged holds nothing older than an
    /// acknowledged write. Other activity moves it too, which only empties caches more often.
    async fn change_token(&self) -> Result<Option<u64>, StoreError> {
        self.read(async |c| {
            let row = c.query_one("SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint", &[]).await?;
            Ok(Some(row.get::<_, i64>(0).max(0) as u64))
        })
        .await
    }

    fn pool_usage(&self) -> Option<super::PoolUsage> {
        let status = self.pool.status();
        Some(super::PoolUsage { in_use: status.size.saturating_sub(status.available), size: status.max_size })
    }
}
