//! The sync log: every accepted operation, every record sent whole because it entered someone's
//! scope, and every record that left someone's, numbered by `seq` in commit order. Writers hold
//! the log lock ([`Sql::lock_log`]) for their whole transaction, so `seq` is gapless.
//!
//! The server also writes operations of its own (an appeal moved by an action it accepted),
//! stamped by its clock: a hybrid logical clock that has seen every stamp it accepted, so its
//! stamps come after them, kept in `server_meta` so replicas on one database share it.

use desk_core::{Clock, Entity, Hlc, Op};
use serde_json::Value;
use uuid::Uuid;

use super::records::read_record;
use super::Result;
use crate::db::{now_text, Sql};
use crate::error::ApiError;
use crate::scope::RecordScope;

/// The node of stamps the server writes itself.
pub const SERVER_NODE: Uuid = Uuid::from_u128(0x5e5e_5e5e_5e5e_5e5e_5e5e_5e5e_5e5e_5e5e);

/// Numbers log entries during one transaction, which holds the log lock: the head and the
/// server's clock are read once.
pub(crate) struct LogWriter {
    next: i64,
    clock: Clock,
    clock_moved: bool,
}

impl LogWriter {
    pub(crate) fn start(sql: &mut dyn Sql) -> Result<LogWriter> {
        sql.lock_log()?;
        let last = sql
            .row("SELECT value FROM server_meta WHERE key = 'clock'", &[])?
            .and_then(|r| r.text("value").and_then(|v| v.parse::<Hlc>().ok()))
            .unwrap_or(Hlc::zero(SERVER_NODE));
        Ok(LogWriter {
            next: head(sql)? + 1,
            clock: Clock::new(last),
            clock_moved: false,
        })
    }

    fn seq(&mut self) -> i64 {
        self.next += 1;
        self.next - 1
    }

    /// Takes an accepted stamp into account: the server's own come after it.
    pub(crate) fn observe(&mut self, stamp: &Hlc, now_ms: i64) {
        self.clock.observe(stamp, now_ms.max(0) as u64);
        self.clock_moved = true;
    }

    /// A stamp for an operation the server writes.
    pub(crate) fn tick(&mut self, now_ms: i64) -> Hlc {
        self.clock_moved = true;
        self.clock.tick(now_ms.max(0) as u64)
    }

    /// Keeps the server's clock for the next writer.
    pub(crate) fn finish(self, sql: &mut dyn Sql) -> Result<()> {
        if self.clock_moved {
            sql.exec(
                "INSERT INTO server_meta (key, value) VALUES ('clock', $1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[self.clock.last().to_string().into()],
            )?;
        }
        Ok(())
    }

    /// Appends an operation as accepted: by `user`'s device, or by the server (`device`
    /// None: every device pulls it, the one whose action it follows included; `user` None:
    /// written for no account, as an enterprise's rating on the portal).
    pub(crate) fn append_op(
        &mut self,
        sql: &mut dyn Sql,
        op: &Op,
        user: Option<Uuid>,
        device: Option<Uuid>,
    ) -> Result<()> {
        let seq = self.seq();
        sql.insert(
            "log",
            "seq, kind, op_id, entity, record_id, fields, hlc, prev, user_id, device_id, received_at",
            vec![
                seq.into(),
                "op".into(),
                op.id.to_string().into(),
                op.entity.table().into(),
                op.record_id.to_string().into(),
                Value::Object(op.fields.clone()).to_string().into(),
                op.hlc.to_string().into(),
                serde_json::to_string(&op.prev).expect("stamps serialise").into(),
                user.map(|u| u.to_string()).into(),
                device.map(|d| d.to_string()).into(),
                now_text().into(),
            ],
        )?;
        Ok(())
    }

    /// Appends a record whole, for those it just reached.
    pub(crate) fn append_snapshot(
        &mut self,
        sql: &mut dyn Sql,
        entity: Entity,
        id: &str,
    ) -> Result<()> {
        let Some(s) = read_record(
            sql,
            entity,
            id.parse().map_err(|_| ApiError::internal("record id"))?,
        )?
        else {
            return Ok(());
        };
        let seq = self.seq();
        sql.insert(
            "log",
            "seq, kind, entity, record_id, fields, clocks, received_at",
            vec![
                seq.into(),
                "snapshot".into(),
                entity.table().into(),
                id.into(),
                Value::Object(s.fields.clone()).to_string().into(),
                serde_json::to_string(&s.clocks)
                    .expect("clocks serialise")
                    .into(),
                now_text().into(),
            ],
        )?;
        Ok(())
    }

    /// Says a record left those who could see it under `before` and cannot under `after`.
    pub(crate) fn append_leave(
        &mut self,
        sql: &mut dyn Sql,
        entity: Entity,
        id: &str,
        before: &RecordScope,
        after: &RecordScope,
    ) -> Result<()> {
        let seq = self.seq();
        let change = serde_json::json!({ "before": before, "after": after });
        sql.insert(
            "log",
            "seq, kind, entity, record_id, fields, received_at, scope_change",
            vec![
                seq.into(),
                "leave".into(),
                entity.table().into(),
                id.into(),
                "{}".into(),
                now_text().into(),
                change.to_string().into(),
            ],
        )?;
        Ok(())
    }
}

/// The newest log position.
pub fn head(sql: &mut dyn Sql) -> Result<i64> {
    Ok(sql
        .row("SELECT COALESCE(MAX(seq), 0) AS head FROM log", &[])?
        .and_then(|r| r.int("head"))
        .unwrap_or(0))
}

/// Which log this database holds. A cursor counts in one log: a backup restored into the
/// database starts another ([`begin_new_log`]), and devices that pulled past what the backup
/// held hand back what it lacks and bootstrap again, instead of skipping the new entries that
/// now stand at positions they had seen.
pub fn log_id(sql: &mut dyn Sql) -> Result<String> {
    sql.row("SELECT value FROM server_meta WHERE key = 'log'", &[])?
        .and_then(|r| r.text("value").map(str::to_owned))
        .ok_or_else(|| ApiError::internal("the log has no id (migration 0010 missing)"))
}

/// Gives the log a new id: the database was restored from a backup.
pub fn begin_new_log(sql: &mut dyn Sql) -> Result<String> {
    let id = Uuid::new_v4().simple().to_string();
    sql.exec(
        "INSERT INTO server_meta (key, value) VALUES ('log', $1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[id.clone().into()],
    )?;
    Ok(id)
}
