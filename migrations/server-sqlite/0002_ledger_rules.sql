-- Protocol 2. Ledger entries record actions, and the server sets who wrote them, from which
-- device, and their place in the appeal's hash chain; the appeal keeps its chain's head.
ALTER TABLE appeals ADD COLUMN ledger_head TEXT;
ALTER TABLE progress_updates ADD COLUMN action TEXT;
ALTER TABLE progress_updates ADD COLUMN department_id TEXT;
ALTER TABLE progress_updates ADD COLUMN deadline TEXT;
ALTER TABLE progress_updates ADD COLUMN satisfaction INTEGER;
ALTER TABLE progress_updates ADD COLUMN device_id TEXT;
ALTER TABLE progress_updates ADD COLUMN position INTEGER;
ALTER TABLE progress_updates ADD COLUMN prev_hash TEXT;
ALTER TABLE progress_updates ADD COLUMN hash TEXT;
CREATE INDEX progress_chain ON progress_updates (appeal_id, position);

-- Who created a record: an officer changes a zone-wide record only if it is theirs.
ALTER TABLE scopes ADD COLUMN owner_id TEXT;

-- A 'leave' entry says a record left those who could see it before: {"before", "after"}.
ALTER TABLE log ADD COLUMN scope_change TEXT;

-- The server's own clock (the stamp of the last operation it wrote or accepted), shared by
-- replicas on one database.
CREATE TABLE server_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
