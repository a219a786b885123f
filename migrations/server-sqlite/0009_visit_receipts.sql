-- The visit receipt (走访回执): the SHA-256 of its token, found by the portal's receipt page.
ALTER TABLE visits ADD COLUMN receipt_hash TEXT;
ALTER TABLE visits ADD COLUMN receipt_revoked INTEGER DEFAULT 0;
CREATE UNIQUE INDEX visits_receipt ON visits (receipt_hash) WHERE receipt_hash IS NOT NULL;
