-- What a charger supports of smart charging (its ChargeProfileMaxStackLevel and whether it takes limits
-- in amperes) is asked once per connection, by the process it is connected to, and kept with the
-- connection, so that load balancing on any process reads it instead of asking the charger across
-- processes. NULL until the answer is in: a new connection starts without.
ALTER TABLE charger_connections ADD COLUMN max_stack_level BIGINT;
ALTER TABLE charger_connections ADD COLUMN amperes BOOLEAN;
