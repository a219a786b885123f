-- The visit receipt (走访回执): the visit carries the SHA-256 of its token and whether the
-- office took it back; the token itself stays on the device that made it, to show its QR
-- code again, and is never synced.
ALTER TABLE visits ADD COLUMN receipt_hash TEXT;
ALTER TABLE visits ADD COLUMN receipt_revoked INTEGER DEFAULT 0;
CREATE TABLE receipts (
    visit_id TEXT PRIMARY KEY,
    token    TEXT NOT NULL
) STRICT;
