-- Browser sessions carry the epoch of their user's sessions at login. Logging out everywhere and
-- changing the password move the epoch on, which ends every session of the older epoch on its next
-- request (sessions are stored as opaque records, so they cannot be found by user).
ALTER TABLE users ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 0;

-- A charger's own settings as set through the API, in Zaptec's terms: its maximum and minimum current
-- and phases (sent to the charger as a ChargePointMaxProfile), and what it may draw while it cannot
-- reach the service (current -1 and phases 0 mean automatic). NULL: never set.
CREATE TABLE charger_settings (
    charger_id      UUID PRIMARY KEY NOT NULL REFERENCES chargers (id) ON DELETE CASCADE,
    max_current     DOUBLE PRECISION,
    min_current     DOUBLE PRECISION,
    max_phases      INTEGER,
    offline_current DOUBLE PRECISION,
    offline_phases  INTEGER,
    updated_at      TIMESTAMPTZ NOT NULL
);
