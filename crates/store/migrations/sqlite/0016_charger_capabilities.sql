-- The chargers' capabilities are kept with their connections on PostgreSQL only: one process on a
-- SQLite file keeps them in memory for the connections it holds.
SELECT 1;
