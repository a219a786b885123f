//! The one path by which domain tables change: record the operation, then merge its fields
//! into the row with `desk_core::FieldClocks::merge`.

use std::collections::BTreeMap;

use desk_core::{Entity, FieldClocks, FieldKind, Hlc, Op, Snapshot};
use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{params_from_iter, Connection, OptionalExtension, Row};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::clock::Written;
use crate::{Result, StoreError};
use desk_core::appeal::Action;
use desk_core::model::Progress;

/// Appends `op` to the oplog and merges it into its record. Returns false, changing nothing,
/// when an operation with the same id was recorded before. `written` is set for operations
/// written here (the outbox), `None` for those received.
pub(crate) fn record_and_apply(
    conn: &Connection,
    op: &Op,
    written: Option<&Written>,
) -> Result<bool> {
    let uptime = written.and_then(|w| w.uptime.as_ref());
    let inserted = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO oplog (op_id, entity, record_id, fields, hlc, local, prev,
                                          written_ms, written_uptime_ms, written_boot)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(rusqlite::params![
            op.id.to_string(),
            op.entity.table(),
            op.record_id.to_string(),
            Value::Object(op.fields.clone()).to_string(),
            op.hlc.to_string(),
            written.is_some(),
            serde_json::to_string(&op.prev).expect("stamps serialise"),
            written.map(|w| w.ms),
            uptime.map(|u| u.ms),
            uptime.map(|u| u.boot.as_str()),
        ])?;
    if inserted == 0 {
        return Ok(false);
    }
    apply_op(conn, op)?;
    Ok(true)
}

/// Merges an operation into its record's row (creating the row if needed); an action recorded
/// in a ledger entry also moves its appeal. Callers record the operation themselves.
pub fn apply_op(conn: &Connection, op: &Op) -> Result<()> {
    merge_op(conn, op)?;
    if op.entity == Entity::Progress {
        follow_action(conn, op)?;
    }
    Ok(())
}

/// An action recorded in a ledger entry moves its appeal: the appeal's derived fields take the
/// action's effect, stamped like the entry. The server, which decides the order of actions,
/// follows each with the appeal as it stands, stamped later, so every replica ends where it is.
fn follow_action(conn: &Connection, op: &Op) -> Result<()> {
    let mut fields = op.fields.clone();
    fields.insert("id".into(), Value::String(op.record_id.to_string()));
    let Ok(entry) = serde_json::from_value::<Progress>(Value::Object(fields)) else {
        return Ok(()); // not a whole entry: nothing to follow
    };
    let (Ok(Some(action)), Some(to)) = (Action::of_entry(&entry), entry.to_status) else {
        return Ok(());
    };
    let effect = desk_core::appeal::effect(&action, to, entry.at);
    let mut partial = FieldClocks::unwritten();
    for name in effect.keys() {
        partial.fields.insert(name.clone(), op.hlc);
    }
    merge(
        conn,
        Entity::Appeal,
        entry.appeal_id,
        effect.iter().map(|(k, v)| (k.as_str(), v, op.hlc)),
        &effect,
        &partial,
        None,
    )
}

fn merge_op(conn: &Connection, op: &Op) -> Result<()> {
    // Most operations that carry every field create their record: try that first.
    if op.is_complete()
        && insert(
            conn,
            op.entity,
            op.record_id,
            &op.fields,
            &FieldClocks::all(op.hlc),
        )?
    {
        return Ok(());
    }
    let mut partial = FieldClocks::unwritten();
    for name in op.fields.keys() {
        partial.fields.insert(name.clone(), op.hlc);
    }
    merge(
        conn,
        op.entity,
        op.record_id,
        op.writes(),
        &op.fields,
        &partial,
        Some(&op.prev),
    )
}

/// Merges a snapshot (a record with the stamps of its fields) into its row.
pub fn apply_snapshot(conn: &Connection, snap: &Snapshot) -> Result<()> {
    if insert(
        conn,
        snap.entity,
        snap.record_id,
        &snap.fields,
        &snap.clocks,
    )? {
        return Ok(());
    }
    merge(
        conn,
        snap.entity,
        snap.record_id,
        snap.writes(),
        &snap.fields,
        &snap.clocks,
        None,
    )
}

/// A record with its stamps, as a snapshot.
pub fn snapshot(conn: &Connection, entity: Entity, id: Uuid) -> Result<Option<Snapshot>> {
    let sql = format!(
        "SELECT {}, _hlc, _clocks FROM {} WHERE id = ?1",
        select_list(entity),
        entity.table()
    );
    conn.prepare_cached(&sql)?
        .query_row([id.to_string()], |r| Ok(snapshot_row(entity, r)))
        .optional()?
        .transpose()
}

