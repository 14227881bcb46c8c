//! Durable storage of policies, per-product and per-offer-type values, and the audit log.
//! The service talks to a [`PolicyStore`]; [`SqliteStore`] keeps it in one SQLite file (WAL,
//! synchronous=FULL: a change is on disk before its answer leaves).

use std::path::Path;
use std::sync::Mutex;

use commerce_model::wire::{AuditEntry, Policy, ProductPolicy, ScopePolicy};
use commerce_model::{Catalog, OfferType, PolicyId, PolicyValue, ProductId};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} was not found")]
    NotFound(String),
    #[error(
        "{product} offers no trial without a payment method, so OnlyTrialsWithoutPaymentMethod does not apply: use Enabled or Disabled"
    )]
    NoTrial { product: String },
    #[error("{target} changed since it was read (it is now at {current}): read it again and retry")]
    PreconditionFailed { target: String, current: String },
    #[error("the store failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the store's data is damaged: {0}")]
    Corrupt(String),
    #[error(
        "the store was written by a newer commerce-policy (layout {0}; this one knows {SCHEMA_VERSION}): upgrade commerce-policy"
    )]
    Newer(i64),
}

/// Who made a change, as the audit log names them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Actor {
    /// Readable: the user principal name, else the app id, else what the service was told.
    pub name: String,
    pub object_id: Option<String>,
    pub app_id: Option<String>,
    pub upn: Option<String>,
}

impl Actor {
    /// An actor known by name only (no sign-in).
    pub fn named(name: impl Into<String>) -> Self {
        Self { name: name.into(), ..Self::default() }
    }
}

/// What a change is attributed to in the audit log.
#[derive(Debug, Clone)]
pub struct ChangeContext {
    pub actor: Actor,
    pub correlation_id: String,
    /// The `If-Match` header, if the caller sent one.
    pub if_match: Option<String>,
}

/// A value together with its entity tag.
#[derive(Debug, Clone)]
pub struct Versioned<T> {
    pub value: T,
    pub etag: String,
}

/// The target of a scoped value: a product or an offer type.
#[derive(Debug, Clone)]
pub enum Target {
    Product(ProductId),
    OfferType(OfferType),
}

/// The storage the service needs. Calls are blocking; the service runs them off the runtime.
pub trait PolicyStore: Send + Sync + 'static {
    fn policies(&self) -> Result<Vec<Policy>, StoreError>;
    fn policy(&self, id: &PolicyId) -> Result<Versioned<Policy>, StoreError>;
    fn product_policies(&self, policy: &PolicyId) -> Result<Vec<ProductPolicy>, StoreError>;
    fn offer_type_policies(&self, policy: &PolicyId) -> Result<Vec<ScopePolicy>, StoreError>;
    fn product_policy(&self, policy: &PolicyId, product: &ProductId) -> Result<Versioned<ProductPolicy>, StoreError>;
    fn offer_type_policy(&self, policy: &PolicyId, offer: &OfferType) -> Result<Versioned<ScopePolicy>, StoreError>;
    fn set_product_policy(
        &self,
        policy: &PolicyId,
        product: &ProductId,
        value: PolicyValue,
        ctx: &ChangeContext,
    ) -> Result<Versioned<ProductPolicy>, StoreError>;
    fn set_offer_type_policy(
        &self,
        policy: &PolicyId,
        offer: &OfferType,
        value: PolicyValue,
        ctx: &ChangeContext,
    ) -> Result<Versioned<ScopePolicy>, StoreError>;
    fn audit(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError>;
}

