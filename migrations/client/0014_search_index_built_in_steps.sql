-- A bootstrap's full-text index is built in steps once the records are usable, so searching
-- (by scanning meanwhile) and writing wait for one step, never for the whole build. While
-- 'search.deferred' is set, 'search.built.sites' and 'search.built.appeals' hold the last rowid
-- a step has built: rows up to it are kept by these triggers, rows after it by the next step.

DROP TRIGGER sites_fts_insert;
DROP TRIGGER sites_fts_update;
DROP TRIGGER appeals_fts_insert;
DROP TRIGGER appeals_fts_update;

CREATE TRIGGER sites_fts_insert AFTER INSERT ON sites
WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'search.deferred')
    OR new.rowid <= (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'search.built.sites') BEGIN
    INSERT INTO sites_fts (rowid, name, initials, credit_code, address, industry)
    VALUES (new.rowid, desk_bigrams(new.name), desk_bigrams(pinyin_initials(new.name)),
            desk_bigrams(new.credit_code), desk_bigrams(new.address), desk_bigrams(new.industry));
END;
CREATE TRIGGER sites_fts_update AFTER UPDATE OF name, credit_code, address, industry ON sites
WHEN (NOT EXISTS (SELECT 1 FROM meta WHERE key = 'search.deferred')
      OR new.rowid <= (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'search.built.sites'))
    AND (old.name IS NOT new.name OR old.credit_code IS NOT new.credit_code
         OR old.address IS NOT new.address OR old.industry IS NOT new.industry) BEGIN
    DELETE FROM sites_fts WHERE rowid = old.rowid;
    INSERT INTO sites_fts (rowid, name, initials, credit_code, address, industry)
    VALUES (new.rowid, desk_bigrams(new.name), desk_bigrams(pinyin_initials(new.name)),
            desk_bigrams(new.credit_code), desk_bigrams(new.address), desk_bigrams(new.industry));
END;
CREATE TRIGGER appeals_fts_insert AFTER INSERT ON appeals
WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'search.deferred')
    OR new.rowid <= (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'search.built.appeals') BEGIN
    INSERT INTO appeals_fts (rowid, description) VALUES (new.rowid, desk_bigrams(new.description));
END;
CREATE TRIGGER appeals_fts_update AFTER UPDATE OF description ON appeals
WHEN (NOT EXISTS (SELECT 1 FROM meta WHERE key = 'search.deferred')
      OR new.rowid <= (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'search.built.appeals'))
    AND old.description IS NOT new.description BEGIN
    DELETE FROM appeals_fts WHERE rowid = old.rowid;
    INSERT INTO appeals_fts (rowid, description) VALUES (new.rowid, desk_bigrams(new.description));
END;
