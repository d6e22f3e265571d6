-- Throttles counted atomically before the work they guard (one upsert that increments and returns
-- the count); windows in milliseconds since 1970 so both engines compare plain integers.
DROP TABLE login_attempts;
CREATE TABLE throttle_counts (
    throttle_key TEXT PRIMARY KEY NOT NULL,
    attempts     BIGINT NOT NULL,
    window_start BIGINT NOT NULL
);

-- Secrets every process of the service shares (e.g. the key that signs anonymous visitors' CSRF
-- tokens): made once by whichever process starts first.
CREATE TABLE server_secrets (
    name   TEXT PRIMARY KEY NOT NULL,
    secret TEXT NOT NULL
);

-- Partners that cannot pass for others: the TR39 skeleton of a group's name (unique: no two groups
-- with confusable names; filled for existing groups at start), and the operator's verification.
ALTER TABLE user_groups ADD COLUMN name_skeleton TEXT;
CREATE UNIQUE INDEX user_groups_by_name_skeleton ON user_groups (name_skeleton);
ALTER TABLE user_groups ADD COLUMN verified_at TIMESTAMPTZ;
