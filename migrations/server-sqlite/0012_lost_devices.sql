-- A device an administrator marked lost (a tablet left in a taxi). Its token then opens
-- nothing: at its next contact the device hands over the changes it had not pushed, which are
-- kept here for the office to review and never applied as they come, and erases its store.
ALTER TABLE devices ADD COLUMN lost_at TEXT;
ALTER TABLE devices ADD COLUMN handed_over_at TEXT;
CREATE TABLE handed_over_ops (
    device_id   TEXT NOT NULL,
    op_id       TEXT NOT NULL,
    entity      TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    op          TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (device_id, op_id)
);
