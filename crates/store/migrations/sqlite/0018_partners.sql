-- Group service accounts: API credentials of a group, not of a person. Only the secret's SHA-256 is
-- kept (the secret is 32 random bytes, so a fast hash is enough). Times are Unix milliseconds.
CREATE TABLE service_accounts (
    id           BLOB PRIMARY KEY NOT NULL,
    group_id     BLOB NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    secret_hash  TEXT NOT NULL,
    created_by   BLOB REFERENCES users (id) ON DELETE SET NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX service_accounts_by_group ON service_accounts (group_id);

-- Access tokens issued to service accounts (client-credentials grant; no refresh tokens). A token is
-- good only while its account is not revoked.
CREATE TABLE service_account_tokens (
    id          BLOB PRIMARY KEY NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    account_id  BLOB NOT NULL REFERENCES service_accounts (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX service_account_tokens_by_account ON service_account_tokens (account_id);

-- Pushed access requests: a partner's parameters kept on the server, so the short link that names
-- them cannot be tampered with. One decision each; the link expires at expires_at.
-- requested_rights and grant_until are kept as the partner sent them (checked words / an RFC 3339
-- time) until grants carry rights and an end.
CREATE TABLE pushed_access_requests (
    id                      BLOB PRIMARY KEY NOT NULL,
    group_id                BLOB NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    installation_id         BLOB,
    return_url              TEXT,
    state                   TEXT,
    lang                    TEXT,
    partner_name            TEXT,
    requested_rights        TEXT NOT NULL,
    grant_until             TEXT,
    created_at              BIGINT NOT NULL,
    expires_at              BIGINT NOT NULL,
    decision                TEXT CHECK (decision IN ('approved', 'denied')),
    decided_installation_id BLOB,
    decided_at              BIGINT
);
CREATE INDEX pushed_access_requests_by_group ON pushed_access_requests (group_id);
