-- The device's store. Domain tables hold the current state; `oplog` holds every operation that
-- produced it, local and received. Columns of domain tables are the synced fields of
-- desk_core::Entity, plus two merge columns:
--   _hlc     the stamp of the operation that created the row (every field's clock by default)
--   _clocks  JSON {field: stamp} for fields written later
-- References between records are checked by the service layer, not by foreign keys: a device
-- with a narrow scope legitimately holds an appeal without the visit it came from.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE oplog (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    op_id     TEXT NOT NULL UNIQUE,
    entity    TEXT NOT NULL,
    record_id TEXT NOT NULL,
    fields    TEXT NOT NULL,
    hlc       TEXT NOT NULL,
    -- 1: written on this device, so it belongs in the outbox until the server acknowledges it.
    local     INTEGER NOT NULL,
    acked     INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX oplog_outbox ON oplog (seq) WHERE local = 1 AND acked = 0;
CREATE INDEX oplog_record ON oplog (entity, record_id);

CREATE TABLE parks (
    id TEXT PRIMARY KEY,
    name TEXT,
    void_reason TEXT,
    _hlc TEXT NOT NULL, _clocks TEXT NOT NULL DEFAULT '{}'
) STRICT;

CREATE TABLE departments (
    id TEXT PRIMARY KEY,
    name TEXT,
    level TEXT,
    void_reason TEXT,
    _hlc TEXT NOT NULL, _clocks TEXT NOT NULL DEFAULT '{}'
) STRICT;

CREATE TABLE sites (
    id TEXT PRIMARY KEY,
    kind TEXT,
    name TEXT,
    credit_code TEXT,
    park_id TEXT,
    address TEXT,
    industry TEXT,
    contact TEXT,
    phone TEXT,
    void_reason TEXT,
    _hlc TEXT NOT NULL, _clocks TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX sites_credit_code ON sites (credit_code);
CREATE INDEX sites_park ON sites (park_id);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    date TEXT,
    leader TEXT,
    participants TEXT,
    desk_types TEXT,
    origin TEXT,
    status TEXT,
    summary TEXT,
    void_reason TEXT,
    _hlc TEXT NOT NULL, _clocks TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX sessions_date ON sessions (date);

CREATE TABLE stops (
    id TEXT PRIMARY KEY,
    session_id TEXT,
    position INTEGER,
    site_id TEXT,
    slot_start TEXT,
    slot_end TEXT,
    void_reason TEXT,
    _hlc TEXT NOT NULL, _clocks TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX stops_session ON stops (session_id, position);

CREATE TABLE visits (
    id TEXT PRIMARY KEY,
    session_id TEXT,
    site_id TEXT,
    started_at TEXT,
    ended_at TEXT,
    officials TEXT,
    enterprise_attendees TEXT,
    production_status TEXT,
    monthly_output_yuan INTEGER,
    notes TEXT,
    void_reason TEXT,
    _hlc TEXT NOT NULL, _clocks TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX visits_site ON visits (site_id);
CREATE INDEX visits_session ON visits (session_id);

CREATE TABLE appeals (
    id TEXT PRIMARY KEY,
    site_id TEXT,
    visit_id TEXT,
    raised_at TEXT,
    channel TEXT,
    category TEXT,
    description TEXT,
    urgency TEXT,
    status TEXT,
    department_id TEXT,
    deadline TEXT,
    resolved_at TEXT,
    satisfaction INTEGER,
    void_reason TEXT,
    _hlc TEXT NOT NULL, _clocks TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX appeals_status ON appeals (status, deadline);
CREATE INDEX appeals_site ON appeals (site_id);
CREATE INDEX appeals_department ON appeals (department_id);

CREATE TABLE resolutions (
    id TEXT PRIMARY KEY,
    appeal_id TEXT,
    action TEXT,
    lead_department_id TEXT,
    co_department_ids TEXT,
    deadline TEXT,
    commitment TEXT,
    void_reason TEXT,
    _hlc TEXT NOT NULL, _clocks TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX resolutions_appeal ON resolutions (appeal_id);

CREATE TABLE progress_updates (
    id TEXT PRIMARY KEY,
    appeal_id TEXT,
    at TEXT,
    author TEXT,
    note TEXT,
    from_status TEXT,
    to_status TEXT,
    reason TEXT,
    _hlc TEXT NOT NULL, _clocks TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX progress_appeal ON progress_updates (appeal_id, at);

CREATE TABLE consultations (
    id TEXT PRIMARY KEY,
    site_id TEXT,
    visit_id TEXT,
    at TEXT,
    topic TEXT,
    question TEXT,
    answer TEXT,
    void_reason TEXT,
    _hlc TEXT NOT NULL, _clocks TEXT NOT NULL DEFAULT '{}'
) STRICT;

CREATE TABLE suggestions (
    id TEXT PRIMARY KEY,
    site_id TEXT,
    visit_id TEXT,
    at TEXT,
    content TEXT,
    adopted INTEGER,
    void_reason TEXT,
    _hlc TEXT NOT NULL, _clocks TEXT NOT NULL DEFAULT '{}'
) STRICT;

-- Full-text search. Chinese has no spaces between words, so text is indexed as overlapping
-- character pairs (desk_bigrams('用电价格') = '用电 电价 价格') and a query of two or more
-- characters becomes the phrase of its pairs: any substring is found through the index, two-
-- character words ("绿化", "电价") included. The same works for credit codes and pinyin
-- initials. desk_bigrams() and pinyin_initials() are functions the store registers on every
-- connection. Contentless: the text lives once, in the tables above.
CREATE VIRTUAL TABLE sites_fts USING fts5 (
    name, initials, credit_code, address, industry,
    content = '', contentless_delete = 1, tokenize = 'unicode61'
);
CREATE TRIGGER sites_fts_insert AFTER INSERT ON sites BEGIN
    INSERT INTO sites_fts (rowid, name, initials, credit_code, address, industry)
    VALUES (new.rowid, desk_bigrams(new.name), desk_bigrams(pinyin_initials(new.name)),
            desk_bigrams(new.credit_code), desk_bigrams(new.address), desk_bigrams(new.industry));
END;
CREATE TRIGGER sites_fts_update AFTER UPDATE OF name, credit_code, address, industry ON sites BEGIN
    DELETE FROM sites_fts WHERE rowid = old.rowid;
    INSERT INTO sites_fts (rowid, name, initials, credit_code, address, industry)
    VALUES (new.rowid, desk_bigrams(new.name), desk_bigrams(pinyin_initials(new.name)),
            desk_bigrams(new.credit_code), desk_bigrams(new.address), desk_bigrams(new.industry));
END;

CREATE VIRTUAL TABLE appeals_fts USING fts5 (
    description,
    content = '', contentless_delete = 1, tokenize = 'unicode61'
);
CREATE TRIGGER appeals_fts_insert AFTER INSERT ON appeals BEGIN
    INSERT INTO appeals_fts (rowid, description) VALUES (new.rowid, desk_bigrams(new.description));
END;
CREATE TRIGGER appeals_fts_update AFTER UPDATE OF description ON appeals BEGIN
    DELETE FROM appeals_fts WHERE rowid = old.rowid;
    INSERT INTO appeals_fts (rowid, description) VALUES (new.rowid, desk_bigrams(new.description));
END;