/// Records of every kind in (kind, id) order, after `after`: the pages of a bootstrap.
pub fn snapshots_after(
    conn: &Connection,
    after: Option<(Entity, Uuid)>,
    limit: usize,
) -> Result<Vec<Snapshot>> {
    let mut out = Vec::new();
    for entity in Entity::ALL {
        if after.is_some_and(|(e, _)| entity < e) {
            continue;
        }
        let from = match after {
            Some((e, id)) if e == entity => id.to_string(),
            _ => String::new(),
        };
        let sql = format!(
            "SELECT {}, _hlc, _clocks FROM {} WHERE id > ?1 ORDER BY id LIMIT ?2",
            select_list(entity),
            entity.table()
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params![from, (limit - out.len()) as i64], |r| {
            Ok(snapshot_row(entity, r))
        })?;
        for row in rows {
            out.push(row??);
        }
        if out.len() == limit {
            break;
        }
    }
    Ok(out)
}

fn snapshot_row(entity: Entity, r: &Row<'_>) -> Result<Snapshot> {
    let mut fields = row_to_json(entity, r)?;
    let id = fields
        .remove("id")
        .and_then(|v| v.as_str().and_then(|s| s.parse().ok()));
    let n = entity.fields().len();
    let clocks =
        FieldClocks::from_columns(&r.get::<_, String>(n + 1)?, &r.get::<_, String>(n + 2)?)
            .ok_or(StoreError::Corrupt("_clocks"))?;
    Ok(Snapshot {
        entity,
        record_id: id.ok_or(StoreError::Corrupt("id"))?,
        fields,
        clocks,
    })
}

fn merge<'a>(
    conn: &Connection,
    entity: Entity,
    id: Uuid,
    writes: impl Iterator<Item = (&'a str, &'a Value, Hlc)>,
    fields: &Map<String, Value>,
    clocks_if_new: &FieldClocks,
    prev: Option<&BTreeMap<String, Hlc>>,
) -> Result<()> {
    let table = entity.table();
    let current: Option<(String, String)> = conn
        .prepare_cached(&format!("SELECT _hlc, _clocks FROM {table} WHERE id = ?1"))?
        .query_row([id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((base, clocks)) = current else {
        // An update that arrived before its create: the fields it lacks stay unwritten, so the
        // create can still fill them.
        insert(conn, entity, id, fields, clocks_if_new)?;
        return Ok(());
    };
    if entity.append_only() {
        return Ok(()); // written once; a second writer of the same id changes nothing
    }
    let mut clocks =
        FieldClocks::from_columns(&base, &clocks).ok_or(StoreError::Corrupt("_clocks"))?;
    let writes: Vec<_> = writes.collect();
    if let Some(prev) = prev {
        log_conflicts(conn, entity, id, &clocks, &writes, prev)?;
    }
    let won = clocks.merge(writes);
    if won.is_empty() {
        return Ok(());
    }
    update_row(conn, entity, &id.to_string(), won, Some(&clocks))
}

/// Writes some fields of a row in place, and its stamps when given. The fields must be the
/// entity's.
pub(crate) fn update_row<'a>(
    conn: &Connection,
    entity: Entity,
    id: &str,
    fields: impl IntoIterator<Item = (&'a str, &'a Value)>,
    clocks: Option<&FieldClocks>,
) -> Result<()> {
    let mut columns = Vec::new();
    let mut values = Vec::new();
    for (name, value) in fields {
        let field = entity.field(name).ok_or(StoreError::Corrupt("field"))?;
        columns.push(format!("{} = ?", field.name));
        values.push(to_sql(value));
    }
    if let Some(clocks) = clocks {
        columns.push("_hlc = ?".into());
        values.push(SqlValue::Text(clocks.base.to_string()));
        columns.push("_clocks = ?".into());
        values.push(SqlValue::Text(clocks.fields_json()));
    }
    if columns.is_empty() {
        return Ok(());
    }
    values.push(SqlValue::Text(id.to_owned()));
    let sql = format!(
        "UPDATE {} SET {} WHERE id = ?",
        entity.table(),
        columns.join(", ")
    );
    conn.prepare_cached(&sql)?
        .execute(params_from_iter(values))?;
    Ok(())
}

/// A write that replaced a value other than the one this replica holds was made without
/// seeing it: the two are concurrent. The later stamp wins (the merge does that); the other
/// value is kept here for someone to look at.
fn log_conflicts(
    conn: &Connection,
    entity: Entity,
    id: Uuid,
    clocks: &FieldClocks,
    writes: &[(&str, &Value, Hlc)],
    prev: &BTreeMap<String, Hlc>,
) -> Result<()> {
    let unwritten = FieldClocks::unwritten().base;
    let concurrent: Vec<_> = writes
        .iter()
        .filter(|(field, _, stamp)| {
            let held = clocks.of(field);
            held != unwritten && held != *stamp && prev.get(*field).is_some_and(|p| *p != held)
        })
        .collect();
    if concurrent.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "SELECT {} FROM {} WHERE id = ?1",
        select_list(entity),
        entity.table()
    );
    let row = conn
        .prepare_cached(&sql)?
        .query_row([id.to_string()], |r| Ok(row_to_json(entity, r)))??;
    for (field, value, stamp) in concurrent {
        let held = clocks.of(field);
        let held_value = row.get(*field).cloned().unwrap_or(Value::Null);
        let ((kept, kept_at), (lost, lost_at)) = if *stamp > held {
            (((*value).clone(), *stamp), (held_value, held))
        } else {
            ((held_value, held), ((*value).clone(), *stamp))
        };
        conn.prepare_cached(
            "INSERT INTO conflicts (entity, record_id, field, kept_value, kept_hlc, lost_value, lost_hlc, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
        )?
        .execute(rusqlite::params![
            entity.table(),
            id.to_string(),
            field,
            kept.to_string(),
            kept_at.to_string(),
            lost.to_string(),
            lost_at.to_string(),
        ])?;
    }
    Ok(())
}

