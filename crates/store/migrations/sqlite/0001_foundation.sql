-- Accounts, installations with roles, user groups with lookup keys, login throttling, audit log.
CREATE TABLE users (
    id            BLOB PRIMARY KEY NOT NULL,
    email         TEXT NOT NULL,
    email_norm    TEXT NOT NULL UNIQUE,
    full_name     TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    language      TEXT,
    created_at    TEXT NOT NULL
);

CREATE TABLE installations (
    id                       BLOB PRIMARY KEY NOT NULL,
    name                     TEXT NOT NULL,
    address                  TEXT NOT NULL,
    installation_type        TEXT NOT NULL CHECK (installation_type IN ('go', 'pro')),
    max_current              REAL NOT NULL CHECK (max_current BETWEEN 0 AND 1000),
    available_current_mode   TEXT NOT NULL CHECK (available_current_mode IN ('all', 'per_phase')),
    available_current_phase1 REAL NOT NULL,
    available_current_phase2 REAL NOT NULL,
    available_current_phase3 REAL NOT NULL,
    authentication_required  BOOLEAN NOT NULL,
    phases                   INTEGER NOT NULL CHECK (phases IN (1, 3)),
    created_at               TEXT NOT NULL,
    updated_at               TEXT NOT NULL
);

CREATE TABLE installation_roles (
    installation_id BLOB NOT NULL REFERENCES installations (id) ON DELETE CASCADE,
    user_id         BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role            TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'user')),
    created_at      TEXT NOT NULL,
    PRIMARY KEY (installation_id, user_id)
);
CREATE INDEX installation_roles_by_user ON installation_roles (user_id);

CREATE TABLE user_groups (
    id            BLOB PRIMARY KEY NOT NULL,
    name          TEXT NOT NULL,
    description   TEXT NOT NULL,
    support_email TEXT,
    support_url   TEXT,
    lookup_key    TEXT NOT NULL UNIQUE,
    created_at    TEXT NOT NULL
);

CREATE TABLE group_members (
    group_id   BLOB NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    user_id    BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('owner', 'member')),
    created_at TEXT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_by_user ON group_members (user_id);

CREATE TABLE group_return_urls (
    group_id BLOB NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    url      TEXT NOT NULL,
    PRIMARY KEY (group_id, url)
);

CREATE TABLE login_attempts (
    throttle_key TEXT PRIMARY KEY NOT NULL,
    failures     INTEGER NOT NULL,
    window_start TEXT NOT NULL,
    locked_until TEXT
);

CREATE TABLE audit_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    at              TEXT NOT NULL,
    actor_id        BLOB REFERENCES users (id) ON DELETE SET NULL,
    installation_id BLOB REFERENCES installations (id) ON DELETE CASCADE,
    group_id        BLOB REFERENCES user_groups (id) ON DELETE SET NULL,
    kind            TEXT NOT NULL,
    detail          TEXT NOT NULL
);
CREATE INDEX audit_events_by_installation ON audit_events (installation_id, id);
CREATE INDEX audit_events_by_group ON audit_events (group_id, id);
