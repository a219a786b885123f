//! The one path by which domain tables change: record the operation, then merge its fields
//! into the row with the rule of `desk_core::op::wins`.

use desk_core::op::wins;
use desk_core::{Entity, FieldKind, Hlc, Op};
use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{params_from_iter, Connection, OptionalExtension, Row};
use serde_json::{Map, Value};

use crate::{Result, StoreError};

/// The clock of a field nobody has written yet; sorts before every real stamp.
const UNWRITTEN: &str = "0000000000000-00000000-00000000000000000000000000000000";

/// Appends `op` to the oplog and merges it into its record. Returns false, changing nothing,
/// when an operation with the same id was recorded before.
pub fn record_and_apply(conn: &Connection, op: &Op, local: bool) -> Result<bool> {
    let inserted = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO oplog (op_id, entity, record_id, fields, hlc, local)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(rusqlite::params![
            op.id.to_string(),
            op.entity.table(),
            op.record_id.to_string(),
            Value::Object(op.fields.clone()).to_string(),
            op.hlc.to_string(),
            local,
        ])?;
    if inserted == 0 {
        return Ok(false);
    }
    apply(conn, op)?;
    Ok(true)
}

fn apply(conn: &Connection, op: &Op) -> Result<()> {
    let table = op.entity.table();
    let id = op.record_id.to_string();
    let complete = carries_every_field(op);
    // Most operations that carry every field create their record: try that first.
    if complete && insert(conn, op, &id, complete)? {
        return Ok(());
    }
    let current: Option<(String, String)> = conn
        .prepare_cached(&format!("SELECT _hlc, _clocks FROM {table} WHERE id = ?1"))?
        .query_row([&id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;

    let Some((base, clocks)) = current else {
        insert(conn, op, &id, complete)?;
        return Ok(());
    };
    if op.entity.append_only() {
        return Ok(()); // written once; a second writer of the same id changes nothing
    }
    let mut clocks: Map<String, Value> =
        serde_json::from_str(&clocks).map_err(|_| StoreError::Corrupt("_clocks"))?;
    let stamp = op.hlc.to_string();
    let mut columns = Vec::new();
    let mut values = Vec::new();
    for (name, value) in &op.fields {
        let field = op.entity.field(name).ok_or(StoreError::Corrupt("field"))?;
        let current: Hlc = clocks
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or(&base)
            .parse()
            .map_err(|_| StoreError::Corrupt("_clocks"))?;
        if wins(&op.hlc, Some(&current)) {
            columns.push(format!("{} = ?", field.name));
            values.push(to_sql(value));
            clocks.insert(name.clone(), Value::String(stamp.clone()));
        }
    }
    if columns.is_empty() {
        return Ok(());
    }
    values.push(SqlValue::Text(Value::Object(clocks).to_string()));
    values.push(SqlValue::Text(id));
    let sql = format!(
        "UPDATE {table} SET {}, _clocks = ? WHERE id = ?",
        columns.join(", ")
    );
    conn.prepare_cached(&sql)?
        .execute(params_from_iter(values))?;
    Ok(())
}

/// A record's first operation. Usually it carries every field; if it does not (an update that
/// arrived before its create), the missing fields stay unwritten so the create can still fill
/// them. Returns false, changing nothing, if the record exists.
fn insert(conn: &Connection, op: &Op, id: &str, complete: bool) -> Result<bool> {
    let table = op.entity.table();
    let stamp = op.hlc.to_string();
    let (base, clocks) = if complete {
        (stamp, "{}".to_owned())
    } else {
        let clocks: Map<String, Value> = op
            .fields
            .keys()
            .map(|k| (k.clone(), Value::String(stamp.clone())))
            .collect();
        (UNWRITTEN.to_owned(), Value::Object(clocks).to_string())
    };
    let mut columns = vec!["id"];
    let mut values = vec![SqlValue::Text(id.to_owned())];
    for field in op.entity.fields() {
        if let Some(v) = op.fields.get(field.name) {
            columns.push(field.name);
            values.push(to_sql(v));
        }
    }
    columns.extend(["_hlc", "_clocks"]);
    values.extend([SqlValue::Text(base), SqlValue::Text(clocks)]);
    let sql = format!(
        "INSERT INTO {table} ({}) VALUES ({}) ON CONFLICT (id) DO NOTHING",
        columns.join(", "),
        vec!["?"; columns.len()].join(", ")
    );
    let inserted = conn
        .prepare_cached(&sql)?
        .execute(params_from_iter(values))?;
    Ok(inserted == 1)
}

fn carries_every_field(op: &Op) -> bool {
    op.entity
        .fields()
        .iter()
        .all(|f| op.fields.contains_key(f.name))
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
        ))
    })?;
    let mut ops = Vec::new();
    for row in rows {
        let (id, entity, record_id, fields, hlc) = row?;
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
        });
    }
    Ok(ops)
}
