-- Layout 4: the answers of administration changes (take-over, centralize) by request, so a
-- client that retries one whose answer it lost (the same correlation id, actor and request)
-- gets that answer again instead of a refusal of what the first attempt already did. Kept a
-- day. The same statements in SQLite and PostgreSQL, idempotent in both.
CREATE TABLE IF NOT EXISTS answered (
    correlation_id TEXT NOT NULL,
    actor TEXT NOT NULL,
    request TEXT NOT NULL,
    answer TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (correlation_id, actor, request)
);
CREATE INDEX IF NOT EXISTS answered_by_age ON answered (at);
