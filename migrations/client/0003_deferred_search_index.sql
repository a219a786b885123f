-- A first sync brings every record at once. Keeping the full-text index row by row would cost
-- more than the rest of the load (DESIGN.md measures 10x), so while `meta` holds the key
-- 'search.deferred' the triggers stand aside and the index is rebuilt once afterwards
-- (Store::rebuild_search_index).

DROP TRIGGER sites_fts_insert;
DROP TRIGGER sites_fts_update;
DROP TRIGGER appeals_fts_insert;
DROP TRIGGER appeals_fts_update;

CREATE TRIGGER sites_fts_insert AFTER INSERT ON sites
WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'search.deferred') BEGIN
    INSERT INTO sites_fts (rowid, name, initials, credit_code, address, industry)
    VALUES (new.rowid, desk_bigrams(new.name), desk_bigrams(pinyin_initials(new.name)),
            desk_bigrams(new.credit_code), desk_bigrams(new.address), desk_bigrams(new.industry));
END;
CREATE TRIGGER sites_fts_update AFTER UPDATE OF name, credit_code, address, industry ON sites
WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'search.deferred') BEGIN
    DELETE FROM sites_fts WHERE rowid = old.rowid;
    INSERT INTO sites_fts (rowid, name, initials, credit_code, address, industry)
    VALUES (new.rowid, desk_bigrams(new.name), desk_bigrams(pinyin_initials(new.name)),
            desk_bigrams(new.credit_code), desk_bigrams(new.address), desk_bigrams(new.industry));
END;
CREATE TRIGGER appeals_fts_insert AFTER INSERT ON appeals
WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'search.deferred') BEGIN
    INSERT INTO appeals_fts (rowid, description) VALUES (new.rowid, desk_bigrams(new.description));
END;
CREATE TRIGGER appeals_fts_update AFTER UPDATE OF description ON appeals
WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'search.deferred') BEGIN
    DELETE FROM appeals_fts WHERE rowid = old.rowid;
    INSERT INTO appeals_fts (rowid, description) VALUES (new.rowid, desk_bigrams(new.description));
END;
