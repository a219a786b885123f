-- The central server's schema. Domain tables mirror desk_core::Entity (as on devices), with
-- the merge columns _hlc and _clocks. `log` is the sync log: every accepted operation, and every
-- snapshot the server emits when a record enters new scopes, numbered by `seq` in commit order
-- (ingest is serialised), which makes the pull cursor gapless. `scopes` says who may see each
-- record.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL
);

CREATE TABLE user_parks (
    user_id TEXT NOT NULL REFERENCES users (id),
    park_id TEXT NOT NULL,
    PRIMARY KEY (user_id, park_id)
);

CREATE TABLE user_departments (
    user_id       TEXT NOT NULL REFERENCES users (id),
    department_id TEXT NOT NULL,
    PRIMARY KEY (user_id, department_id)
);

CREATE TABLE devices (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT,
    revoked_at   TEXT
);

CREATE TABLE log (
    seq         BIGINT PRIMARY KEY,
    kind        TEXT NOT NULL,
    op_id       TEXT UNIQUE,
    entity      TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    fields      TEXT NOT NULL,
    hlc         TEXT,
    prev        TEXT,
    clocks      TEXT,
    user_id     TEXT,
    device_id   TEXT,
    received_at TEXT NOT NULL
);
CREATE INDEX log_record ON log (entity, record_id);

CREATE TABLE scopes (
    entity    TEXT NOT NULL,
    record_id TEXT NOT NULL,
    public    BIGINT NOT NULL,
    park_id   TEXT,
    PRIMARY KEY (entity, record_id)
);
CREATE INDEX scopes_park ON scopes (park_id);

CREATE TABLE scope_departments (
    entity        TEXT NOT NULL,
    record_id     TEXT NOT NULL,
    department_id TEXT NOT NULL,
    PRIMARY KEY (entity, record_id, department_id)
);
CREATE INDEX scope_departments_department ON scope_departments (department_id);

-- Who did what, when, from which device: logins, pushes, device revocations.
CREATE TABLE audit (
    id        TEXT PRIMARY KEY,
    at        TEXT NOT NULL,
    user_id   TEXT,
    device_id TEXT,
    action    TEXT NOT NULL,
    detail    TEXT NOT NULL
);

CREATE TABLE parks (
    id TEXT PRIMARY KEY,
    name TEXT,
    void_reason TEXT,
    _hlc TEXT NOT NULL, _clocks TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE departments (
    id TEXT PRIMARY KEY,
    name TEXT,
    level TEXT,
    void_reason TEXT,
    _hlc TEXT NOT NULL, _clocks TEXT NOT NULL DEFAULT '{}'
);

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
);
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
);
CREATE INDEX sessions_date ON sessions (date);

CREATE TABLE stops (
    id TEXT PRIMARY KEY,
    session_id TEXT,
    position BIGINT,
    site_id TEXT,
    slot_start TEXT,
    slot_end TEXT,
    void_reason TEXT,
    _hlc TEXT NOT NULL, _clocks TEXT NOT NULL DEFAULT '{}'
);
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
    monthly_output_yuan BIGINT,
    notes TEXT,
    void_reason TEXT,
    _hlc TEXT NOT NULL, _clocks TEXT NOT NULL DEFAULT '{}'
);
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
    satisfaction BIGINT,
    void_reason TEXT,
    _hlc TEXT NOT NULL, _clocks TEXT NOT NULL DEFAULT '{}'
);
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
);
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
);
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
);

CREATE TABLE suggestions (
    id TEXT PRIMARY KEY,
    site_id TEXT,
    visit_id TEXT,
    at TEXT,
    content TEXT,
    adopted BIGINT,
    void_reason TEXT,
    _hlc TEXT NOT NULL, _clocks TEXT NOT NULL DEFAULT '{}'
);

