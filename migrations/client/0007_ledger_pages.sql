-- The ledger's sort orders, each an index over live appeals ending in the id, so a page is
-- read off the index after the last row shown (keyset paging) rather than sorted. The
-- expressions are desk_store::ledger::LedgerSort::key, word for word: SQLite uses an index on
-- an expression only for the same expression (the store's plan test holds them together).
CREATE INDEX appeals_by_raised ON appeals (raised_at, id) WHERE void_reason IS NULL;
CREATE INDEX appeals_by_deadline ON appeals (ifnull(deadline, '9999-12-31'), id) WHERE void_reason IS NULL;
CREATE INDEX appeals_by_status ON appeals (CASE status WHEN 'received' THEN 1 WHEN 'dispatched' THEN 2 WHEN 'in_progress' THEN 3 WHEN 'resolved' THEN 4 ELSE 5 END, id) WHERE void_reason IS NULL;
CREATE INDEX appeals_by_urgency ON appeals ((urgency = 'urgent'), id) WHERE void_reason IS NULL;
CREATE INDEX appeals_by_satisfaction ON appeals (ifnull(satisfaction, 0), id) WHERE void_reason IS NULL;
-- Counting a page's matches: by status or category over live appeals, from the index alone.
CREATE INDEX appeals_live_status ON appeals (status) WHERE void_reason IS NULL;
CREATE INDEX appeals_live_category ON appeals (category) WHERE void_reason IS NULL;
