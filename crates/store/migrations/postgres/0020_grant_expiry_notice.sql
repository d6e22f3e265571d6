-- When the end of a grant was told (audit entry, `access.expired` webhooks, live event), in milliseconds
-- since the epoch; NULL: not told yet. The expiry sweep claims due grants by setting it, so a grant's end
-- is told once however many processes sweep; extending an ended grant clears it, so a later end is told
-- again. Existing grants are untold: one that has already ended is told by the first sweep.
ALTER TABLE installation_grants ADD COLUMN expiry_told_at BIGINT;
CREATE INDEX installation_grants_expiry_due ON installation_grants (expires_at)
    WHERE expires_at IS NOT NULL AND expiry_told_at IS NULL;

-- The deliveries being sent (claimed, not done), for the worker's shares per endpoint and group.
CREATE INDEX webhook_deliveries_in_flight ON webhook_deliveries (endpoint_id)
    WHERE claimed_until IS NOT NULL AND delivered_at IS NULL AND failed_at IS NULL;
