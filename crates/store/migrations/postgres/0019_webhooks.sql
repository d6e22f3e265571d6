-- Signed webhooks of user groups. An endpoint's secret is kept as it is (it must sign) and is never
-- logged; during a rotation the previous secret also signs until `previous_secret_until`. `events` is
-- a bit set of the event types subscribed to. Times are Unix milliseconds, as for api_tokens.
CREATE TABLE webhook_endpoints (
    id                    UUID PRIMARY KEY NOT NULL,
    group_id              UUID NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    url                   TEXT NOT NULL,
    events                BIGINT NOT NULL,
    secret                TEXT NOT NULL,
    previous_secret       TEXT,
    previous_secret_until BIGINT,
    created_at            BIGINT NOT NULL,
    disabled_at           BIGINT,
    disabled_reason       TEXT
);
CREATE INDEX webhook_endpoints_by_group ON webhook_endpoints (group_id);

-- The outbox: one row per event and endpoint, written in the transaction of the change that caused
-- it. A worker claims due rows (`claimed_until` is its lease), sends them and records the outcome.
CREATE TABLE webhook_deliveries (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id     UUID NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id        UUID NOT NULL,
    event_type      TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    claimed_until   BIGINT,
    delivered_at    BIGINT,
    failed_at       BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id);

-- Every attempt to deliver: when, how long it took, the status code or the error.
CREATE TABLE webhook_attempts (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id UUID NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    event_id    UUID NOT NULL,
    event_type  TEXT NOT NULL,
    at          BIGINT NOT NULL,
    duration_ms BIGINT NOT NULL,
    status_code INTEGER,
    error       TEXT
);
CREATE INDEX webhook_attempts_by_endpoint ON webhook_attempts (endpoint_id, at);
