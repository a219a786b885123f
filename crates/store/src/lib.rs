//! The device's local store.
//!
//! One SQLite file per device (WAL, `synchronous=NORMAL`, foreign keys, busy timeout),
//! encrypted with SQLCipher under a key of its own ([`key`]), its schema in
//! `migrations/client`. Domain tables change only through [`apply`], which runs in
//! the same transaction that appends the operation to `oplog`: there is no write without its
//! operation and no operation without its write. Local writes go through [`Writer`], which
//! validates, stamps and records; operations from elsewhere go through [`Store::apply_remote`].

mod apply;
mod checkpoint;
mod clock;
mod demo;
mod drafts;
mod error;
mod import;
mod key;
mod ledger;
mod migrate;
mod orders;
mod query;
mod receipts;
mod sync;
mod write;

use std::path::Path;

use checkpoint::Checkpointer;
use chrono::{DateTime, Utc};
use desk_core::{Clock, Hlc, Op};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use uuid::Uuid;

pub use apply::{apply_op, apply_snapshot, snapshot, snapshots_after};
pub use clock::{ClockCorrection, Reading, Uptime, UptimeSource};
pub use demo::DemoReport;
pub use desk_core::stats::Stats;
pub use drafts::Draft;
pub use error::{ImportRowError, StoreError};
pub use import::import_sites_csv;
pub use key::{erase_dir, write_private, KeyPlace, StoreKey, KEY_FILE, STORE_FILE};
pub use ledger::{AppealFilter, AppealText, LedgerEntry, LedgerOrder, LedgerPage, LedgerSort};
pub use migrate::SCHEMA_VERSION;
pub use query::{register_functions, SearchHits};
pub use sync::{rejection_hint, Conflict, Keep, LocalStatus, Rejection, SyncState, LARGE_PULL};
pub use write::Writer;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Where the current time comes from; tests and the demo pin it.
pub type Now = std::sync::Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

pub struct Store {
    conn: Connection,
    device: Uuid,
    clock: Clock,
    now: Now,
    /// The time since boot, which no one sets by hand: see [`clock`].
    uptime: Option<UptimeSource>,
    /// Server time minus device time, learnt at sync: tablet clocks are wrong.
    offset_ms: i64,
    /// The server's time at a known uptime, learnt at sync.
    anchor: Option<clock::Anchor>,
    checkpointer: Option<Checkpointer>,
    /// Texts given to the full-text index, see [`query::register_functions`].
    indexed: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// Where the key is kept, for a store opened with [`Store::open_dir`].
    key_place: Option<KeyPlace>,
}

impl Store {
    /// Opens (creating if needed) the store at `path`, not encrypted, applying pending
    /// migrations: for tests, benchmarks and tools. A device opens its data directory with
    /// [`Store::open_dir`], encrypted.
    pub fn open(path: &Path) -> Result<Store> {
        Self::open_with(path, None)
    }

    /// Opens the store at `path`, encrypted under `key`; a device opens its data directory
    /// with [`Store::open_dir`], which keeps the key.
    pub fn open_encrypted(path: &Path, key: &StoreKey) -> Result<Store> {
        Self::open_with(path, Some(key))
    }

    fn open_with(path: &Path, key: Option<&StoreKey>) -> Result<Store> {
        let conn = Connection::open(path)?;
        if let Some(key) = key {
            key.unlock(&conn, path)?;
        }
        let mut store = Self::init(conn)?;
        store.checkpointer = Some(Checkpointer::start(path, key)?);
        Ok(store)
    }

    /// A store that lives only as long as the value; for tests and replays.
    pub fn open_in_memory() -> Result<Store> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Store> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // Checkpoints copy the WAL into the database and sync it: milliseconds that would land
        // on whichever save crossed the threshold. A background thread does them instead (see
        // checkpoint.rs).
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let indexed = query::register_functions(&conn)?;
        migrate::run(&mut conn)?;