/// A [`PolicyStore`] in one SQLite file.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS policies (
    id TEXT PRIMARY KEY COLLATE NOCASE,
    description TEXT NOT NULL,
    default_value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS products (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    trials INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS product_aliases (
    alias TEXT PRIMARY KEY,
    product_id TEXT NOT NULL REFERENCES products(id)
);
CREATE TABLE IF NOT EXISTS offer_types (
    id TEXT PRIMARY KEY COLLATE NOCASE,
    name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS scoped_values (
    policy_id TEXT NOT NULL COLLATE NOCASE,
    scope TEXT NOT NULL,
    target_id TEXT NOT NULL COLLATE NOCASE,
    value TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (policy_id, scope, target_id)
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    policy_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    target_id TEXT NOT NULL,
    target_name TEXT NOT NULL,
    old_value TEXT NOT NULL,
    new_value TEXT NOT NULL,
    correlation_id TEXT NOT NULL,
    actor_object_id TEXT,
    actor_app_id TEXT,
    actor_upn TEXT
);
";

/// Layout 1 to 2: the audit log names signed-in callers (object id, app id, UPN).
const MIGRATE_1_TO_2: &str = "
ALTER TABLE audit ADD COLUMN actor_object_id TEXT;
ALTER TABLE audit ADD COLUMN actor_app_id TEXT;
ALTER TABLE audit ADD COLUMN actor_upn TEXT;
";

/// The layout version kept in SQLite's `user_version`: a store written by a newer
/// commerce-policy is refused rather than misread.
const SCHEMA_VERSION: i64 = 2;

const PRODUCT: &str = "product";
const OFFER_TYPE: &str = "OfferType";

impl SqliteStore {
    /// Opens (creating if needed) the store at `path` and adds what `catalog` lists that the
    /// store lacks. Values already stored are never changed by seeding.
    pub fn open(path: &Path, catalog: &Catalog) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        Self::init(conn, catalog)
    }

    /// A store that lives in memory only, for unit tests.
    pub fn in_memory(catalog: &Catalog) -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?, catalog)
    }

    fn init(mut conn: Connection, catalog: &Catalog) -> Result<Self, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::Newer(version));
        }
        // Older layouts are migrated in place, in the same transaction as everything else.
        if version == 1 {
            tx.execute_batch(MIGRATE_1_TO_2)?;
        }
        tx.execute_batch(SCHEMA)?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        seed(&tx, catalog)?;
        tx.commit()?;
        Ok(Self { conn: Mutex::new(conn) })
    }

    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T, StoreError>) -> Result<T, StoreError> {
        // A panic while holding the lock cannot leave SQLite half-written (transactions roll
        // back on drop), so a poisoned lock is still safe to use.
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut conn)
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
    tx.execute_batch(
        "INSERT OR IGNORE INTO scoped_values (policy_id, scope, target_id, value, version)
           SELECT policies.id, 'product', products.id, policies.default_value, 1 FROM policies, products;
         INSERT OR IGNORE INTO scoped_values (policy_id, scope, target_id, value, version)
           SELECT policies.id, 'OfferType', offer_types.id, policies.default_value, 1 FROM policies, offer_types;",
    )?;
    Ok(())
}

fn parse<T: std::str::FromStr>(s: String) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e: T::Err| StoreError::Corrupt(e.to_string()))
}

fn etag(version: i64) -> String {
    format!("\"v{version}\"")
}

/// Checks an `If-Match` header against the current entity tag (`*` matches anything).
fn check_precondition(ctx: &ChangeContext, current: &str, target: &str) -> Result<(), StoreError> {
    match ctx.if_match.as_deref() {
        None => Ok(()),
        Some(header) if header.split(',').map(str::trim).any(|t| t == "*" || t == current) => Ok(()),
        Some(_) => Err(StoreError::PreconditionFailed { target: target.to_string(), current: current.to_string() }),
    }
}

fn canonical_policy(conn: &Connection, id: &PolicyId) -> Result<Policy, StoreError> {
    conn.query_row("SELECT id, description, default_value FROM policies WHERE id = ?1", [id.as_str()], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
    })
    .optional()?
    .ok_or_else(|| StoreError::NotFound(format!("policy {id}")))
    .and_then(|(id, description, default)| Ok(Policy { id: parse(id)?, description, default_value: parse(default)? }))
}

/// A product row: canonical id (former ids resolved), name and whether it has trials.
struct ProductRow {
    id: ProductId,
    name: String,
    trials: bool,
}

fn product_row(conn: &Connection, id: &ProductId) -> Result<ProductRow, StoreError> {
    conn.query_row(
        "SELECT id, name, trials FROM products
          WHERE id = COALESCE((SELECT product_id FROM product_aliases WHERE alias = ?1), ?1)",
        [id.as_str()],
        |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, bool>(2)?)),
    )
    .optional()?
    .ok_or_else(|| StoreError::NotFound(format!("product {id}")))
    .and_then(|(id, name, trials)| Ok(ProductRow { id: parse(id)?, name, trials }))
}

/// An offer type's canonical id and its name.
fn offer_type_row(conn: &Connection, offer: &OfferType) -> Result<(String, String), StoreError> {
    conn.query_row("SELECT id, name FROM offer_types WHERE id = ?1", [offer.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("offer type {offer}")))
}

