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
