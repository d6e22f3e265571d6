-- A charge session carries its installation, so an installation's history (its pages and exact totals)
-- reads one index instead of every session of every charger. The column follows the charger: it is
-- set from the charger when a session is inserted without it and moves with the charger if its
-- installation ever changes. (SQLite cannot add a NOT NULL column without a default; the foreign key
-- on charger_id and the trigger keep it filled.)
ALTER TABLE charge_sessions ADD COLUMN installation_id BLOB REFERENCES installations (id) ON DELETE CASCADE;

CREATE TRIGGER charge_sessions_installation AFTER INSERT ON charge_sessions
    FOR EACH ROW WHEN NEW.installation_id IS NULL
BEGIN
    UPDATE charge_sessions SET installation_id = (SELECT c.installation_id FROM chargers c WHERE c.id = NEW.charger_id)
        WHERE id = NEW.id;
END;
CREATE TRIGGER charge_sessions_charger_changed AFTER UPDATE OF charger_id ON charge_sessions
    FOR EACH ROW WHEN NEW.charger_id IS NOT OLD.charger_id
BEGIN
    UPDATE charge_sessions SET installation_id = (SELECT c.installation_id FROM chargers c WHERE c.id = NEW.charger_id)
        WHERE id = NEW.id;
END;
CREATE TRIGGER chargers_moved_sessions AFTER UPDATE OF installation_id ON chargers
    FOR EACH ROW WHEN NEW.installation_id IS NOT OLD.installation_id
BEGIN
    UPDATE charge_sessions SET installation_id = NEW.installation_id WHERE charger_id = NEW.id;
END;

UPDATE charge_sessions SET installation_id = (SELECT c.installation_id FROM chargers c WHERE c.id = charge_sessions.charger_id);

-- An installation's history by start: pages (newest first) and totals read only this index.
CREATE INDEX charge_sessions_by_installation
    ON charge_sessions (installation_id, started_at, id, energy_wh, user_id, charger_id);

-- The totals of an installation's whole history (its unfiltered page), kept exact by triggers in the
-- transaction that changes a session, so that page does not count 100 000 rows each time. A session
-- inserted without its installation is counted when the trigger above fills it in (an update).
CREATE TABLE installation_history_totals (
    installation_id BLOB PRIMARY KEY NOT NULL REFERENCES installations (id) ON DELETE CASCADE,
    sessions        INTEGER NOT NULL DEFAULT 0,
    energy_wh       REAL NOT NULL DEFAULT 0
);
INSERT INTO installation_history_totals (installation_id, sessions, energy_wh)
    SELECT installation_id, COUNT(*), SUM(CASE WHEN energy_wh > 0 THEN energy_wh ELSE 0.0 END)
    FROM charge_sessions WHERE installation_id IS NOT NULL GROUP BY installation_id;

CREATE TRIGGER charge_sessions_counted_added AFTER INSERT ON charge_sessions
    FOR EACH ROW WHEN NEW.installation_id IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO installation_history_totals (installation_id) VALUES (NEW.installation_id);
    UPDATE installation_history_totals SET sessions = sessions + 1,
        energy_wh = energy_wh + (CASE WHEN NEW.energy_wh > 0 THEN NEW.energy_wh ELSE 0.0 END)
        WHERE installation_id = NEW.installation_id;
END;
CREATE TRIGGER charge_sessions_counted_removed AFTER DELETE ON charge_sessions
    FOR EACH ROW WHEN OLD.installation_id IS NOT NULL
BEGIN
    UPDATE installation_history_totals SET sessions = sessions - 1,
        energy_wh = energy_wh - (CASE WHEN OLD.energy_wh > 0 THEN OLD.energy_wh ELSE 0.0 END)
        WHERE installation_id = OLD.installation_id;
END;
CREATE TRIGGER charge_sessions_counted_changed AFTER UPDATE OF installation_id, energy_wh ON charge_sessions
    FOR EACH ROW WHEN OLD.installation_id IS NOT NEW.installation_id OR OLD.energy_wh IS NOT NEW.energy_wh
BEGIN
    UPDATE installation_history_totals SET sessions = sessions - 1,
        energy_wh = energy_wh - (CASE WHEN OLD.energy_wh > 0 THEN OLD.energy_wh ELSE 0.0 END)
        WHERE installation_id = OLD.installation_id;
    INSERT OR IGNORE INTO installation_history_totals (installation_id) VALUES (NEW.installation_id);
    UPDATE installation_history_totals SET sessions = sessions + 1,
        energy_wh = energy_wh + (CASE WHEN NEW.energy_wh > 0 THEN NEW.energy_wh ELSE 0.0 END)
        WHERE installation_id = NEW.installation_id;
END;
