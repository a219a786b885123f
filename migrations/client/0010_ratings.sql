-- 好差评: who gave a rating (the enterprise on the portal, or an official on its behalf), and
-- the status of an appeal whose dissatisfied rating is being put right (rectifying), which the
-- status order puts between resolved and confirmed (desk_store::ledger::LedgerSort::key, word
-- for word).
ALTER TABLE progress_updates ADD COLUMN rated_by TEXT;
DROP INDEX appeals_by_status;
CREATE INDEX appeals_by_status ON appeals (CASE status WHEN 'received' THEN 1 WHEN 'dispatched' THEN 2 WHEN 'in_progress' THEN 3 WHEN 'resolved' THEN 4 WHEN 'rectifying' THEN 5 ELSE 6 END, id) WHERE void_reason IS NULL;