fn scoped_value(
    conn: &Connection,
    policy: &PolicyId,
    scope: &str,
    target: &str,
) -> Result<(PolicyValue, i64), StoreError> {
    let (value, version) = conn
        .query_row(
            "SELECT value, version FROM scoped_values WHERE policy_id = ?1 AND scope = ?2 AND target_id = ?3",
            params![policy.as_str(), scope, target],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
        )
        .optional()?
        .ok_or_else(|| StoreError::Corrupt(format!("no value of {policy} for {scope} {target}")))?;
    Ok((parse(value)?, version))
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
            scope: self.scope,
            target_id: self.target_id,
            target_name: self.target_name,
            old_value: parse(self.old_value)?,
            new_value: parse(self.new_value)?,
            correlation_id: self.correlation_id,
        })
    }
}

/// Writes a new value (if it differs) with its audit entry; returns the new version.
#[allow(clippy::too_many_arguments)]
fn write_scoped_value(
    tx: &Transaction,
    policy: &PolicyId,
    scope: &str,
    target_id: &str,
    target_name: &str,
    value: PolicyValue,
    ctx: &ChangeContext,
) -> Result<i64, StoreError> {
    let (old, version) = scoped_value(tx, policy, scope, target_id)?;
    check_precondition(ctx, &etag(version), &format!("{scope} {target_id}"))?;
    if old == value {
        return Ok(version);
    }
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
            target_name,
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

fn product_policy(policy: &Policy, row: ProductRow, value: PolicyValue) -> ProductPolicy {
    ProductPolicy {
        policy_id: policy.id.clone(),
        policy_value: value,
        product_name: row.name,
        product_id: row.id,
        scope: None,
    }
}

fn offer_type_policy(policy: &Policy, (id, name): (String, String), value: PolicyValue) -> ScopePolicy {
    ScopePolicy {
        policy_id: policy.id.clone(),
        policy_value: value,
        scope: OFFER_TYPE.to_string(),
        scope_id: id,
        scope_value: name,
    }
}

impl PolicyStore for SqliteStore {
    fn policies(&self) -> Result<Vec<Policy>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached("SELECT id, description, default_value FROM policies ORDER BY id")?;
            let rows =
                stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?;
            rows.map(|row| {
                let (id, description, default) = row?;
                Ok(Policy { id: parse(id)?, description, default_value: parse(default)? })
            })
            .collect()
        })
    }

    fn policy(&self, id: &PolicyId) -> Result<Versioned<Policy>, StoreError> {
        self.with(|conn| Ok(Versioned { value: canonical_policy(conn, id)?, etag: etag(1) }))
    }

    fn product_policies(&self, policy: &PolicyId) -> Result<Vec<ProductPolicy>, StoreError> {
        self.with(|conn| {
            let policy = canonical_policy(conn, policy)?;
            let mut stmt = conn.prepare_cached(
                "SELECT products.id, products.name, scoped_values.value FROM products
                   JOIN scoped_values ON scoped_values.target_id = products.id
                  WHERE scoped_values.policy_id = ?1 AND scoped_values.scope = 'product'
                  ORDER BY products.name",
            )?;
            let rows = stmt.query_map([policy.id.as_str()], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
            })?;
            rows.map(|row| {
                let (id, name, value) = row?;
                Ok(ProductPolicy {
                    policy_id: policy.id.clone(),
                    policy_value: parse(value)?,
                    product_name: name,
                    product_id: parse(id)?,
                    scope: Some(PRODUCT.to_string()),
                })
            })
            .collect()
        })
    }

    fn offer_type_policies(&self, policy: &PolicyId) -> Result<Vec<ScopePolicy>, StoreError> {
        self.with(|conn| {
            let policy = canonical_policy(conn, policy)?;
            let mut stmt = conn.prepare_cached(
                "SELECT offer_types.id, offer_types.name, scoped_values.value FROM offer_types
                   JOIN scoped_values ON scoped_values.target_id = offer_types.id
                  WHERE scoped_values.policy_id = ?1 AND scoped_values.scope = 'OfferType'
                  ORDER BY offer_types.id",
            )?;
            let rows = stmt.query_map([policy.id.as_str()], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
            })?;
            rows.map(|row| {
                let (id, name, value) = row?;
                Ok(offer_type_policy(&policy, (id, name), parse(value)?))
            })
            .collect()
        })
    }

    fn product_policy(&self, policy: &PolicyId, product: &ProductId) -> Result<Versioned<ProductPolicy>, StoreError> {
        self.with(|conn| {
            let policy = canonical_policy(conn, policy)?;
            let row = product_row(conn, product)?;
            let (value, version) = scoped_value(conn, &policy.id, PRODUCT, row.id.as_str())?;
            Ok(Versioned { value: product_policy(&policy, row, value), etag: etag(version) })
        })
    }

    fn offer_type_policy(&self, policy: &PolicyId, offer: &OfferType) -> Result<Versioned<ScopePolicy>, StoreError> {
        self.with(|conn| {
            let policy = canonical_policy(conn, policy)?;
            let offer = offer_type_row(conn, offer)?;
            let (value, version) = scoped_value(conn, &policy.id, OFFER_TYPE, &offer.0)?;
            Ok(Versioned { value: offer_type_policy(&policy, offer, value), etag: etag(version) })
        })
    }

    fn set_product_policy(
        &self,
        policy: &PolicyId,
        product: &ProductId,
        value: PolicyValue,
        ctx: &ChangeContext,
    ) -> Result<Versioned<ProductPolicy>, StoreError> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let policy = canonical_policy(&tx, policy)?;
            let row = product_row(&tx, product)?;
            if value == PolicyValue::OnlyTrialsWithoutPaymentMethod && !row.trials {
                return Err(StoreError::NoTrial { product: format!("{} ({})", row.name, row.id) });
            }
            let version = write_scoped_value(&tx, &policy.id, PRODUCT, row.id.as_str(), &row.name, value, ctx)?;
            tx.commit()?;
            Ok(Versioned { value: product_policy(&policy, row, value), etag: etag(version) })
        })
    }

    fn set_offer_type_policy(
        &self,
        policy: &PolicyId,
        offer: &OfferType,
        value: PolicyValue,
        ctx: &ChangeContext,
    ) -> Result<Versioned<ScopePolicy>, StoreError> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let policy = canonical_policy(&tx, policy)?;
            let offer = offer_type_row(&tx, offer)?;
            if value == PolicyValue::OnlyTrialsWithoutPaymentMethod {
                return Err(StoreError::NoTrial { product: format!("offer type {}", offer.0) });
            }
            let version = write_scoped_value(&tx, &policy.id, OFFER_TYPE, &offer.0, &offer.1, value, ctx)?;
            tx.commit()?;
            Ok(Versioned { value: offer_type_policy(&policy, offer, value), etag: etag(version) })
        })
    }

    fn audit(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, at, actor, policy_id, scope, target_id, target_name, old_value, new_value, correlation_id,
                        actor_object_id, actor_app_id, actor_upn
                   FROM audit ORDER BY id DESC LIMIT ?1",
            )?;
            let rows = stmt.query_map([limit], AuditRow::read)?;
            rows.map(|row| row?.into_entry()).collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CATALOG: &str = r#"{"policies":[{"id":"AllowSelfServicePurchase","description":"d","defaultValue":"Enabled"}],
        "products":[
          {"id":"CFQ7TTC0LH2H","name":"Power Apps per user","trials":false,"formerIds":["CFQ7TTC0KP0P"]},
          {"id":"CFQ7TTC0HDB1","name":"Project Plan 1","trials":true}],
        "offerTypes":[{"id":"SaaS","name":"Software as a Service"}]}"#;

    fn store() -> SqliteStore {
        SqliteStore::in_memory(&Catalog::parse(CATALOG).unwrap()).unwrap()
    }

    fn ctx(if_match: Option<&str>) -> ChangeContext {
        ChangeContext {
            actor: Actor::named("local"),
            correlation_id: "c-1".into(),
            if_match: if_match.map(String::from),
        }
    }

    fn ids() -> (PolicyId, ProductId) {
        ("AllowSelfServicePurchase".parse().unwrap(), "CFQ7TTC0LH2H".parse().unwrap())
    }

    #[test]
    fn seeds_every_product_at_the_policy_default() {
        let (policy, _) = ids();
        let all = store().product_policies(&policy).unwrap();
        assert_eq!(all.len(), 2);
        assert!(all.iter().all(|p| p.policy_value == PolicyValue::Enabled));
    }

    #[test]
    fn former_id_resolves_to_the_current_product() {
        let (policy, _) = ids();
        let got = store().product_policy(&policy, &"CFQ7TTC0KP0P".parse().unwrap()).unwrap();
        assert_eq!(got.value.product_id.as_str(), "CFQ7TTC0LH2H");
    }

    #[test]
    fn change_bumps_the_etag_and_is_audited() {
        let (policy, product) = ids();
        let s = store();
        let before = s.product_policy(&policy, &product).unwrap();
        let after = s.set_product_policy(&policy, &product, PolicyValue::Disabled, &ctx(None)).unwrap();
        assert_ne!(before.etag, after.etag);
        let audit = s.audit(10).unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!((audit[0].old_value, audit[0].new_value), (PolicyValue::Enabled, PolicyValue::Disabled));
        assert_eq!(audit[0].target_name, "Power Apps per user");
    }

    #[test]
    fn stale_if_match_is_refused_and_changes_nothing() {
        let (policy, product) = ids();
        let s = store();
        let old = s.product_policy(&policy, &product).unwrap().etag;
        s.set_product_policy(&policy, &product, PolicyValue::Disabled, &ctx(Some(&old))).unwrap();
        let err = s.set_product_policy(&policy, &product, PolicyValue::Enabled, &ctx(Some(&old))).unwrap_err();
        assert!(matches!(err, StoreError::PreconditionFailed { .. }));
        assert_eq!(s.product_policy(&policy, &product).unwrap().value.policy_value, PolicyValue::Disabled);
    }

    #[test]
    fn trial_only_value_needs_a_product_with_trials() {
        let (policy, product) = ids();
        let s = store();
        let err = s.set_product_policy(&policy, &product, PolicyValue::OnlyTrialsWithoutPaymentMethod, &ctx(None));
        assert!(matches!(err, Err(StoreError::NoTrial { .. })));
        let project: ProductId = "CFQ7TTC0HDB1".parse().unwrap();
        s.set_product_policy(&policy, &project, PolicyValue::OnlyTrialsWithoutPaymentMethod, &ctx(None)).unwrap();
    }

    #[test]
    fn unchanged_value_writes_no_audit_entry() {
        let (policy, product) = ids();
        let s = store();
        s.set_product_policy(&policy, &product, PolicyValue::Enabled, &ctx(None)).unwrap();
        assert!(s.audit(10).unwrap().is_empty());
    }

    #[test]
    fn a_store_from_a_newer_version_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        let catalog = Catalog::parse(CATALOG).unwrap();
        drop(SqliteStore::open(&path, &catalog).unwrap());
        Connection::open(&path).unwrap().pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
        let err = SqliteStore::open(&path, &catalog).err().unwrap().to_string();
        assert!(err.contains("newer commerce-policy"), "{err}");
    }

    #[test]
    fn a_layout_1_store_is_migrated_in_place_keeping_its_audit_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        let catalog = Catalog::parse(CATALOG).unwrap();
        let (policy, product) = ids();
        let s = SqliteStore::open(&path, &catalog).unwrap();
        s.set_product_policy(&policy, &product, PolicyValue::Disabled, &ctx(None)).unwrap();
        drop(s);
        // Back to layout 1: the audit table without the caller's columns.
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "ALTER TABLE audit DROP COLUMN actor_object_id; ALTER TABLE audit DROP COLUMN actor_app_id;
             ALTER TABLE audit DROP COLUMN actor_upn; PRAGMA user_version = 1;",
        )
        .unwrap();
        drop(conn);

        let s = SqliteStore::open(&path, &catalog).unwrap();
        let signed_in = ChangeContext {
            actor: Actor {
                name: "admin@contoso.test".into(),
                object_id: Some("oid-1".into()),
                app_id: Some("app-1".into()),
                upn: Some("admin@contoso.test".into()),
            },
            ..ctx(None)
        };
        s.set_product_policy(&policy, &product, PolicyValue::Enabled, &signed_in).unwrap();
        let audit = s.audit(10).unwrap();
        assert_eq!(audit.len(), 2, "the layout 1 entry is kept");
        assert_eq!((audit[1].actor.as_str(), audit[1].actor_upn.as_deref()), ("local", None));
        assert_eq!(audit[0].actor_upn.as_deref(), Some("admin@contoso.test"));
        assert_eq!(audit[0].actor_object_id.as_deref(), Some("oid-1"));
        assert_eq!(audit[0].actor_app_id.as_deref(), Some("app-1"));
        let conn = Connection::open(&path).unwrap();
        assert_eq!(conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0)).unwrap(), SCHEMA_VERSION);
    }

    #[test]
    fn reopening_keeps_values_and_adds_new_catalogue_products() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        let (policy, product) = ids();
        let catalog = Catalog::parse(CATALOG).unwrap();
        let s = SqliteStore::open(&path, &catalog).unwrap();
        s.set_product_policy(&policy, &product, PolicyValue::Disabled, &ctx(None)).unwrap();
        drop(s);
        let bigger = CATALOG.replace(
            r#"{"id":"CFQ7TTC0HDB1""#,
            r#"{"id":"CFQ7TTC0HD33","name":"Visio Plan 1","trials":false},{"id":"CFQ7TTC0HDB1""#,
        );
        let s = SqliteStore::open(&path, &Catalog::parse(&bigger).unwrap()).unwrap();
        let all = s.product_policies(&policy).unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(s.product_policy(&policy, &product).unwrap().value.policy_value, PolicyValue::Disabled);
    }
}
