-- A counter of changes to who may use the API on what: every committed change to tokens, service
-- accounts, users, installations, roles, groups, memberships or grants adds one. A process keeps the
-- token holders it has checked with the counter they were read at, and reads the counter on every call:
-- a cached check is used only while the counter is unchanged, so a revocation counts on the very next
-- call. Triggers, not code, keep it, so no write path can forget it (SQLite writes one at a time).
CREATE TABLE access_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
);
INSERT INTO access_generation (id, n) VALUES (1, 0);

CREATE TRIGGER api_tokens_access_update AFTER UPDATE OF token_hash, user_id, kind, expires_at, revoked_at ON api_tokens
    BEGIN UPDATE access_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER api_tokens_access_delete AFTER DELETE ON api_tokens
    BEGIN UPDATE access_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER service_account_tokens_access_update AFTER UPDATE ON service_account_tokens
    BEGIN UPDATE access_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER service_account_tokens_access_delete AFTER DELETE ON service_account_tokens
    BEGIN UPDATE access_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER service_accounts_access_update AFTER UPDATE OF group_id, revoked_at ON service_accounts
    BEGIN UPDATE access_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER service_accounts_access_delete AFTER DELETE ON service_accounts
    BEGIN UPDATE access_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER users_access_update AFTER UPDATE OF email, full_name, language ON users
    BEGIN UPDATE access_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER users_access_delete AFTER DELETE ON users
    BEGIN UPDATE access_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER installations_access_update AFTER UPDATE ON installations
    BEGIN UPDATE access_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER installations_access_delete AFTER DELETE ON installations
    BEGIN UPDATE access_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER installation_roles_access_insert AFTER INSERT ON installation_roles
    BEGIN UPDATE access_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER installation_roles_access_update AFTER UPDATE ON installation_roles
    BEGIN UPDATE access_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER installation_roles_access_delete AFTER DELETE ON installation_roles
    BEGIN UPDATE access_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER user_groups_access_delete AFTER DELETE ON user_groups
    BEGIN UPDATE access_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER group_members_access_insert AFTER INSERT ON group_members
    BEGIN UPDATE access_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER group_members_access_update AFTER UPDATE ON group_members
    BEGIN UPDATE access_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER group_members_access_delete AFTER DELETE ON group_members
    BEGIN UPDATE access_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER installation_grants_access_insert AFTER INSERT ON installation_grants
    BEGIN UPDATE access_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER installation_grants_access_update AFTER UPDATE ON installation_grants
    BEGIN UPDATE access_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER installation_grants_access_delete AFTER DELETE ON installation_grants
    BEGIN UPDATE access_generation SET n = n + 1 WHERE id = 1; END;
