-- The PostgreSQL store's layout 3 (the layout number SQLite's store has with the same tables;
-- SCHEMA_VERSION in sqlite.rs). Applied once, under the migration advisory lock, to an empty
-- database; later layouts add their own files (layout 4: answered.sql, shared with SQLite). Ids that SQLite compares
-- without case use the `nocase` collation (ICU, case-insensitive), so both stores match alike.
CREATE COLLATION IF NOT EXISTS nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TABLE policies (
    id TEXT COLLATE nocase PRIMARY KEY,
    description TEXT NOT NULL,
    default_value TEXT NOT NULL
);
CREATE TABLE products (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    trials BOOLEAN NOT NULL
);
CREATE TABLE product_aliases (
    alias TEXT PRIMARY KEY,
    product_id TEXT NOT NULL REFERENCES products(id)
);
CREATE TABLE offer_types (
    id TEXT COLLATE nocase PRIMARY KEY,
    name TEXT NOT NULL
);
CREATE TABLE scoped_values (
    policy_id TEXT COLLATE nocase NOT NULL,
    scope TEXT NOT NULL,
    target_id TEXT COLLATE nocase NOT NULL,
    value TEXT NOT NULL,
    version BIGINT NOT NULL,
    PRIMARY KEY (policy_id, scope, target_id)
);
-- An identity: ids grow in commit order closely enough for "newest first", and never repeat.
CREATE TABLE audit (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
CREATE TABLE users (
    id TEXT COLLATE nocase PRIMARY KEY,
    upn TEXT COLLATE nocase NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    mail TEXT
);
CREATE TABLE subscriptions (
    id TEXT COLLATE nocase PRIMARY KEY,
    product_id TEXT NOT NULL REFERENCES products(id),
    owner_id TEXT COLLATE nocase REFERENCES users(id),
    quantity BIGINT NOT NULL,
    status TEXT NOT NULL,
    trial BOOLEAN NOT NULL,
    created TEXT NOT NULL,
    expires TEXT NOT NULL,
    price_amount TEXT,
    price_currency TEXT,
    price_period TEXT,
    cancel_reason TEXT,
    version BIGINT NOT NULL
);
CREATE INDEX subscriptions_by_product ON subscriptions (product_id, status);
CREATE INDEX subscriptions_by_owner ON subscriptions (owner_id);
CREATE TABLE assignments (
    subscription_id TEXT COLLATE nocase NOT NULL REFERENCES subscriptions(id),
    user_id TEXT COLLATE nocase NOT NULL REFERENCES users(id),
    PRIMARY KEY (subscription_id, user_id)
);
CREATE INDEX assignments_by_user ON assignments (user_id);
-- The mail outbox. `lease_until` (Unix ms): a replica that claimed a row for delivery holds it
-- until then; one that died mid-delivery lets it lapse and another delivers it again.
CREATE TABLE notifications (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    created TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt BIGINT NOT NULL,
    lease_until BIGINT NOT NULL DEFAULT 0,
    delivered TEXT
);
CREATE INDEX notifications_due ON notifications (state, next_attempt);
CREATE TABLE admin_audit (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
CREATE INDEX admin_audit_by_correlation ON admin_audit (correlation_id);
