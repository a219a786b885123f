-- Policy issues (议题) of the deliberation desk, which appeals point at; and the zone's time
-- limits in working days (one record, the admin's to set).
CREATE TABLE policy_issues (
    id TEXT PRIMARY KEY,
    title TEXT,
    description TEXT,
    category TEXT,
    status TEXT,
    conclusion TEXT,
    void_reason TEXT,
    _hlc TEXT NOT NULL, _clocks TEXT NOT NULL DEFAULT '{}'
) STRICT;
ALTER TABLE appeals ADD COLUMN policy_issue_id TEXT;
CREATE INDEX appeals_by_policy_issue ON appeals (policy_issue_id)
    WHERE policy_issue_id IS NOT NULL;

CREATE TABLE time_limits (
    id TEXT PRIMARY KEY,
    response_days INTEGER,
    handling_days INTEGER,
    void_reason TEXT,
    _hlc TEXT NOT NULL, _clocks TEXT NOT NULL DEFAULT '{}'
) STRICT;
