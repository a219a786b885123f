-- What a screen is in the middle of capturing (a visit), saved as the official types so that
-- closing the app, a crash or a dead battery loses nothing. Local to the device, never synced:
-- the records written from a draft when it is finished are what travels.
CREATE TABLE drafts (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

CREATE INDEX drafts_by_kind ON drafts (kind, updated_at);
