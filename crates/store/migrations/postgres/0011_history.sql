-- Charge history in SQL: the installation's time zone, and indexes for filtered pages and totals.
ALTER TABLE installations ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'Europe/Oslo';

-- Per charger by start: a page (newest first) and the totals of a date range read only the index.
CREATE INDEX charge_sessions_history ON charge_sessions (charger_id, started_at, id) INCLUDE (user_id, energy_wh);
DROP INDEX charge_sessions_by_charger;
-- One person's sessions.
CREATE INDEX charge_sessions_by_user ON charge_sessions (user_id, started_at);
