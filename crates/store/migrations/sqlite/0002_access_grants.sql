-- A user group's access to a whole installation, granted by its owner or an admin.
CREATE TABLE installation_grants (
    installation_id BLOB NOT NULL REFERENCES installations (id) ON DELETE CASCADE,
    group_id        BLOB NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    granted_by      BLOB REFERENCES users (id) ON DELETE SET NULL,
    granted_at      TEXT NOT NULL,
    PRIMARY KEY (installation_id, group_id)
);
CREATE INDEX installation_grants_by_group ON installation_grants (group_id);
