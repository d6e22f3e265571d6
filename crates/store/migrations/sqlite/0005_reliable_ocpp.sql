-- What a reliable central system needs to remember: sessions that started without authorisation or
-- ended without a StopTransaction, the server's own arrival order, each connector's status time, removed
-- RFID tokens (so a charger hears "Blocked", not "Invalid"), and each connector's charging limits as the
-- charger accepted them.
ALTER TABLE charge_sessions ADD COLUMN authorized BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE charge_sessions ADD COLUMN received_at TEXT;
ALTER TABLE charge_sessions ADD COLUMN stop_confirmed BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE charge_sessions ADD COLUMN energy_wh REAL;
ALTER TABLE charge_sessions ADD COLUMN paused BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE charge_sessions SET received_at = started_at;
UPDATE charge_sessions SET energy_wh = MAX(meter_stop - meter_start, 0) WHERE meter_stop IS NOT NULL;
CREATE INDEX charge_sessions_open ON charge_sessions (charger_id, connector_id) WHERE stopped_at IS NULL;

ALTER TABLE connector_states ADD COLUMN status_at TEXT;
UPDATE connector_states SET status_at = updated_at;

ALTER TABLE id_tags ADD COLUMN removed_at TEXT;

CREATE TABLE connector_limits (
    charger_id        BLOB NOT NULL REFERENCES chargers (id) ON DELETE CASCADE,
    connector_id      INTEGER NOT NULL,
    default_accepted  REAL,
    default_uncertain REAL,
    tx_transaction    INTEGER,
    tx_accepted       REAL,
    tx_uncertain      REAL,
    tx_refused        BOOLEAN NOT NULL DEFAULT FALSE,
    problem           TEXT,
    updated_at        TEXT NOT NULL,
    PRIMARY KEY (charger_id, connector_id)
);