/// Inserts a new row; returns false, changing nothing, if the record exists.
fn insert(
    conn: &Connection,
    entity: Entity,
    id: Uuid,
    fields: &Map<String, Value>,
    clocks: &FieldClocks,
) -> Result<bool> {
    let mut columns = vec!["id"];
    let mut values = vec![SqlValue::Text(id.to_string())];
    for field in entity.fields() {
        if let Some(v) = fields.get(field.name) {
            columns.push(field.name);
            values.push(to_sql(v));
        }
    }
    columns.extend(["_hlc", "_clocks"]);
    values.extend([
        SqlValue::Text(clocks.base.to_string()),
        SqlValue::Text(clocks.fields_json()),
    ]);
    let sql = format!(
        "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT (id) DO NOTHING",
        entity.table(),
        columns.join(", "),
        vec!["?"; columns.len()].join(", ")
    );
    let inserted = conn
        .prepare_cached(&sql)?
        .execute(params_from_iter(values))?;
    Ok(inserted == 1)
}

pub fn to_sql(v: &Value) -> SqlValue {
    match v {
        Value::Null => SqlValue::Null,
        Value::Bool(b) => SqlValue::Integer(*b as i64),
        Value::Number(n) => SqlValue::Integer(n.as_i64().unwrap_or_default()),
        Value::String(s) => SqlValue::Text(s.clone()),
        Value::Array(_) | Value::Object(_) => SqlValue::Text(v.to_string()),
    }
}

pub fn from_sql(kind: FieldKind, v: ValueRef<'_>) -> Result<Value> {
    Ok(match (kind, v) {
        (_, ValueRef::Null) => Value::Null,
        (FieldKind::Bool, ValueRef::Integer(i)) => Value::Bool(i != 0),
        (_, ValueRef::Integer(i)) => Value::from(i),
        (FieldKind::Json, ValueRef::Text(t)) => {
            serde_json::from_slice(t).map_err(|_| StoreError::Corrupt("json column"))?
        }
        (_, ValueRef::Text(t)) => Value::String(String::from_utf8_lossy(t).into_owned()),
        _ => return Err(StoreError::Corrupt("column type")),
    })
}

/// `id, field, field, ...` for a SELECT of an entity's synced columns.
pub fn select_list(entity: Entity) -> String {
    std::iter::once("id")
        .chain(entity.fields().iter().map(|f| f.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A row selected with [`select_list`], as a JSON object with `id` first.
pub fn row_to_json(entity: Entity, row: &Row<'_>) -> Result<Map<String, Value>> {
    let mut map = Map::new();
    map.insert("id".into(), Value::String(row.get(0)?));
    for (i, field) in entity.fields().iter().enumerate() {
        map.insert(
            field.name.into(),
            from_sql(field.kind, row.get_ref(i + 1)?)?,
        );
    }
    Ok(map)
}

pub fn read_oplog(conn: &Connection, sql: &str) -> Result<Vec<Op>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>("op_id")?,
            r.get::<_, String>("entity")?,
            r.get::<_, String>("record_id")?,
            r.get::<_, String>("fields")?,
            r.get::<_, String>("hlc")?,
            r.get::<_, String>("prev")?,
        ))
    })?;
    let mut ops = Vec::new();
    for row in rows {
        let (id, entity, record_id, fields, hlc, prev) = row?;
        let entity = Entity::ALL
            .into_iter()
            .find(|e| e.table() == entity)
            .ok_or(StoreError::Corrupt("oplog.entity"))?;
        ops.push(Op {
            id: id.parse().map_err(|_| StoreError::Corrupt("oplog.op_id"))?,
            entity,
            record_id: record_id
                .parse()
                .map_err(|_| StoreError::Corrupt("oplog.record_id"))?,
            fields: serde_json::from_str(&fields)
                .map_err(|_| StoreError::Corrupt("oplog.fields"))?,
            hlc: hlc.parse().map_err(|_| StoreError::Corrupt("oplog.hlc"))?,
            prev: serde_json::from_str(&prev).map_err(|_| StoreError::Corrupt("oplog.prev"))?,
        });
    }
    Ok(ops)
}
