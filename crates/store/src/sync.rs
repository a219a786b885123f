//! What sync needs from the store: the outbox in batches, acknowledgements and rejections from
//! a push, pulled pages and bootstrap pages applied together with the cursor that follows them
//! (so a crash resumes where it stopped), the clock offset learnt from the server, and the
//! conflict and rejection lists with their resolution.

use desk_core::protocol::{Change, PushResult, PushStatus};
use desk_core::{Entity, Snapshot};
use rusqlite::OptionalExtension;
use serde::Serialize;
use serde_json::{Map, Value};
use ts_rs::TS;
use uuid::Uuid;

use crate::{apply, meta, set_meta, Result, Store, StoreError};

/// Where this device stands with the server.
#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
pub struct SyncState {
    /// The log position pulled up to.
    pub cursor: i64,
    /// The server's log the cursor counts in (see `PullResponse::log`).
    pub log: Option<String>,
    /// The first sync (bootstrap) is complete.
    pub bootstrapped: bool,
    /// Where an interrupted bootstrap resumes.
    pub bootstrap_after: Option<String>,
    /// Server time minus device time, in milliseconds.
    pub clock_offset_ms: i64,
    pub last_sync_at: Option<String>,
}

/// The device's own view of its sync, for `desk status` and the app's status bar.
#[derive(Debug, Clone, Serialize, TS)]
pub struct LocalStatus {
    pub device_id: Uuid,
    /// Operations written here, not yet acknowledged by the server.
    pub pending: i64,
    pub conflicts: i64,
    pub rejections: i64,
    /// The last time the server's time showed this device's clock was wrong.
    pub clock_correction: Option<crate::clock::ClockCorrection>,
    /// The first broken link found in an appeal's ledger, until its chain checks whole again.
    pub ledger_broken: Option<String>,
    /// Days acknowledged operations are kept, to hand back to a server restored from a backup.
    pub retention_days: i64,
    /// Where the store's key is kept; none for a store that is not encrypted.
    pub key_place: Option<crate::KeyPlace>,
    #[serde(flatten)]
    pub sync: SyncState,
}

