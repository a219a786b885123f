-- 好差评: who gave a rating, the enterprise on the portal or an official on its behalf.
ALTER TABLE progress_updates ADD COLUMN rated_by TEXT;

-- The enterprises that agreed, on the portal, to be named on the public board (群众监督) with
-- their appeals' descriptions; the others' appeals are listed without them.
CREATE TABLE board_consents (
    site_id   TEXT PRIMARY KEY,
    agreed_at TEXT NOT NULL
);
