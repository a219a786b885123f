-- Enterprises' orders for a visit of the desk (企业点单), placed on the portal and synced to the
-- office's devices; `stop_id` names the stop of a session an order was dispatched to (派单).
CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    site_id TEXT,
    placed_at TEXT,
    topic TEXT,
    wishes TEXT,
    windows TEXT,
    stop_id TEXT,
    void_reason TEXT,
    _hlc TEXT NOT NULL, _clocks TEXT NOT NULL DEFAULT '{}'
) STRICT;
-- The orders list (待派单) reads those not yet dispatched.
CREATE INDEX orders_waiting ON orders (placed_at) WHERE stop_id IS NULL AND void_reason IS NULL;
