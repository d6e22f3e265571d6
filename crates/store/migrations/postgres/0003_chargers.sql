-- Chargers and what they report: state per connector, RFID tokens, charge sessions and meter samples.
CREATE TABLE chargers (
    id               UUID PRIMARY KEY NOT NULL,
    installation_id  UUID NOT NULL REFERENCES installations (id) ON DELETE CASCADE,
    identity         TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    connectors       INTEGER NOT NULL CHECK (connectors BETWEEN 1 AND 16),
    password_hash    TEXT NOT NULL,
    vendor           TEXT,
    model            TEXT,
    serial_number    TEXT,
    firmware_version TEXT,
    booted_at        TIMESTAMPTZ,
    last_seen_at     TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX chargers_by_installation ON chargers (installation_id);

CREATE TABLE connector_states (
    charger_id   UUID NOT NULL REFERENCES chargers (id) ON DELETE CASCADE,
    connector_id INTEGER NOT NULL,
    status       TEXT NOT NULL,
    error_code   TEXT NOT NULL,
    power_w      DOUBLE PRECISION,
    current_l1   DOUBLE PRECISION,
    current_l2   DOUBLE PRECISION,
    current_l3   DOUBLE PRECISION,
    energy_wh    DOUBLE PRECISION,
    updated_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (charger_id, connector_id)
);

CREATE TABLE id_tags (
    installation_id UUID NOT NULL REFERENCES installations (id) ON DELETE CASCADE,
    id_tag          TEXT NOT NULL,
    user_id         UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (installation_id, id_tag)
);

CREATE TABLE charge_sessions (
    id           INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    charger_id   UUID NOT NULL REFERENCES chargers (id) ON DELETE CASCADE,
    connector_id INTEGER NOT NULL,
    id_tag       TEXT NOT NULL,
    user_id      UUID REFERENCES users (id) ON DELETE SET NULL,
    started_at   TIMESTAMPTZ NOT NULL,
    meter_start  BIGINT NOT NULL,
    stopped_at   TIMESTAMPTZ,
    meter_stop   BIGINT,
    stop_reason  TEXT,
    UNIQUE (charger_id, connector_id, id_tag, started_at, meter_start)
);
CREATE INDEX charge_sessions_by_charger ON charge_sessions (charger_id, started_at);

CREATE TABLE meter_samples (
    session_id INTEGER NOT NULL REFERENCES charge_sessions (id) ON DELETE CASCADE,
    sampled_at TIMESTAMPTZ NOT NULL,
    energy_wh  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (session_id, sampled_at)
);
