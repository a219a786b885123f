//! What a device receives: the log after its cursor, the records as they stand for a new
//! device, one record to settle a refusal. Each within the caller's current scope.

use axum::http::StatusCode;
use desk_core::protocol::{Change, Left};
use desk_core::{Entity, Op, Snapshot};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::log::{head, log_id};
use super::records::{columns, entity_of, read_record, snapshot_of_row};
use super::scopes::read_scope;
use super::{text, uuid, Result};
use crate::db::Sql;
use crate::error::ApiError;
use crate::scope::{Caller, RecordScope};

/// What a `leave` entry of the log says.
#[derive(serde::Deserialize)]
struct ScopeChange {
    before: RecordScope,
    after: RecordScope,
}

/// A page of the log for one device.
pub struct Pulled {
    pub changes: Vec<Change>,
    /// Where the next pull continues.
    pub cursor: i64,
    pub has_more: bool,
    /// The log the cursor counts in ([`log_id`]).
    pub log: String,
}

/// The log after `cursor` that the caller may see, its own operations left out. `log` is the
/// log the device's cursor counts in, when it knows.
pub fn pull(
    sql: &mut dyn Sql,
    caller: &Caller,
    cursor: i64,
    log: Option<&str>,
    limit: i64,
) -> Result<Pulled> {
    let ours = log_id(sql)?;
    if log.is_some_and(|theirs| theirs != ours) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "log_restored",
            "服务器已从备份恢复：设备将补传服务器缺少的修改并重新完整同步 (the server was restored from a backup: the device hands back what it lacks and bootstraps again)",
        )
        .field("log"));
    }
    let top = head(sql)?;
    let from = cursor;
    if cursor > top {
        // The device has seen entries this database does not hold (restored from a backup):
        // only a fresh bootstrap puts it back in step.
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "cursor_ahead",
            format!("cursor {cursor} 超出服务器日志 {top}，请重新完整同步 (the server's log ends at {top}: bootstrap again)"),
        )
        .field("cursor"));
    }
    let q = format!(
        "SELECT l.seq, l.kind, l.op_id, l.entity, l.record_id, l.fields, l.hlc, l.clocks, l.prev
         FROM log l JOIN scopes s ON s.entity = l.entity AND s.record_id = l.record_id
         WHERE l.seq > $1 AND l.seq <= $2 AND l.kind <> 'leave'
           AND (l.device_id IS NULL OR l.device_id <> $3) AND {}
         ORDER BY l.seq LIMIT $5",
        caller.visibility_sql("$4")
    );
    let rows = sql.rows(
        &q,
        &[
            cursor.into(),
            top.into(),
            caller
                .device_id
                .map(|d| d.to_string())
                .unwrap_or_default()
                .into(),
            caller.user_id.to_string().into(),
            (limit + 1).into(),
        ],
    )?;
    let has_more = rows.len() as i64 > limit;
    let mut changes = Vec::with_capacity(rows.len());
    for r in rows.iter().take(limit as usize) {
        let entity = entity_of(text(r.get("entity")))?;
        let record_id = uuid(r.get("record_id"))?;
        let fields: Map<String, Value> = serde_json::from_str(text(r.get("fields")))
            .map_err(|_| ApiError::internal("bad log fields"))?;
        let seq = r.int("seq").unwrap_or_default();
        changes.push(if text(r.get("kind")) == "op" {
            Change {
                seq,
                op: Some(Op {
                    id: uuid(r.get("op_id"))?,
                    entity,
                    record_id,
                    fields,
                    hlc: text(r.get("hlc"))
                        .parse()
                        .map_err(|_| ApiError::internal("bad log stamp"))?,
                    prev: r
                        .text("prev")
                        .map(serde_json::from_str)
                        .transpose()
                        .map_err(|_| ApiError::internal("bad log prev"))?
                        .unwrap_or_default(),
                }),
                snapshot: None,
                left: None,
            }
        } else {
            Change {
                seq,
                op: None,
                snapshot: Some(Snapshot {
                    entity,
                    record_id,
                    fields,
                    clocks: serde_json::from_str(text(r.get("clocks")))
                        .map_err(|_| ApiError::internal("bad log clocks"))?,
                }),
                left: None,
            }
        });
    }
    // With nothing more to see, the cursor moves to the head, past entries out of scope.
    let cursor = if has_more {
        changes.last().map_or(cursor, |c| c.seq)
    } else {
        top.max(cursor)
    };
    // Records that left the caller's scope in the same stretch of the log: those it could see
    // before and cannot after.
    for r in sql.rows(
        "SELECT seq, entity, record_id, scope_change FROM log
         WHERE kind = 'leave' AND seq > $1 AND seq <= $2 ORDER BY seq",
        &[from.into(), cursor.into()],
    )? {
        let change: ScopeChange = serde_json::from_str(text(r.get("scope_change")))
            .map_err(|_| ApiError::internal("bad scope change"))?;
        if caller.sees(&change.before) && !caller.sees(&change.after) {
            changes.push(Change {
                seq: r.int("seq").unwrap_or_default(),
                op: None,
                snapshot: None,
                left: Some(Left {
                    entity: entity_of(text(r.get("entity")))?,
                    record_id: uuid(r.get("record_id"))?,
                }),
            });
        }
    }
    changes.sort_by_key(|c| c.seq);
    Ok(Pulled {
        changes,
        cursor,
        has_more,
        log: ours,
    })
}

