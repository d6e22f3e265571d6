-- A counter of changes to who may use the API on what: every committed change to tokens, service
-- accounts, users, installations, roles, groups, memberships or grants adds one. A process keeps the
-- token holders it has checked with the counter they were read at, and reads the counter on every call:
-- a cached check is used only while the counter is unchanged, so a revocation made by any process
-- counts on the very next call everywhere. Triggers, not code, keep it, so no write path can forget it.
CREATE TABLE access_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  BIGINT NOT NULL
);
INSERT INTO access_generation (id, n) VALUES (1, 0);

CREATE FUNCTION bump_access_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE access_generation SET n = n + 1 WHERE id = 1;
    RETURN NULL;
END $$;

-- Deferred to the commit, so the counter's row is the last lock a transaction takes (no lock order
-- against the rows it changed) and a change and its count commit together.
CREATE CONSTRAINT TRIGGER api_tokens_access AFTER UPDATE OF token_hash, user_id, kind, expires_at, revoked_at
    OR DELETE ON api_tokens DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION bump_access_generation();
CREATE CONSTRAINT TRIGGER service_account_tokens_access AFTER UPDATE OR DELETE ON service_account_tokens
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_access_generation();
CREATE CONSTRAINT TRIGGER service_accounts_access AFTER UPDATE OF group_id, revoked_at OR DELETE
    ON service_accounts DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_access_generation();
CREATE CONSTRAINT TRIGGER users_access AFTER UPDATE OF email, full_name, language OR DELETE ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_access_generation();
CREATE CONSTRAINT TRIGGER installations_access AFTER UPDATE OR DELETE ON installations
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_access_generation();
CREATE CONSTRAINT TRIGGER installation_roles_access AFTER INSERT OR UPDATE OR DELETE ON installation_roles
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_access_generation();
CREATE CONSTRAINT TRIGGER user_groups_access AFTER DELETE ON user_groups
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_access_generation();
CREATE CONSTRAINT TRIGGER group_members_access AFTER INSERT OR UPDATE OR DELETE ON group_members
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_access_generation();
CREATE CONSTRAINT TRIGGER installation_grants_access AFTER INSERT OR UPDATE OR DELETE ON installation_grants
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_access_generation();
