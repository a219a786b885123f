-- The full-text index is kept up to date only when indexed text changes. An UPDATE that names
-- the column fires an `AFTER UPDATE OF` trigger even when the value stays the same, and a sync
-- that rewrites a record as it already was would re-index it for nothing.

DROP TRIGGER sites_fts_update;
DROP TRIGGER appeals_fts_update;

CREATE TRIGGER sites_fts_update AFTER UPDATE OF name, credit_code, address, industry ON sites
WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'search.deferred')
    AND (old.name IS NOT new.name OR old.credit_code IS NOT new.credit_code
         OR old.address IS NOT new.address OR old.industry IS NOT new.industry) BEGIN
    DELETE FROM sites_fts WHERE rowid = old.rowid;
    INSERT INTO sites_fts (rowid, name, initials, credit_code, address, industry)
    VALUES (new.rowid, desk_bigrams(new.name), desk_bigrams(pinyin_initials(new.name)),
            desk_bigrams(new.credit_code), desk_bigrams(new.address), desk_bigrams(new.industry));
END;
CREATE TRIGGER appeals_fts_update AFTER UPDATE OF description ON appeals
WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'search.deferred')
    AND old.description IS NOT new.description BEGIN
    DELETE FROM appeals_fts WHERE rowid = old.rowid;
    INSERT INTO appeals_fts (rowid, description) VALUES (new.rowid, desk_bigrams(new.description));
END;
