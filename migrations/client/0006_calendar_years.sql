-- Years of holidays and make-up working days the office published after this build.
CREATE TABLE calendar_years (
    id TEXT PRIMARY KEY,
    year INTEGER,
    days TEXT,
    void_reason TEXT,
    _hlc TEXT NOT NULL, _clocks TEXT NOT NULL DEFAULT '{}'
) STRICT;
