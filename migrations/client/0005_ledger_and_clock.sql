-- Protocol 2. Ledger entries record actions (what, with which department, deadline or rating)
-- and, once the server has them, who wrote them from which device and their place in the
-- appeal's hash chain; the appeal keeps its chain's head.
ALTER TABLE appeals ADD COLUMN ledger_head TEXT;
ALTER TABLE progress_updates ADD COLUMN action TEXT;
ALTER TABLE progress_updates ADD COLUMN department_id TEXT;
ALTER TABLE progress_updates ADD COLUMN deadline TEXT;
ALTER TABLE progress_updates ADD COLUMN satisfaction INTEGER;
ALTER TABLE progress_updates ADD COLUMN device_id TEXT;
ALTER TABLE progress_updates ADD COLUMN position INTEGER;
ALTER TABLE progress_updates ADD COLUMN prev_hash TEXT;
ALTER TABLE progress_updates ADD COLUMN hash TEXT;

-- When a local operation was written, by this device's corrected clock and by its uptime
-- (with the boot it belongs to): if the clock turns out to have been wrong, the operation's
-- stamp and the times it took from the clock are put right before it is pushed.
ALTER TABLE oplog ADD COLUMN written_ms INTEGER;
ALTER TABLE oplog ADD COLUMN written_uptime_ms INTEGER;
ALTER TABLE oplog ADD COLUMN written_boot TEXT;
