-- Bearer tokens of the REST API. Only a token's SHA-256 is kept. An access token and a refresh token
-- are issued together as one family; each refresh rotates the refresh token within the family, and a
-- refresh token presented after it was rotated revokes the whole family. Times are Unix milliseconds so
-- that both engines compare them the same way.
CREATE TABLE api_tokens (
    id             UUID PRIMARY KEY NOT NULL,
    token_hash     TEXT NOT NULL UNIQUE,
    user_id        UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id      UUID NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
    created_at     BIGINT NOT NULL,
    last_used_at   BIGINT,
    client_address TEXT,
    expires_at     BIGINT NOT NULL,
    revoked_at     BIGINT
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);
CREATE INDEX api_tokens_by_family ON api_tokens (family_id);
