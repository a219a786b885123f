-- The enterprise representative's signature under a visit's read-back minutes:
-- {"signer", "signed_at", "strokes": [[[x, y], …], …]}.
ALTER TABLE visits ADD COLUMN signature TEXT;
