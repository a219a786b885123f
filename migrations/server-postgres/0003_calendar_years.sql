-- Years of holidays and make-up working days, published to every device
-- (`desk-server admin calendar import`).
CREATE TABLE calendar_years (
    id TEXT PRIMARY KEY,
    year BIGINT,
    days TEXT,
    void_reason TEXT,
    _hlc TEXT NOT NULL, _clocks TEXT NOT NULL DEFAULT '{}'
);
