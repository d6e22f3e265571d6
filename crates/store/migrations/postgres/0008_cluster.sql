-- Several voltgate processes on one database act as one service. Each process is a node that holds
-- its place under a lease it renews; a charger's connection belongs to the node it is connected to, and
-- counts as online only while that node's lease runs. Messages between nodes travel by LISTEN/NOTIFY;
-- those too large for a notification (8000 bytes) wait in `cluster_messages`, which nothing needs after
-- a crash.
CREATE TABLE cluster_nodes (
    id          UUID PRIMARY KEY NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    lease_until TIMESTAMPTZ NOT NULL
);

CREATE TABLE charger_connections (
    charger_id   UUID PRIMARY KEY NOT NULL REFERENCES chargers (id) ON DELETE CASCADE,
    node_id      UUID NOT NULL REFERENCES cluster_nodes (id) ON DELETE CASCADE,
    generation   BIGINT NOT NULL,
    connected_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX charger_connections_by_node ON charger_connections (node_id);

CREATE UNLOGGED TABLE cluster_messages (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    body       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX cluster_messages_by_age ON cluster_messages (created_at);
