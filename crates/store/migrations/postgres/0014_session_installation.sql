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

-- The totals of an installation's whole history (its unfiltered page), kept exact by triggers in the
-- transaction that changes a session, so that page does not count 100 000 rows each time.
CREATE TABLE installation_history_totals (
    installation_id UUID PRIMARY KEY NOT NULL REFERENCES installations (id) ON DELETE CASCADE,
    sessions        BIGINT NOT NULL DEFAULT 0,
    energy_wh       DOUBLE PRECISION NOT NULL DEFAULT 0
);
INSERT INTO installation_history_totals (installation_id, sessions, energy_wh)
    SELECT installation_id, COUNT(*), SUM(CASE WHEN energy_wh > 0 THEN energy_wh ELSE 0.0 END)
    FROM charge_sessions GROUP BY installation_id;

CREATE FUNCTION count_added_sessions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO installation_history_totals AS t (installation_id, sessions, energy_wh)
        SELECT installation_id, COUNT(*), SUM(CASE WHEN energy_wh > 0 THEN energy_wh ELSE 0.0 END)
        FROM added GROUP BY installation_id ORDER BY installation_id
        ON CONFLICT (installation_id) DO UPDATE
        SET sessions = t.sessions + excluded.sessions, energy_wh = t.energy_wh + excluded.energy_wh;
    RETURN NULL;
END
$$;
CREATE FUNCTION count_removed_sessions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE installation_history_totals t SET sessions = t.sessions - r.sessions, energy_wh = t.energy_wh - r.energy_wh
        FROM (SELECT installation_id, COUNT(*) AS sessions,
                     SUM(CASE WHEN energy_wh > 0 THEN energy_wh ELSE 0.0 END) AS energy_wh
              FROM removed GROUP BY installation_id) r
        WHERE t.installation_id = r.installation_id;
    RETURN NULL;
END
$$;
CREATE FUNCTION count_changed_session() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE installation_history_totals SET sessions = sessions - 1,
        energy_wh = energy_wh - (CASE WHEN OLD.energy_wh > 0 THEN OLD.energy_wh ELSE 0.0 END)
        WHERE installation_id = OLD.installation_id;
    INSERT INTO installation_history_totals AS t (installation_id, sessions, energy_wh)
        VALUES (NEW.installation_id, 1, CASE WHEN NEW.energy_wh > 0 THEN NEW.energy_wh ELSE 0.0 END)
        ON CONFLICT (installation_id) DO UPDATE
        SET sessions = t.sessions + 1, energy_wh = t.energy_wh + excluded.energy_wh;
    RETURN NULL;
END
$$;
CREATE TRIGGER charge_sessions_counted_added AFTER INSERT ON charge_sessions
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION count_added_sessions();
CREATE TRIGGER charge_sessions_counted_removed AFTER DELETE ON charge_sessions
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION count_removed_sessions();
CREATE TRIGGER charge_sessions_counted_changed AFTER UPDATE OF installation_id, energy_wh ON charge_sessions
    FOR EACH ROW WHEN (OLD.installation_id IS DISTINCT FROM NEW.installation_id OR OLD.energy_wh IS DISTINCT FROM NEW.energy_wh)
    EXECUTE FUNCTION count_changed_session();