        let device = match meta(&conn, "device_id")? {
            Some(id) => Uuid::parse_str(&id).map_err(|_| StoreError::Corrupt("device_id"))?,
            None => {
                let id = Uuid::now_v7();
                set_meta(&conn, "device_id", &id.to_string())?;
                id
            }
        };
        let last = match meta(&conn, "clock")? {
            Some(s) => s.parse().map_err(|_| StoreError::Corrupt("clock"))?,
            None => Hlc::zero(device),
        };
        let conn_ref = &conn;
        let offset_ms = meta(conn_ref, "sync.clock_offset_ms")?
            .and_then(|o| o.parse().ok())
            .unwrap_or(0);
        let anchor = clock::Anchor::load(conn_ref)?;
        Ok(Store {
            conn,
            device,
            clock: Clock::new(last),
            now: std::sync::Arc::new(Utc::now),
            uptime: Some(std::sync::Arc::new(clock::system_uptime)),
            offset_ms,
            anchor,
            checkpointer: None,
            indexed,
            key_place: None,
        })
    }

    /// How many texts this store has given its full-text index since it opened.
    pub fn texts_indexed(&self) -> u64 {
        self.indexed.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Pins the clock the store reads the time from (and, unless [`Store::set_uptime`] says
    /// otherwise, leaves uptime out, so the pinned clock is all there is).
    pub fn set_now(&mut self, now: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) {
        self.now = std::sync::Arc::new(now);
        self.uptime = None;
    }

    /// Where the time since boot comes from (tests simulate reboots with it).
    pub fn set_uptime(&mut self, uptime: UptimeSource) {
        self.uptime = Some(uptime);
    }

    /// The device's own clock, uncorrected: what the server's time is compared against.
    pub fn raw_now(&self) -> DateTime<Utc> {
        (self.now)()
    }

    /// What the device reads now: its wall clock and its uptime.
    pub fn reading(&self) -> Reading {
        Reading {
            wall_ms: self.raw_now().timestamp_millis(),
            uptime: self.uptime.as_ref().and_then(|u| u()),
        }
    }

    /// The time as the server would tell it: counted from the server's time at the last sync
    /// by the uptime since, when the device has not restarted (so a wall clock set right, or
    /// wrong, in between changes nothing); otherwise the wall clock corrected by the offset
    /// learnt then.
    pub fn now(&self) -> DateTime<Utc> {
        let reading = self.reading();
        let ms = self
            .anchor
            .as_ref()
            .and_then(|a| a.server_ms_at(&reading))
            .unwrap_or(reading.wall_ms + self.offset_ms);
        DateTime::from_timestamp_millis(ms).unwrap_or_else(|| self.raw_now())
    }

    pub fn device_id(&self) -> Uuid {
        self.device
    }

    /// The role of the account this device is signed in to, if it is.
    pub fn account_role(&self) -> Result<Option<desk_core::Role>> {
        account_role(&self.conn)
    }

    /// The role of the account this device is signed in to: local actions are checked as the
    /// server will check them.
    pub fn set_account_role(&mut self, role: desk_core::Role) -> Result<()> {
        set_meta(&self.conn, "account.role", role.as_str())
    }

    /// A setting of this device alone (never synced), e.g. the day it last reminded its user.
    pub fn local_setting(&self, key: &str) -> Result<Option<String>> {
        meta(&self.conn, &format!("local.{key}"))
    }

    pub fn set_local_setting(&mut self, key: &str, value: &str) -> Result<()> {
        set_meta(&self.conn, &format!("local.{key}"), value)
    }

    /// Runs `f` in one transaction: every write it makes, and its operations, land together or
    /// not at all.
    pub fn write<T>(&mut self, f: impl FnOnce(&mut Writer) -> Result<T>) -> Result<T> {
        self.write_at(self.now(), f)
    }

    /// [`Store::write`] for many records at once (an import): what it writes is left out of the
    /// full-text index while it is written, then indexed in one pass, which is several times
    /// cheaper than row by row.
    pub fn write_bulk<T>(&mut self, f: impl FnOnce(&mut Writer) -> Result<T>) -> Result<T> {
        self.defer_search_index()?;
        let written = self.write(f);
        self.rebuild_search_index()?;
        written
    }

    /// [`Store::write`] as of a given time: for records entered after the fact, like the demo.
    pub fn write_at<T>(
        &mut self,
        now: DateTime<Utc>,
        f: impl FnOnce(&mut Writer) -> Result<T>,
    ) -> Result<T> {
        let written = clock::Written::at(now, self.reading().uptime);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut clock = current_clock(&tx, &self.clock)?;
        let role = account_role(&tx)?;
        let mut writer = Writer::new(&tx, &mut clock, now, written, role);
        let out = f(&mut writer)?;
        set_meta(&tx, "clock", &clock.last().to_string())?;
        tx.commit()?;
        self.clock = clock;
        self.after_write();
        Ok(out)
    }

    fn after_write(&self) {
        if let Some(c) = &self.checkpointer {
            c.nudge();
        }
    }

    /// Applies operations written elsewhere (a pull, or a replay). Operations already seen, by
    /// id, are skipped, so applying a batch twice changes nothing. Returns how many were new.
    pub fn apply_remote(&mut self, ops: &[Op]) -> Result<usize> {
        self.apply_remote_then(ops, &[], |_| Ok(()))
    }

    /// Merges records received whole (a bootstrap page, or records entering this device's
    /// scope) in one transaction.
    pub fn apply_snapshots(&mut self, snapshots: &[desk_core::Snapshot]) -> Result<()> {
        self.apply_remote_then(&[], snapshots, |_| Ok(())).map(drop)
    }

    /// Applies operations and snapshots from elsewhere, then `then` (say, moving the sync
    /// cursor), all in one transaction. Returns how many operations were new.
    pub(crate) fn apply_remote_then(
        &mut self,
        ops: &[Op],
        snapshots: &[desk_core::Snapshot],
        then: impl FnOnce(&rusqlite::Transaction) -> Result<()>,
    ) -> Result<usize> {
        let now_ms = self.now().timestamp_millis().max(0) as u64;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut clock = current_clock(&tx, &self.clock)?;
        let mut new = 0;
        for op in ops {
            op.check_shape()?;
            if apply::record_and_apply(&tx, op, None)? {
                new += 1;
            }
            clock.observe(&op.hlc, now_ms);
        }
        for snap in snapshots {
            apply::apply_snapshot(&tx, snap)?;
            clock.observe(&snap.clocks.base, now_ms);
            for stamp in snap.clocks.fields.values() {
                clock.observe(stamp, now_ms);
            }
        }
        then(&tx)?;
        set_meta(&tx, "clock", &clock.last().to_string())?;
        tx.commit()?;
        self.clock = clock;
        self.after_write();
        Ok(new)
    }

    /// Every operation in the order this store recorded it.
    pub fn oplog(&self) -> Result<Vec<Op>> {
        apply::read_oplog(&self.conn, "SELECT * FROM oplog ORDER BY seq")
    }

    /// Operations written here and not yet acknowledged by the server.
    pub fn outbox(&self) -> Result<Vec<Op>> {
        apply::read_oplog(
            &self.conn,
            "SELECT * FROM oplog WHERE local = 1 AND acked = 0 ORDER BY seq",
        )
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

/// The clock as the last writer left it: another process (the CLI beside the app) may have
/// written since this store was opened. Read inside the write transaction, so stamps never go
/// backwards and never repeat.
fn current_clock(conn: &Connection, mine: &Clock) -> Result<Clock> {
    let stored: Option<Hlc> = meta(conn, "clock")?.and_then(|s| s.parse().ok());
    Ok(Clock::new(
        stored.map_or(mine.last(), |s| s.max(mine.last())),
    ))
}

fn account_role(conn: &Connection) -> Result<Option<desk_core::Role>> {
    Ok(meta(conn, "account.role")?.and_then(|r| desk_core::Role::parse(&r)))
}

fn meta(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()?)
}

fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests;
