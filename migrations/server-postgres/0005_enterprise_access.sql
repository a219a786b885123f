-- The enterprises' way into the portal: an access code per site that the office issues (kept
-- only as an argon2 hash, like passwords), and the portal sessions signed in with one (kept
-- as a SHA-256 hash of the token, like device tokens).
CREATE TABLE enterprise_codes (
    site_id    TEXT PRIMARY KEY,
    code_hash  TEXT NOT NULL,
    issued_at  TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE portal_sessions (
    token_hash TEXT PRIMARY KEY,
    site_id    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX portal_sessions_site ON portal_sessions (site_id);
