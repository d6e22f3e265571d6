-- Chargers and what they report: state per connector, RFID tokens, charge sessions and meter samples.
CREATE TABLE chargers (
    id               BLOB PRIMARY KEY NOT NULL,
    installation_id  BLOB NOT NULL REFERENCES installations (id) ON DELETE CASCADE,
    identity         TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    connectors       INTEGER NOT NULL CHECK (connectors BETWEEN 1 AND 16),
    password_hash    TEXT NOT NULL,
    vendor           TEXT,
    model            TEXT,
    serial_number    TEXT,
    firmware_version TEXT,
    booted_at        TEXT,
    last_seen_at     TEXT,
    created_at       TEXT NOT NULL
);
CREATE INDEX chargers_by_installation ON chargers (installation_id);

CREATE TABLE connector_states (
    charger_id   BLOB NOT NULL REFERENCES chargers (id) ON DELETE CASCADE,
    connector_id INTEGER NOT NULL,
    status       TEXT NOT NULL,
    error_code   TEXT NOT NULL,
    power_w      REAL,
    current_l1   REAL,
    current_l2   REAL,
    current_l3   REAL,
    energy_wh    REAL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (charger_id, connector_id)
);

CREATE TABLE id_tags (
    installation_id BLOB NOT NULL REFERENCES installations (id) ON DELETE CASCADE,
    id_tag          TEXT NOT NULL,
    user_id         BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (installation_id, id_tag)
);

CREATE TABLE charge_sessions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    charger_id   BLOB NOT NULL REFERENCES chargers (id) ON DELETE CASCADE,
    connector_id INTEGER NOT NULL,
    id_tag       TEXT NOT NULL,
    user_id      BLOB REFERENCES users (id) ON DELETE SET NULL,
    started_at   TEXT NOT NULL,
    meter_start  BIGINT NOT NULL,
    stopped_at   TEXT,
    meter_stop   BIGINT,
    stop_reason  TEXT,
    UNIQUE (charger_id, connector_id, id_tag, started_at, meter_start)
);
CREATE INDEX charge_sessions_by_charger ON charge_sessions (charger_id, started_at);

CREATE TABLE meter_samples (
    session_id INTEGER NOT NULL REFERENCES charge_sessions (id) ON DELETE CASCADE,
    sampled_at TEXT NOT NULL,
    energy_wh  REAL NOT NULL,
    PRIMARY KEY (session_id, sampled_at)
);
