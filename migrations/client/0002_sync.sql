-- Sync state. The outbox is the oplog's local, unacknowledged rows; what the server refused
-- and the values that lost a concurrent edit are kept here until someone looks at them.
-- The cursor, bootstrap progress and clock offset live in `meta` (keys sync.*).

ALTER TABLE oplog ADD COLUMN prev TEXT NOT NULL DEFAULT '{}';

CREATE TABLE rejections (
    op_id     TEXT PRIMARY KEY,
    entity    TEXT NOT NULL,
    record_id TEXT NOT NULL,
    fields    TEXT NOT NULL,
    code      TEXT NOT NULL,
    field     TEXT,
    reason    TEXT NOT NULL,
    at        TEXT NOT NULL,
    resolved  TEXT
) STRICT;

CREATE TABLE conflicts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    entity     TEXT NOT NULL,
    record_id  TEXT NOT NULL,
    field      TEXT NOT NULL,
    kept_value TEXT NOT NULL,
    kept_hlc   TEXT NOT NULL,
    lost_value TEXT NOT NULL,
    lost_hlc   TEXT NOT NULL,
    at         TEXT NOT NULL,
    resolved   TEXT
) STRICT;
