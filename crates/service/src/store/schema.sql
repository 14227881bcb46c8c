-- The store's layout (version SCHEMA_VERSION in sqlite.rs). Every statement is idempotent:
-- it runs on every open, after migrations from older layouts.
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
-- Layout 3: the self-service purchase administration.
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY COLLATE NOCASE,
    upn TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name TEXT NOT NULL,
    mail TEXT
);
-- owner_id NULL: the tenant's own (central) subscription.
CREATE TABLE IF NOT EXISTS subscriptions (
    id TEXT PRIMARY KEY COLLATE NOCASE,
    product_id TEXT NOT NULL REFERENCES products(id),
    owner_id TEXT REFERENCES users(id),
    quantity INTEGER NOT NULL,
    status TEXT NOT NULL,
    trial INTEGER NOT NULL,
    created TEXT NOT NULL,
    expires TEXT NOT NULL,
    price_amount TEXT,
    price_currency TEXT,
    price_period TEXT,
    cancel_reason TEXT,
    version INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS subscriptions_by_product ON subscriptions (product_id, status);
CREATE INDEX IF NOT EXISTS subscriptions_by_owner ON subscriptions (owner_id);
-- A user holds at most one license of a subscription.
CREATE TABLE IF NOT EXISTS assignments (
    subscription_id TEXT NOT NULL REFERENCES subscriptions(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    PRIMARY KEY (subscription_id, user_id)
);
CREATE INDEX IF NOT EXISTS assignments_by_user ON assignments (user_id);
-- The mail outbox: written in the transaction of the change it reports.
CREATE TABLE IF NOT EXISTS notifications (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    created TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    -- Unix milliseconds.
    next_attempt INTEGER NOT NULL,
    delivered TEXT
);
CREATE INDEX IF NOT EXISTS notifications_due ON notifications (state, next_attempt);
-- Before and after are JSON texts.
CREATE TABLE IF NOT EXISTS admin_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    actor_object_id TEXT,
    actor_upn TEXT,
    action TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    before TEXT,
    after TEXT,
    correlation_id TEXT NOT NULL
);
-- A retried POST is recognised by its correlation id (no second purchase).
CREATE INDEX IF NOT EXISTS admin_audit_by_correlation ON admin_audit (correlation_id);