#[derive(Debug, Clone, Serialize)]
pub struct Conflict {
    pub id: i64,
    pub entity: Entity,
    pub record_id: Uuid,
    pub field: String,
    /// The value the record holds: the later of the two writes.
    pub kept_value: Value,
    pub kept_by_this_device: bool,
    /// The value that lost.
    pub lost_value: Value,
    pub lost_by_this_device: bool,
    pub at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Rejection {
    pub op_id: Uuid,
    pub entity: Entity,
    pub record_id: Uuid,
    pub fields: Map<String, Value>,
    pub code: String,
    pub field: Option<String>,
    pub reason: String,
    /// What the user can do about it.
    pub hint: &'static str,
    pub at: String,
}

/// How a conflict is settled.
#[derive(Debug, Clone, PartialEq)]
pub enum Keep {
    /// This device's value.
    Mine,
    /// The other device's value.
    Theirs,
    /// Something else, typed by the user.
    Value(Value),
}

fn entity(table: &str) -> Result<Entity> {
    Entity::ALL
        .into_iter()
        .find(|e| e.table() == table)
        .ok_or(StoreError::Corrupt("entity"))
}

/// How long acknowledged operations stay ready for a restored server, unless set.
pub const DEFAULT_RETENTION_DAYS: i64 = 30;

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Where pulling continues, and in which of the server's logs that place is.
fn set_cursor(tx: &rusqlite::Connection, cursor: i64, log: &str) -> Result<()> {
    set_meta(tx, "sync.cursor", &cursor.to_string())?;
    if !log.is_empty() {
        set_meta(tx, "sync.log", log)?;
    }
    Ok(())
}

fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Store {
    pub fn sync_state(&self) -> Result<SyncState> {
        let get = |k: &str| meta(self.conn(), k);
        Ok(SyncState {
            cursor: get("sync.cursor")?
                .and_then(|c| c.parse().ok())
                .unwrap_or(0),
            log: get("sync.log")?,
            bootstrapped: get("sync.bootstrapped")?.is_some_and(|b| b == "1"),
            bootstrap_after: get("sync.bootstrap_after")?.filter(|a| !a.is_empty()),
            clock_offset_ms: get("sync.clock_offset_ms")?
                .and_then(|c| c.parse().ok())
                .unwrap_or(0),
            last_sync_at: get("sync.last_sync_at")?,
        })
    }

    pub fn status(&self) -> Result<LocalStatus> {
        let count =
            |sql: &str| -> Result<i64> { Ok(self.conn().query_row(sql, [], |r| r.get(0))?) };
        Ok(LocalStatus {
            device_id: self.device_id(),
            pending: count("SELECT COUNT(*) FROM oplog WHERE local = 1 AND acked = 0")?,
            conflicts: count("SELECT COUNT(*) FROM conflicts WHERE resolved IS NULL")?,
            rejections: count("SELECT COUNT(*) FROM rejections WHERE resolved IS NULL")?,
            clock_correction: self.clock_correction()?,
            ledger_broken: meta(self.conn(), "ledger.broken")?,
            retention_days: self.retention_days()?,
            key_place: self.key_place().cloned(),
            sync: self.sync_state()?,
        })
    }

    pub fn mark_synced(&mut self) -> Result<()> {
        set_meta(self.conn(), "sync.last_sync_at", &now_text())
    }

    /// The oldest unacknowledged local operations.
    pub fn outbox_batch(&self, limit: usize) -> Result<Vec<desk_core::Op>> {
        apply::read_oplog(
            self.conn(),
            &format!(
                "SELECT * FROM oplog WHERE local = 1 AND acked = 0 ORDER BY seq LIMIT {limit}"
            ),
        )
    }

    /// Settles a push: what landed (or had landed) leaves the outbox, as the server took it
    /// (its amendments applied); what was refused leaves it too, into the rejections list with
    /// the server's reason.
    pub fn settle_push(&mut self, pushed: &[desk_core::Op], results: &[PushResult]) -> Result<()> {
        let tx = self.conn_mut().transaction()?;
        for r in results {
            let Some(op) = pushed.iter().find(|o| o.id == r.op_id) else {
                continue;
            };
            if r.status == PushStatus::Rejected {
                tx.execute(
                    "INSERT OR REPLACE INTO rejections (op_id, entity, record_id, fields, code, field, reason, at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    rusqlite::params![
                        op.id.to_string(),
                        op.entity.table(),
                        op.record_id.to_string(),
                        Value::Object(op.fields.clone()).to_string(),
                        r.code.as_deref().unwrap_or("rejected"),
                        r.field,
                        r.reason.as_deref().unwrap_or_default(),
                        now_text(),
                    ],
                )?;
            } else if let Some(amended) = r.amended.as_ref().filter(|a| !a.is_empty()) {
                take_amendments(&tx, op, amended)?;
            }
            tx.execute(
                "UPDATE oplog SET acked = 1, acked_at = ?2 WHERE op_id = ?1 AND local = 1",
                rusqlite::params![r.op_id.to_string(), now_ms()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Applies a pulled page and moves the cursor past it, together: operations and records
    /// merged, records that left this device's scope let go of (unless it still has changes to
    /// them to push or settle). Appeals whose ledger moved are checked at the end of the sync
    /// ([`Store::verify_ledgers`]).
    pub fn apply_pull(&mut self, changes: &[Change], cursor: i64, log: &str) -> Result<()> {
        if changes.len() >= LARGE_PULL {
            // Built in one pass after the pull, as after a bootstrap.
            self.defer_search_index()?;
        }
        let ops: Vec<_> = changes.iter().filter_map(|c| c.op.clone()).collect();
        let snapshots: Vec<Snapshot> = changes.iter().filter_map(|c| c.snapshot.clone()).collect();
        let touched: Vec<String> = ops
            .iter()
            .filter_map(|op| match op.entity {
                Entity::Appeal => Some(op.record_id.to_string()),
                Entity::Progress => op.fields.get("appeal_id")?.as_str().map(str::to_owned),
                _ => None,
            })
            .collect();
        self.apply_remote_then(&ops, &snapshots, |tx| {
            for left in changes.iter().filter_map(|c| c.left) {
                let_go(tx, left.entity, &left.record_id.to_string())?;
            }
            for appeal in &touched {
                tx.execute(
                    "INSERT OR IGNORE INTO meta (key, value) VALUES (?1, '1')",
                    [format!("ledger.unverified.{appeal}")],
                )?;
            }
            set_cursor(tx, cursor, log)
        })
        .map(drop)
    }

    /// Checks the hash chains of the appeals whose ledgers moved since the last check (the
    /// entries the server sealed; this device's own wait for theirs). Returns the first broken
    /// link found, which also stays in the status until a later check finds the chain whole.
    pub fn verify_ledgers(&mut self) -> Result<Option<String>> {
        let keys: Vec<String> = self
            .conn()
            .prepare("SELECT key FROM meta WHERE key LIKE 'ledger.unverified.%'")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut broken = None;
        for key in &keys {
            let appeal = &key["ledger.unverified.".len()..];
            if let Err(b) = self.verify_ledger(appeal)? {
                broken.get_or_insert(b.to_string());
            }
        }
        let tx = self.conn_mut().transaction()?;
        tx.execute("DELETE FROM meta WHERE key LIKE 'ledger.unverified.%'", [])?;
        match &broken {
            Some(b) => set_meta(&tx, "ledger.broken", b)?,
            None if !keys.is_empty() => {
                tx.execute("DELETE FROM meta WHERE key = 'ledger.broken'", [])?;
            }
            None => {}
        }
        tx.commit()?;
        Ok(broken)
    }

    /// One appeal's chain, as far as the server has sealed it.
    fn verify_ledger(
        &self,
        appeal: &str,
    ) -> Result<std::result::Result<usize, desk_core::ledger::Break>> {
        let Ok(appeal_id) = appeal.parse::<Uuid>() else {
            return Ok(Ok(0));
        };
        let head: Option<Option<String>> = self
            .conn()
            .query_row(
                "SELECT ledger_head FROM appeals WHERE id = ?1",
                [appeal],
                |r| r.get(0),
            )
            .optional()?;
        let Some(head) = head else {
            return Ok(Ok(0)); // not held here
        };
        let sql = format!(
            "SELECT {} FROM progress_updates WHERE appeal_id = ?1 AND hash IS NOT NULL ORDER BY position",
            apply::select_list(Entity::Progress)
        );
        let entries = self
            .conn()
            .prepare(&sql)?
            .query_map([appeal], |r| Ok(apply::row_to_json(Entity::Progress, r)))?
            .map(|row| {
                serde_json::from_value::<desk_core::model::Progress>(Value::Object(row??))
                    .map_err(|_| StoreError::Corrupt("progress_updates"))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(desk_core::ledger::verify(
            appeal_id,
            head.as_deref(),
            &entries,
        ))
    }

    /// Applies a bootstrap page. The first page's cursor is where pulling starts afterwards;
    /// `next` is where an interrupted bootstrap resumes; no `next` means it is complete.
    pub fn apply_bootstrap_page(
        &mut self,
        records: &[Snapshot],
        next: Option<&str>,
        cursor: i64,
        log: &str,
    ) -> Result<()> {
        let first = self.sync_state()?.bootstrap_after.is_none();
        // Before the records go in, or the triggers would index the first page row by row.
        // Should the page fail, the next sync builds what is missing.
        self.defer_search_index()?;
        self.apply_remote_then(&[], records, |tx| {
            if first {
                set_cursor(tx, cursor, log)?;
            }
            set_meta(tx, "sync.bootstrap_after", next.unwrap_or_default())?;
            if next.is_none() {
                set_meta(tx, "sync.bootstrapped", "1")?;
            }
            Ok(())
        })
        .map(drop)
    }

    /// Records what the server says this account may see. Returns true when that changed since
    /// the last sync: the device must bootstrap again to follow ([`Store::reconcile_scope`]).
    pub fn note_scope(&mut self, scope: &str) -> Result<bool> {
        if scope.is_empty() {
            return Ok(false);
        }
        let old = meta(self.conn(), "sync.scope")?;
        if old.as_deref() == Some(scope) {
            return Ok(false);
        }
        // The flag first: a crash between the two writes must not forget the change.
        if old.is_some() {
            set_meta(self.conn(), "sync.rescope", "1")?;
        }
        set_meta(self.conn(), "sync.scope", scope)?;
        Ok(old.is_some())
    }

    /// The server cannot continue this device's pull (its log no longer reaches the cursor): the
    /// next sync bootstraps again.
    pub fn request_rescope(&mut self) -> Result<()> {
        set_meta(self.conn(), "sync.rescope", "1")
    }

    /// The server was restored from a backup, which may lack what this device pushed since.
    /// The operations it acknowledged within the retention period go back in the outbox (the
    /// server takes those it lacks and answers the others as already in), and the next sync
    /// bootstraps again. Returns how many went back.
    pub fn server_restored(&mut self) -> Result<usize> {
        let since = now_ms() - self.retention_days()? * 86_400_000;
        let tx = self.conn_mut().transaction()?;
        let back = tx.execute(
            "UPDATE oplog SET acked = 0 WHERE local = 1 AND acked = 1 AND acked_at >= ?1",
            [since],
        )?;
        set_meta(&tx, "sync.rescope", "1")?;
        tx.commit()?;
        Ok(back)
    }

    /// How long acknowledged operations are kept ready to hand back to a restored server, in
    /// days ([`DEFAULT_RETENTION_DAYS`] unless set).
    pub fn retention_days(&self) -> Result<i64> {
        Ok(meta(self.conn(), "sync.retention_days")?
            .and_then(|d| d.parse().ok())
            .unwrap_or(DEFAULT_RETENTION_DAYS))
    }

    pub fn set_retention_days(&mut self, days: i64) -> Result<()> {
        if !(1..=3650).contains(&days) {
            return Err(StoreError::Invalid(desk_core::ValidationError::Invalid {
                field: "retention_days",
                value: days.to_string(),
                expected: "1–3650 天 (days)".into(),
            }));
        }
        set_meta(self.conn(), "sync.retention_days", &days.to_string())
    }

    /// The account's scope changed and the device has not caught up with it yet.
    pub fn rescope_pending(&self) -> Result<bool> {
        Ok(meta(self.conn(), "sync.rescope")?.is_some())
    }

    /// After a fresh bootstrap of everything now in scope (`keep`, already merged): lets go of
    /// the records that left the scope — unless this device still has changes to them waiting
    /// to be pushed or refused changes to settle — and continues pulling from `cursor`. Returns how many records left.
    pub fn reconcile_scope(
        &mut self,
        keep: &std::collections::HashSet<(Entity, Uuid)>,
        cursor: i64,
        log: &str,
    ) -> Result<usize> {
        let tx = self.conn_mut().transaction()?;
        let mut removed = 0;
        for entity in Entity::ALL {
            let table = entity.table();
            let ids: Vec<String> = tx
                .prepare(&format!("SELECT id FROM {table}"))?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            for id in ids {
                let uuid: Uuid = id.parse().map_err(|_| StoreError::Corrupt("id"))?;
                if keep.contains(&(entity, uuid)) {
                    continue;
                }
                if let_go(&tx, entity, &id)? {
                    removed += 1;
                }
            }
        }
        set_cursor(&tx, cursor, log)?;
        tx.execute("DELETE FROM meta WHERE key = 'sync.rescope'", [])?;
        tx.commit()?;
        Ok(removed)
    }

    /// A bootstrap left the full-text index to be rebuilt.
    pub fn search_index_deferred(&self) -> Result<bool> {
        Ok(meta(self.conn(), "search.deferred")?.is_some())
    }

    /// Leaves the rows written from now on out of the full-text index, until
    /// [`Store::build_search_index_step`] builds them. Rows indexed already stay indexed, kept
    /// by the triggers (migration 0014), so the build that follows indexes only the new rows.
    pub fn defer_search_index(&mut self) -> Result<()> {
        let tx = self.conn_mut().transaction()?;
        if meta(&tx, "search.deferred")?.is_none() {
            for (table, ..) in SEARCH_INDEX {
                let last: i64 = tx.query_row(
                    &format!("SELECT IFNULL(MAX(rowid), 0) FROM {table}"),
                    [],
                    |r| r.get(0),
                )?;
                set_meta(&tx, &format!("search.built.{table}"), &last.to_string())?;
            }
            set_meta(&tx, "search.deferred", "1")?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Builds what of the full-text index was deferred, at once.
    pub fn rebuild_search_index(&mut self) -> Result<()> {
        while !self.build_search_index_step(i64::MAX)? {}
        Ok(())
    }

    /// Builds up to `rows` more rows of each table into the deferred full-text index, in one
    /// transaction; true once the index is complete and the triggers keep it again. Between
    /// steps, search scans and writes go on (migration 0014 keeps the rows already built).
    pub fn build_search_index_step(&mut self, rows: i64) -> Result<bool> {
        let tx = self.conn_mut().transaction()?;
        if meta(&tx, "search.deferred")?.is_none() {
            return Ok(true);
        }
        let mut complete = true;
        for (table, columns, values) in SEARCH_INDEX {
            let key = format!("search.built.{table}");
            let built = match meta(&tx, &key)? {
                Some(rowid) => rowid.parse::<i64>().unwrap_or(0),
                None => {
                    // Deferred by an older version, which kept no mark: start afresh.
                    tx.execute(
                        &format!("INSERT INTO {table}_fts ({table}_fts) VALUES ('delete-all')"),
                        [],
                    )?;
                    0
                }
            };
            let (count, last): (i64, Option<i64>) = tx.query_row(
                &format!(
                    "SELECT COUNT(*), MAX(rowid) FROM
                         (SELECT rowid FROM {table} WHERE rowid > ?1 ORDER BY rowid LIMIT ?2)"
                ),
                (built, rows),
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            if let Some(last) = last {
                tx.execute(
                    &format!(
                        "INSERT INTO {table}_fts (rowid, {columns}) SELECT rowid, {values}
                         FROM {table} WHERE rowid > ?1 AND rowid <= ?2"
                    ),
                    (built, last),
                )?;
                set_meta(&tx, &key, &last.to_string())?;
            }
            complete &= count < rows;
        }
        if complete {
            tx.execute_batch(
                "DELETE FROM meta WHERE key = 'search.deferred' OR key LIKE 'search.built.%';",
            )?;
        }
        tx.commit()?;
        Ok(complete)
    }

    /// Conflicts not yet settled, oldest first.
    pub fn conflicts(&self) -> Result<Vec<Conflict>> {
        let mut stmt = self.conn().prepare(
            "SELECT id, entity, record_id, field, kept_value, kept_hlc, lost_value, lost_hlc, at
             FROM conflicts WHERE resolved IS NULL ORDER BY id",
        )?;
        let me = self.device_id().simple().to_string();
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, String>(8)?,
            ))
        })?;
        let json = |s: &str| serde_json::from_str(s).map_err(|_| StoreError::Corrupt("conflicts"));
        rows.map(|row| {
            let (id, e, rid, field, kept, kept_hlc, lost, lost_hlc, at) = row?;
            Ok(Conflict {
                id,
                entity: entity(&e)?,
                record_id: rid.parse().map_err(|_| StoreError::Corrupt("conflicts"))?,
                field,
                kept_value: json(&kept)?,
                kept_by_this_device: kept_hlc.ends_with(&me),
                lost_value: json(&lost)?,
                lost_by_this_device: lost_hlc.ends_with(&me),
                at,
            })
        })
        .collect()
    }

    /// Settles a conflict. Keeping the value the record does not hold writes it again, as a new
    /// change that syncs like any other.
    pub fn resolve_conflict(&mut self, id: i64, keep: Keep) -> Result<()> {
        let conflict = self
            .conflicts()?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or_else(|| desk_core::ValidationError::NotFound {
                field: "id",
                entity: "conflict",
                entity_zh: "冲突",
                id: id.to_string(),
            })?;
        let value = match keep {
            Keep::Mine if conflict.lost_by_this_device => Some(conflict.lost_value.clone()),
            Keep::Theirs if !conflict.lost_by_this_device => Some(conflict.lost_value.clone()),
            Keep::Mine | Keep::Theirs => None,
            Keep::Value(v) => Some(v),
        };
        self.write(|w| {
            if let Some(value) = value {
                w.set_field(conflict.entity, conflict.record_id, &conflict.field, value)?;
            }
            Ok(())
        })?;
        self.conn().execute(
            "UPDATE conflicts SET resolved = ?1 WHERE id = ?2",
            rusqlite::params![now_text(), id],
        )?;
        Ok(())
    }

    pub fn rejections(&self) -> Result<Vec<Rejection>> {
        let mut stmt = self.conn().prepare(
            "SELECT op_id, entity, record_id, fields, code, field, reason, at
             FROM rejections WHERE resolved IS NULL ORDER BY at",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
            ))
        })?;
        rows.map(|row| {
            let (op_id, e, rid, fields, code, field, reason, at) = row?;
            let bad = |_| StoreError::Corrupt("rejections");
            Ok(Rejection {
                op_id: op_id.parse().map_err(bad)?,
                entity: entity(&e)?,
                record_id: rid.parse().map_err(bad)?,
                fields: serde_json::from_str(&fields)
                    .map_err(|_| StoreError::Corrupt("rejections"))?,
                hint: rejection_hint(&code),
                code,
                field,
                reason,
                at,
            })
        })
        .collect()
    }

    /// The rejected change, if it is still open.
    pub fn rejection(&self, op_id: Uuid) -> Result<Rejection> {
        self.rejections()?
            .into_iter()
            .find(|r| r.op_id == op_id)
            .ok_or_else(|| {
                desk_core::ValidationError::NotFound {
                    field: "op_id",
                    entity: "rejection",
                    entity_zh: "被拒绝的修改",
                    id: op_id.to_string(),
                }
                .into()
            })
    }

    /// Gives up a rejected change: the record goes back to the server's version (`None`: the
    /// server never had it, or not for this account), with this device's changes still waiting
    /// to be pushed applied on top, and the rejection is closed. A refused action also puts its
    /// appeal back as the server holds it (`appeal`: its id and the server's version).
    pub fn revert_rejected(
        &mut self,
        op_id: Uuid,
        server: Option<&Snapshot>,
        appeal: Option<(Uuid, Option<&Snapshot>)>,
    ) -> Result<()> {
        let r = self.rejection(op_id)?;
        let tx = self.conn_mut().transaction()?;
        replace_with_server(&tx, r.entity, r.record_id, server)?;
        if let Some((id, appeal)) = appeal.filter(|_| r.entity == Entity::Progress) {
            replace_with_server(&tx, Entity::Appeal, id, appeal)?;
        }
        tx.execute(
            "UPDATE rejections SET resolved = ?1 WHERE op_id = ?2",
            rusqlite::params![now_text(), op_id.to_string()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Insists on a rejected change (say, once the device's clock is right): its fields are
    /// written again as a new change, pushed at the next sync, and the rejection is closed.
    pub fn retry_rejected(&mut self, op_id: Uuid) -> Result<()> {
        let r = self.rejection(op_id)?;
        // A refused create is sent whole again, so the server can create the record.
        let names: Vec<String> = if r
            .entity
            .fields()
            .iter()
            .all(|f| r.fields.contains_key(f.name))
        {
            r.entity
                .fields()
                .iter()
                .map(|f| f.name.to_owned())
                .collect()
        } else {
            r.fields.keys().cloned().collect()
        };
        self.write(|w| w.restate(r.entity, r.record_id, &names))?;
        self.dismiss_rejection(op_id)
    }

    /// Marks a rejection as seen and dealt with (the user edited the record, or gave it up).
    pub fn dismiss_rejection(&mut self, op_id: Uuid) -> Result<()> {
        let n = self.conn().execute(
            "UPDATE rejections SET resolved = ?1 WHERE op_id = ?2 AND resolved IS NULL",
            rusqlite::params![now_text(), op_id.to_string()],
        )?;
        if n == 0 {
            return Err(desk_core::ValidationError::NotFound {
                field: "op_id",
                entity: "rejection",
                entity_zh: "被拒绝的修改",
                id: op_id.to_string(),
            }
            .into());
        }
        Ok(())
    }

    /// Changes whenever something is written on this device: the last local operation's
    /// position (a watcher compares it to notice writes, also from other processes).
    pub fn local_high_water(&self) -> Result<i64> {
        Ok(self.conn().query_row(
            "SELECT COALESCE(MAX(seq), 0) FROM oplog WHERE local = 1",
            [],
            |r| r.get(0),
        )?)
    }

    /// Has `op_id` been recorded here (written here or received)?
    pub fn has_op(&self, op_id: Uuid) -> Result<bool> {
        Ok(self
            .conn()
            .query_row(
                "SELECT 1 FROM oplog WHERE op_id = ?1",
                [op_id.to_string()],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }
}

/// What a rejected code asks the user to do, for the list of refused changes.
pub fn rejection_hint(code: &str) -> &'static str {
    match code {
        "illegal_transition" => "诉求已被他人办理到别的状态：放弃此修改，看看现在的状态再办理 (someone else moved the appeal on: give this change up and act on the appeal as it stands)",
        "not_permitted" | "forbidden" => "此账号无权这样做：放弃此修改，或请有权限的同事办理 (this account may not do this: give the change up, or ask a colleague who may)",
        "derived_field" => "状态、期限、评价只能通过办理操作改变：放弃此修改，再用相应的操作 (status, deadline and rating change only through actions: give this change up and use the action)",
        "unknown_record" | "unknown_reference" => "服务器上没有相关记录，或它已不归此账号：放弃此修改 (the server has no such record for this account: give the change up)",
        "clock_ahead" => "本设备时间有误：校准时间后重新发送 (this device's clock is wrong: set it right and send again)",
        "validation" => "内容不符合要求：修改后重新发送，或放弃 (the content is not valid: correct it and send again, or give it up)",
        _ => "放弃此修改，或重新发送 (give this change up, or send it again)",
    }
}

/// Takes the server's version of the fields it set otherwise than this device sent (a ledger
/// entry's author, device, statuses and place in its chain), in the record and in the oplog.
fn take_amendments(
    tx: &rusqlite::Transaction,
    op: &desk_core::Op,
    amended: &Map<String, Value>,
) -> Result<()> {
    let taken: Vec<(&str, &Value)> = amended
        .iter()
        .filter(|(name, _)| op.entity.field(name).is_some())
        .map(|(name, value)| (name.as_str(), value))
        .collect();
    if taken.is_empty() {
        return Ok(());
    }
    let mut fields = op.fields.clone();
    fields.extend(taken.iter().map(|(k, v)| ((*k).to_owned(), (*v).clone())));
    apply::update_row(tx, op.entity, &op.record_id.to_string(), taken, None)?;
    tx.execute(
        "UPDATE oplog SET fields = ?1 WHERE op_id = ?2",
        [Value::Object(fields).to_string(), op.id.to_string()],
    )?;
    Ok(())
}

/// Lets go of a record that left this device's scope, unless the device still has changes to
/// it to push or refusals to settle. Returns whether it went.
fn let_go(tx: &rusqlite::Transaction, entity: Entity, id: &str) -> Result<bool> {
    let held: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM oplog WHERE record_id = ?1 AND local = 1 AND acked = 0)
             OR EXISTS (SELECT 1 FROM rejections WHERE record_id = ?1 AND resolved IS NULL)",
        [id],
        |r| r.get(0),
    )?;
    if held {
        return Ok(false);
    }
    delete_row(tx, entity, id)?;
    // What was received about it goes too: should the same operations come again (another
    // device handing them back to a server restored from a backup), they must apply again.
    tx.execute(
        "DELETE FROM oplog WHERE entity = ?1 AND record_id = ?2 AND local = 0",
        [entity.table(), id],
    )?;
    Ok(true)
}

fn delete_row(tx: &rusqlite::Transaction, entity: Entity, id: &str) -> Result<usize> {
    let table = entity.table();
    // Contentless full-text rows go first, while the row's rowid is known.
    let fts = match entity {
        Entity::Site => Some("sites_fts"),
        Entity::Appeal => Some("appeals_fts"),
        _ => None,
    };
    if let Some(fts) = fts {
        tx.execute(
            &format!("DELETE FROM {fts} WHERE rowid = (SELECT rowid FROM {table} WHERE id = ?1)"),
            [id],
        )?;
    }
    Ok(tx.execute(&format!("DELETE FROM {table} WHERE id = ?1"), [id])?)
}

/// Puts a record back as the server holds it (`None`: the server has none), with this
/// device's changes still waiting to be pushed applied on top; for an appeal, the actions
/// still waiting move it again.
fn replace_with_server(
    tx: &rusqlite::Transaction,
    entity: Entity,
    id: Uuid,
    server: Option<&Snapshot>,
) -> Result<()> {
    let pending = apply::read_oplog(
        tx,
        &format!(
            "SELECT * FROM oplog WHERE local = 1 AND acked = 0 AND (record_id = '{id}' OR
             (entity = 'progress_updates' AND json_extract(fields, '$.appeal_id') = '{id}'))
             ORDER BY seq"
        ),
    )?;
    delete_row(tx, entity, &id.to_string())?;
    if let Some(s) = server {
        apply::apply_snapshot(tx, s)?;
    }
    for op in pending
        .iter()
        .filter(|op| op.record_id == id || entity == Entity::Appeal)
    {
        apply::apply_op(tx, op)?;
    }
    Ok(())
}

/// A pull page this long defers the full-text index: a device coming back after days away, or
/// an appeal family moving into its scope. Shorter ones keep it row by row, searchable at once.
pub const LARGE_PULL: usize = 200;

/// The full-text indexes: each table, its index's columns, and what each is given (as the
/// triggers of migration 0014 give them).
const SEARCH_INDEX: [(&str, &str, &str); 2] = [
    (
        "sites",
        "name, initials, credit_code, address, industry",
        "desk_bigrams(name), desk_bigrams(pinyin_initials(name)), desk_bigrams(credit_code), \
         desk_bigrams(address), desk_bigrams(industry)",
    ),
    ("appeals", "description", "desk_bigrams(description)"),
];
