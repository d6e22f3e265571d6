-- A user group's access to a whole installation, granted by its owner or an admin.
CREATE TABLE installation_grants (
    installation_id UUID NOT NULL REFERENCES installations (id) ON DELETE CASCADE,
    group_id        UUID NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    granted_by      UUID REFERENCES users (id) ON DELETE SET NULL,
    granted_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (installation_id, group_id)
);
CREATE INDEX installation_grants_by_group ON installation_grants (group_id);
