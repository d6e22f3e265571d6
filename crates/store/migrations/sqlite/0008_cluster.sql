-- The cluster's tables (nodes, their leases, which node holds which charger, messages between nodes)
-- exist on PostgreSQL only: one process on a SQLite file is the whole service.
SELECT 1;
