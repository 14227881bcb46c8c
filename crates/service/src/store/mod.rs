//! Durable storage of policies, their values per target, and the audit log. The service
//! talks to a [`PolicyStore`]; [`SqliteStore`] keeps it in one SQLite file. The trait speaks
//! domain types and versions only — entity tags and `If-Match` are the HTTP layer's — so a
//! second backend is one more implementation of it.

pub mod admin;
pub(crate) mod admin_rules;
mod postgres;
mod sqlite;

use async_trait::async_trait;
use commerce_model::wire::{AuditEntry, Policy};
use commerce_model::{ModelError, PolicyId, PolicyValue, Scope, Target, TargetPolicy};

pub use admin::{Acting, AdminStore, Buyer, PendingMail, Rule, SubscriptionFilter};
pub use postgres::{
    CONNECT_RETRIES_RANGE, MAIL_LEASE_RANGE, POOL_SIZE_RANGE, PostgresOptions, PostgresStore, STATEMENT_TIMEOUT_RANGE,
    redacted,
};
pub use sqlite::{SCHEMA_VERSION, SqliteStore, StoreOptions};

/// Layout 4's table, new beside layout 3's (so 3 to 4 is this alone), in both stores.
const ANSWERED: &str = include_str!("answered.sql");

/// Everything the service stores: the policies and the administration, in one object.
pub trait Store: PolicyStore + AdminStore {}
impl<T: PolicyStore + AdminStore> Store for T {}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} was not found")]
    NotFound(String),
    /// Things named in a request body that do not exist, said in a whole sentence (404).
    #[error("{0}")]
    Unknown(String),
    /// The value breaks a domain rule (the trial rule).
    #[error("{0}")]
    Refused(#[from] ModelError),
    /// An administration rule refused the operation; nothing changed.
    #[error("{message}")]
    Rule { rule: Rule, message: String },
    /// A subscription changed since it was read (`If-Match`).
    #[error("subscription {id} changed since it was read (it is now at version {current}): read it again and retry")]
    Stale { id: String, current: u64 },
    #[error("{target} changed since it was read (it is now at version {current}): read it again and retry")]
    VersionMismatch { target: Target, current: u64 },
    /// Another process holds the store's write lock longer than the busy timeout.
    #[error("the store {0} is locked by another process (a write waited for its lock and gave up): retry later")]
    Busy(String),
    /// The store's database cannot be reached now (down, restarting, shutting down, or a
    /// statement past its timeout): answered 503 with `Retry-After`.
    #[error("the store {0} cannot be reached now: retry later")]
    Unavailable(String),
    /// The store's file or file system cannot be written.
    #[error(
        "the store {0} is read-only: it can be read but not changed (check the file's permissions and its file system)"
    )]
    ReadOnly(String),
    /// SQLITE_FULL.
    #[error("the disk of the store {0} is full: free some space and retry")]
    Full(String),
    #[error("the store failed: {0}")]
    Backend(Box<dyn std::error::Error + Send + Sync>),
    #[error("the store's data is damaged: {0}")]
    Corrupt(String),
    #[error(
        "the store was written by a newer commerce-policy (layout {0}; this one knows {SCHEMA_VERSION}): upgrade commerce-policy"
    )]
    Newer(i64),
}

impl StoreError {
    /// A refusal by an administration rule.
    pub fn rule(rule: Rule, message: impl Into<String>) -> Self {
        Self::Rule { rule, message: message.into() }
    }
}

/// A value with the version it was read at; every write of a value makes a new version.
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned<T> {
    pub value: T,
    pub version: u64,
}

/// Which versions a write may replace.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Expected {
    /// Whatever is there.
    #[default]
    Any,
    /// Only one of these: the caller read one of them and must not overwrite a newer change.
    OneOf(Vec<u64>),
    /// Any but these (`If-None-Match` with entity tags).
    NoneOf(Vec<u64>),
    /// Both conditions (`If-Match` and `If-None-Match` together).
    Both(Box<Expected>, Box<Expected>),
}

impl Expected {
    pub fn allows(&self, current: u64) -> bool {
        match self {
            Self::Any => true,
            Self::OneOf(versions) => versions.contains(&current),
            Self::NoneOf(versions) => !versions.contains(&current),
            Self::Both(a, b) => a.allows(current) && b.allows(current),
        }
    }
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

/// What a write is attributed to in the audit log, and what it may replace.
#[derive(Debug, Clone)]
pub struct ChangeContext {
    pub actor: Actor,
    pub correlation_id: String,
    pub expected: Expected,
}

/// The storage the service needs.
#[async_trait]
pub trait PolicyStore: Send + Sync + 'static {
    async fn policies(&self) -> Result<Vec<Policy>, StoreError>;
    async fn policy(&self, id: &PolicyId) -> Result<Versioned<Policy>, StoreError>;
    /// Every target's value of a policy in a scope: products by name, offer types by id.
    async fn values(&self, policy: &PolicyId, scope: Scope) -> Result<Vec<Versioned<TargetPolicy>>, StoreError>;
    /// One target's value; a former product id answers for the current product.
    async fn value(&self, policy: &PolicyId, target: &Target) -> Result<Versioned<TargetPolicy>, StoreError>;
    /// Sets one target's value if `ctx.expected` allows its version, with an audit entry
    /// when it changes; an unchanged value keeps its version.
    async fn set_value(
        &self,
        policy: &PolicyId,
        target: &Target,
        value: PolicyValue,
        ctx: &ChangeContext,
    ) -> Result<Versioned<TargetPolicy>, StoreError>;
    /// The newest `limit` audit entries, newest first.
    async fn audit(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError>;

    /// Whether the store can serve requests now: reachable, its layout the one this build
    /// knows, writable (`/readyz`). The default reads the policies.
    async fn readiness(&self) -> Result<(), StoreError> {
        self.policies().await.map(drop)
    }

    /// A token that differs from the last one read whenever any writer, in this process or
    /// another, committed a change since: what read caches check, at most every few
    /// milliseconds, so it must cost no more than one indexed read. `None`: the store cannot
    /// tell, and nothing read from it is cached (the default).
    async fn change_token(&self) -> Result<Option<u64>, StoreError> {
        Ok(None)
    }

    /// The store's connections: how many are in use and how many there are (`/metrics`);
    /// `None` where the backend has no such pool (the default).
    fn pool_usage(&self) -> Option<PoolUsage> {
        None
    }
}

/// How busy a store's connection pool is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUsage {
    pub in_use: usize,
    pub size: usize,
}
