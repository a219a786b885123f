-- The Open311 GeoReport v2 intake (/open311/v2/): an API key per integrating system (the 12345
-- hotline, say), kept only as a SHA-256 hash like device tokens, and which appeals each system
-- raised, so it follows those and only those.
CREATE TABLE integration_keys (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    key_hash   TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE TABLE open311_requests (
    appeal_id  TEXT PRIMARY KEY,
    key_id     TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX open311_requests_key ON open311_requests (key_id, created_at);
