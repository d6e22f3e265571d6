-- What a reliable central system needs to remember: sessions that started without authorisation or
-- ended without a StopTransaction, the server's own arrival order, each connector's status time, removed
-- RFID tokens (so a charger hears "Blocked", not "Invalid"), and each connector's charging limits as the
-- charger accepted them.
ALTER TABLE charge_sessions ADD COLUMN authorized BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE charge_sessions ADD COLUMN received_at TIMESTAMPTZ;
ALTER TABLE charge_sessions ADD COLUMN stop_confirmed BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE charge_sessions ADD COLUMN energy_wh DOUBLE PRECISION;
ALTER TABLE charge_sessions ADD COLUMN paused BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE charge_sessions SET received_at = started_at;
UPDATE charge_sessions SET energy_wh = GREATEST(meter_stop - meter_start, 0) WHERE meter_stop IS NOT NULL;
CREATE INDEX charge_sessions_open ON charge_sessions (charger_id, connector_id) WHERE stopped_at IS NULL;

ALTER TABLE connector_states ADD COLUMN status_at TIMESTAMPTZ;
UPDATE connector_states SET status_at = updated_at;

ALTER TABLE id_tags ADD COLUMN removed_at TIMESTAMPTZ;

CREATE TABLE connector_limits (
    charger_id        UUID NOT NULL REFERENCES chargers (id) ON DELETE CASCADE,
    connector_id      INTEGER NOT NULL,
    default_accepted  DOUBLE PRECISION,
    default_uncertain DOUBLE PRECISION,
    tx_transaction    INTEGER,
    tx_accepted       DOUBLE PRECISION,
    tx_uncertain      DOUBLE PRECISION,
    tx_refused        BOOLEAN NOT NULL DEFAULT FALSE,
    problem           TEXT,
    updated_at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (charger_id, connector_id)
);
