-- When the server acknowledged each of this device's operations: those acknowledged within the
-- retention period go back to a server restored from a backup that lacks them. Operations
-- acknowledged before this version count from now.
ALTER TABLE oplog ADD COLUMN acked_at INTEGER;
UPDATE oplog SET acked_at = CAST(unixepoch('subsec') * 1000 AS INTEGER) WHERE local = 1 AND acked = 1;
CREATE INDEX oplog_acknowledged ON oplog (acked_at) WHERE local = 1 AND acked = 1;
