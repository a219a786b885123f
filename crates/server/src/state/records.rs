//! Domain rows on the server: the same tables as on a device, read and written as snapshots.

use desk_core::{Entity, FieldClocks, FieldKind, Snapshot};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::{text, uuid, Result};
use crate::db::{Row, Sql, SqlValue};
use crate::error::ApiError;

/// `id, <fields>, _hlc, _clocks`, each prefixed with `alias`.
pub(crate) fn columns(entity: Entity, alias: &str) -> String {
    std::iter::once("id")
        .chain(entity.fields().iter().map(|f| f.name))
        .chain(["_hlc", "_clocks"])
        .map(|c| format!("{alias}{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn to_sql(v: &Value) -> SqlValue {
    match v {
        Value::Null => SqlValue::Null,
        Value::Bool(b) => SqlValue::Int(*b as i64),
        Value::Number(n) => SqlValue::Int(n.as_i64().unwrap_or_default()),
        Value::String(s) => SqlValue::Text(s.clone()),
        other => SqlValue::Text(other.to_string()),
    }
}

fn from_sql(kind: FieldKind, v: &SqlValue) -> Result<Value> {
    Ok(match (kind, v) {
        (_, SqlValue::Null) => Value::Null,
        (FieldKind::Bool, SqlValue::Int(i)) => Value::Bool(*i != 0),
        (_, SqlValue::Int(i)) => Value::from(*i),
        (FieldKind::Json, SqlValue::Text(t)) => {
            serde_json::from_str(t).map_err(|_| ApiError::internal("bad JSON column"))?
        }
        (_, SqlValue::Text(t)) => Value::String(t.clone()),
    })
}

/// A row selected with [`columns`], as a snapshot.
pub(crate) fn snapshot_of_row(entity: Entity, row: &Row) -> Result<Snapshot> {
    let mut fields = Map::new();
    for f in entity.fields() {
        fields.insert(f.name.into(), from_sql(f.kind, row.get(f.name))?);
    }
    let clocks = FieldClocks::from_columns(text(row.get("_hlc")), text(row.get("_clocks")))
        .ok_or_else(|| ApiError::internal("bad clocks"))?;
    Ok(Snapshot {
        entity,
        record_id: uuid(row.get("id"))?,
        fields,
        clocks,
    })
}

/// A row selected with [`columns`], as the domain's record (`Appeal`, `Progress`, …).
pub(crate) fn record_of_row<R: desk_core::model::Record>(row: &Row) -> Result<R> {
    let s = snapshot_of_row(R::ENTITY, row)?;
    let mut fields = s.fields;
    fields.insert("id".into(), Value::String(s.record_id.to_string()));
    serde_json::from_value(Value::Object(fields))
        .map_err(|e| ApiError::internal(format!("unreadable {}: {e}", R::ENTITY.name_en())))
}

/// A record as the server holds it, whoever may see it.
pub fn read_record(sql: &mut dyn Sql, entity: Entity, id: Uuid) -> Result<Option<Snapshot>> {
    let q = format!(
        "SELECT {} FROM {} WHERE id = $1",
        columns(entity, ""),
        entity.table()
    );
    sql.row(&q, &[id.to_string().into()])?
        .map(|r| snapshot_of_row(entity, &r))
        .transpose()
}

/// A record held as a snapshot, as a typed value of `desk-core`.
pub(crate) fn typed<R: desk_core::model::Record>(s: &Snapshot) -> Result<R> {
    let mut fields = s.fields.clone();
    fields.insert("id".into(), Value::String(s.record_id.to_string()));
    serde_json::from_value(Value::Object(fields))
        .map_err(|e| ApiError::internal(format!("stored {} unreadable: {e}", R::ENTITY.table())))
}

pub(crate) fn record_exists(sql: &mut dyn Sql, entity: Entity, id: Uuid) -> Result<bool> {
    let q = format!("SELECT 1 AS found FROM {} WHERE id = $1", entity.table());
    Ok(sql.row(&q, &[id.to_string().into()])?.is_some())
}

/// One text field of a record.
pub(crate) fn field_of(
    sql: &mut dyn Sql,
    entity: Entity,
    id: &str,
    field: &str,
) -> Result<Option<String>> {
    let q = format!("SELECT {field} FROM {} WHERE id = $1", entity.table());
    Ok(sql
        .row(&q, &[id.into()])?
        .and_then(|r| r.text(field).map(str::to_owned)))
}

pub(crate) fn insert_record(sql: &mut dyn Sql, s: &Snapshot) -> Result<()> {
    let mut values = vec![SqlValue::Text(s.record_id.to_string())];
    values.extend(
        s.entity
            .fields()
            .iter()
            .map(|f| to_sql(s.fields.get(f.name).unwrap_or(&Value::Null))),
    );
    values.push(s.clocks.base.to_string().into());
    values.push(s.clocks.fields_json().into());
    sql.insert(s.entity.table(), &columns(s.entity, ""), values)?;
    Ok(())
}

/// Writes the `changed` fields of `s`, and its stamps.
pub(crate) fn update_record(sql: &mut dyn Sql, s: &Snapshot, changed: &[&str]) -> Result<()> {
    let mut sets = Vec::new();
    let mut params = Vec::new();
    for name in changed {
        params.push(to_sql(&s.fields[*name]));
        sets.push(format!("{name} = ${}", params.len()));
    }
    params.push(s.clocks.fields_json().into());
    sets.push(format!("_clocks = ${}", params.len()));
    params.push(s.record_id.to_string().into());
    let q = format!(
        "UPDATE {} SET {} WHERE id = ${}",
        s.entity.table(),
        sets.join(", "),
        params.len()
    );
    sql.exec(&q, &params)?;
    Ok(())
}

pub(crate) fn entity_of(table: &str) -> Result<Entity> {
    Entity::ALL
        .into_iter()
        .find(|e| e.table() == table)
        .ok_or_else(|| ApiError::internal("unknown entity in log"))
}