/// One page of the records the caller may see, in (kind, id) order, after `after`
/// (`"<kind>:<id>"`).
pub fn bootstrap(
    sql: &mut dyn Sql,
    caller: &Caller,
    after: Option<&str>,
    limit: i64,
) -> Result<(Vec<Snapshot>, Option<String>, i64)> {
    let after = match after {
        None => None,
        Some(token) => {
            let bad =
                || ApiError::bad_request("after：分页标记无效 (invalid page token)").field("after");
            let (kind, id) = token.split_once(':').ok_or_else(bad)?;
            let entity = Entity::ALL
                .into_iter()
                .find(|e| e.table() == kind)
                .ok_or_else(bad)?;
            let id: Uuid = id.parse().map_err(|_| bad())?;
            Some((entity, id))
        }
    };
    let cursor = head(sql)?;
    let mut records = Vec::new();
    for entity in Entity::ALL {
        if after.is_some_and(|(e, _)| entity < e) {
            continue;
        }
        let from = match after {
            Some((e, id)) if e == entity => id.to_string(),
            _ => String::new(),
        };
        let q = format!(
            "SELECT {} FROM {} t JOIN scopes s ON s.entity = $1 AND s.record_id = t.id
             WHERE t.id > $2 AND {} ORDER BY t.id LIMIT $4",
            columns(entity, "t."),
            entity.table(),
            caller.visibility_sql("$3")
        );
        let rows = sql.rows(
            &q,
            &[
                entity.table().into(),
                from.into(),
                caller.user_id.to_string().into(),
                (limit - records.len() as i64 + 1).into(),
            ],
        )?;
        for r in rows {
            if records.len() as i64 == limit {
                let last: &Snapshot = records.last().expect("limit ≥ 1");
                return Ok((
                    records.clone(),
                    Some(format!("{}:{}", last.entity.table(), last.record_id)),
                    cursor,
                ));
            }
            records.push(snapshot_of_row(entity, &r)?);
        }
    }
    Ok((records, None, cursor))
}

/// One record as the server holds it, if the caller may see it.
pub fn record_for(
    sql: &mut dyn Sql,
    caller: &Caller,
    entity: Entity,
    id: Uuid,
) -> Result<Option<Snapshot>> {
    let Some((scope, _)) = read_scope(sql, entity, &id.to_string())? else {
        return Ok(None);
    };
    if !caller.sees(&scope) {
        return Ok(None);
    }
    read_record(sql, entity, id)
}
