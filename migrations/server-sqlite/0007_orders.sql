-- Enterprises' orders for a visit of the desk (企业点单), placed on the portal; `stop_id` names
-- the stop of a session an order was dispatched to (派单).
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
CREATE INDEX orders_site ON orders (site_id);
