-- An account an administrator disabled: it cannot sign in, and its devices' tokens stop
-- working, until it is enabled again.
ALTER TABLE users ADD COLUMN disabled_at TEXT;
