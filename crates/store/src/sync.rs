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
            sync: self.sync_state()?,
        })
    }

    /// Learns the server's time: later stamps and "now" follow the corrected clock.
    pub fn set_clock_offset(&mut self, offset_ms: i64) -> Result<()> {
        set_meta(self.conn(), "sync.clock_offset_ms", &offset_ms.to_string())?;
        self.offset_ms = offset_ms;
        Ok(())
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

    /// Settles a push: what landed (or had landed) leaves the outbox; what was refused leaves it
    /// too, into the rejections list with the server's reason.
    pub fn settle_push(&mut self, pushed: &[desk_core::Op], results: &[PushResult]) -> Result<()> {
        let tx = self.conn_mut().transaction()?;
        for r in results {
            if r.status == PushStatus::Rejected {
                let Some(op) = pushed.iter().find(|o| o.id == r.op_id) else {
                    continue;
                };
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
            }
            tx.execute(
                "UPDATE oplog SET acked = 1 WHERE op_id = ?1 AND local = 1",
                [r.op_id.to_string()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Applies a pulled page and moves the cursor past it, together.
    pub fn apply_pull(&mut self, changes: &[Change], cursor: i64) -> Result<()> {
        let ops: Vec<_> = changes.iter().filter_map(|c| c.op.clone()).collect();
        let snapshots: Vec<Snapshot> = changes.iter().filter_map(|c| c.snapshot.clone()).collect();
        self.apply_remote_then(&ops, &snapshots, |tx| {
            set_meta(tx, "sync.cursor", &cursor.to_string())
        })
        .map(drop)
    }

    /// Applies a bootstrap page. The first page's cursor is where pulling starts afterwards;
    /// `next` is where an interrupted bootstrap resumes; no `next` means it is complete.
    pub fn apply_bootstrap_page(
        &mut self,
        records: &[Snapshot],
        next: Option<&str>,
        cursor: i64,
    ) -> Result<()> {
        let first = self.sync_state()?.bootstrap_after.is_none();
        self.apply_remote_then(&[], records, |tx| {
            if first {
                set_meta(tx, "sync.cursor", &cursor.to_string())?;
            }
            set_meta(tx, "search.deferred", "1")?;
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
    ) -> Result<usize> {
        let tx = self.conn_mut().transaction()?;
        let mut removed = 0;
        for entity in Entity::ALL {
            let table = entity.table();
            let ids: Vec<String> = tx
                .prepare(&format!(
                    "SELECT id FROM {table} t WHERE NOT EXISTS
                     (SELECT 1 FROM oplog o WHERE o.record_id = t.id AND o.local = 1 AND o.acked = 0)
                     AND NOT EXISTS
                     (SELECT 1 FROM rejections r WHERE r.record_id = t.id AND r.resolved IS NULL)"
                ))?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            for id in ids {
                let uuid: Uuid = id.parse().map_err(|_| StoreError::Corrupt("id"))?;
                if keep.contains(&(entity, uuid)) {
                    continue;
                }
                // Contentless full-text rows go first, while the row's rowid is known.
                let fts = match entity {
                    Entity::Site => Some("sites_fts"),
                    Entity::Appeal => Some("appeals_fts"),
                    _ => None,
                };
                if let Some(fts) = fts {
                    tx.execute(
                        &format!("DELETE FROM {fts} WHERE rowid = (SELECT rowid FROM {table} WHERE id = ?1)"),
                        [&id],
                    )?;
                }
                tx.execute(&format!("DELETE FROM {table} WHERE id = ?1"), [&id])?;
                removed += 1;
            }
        }
        set_meta(&tx, "sync.cursor", &cursor.to_string())?;
        tx.execute("DELETE FROM meta WHERE key = 'sync.rescope'", [])?;
        tx.commit()?;
        Ok(removed)
    }

    /// A bootstrap left the full-text index to be rebuilt.
    pub fn search_index_deferred(&self) -> Result<bool> {
        Ok(meta(self.conn(), "search.deferred")?.is_some())
    }

    /// Rebuilds the full-text index from the records, at once, and lets the triggers keep it
    /// from then on.
    pub fn rebuild_search_index(&mut self) -> Result<()> {
        let tx = self.conn_mut().transaction()?;
        tx.execute_batch(
            "INSERT INTO sites_fts (sites_fts) VALUES ('delete-all');
             INSERT INTO sites_fts (rowid, name, initials, credit_code, address, industry)
                 SELECT rowid, desk_bigrams(name), desk_bigrams(pinyin_initials(name)),
                        desk_bigrams(credit_code), desk_bigrams(address), desk_bigrams(industry)
                 FROM sites;
             INSERT INTO appeals_fts (appeals_fts) VALUES ('delete-all');
             INSERT INTO appeals_fts (rowid, description)
                 SELECT rowid, desk_bigrams(description) FROM appeals;
             DELETE FROM meta WHERE key = 'search.deferred';",
        )?;
        tx.commit()?;
        Ok(())
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
    /// server never had it), with this device's changes still waiting to be pushed applied on
    /// top, and the rejection is closed.
    pub fn revert_rejected(&mut self, op_id: Uuid, server: Option<&Snapshot>) -> Result<()> {
        let r = self.rejection(op_id)?;
        let pending = apply::read_oplog(
            self.conn(),
            &format!(
                "SELECT * FROM oplog WHERE local = 1 AND acked = 0 AND record_id = '{}' ORDER BY seq",
                r.record_id
            ),
        )?;
        let table = r.entity.table();
        let id = r.record_id.to_string();
        let tx = self.conn_mut().transaction()?;
        let fts = match r.entity {
            Entity::Site => Some("sites_fts"),
            Entity::Appeal => Some("appeals_fts"),
            _ => None,
        };
        if let Some(fts) = fts {
            tx.execute(
                &format!(
                    "DELETE FROM {fts} WHERE rowid = (SELECT rowid FROM {table} WHERE id = ?1)"
                ),
                [&id],
            )?;
        }
        tx.execute(&format!("DELETE FROM {table} WHERE id = ?1"), [&id])?;
        if let Some(s) = server {
            apply::apply_snapshot(&tx, s)?;
        }
        for op in &pending {
            apply::apply_op(&tx, op)?;
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
