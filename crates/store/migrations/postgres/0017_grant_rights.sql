-- What a group's grant gives, as the installation's owner shapes it: `rights` is a bit set (1 change
-- settings, 2 control chargers, 4 configure chargers; seeing is always given), `expires_at` the end in
-- milliseconds since the epoch (NULL: until revoked). Existing grants keep everything, with no end.
ALTER TABLE installation_grants ADD COLUMN rights INTEGER NOT NULL DEFAULT 7;
ALTER TABLE installation_grants ADD COLUMN expires_at BIGINT;
