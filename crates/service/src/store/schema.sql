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
