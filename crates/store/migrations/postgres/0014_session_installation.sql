-- A charge session carries its installation, so an installation's history (its pages and exact totals)
-- reads one index instead of every session of every charger. The column follows the charger: it is
-- set from the charger when a session is inserted without it (also by a process of an older version
-- during a rolling upgrade) and moves with the charger if its installation ever changes.
ALTER TABLE charge_sessions ADD COLUMN installation_id UUID REFERENCES installations (id) ON DELETE CASCADE;

CREATE FUNCTION charge_session_installation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT c.installation_id INTO NEW.installation_id FROM chargers c WHERE c.id = NEW.charger_id;
    RETURN NEW;
END
$$;
CREATE TRIGGER charge_sessions_installation BEFORE INSERT ON charge_sessions
    FOR EACH ROW WHEN (NEW.installation_id IS NULL) EXECUTE FUNCTION charge_session_installation();
CREATE TRIGGER charge_sessions_charger_changed BEFORE UPDATE OF charger_id ON charge_sessions
    FOR EACH ROW WHEN (NEW.charger_id IS DISTINCT FROM OLD.charger_id) EXECUTE FUNCTION charge_session_installation();

CREATE FUNCTION charger_moved_sessions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE charge_sessions SET installation_id = NEW.installation_id WHERE charger_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER chargers_moved_sessions AFTER UPDATE OF installation_id ON chargers
    FOR EACH ROW WHEN (NEW.installation_id IS DISTINCT FROM OLD.installation_id)
    EXECUTE FUNCTION charger_moved_sessions();

-- The ALTER above holds charge_sessions exclusively until this migration commits: sessions inserted
-- meanwhile wait, then go through the trigger.
UPDATE charge_sessions s SET installation_id = c.installation_id FROM chargers c WHERE c.id = s.charger_id;
ALTER TABLE charge_sessions ALTER COLUMN installation_id SET NOT NULL;

-- An installation's history by start: pages (newest first) and totals read only this index.
CREATE INDEX charge_sessions_by_installation ON charge_sessions (installation_id, started_at, id)
    INCLUDE (charger_id, user_id, energy_wh);
