//! The server's state, written once over [`Sql`] for both databases: accounts and devices, the
//! ingest of pushed operations, pull, bootstrap, the ledger and the zone's figures, and the
//! scopes that decide who sees what.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use chrono::NaiveDate;
use desk_core::model::check_fields;
use desk_core::protocol::{Change, PushResult, PushStatus, UserInfo};
use desk_core::stats::{Counts, Stats};
use desk_core::{Entity, FieldClocks, FieldKind, Op, Snapshot};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::db::{now_text, Sql, SqlValue};
use crate::error::ApiError;
use crate::scope::{Caller, RecordScope, Role};

type Result<T, E = ApiError> = std::result::Result<T, E>;

// ---------------------------------------------------------------------------------------------
// Accounts and devices

pub struct NewUser<'a> {
    pub name: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub password_hash: &'a str,
    pub parks: &'a [Uuid],
    pub departments: &'a [Uuid],
}

pub fn user_count(sql: &mut dyn Sql) -> Result<i64> {
    Ok(sql
        .row("SELECT COUNT(*) FROM users", &[])?
        .and_then(|r| r[0].int())
        .unwrap_or(0))
}

pub fn create_user(sql: &mut dyn Sql, u: &NewUser) -> Result<Uuid> {
    let name = u.name.trim();
    if name.is_empty() {
        return Err(desk_core::ValidationError::Required { field: "name" }.into());
    }
    if sql
        .row("SELECT 1 FROM users WHERE name = $1", &[name.into()])?
        .is_some()
    {
        return Err(desk_core::ValidationError::Duplicate {
            field: "name",
            value: name.into(),
        }
        .into());
    }
    for park in u.parks {
        require(sql, Entity::Park, *park, "parks")?;
    }
    for dept in u.departments {
        require(sql, Entity::Department, *dept, "departments")?;
    }
    let id = Uuid::now_v7();
    sql.exec(
        "INSERT INTO users (id, name, display_name, role, password_hash, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            id.to_string().into(),
            name.into(),
            u.display_name.trim().into(),
            u.role.as_str().into(),
            u.password_hash.into(),
            now_text().into(),
        ],
    )?;
    for park in u.parks {
        sql.exec(
            "INSERT INTO user_parks (user_id, park_id) VALUES ($1, $2)",
            &[id.to_string().into(), park.to_string().into()],
        )?;
    }
    for dept in u.departments {
        sql.exec(
            "INSERT INTO user_departments (user_id, department_id) VALUES ($1, $2)",
            &[id.to_string().into(), dept.to_string().into()],
        )?;
    }
    audit(
        sql,
        None,
        None,
        "create_user",
        &format!("{name} ({})", u.role.as_str()),
    )?;
    Ok(id)
}

/// Changes which parks and departments a user serves. Their devices notice at the next sync.
pub fn set_user_scope(
    sql: &mut dyn Sql,
    name: &str,
    parks: &[Uuid],
    departments: &[Uuid],
) -> Result<()> {
    let Some((_, user)) = user_by_name(sql, name)? else {
        return Err(desk_core::ValidationError::NotFound {
            field: "user",
            entity: "user",
            entity_zh: "用户",
            id: name.into(),
        }
        .into());
    };
    for park in parks {
        require(sql, Entity::Park, *park, "parks")?;
    }
    for dept in departments {
        require(sql, Entity::Department, *dept, "departments")?;
    }
    let id = user.id.to_string();
    sql.exec(
        "DELETE FROM user_parks WHERE user_id = $1",
        &[id.clone().into()],
    )?;
    sql.exec(
        "DELETE FROM user_departments WHERE user_id = $1",
        &[id.clone().into()],
    )?;
    for park in parks {
        sql.exec(
            "INSERT INTO user_parks (user_id, park_id) VALUES ($1, $2)",
            &[id.clone().into(), park.to_string().into()],
        )?;
    }
    for dept in departments {
        sql.exec(
            "INSERT INTO user_departments (user_id, department_id) VALUES ($1, $2)",
            &[id.clone().into(), dept.to_string().into()],
        )?;
    }
    audit(
        sql,
        None,
        None,
        "set_scope",
        &format!(
            "{name}: {} parks, {} departments",
            parks.len(),
            departments.len()
        ),
    )
}

fn require(sql: &mut dyn Sql, entity: Entity, id: Uuid, field: &'static str) -> Result<()> {
    if record_exists(sql, entity, id)? {
        Ok(())
    } else {
        Err(desk_core::ValidationError::NotFound {
            field,
            entity: entity.name_en(),
            entity_zh: entity.name_zh(),
            id: id.to_string(),
        }
        .into())
    }
}

/// The password hash and the account of a user, by name.
pub fn user_by_name(sql: &mut dyn Sql, name: &str) -> Result<Option<(String, UserInfo)>> {
    let Some(row) = sql.row(
        "SELECT id, name, display_name, role, password_hash FROM users WHERE name = $1",
        &[name.trim().into()],
    )?
    else {
        return Ok(None);
    };
    let id = uuid(&row[0])?;
    let info = user_info(sql, id, &row)?;
    Ok(Some((text(&row[4]).to_owned(), info)))
}

fn user_info(sql: &mut dyn Sql, id: Uuid, row: &[SqlValue]) -> Result<UserInfo> {
    let parks = sql
        .rows(
            "SELECT park_id FROM user_parks WHERE user_id = $1 ORDER BY park_id",
            &[id.to_string().into()],
        )?
        .iter()
        .map(|r| uuid(&r[0]))
        .collect::<Result<_>>()?;
    let departments = sql
        .rows(
            "SELECT department_id FROM user_departments WHERE user_id = $1 ORDER BY department_id",
            &[id.to_string().into()],
        )?
        .iter()
        .map(|r| uuid(&r[0]))
        .collect::<Result<_>>()?;
    Ok(UserInfo {
        id,
        name: text(&row[1]).to_owned(),
        display_name: text(&row[2]).to_owned(),
        role: text(&row[3]).to_owned(),
        parks,
        departments,
    })
}

pub fn create_device(
    sql: &mut dyn Sql,
    user: &UserInfo,
    name: &str,
    token_hash: &str,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    let name = name.trim();
    if name.is_empty() {
        return Err(desk_core::ValidationError::Required {
            field: "device_name",
        }
        .into());
    }
    sql.exec(
        "INSERT INTO devices (id, user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
        &[
            id.to_string().into(),
            user.id.to_string().into(),
            name.into(),
            token_hash.into(),
            now_text().into(),
        ],
    )?;
    audit(sql, Some(user.id), Some(id), "login", name)?;
    Ok(id)
}

/// The caller behind a device token, if the token is known and its device not revoked.
pub fn caller_by_token(sql: &mut dyn Sql, token_hash: &str) -> Result<Option<Caller>> {
    let Some(row) = sql.row(
        "SELECT u.id, u.name, u.display_name, u.role, d.id
         FROM devices d JOIN users u ON u.id = d.user_id
         WHERE d.token_hash = $1 AND d.revoked_at IS NULL",
        &[token_hash.into()],
    )?
    else {
        return Ok(None);
    };
    let user_id = uuid(&row[0])?;
    let info = user_info(sql, user_id, &row)?;
    let role =
        Role::parse(&info.role).ok_or_else(|| ApiError::internal("unknown role in users"))?;
    Ok(Some(Caller {
        user_id,
        user_name: info.name,
        role,
        parks: info.parks,
        departments: info.departments,
        device_id: Some(uuid(&row[4])?),
    }))
}

pub fn touch_device(sql: &mut dyn Sql, device: Uuid) -> Result<()> {
    sql.exec(
        "UPDATE devices SET last_seen_at = $1 WHERE id = $2",
        &[now_text().into(), device.to_string().into()],
    )?;
    Ok(())
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DeviceInfo {
    pub id: Uuid,
    pub user: String,
    pub name: String,
    pub created_at: String,
    pub last_seen_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// Devices of one user, or of everyone (`None`).
pub fn list_devices(sql: &mut dyn Sql, user: Option<Uuid>) -> Result<Vec<DeviceInfo>> {
    let rows = sql.rows(
        "SELECT d.id, u.name, d.name, d.created_at, d.last_seen_at, d.revoked_at
         FROM devices d JOIN users u ON u.id = d.user_id
         WHERE $1 = '' OR d.user_id = $1 ORDER BY d.id",
        &[user.map(|u| u.to_string()).unwrap_or_default().into()],
    )?;
    rows.iter()
        .map(|r| {
            Ok(DeviceInfo {
                id: uuid(&r[0])?,
                user: text(&r[1]).to_owned(),
                name: text(&r[2]).to_owned(),
                created_at: text(&r[3]).to_owned(),
                last_seen_at: r[4].text().map(str::to_owned),
                revoked_at: r[5].text().map(str::to_owned),
            })
        })
        .collect()
}

/// Revokes a device (of `owner`, unless `None`: an admin may revoke any).
pub fn revoke_device(
    sql: &mut dyn Sql,
    id: Uuid,
    owner: Option<Uuid>,
    by: Option<Uuid>,
) -> Result<()> {
    let changed = sql.exec(
        "UPDATE devices SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL AND ($3 = '' OR user_id = $3)",
        &[now_text().into(), id.to_string().into(), owner.map(|u| u.to_string()).unwrap_or_default().into()],
    )?;
    if changed == 0 {
        return Err(ApiError::not_found(format!(
            "没有可停用的设备 {id} (no active device {id} that you may revoke)"
        )));
    }
    audit(sql, by, Some(id), "revoke_device", &id.to_string())
}

pub fn audit(
    sql: &mut dyn Sql,
    user: Option<Uuid>,
    device: Option<Uuid>,
    action: &str,
    detail: &str,
) -> Result<()> {
    sql.exec(
        "INSERT INTO audit (id, at, user_id, device_id, action, detail)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            Uuid::now_v7().to_string().into(),
            now_text().into(),
            user.map(|u| u.to_string()).into(),
            device.map(|d| d.to_string()).into(),
            action.into(),
            detail.into(),
        ],
    )?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Records on the server

fn text(v: &SqlValue) -> &str {
    v.text().unwrap_or_default()
}

fn uuid(v: &SqlValue) -> Result<Uuid> {
    v.text()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| ApiError::internal("a stored id is not a UUID"))
}

fn columns(entity: Entity, alias: &str) -> String {
    std::iter::once("id")
        .chain(entity.fields().iter().map(|f| f.name))
        .chain(["_hlc", "_clocks"])
        .map(|c| format!("{alias}{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn to_sql(v: &Value) -> SqlValue {
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

/// A row selected with [`columns`] as a snapshot.
fn snapshot_of_row(entity: Entity, row: &[SqlValue]) -> Result<Snapshot> {
    let mut fields = Map::new();
    for (i, f) in entity.fields().iter().enumerate() {
        fields.insert(f.name.into(), from_sql(f.kind, &row[i + 1])?);
    }
    let n = entity.fields().len();
    let clocks = FieldClocks::from_columns(text(&row[n + 1]), text(&row[n + 2]))
        .ok_or_else(|| ApiError::internal("bad clocks"))?;
    Ok(Snapshot {
        entity,
        record_id: uuid(&row[0])?,
        fields,
        clocks,
    })
}

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

fn record_exists(sql: &mut dyn Sql, entity: Entity, id: Uuid) -> Result<bool> {
    let q = format!("SELECT 1 FROM {} WHERE id = $1", entity.table());
    Ok(sql.row(&q, &[id.to_string().into()])?.is_some())
}

fn field_of(sql: &mut dyn Sql, entity: Entity, id: &str, field: &str) -> Result<Option<String>> {
    let q = format!("SELECT {field} FROM {} WHERE id = $1", entity.table());
    Ok(sql
        .row(&q, &[id.into()])?
        .and_then(|r| r[0].text().map(str::to_owned)))
}

fn insert_record(sql: &mut dyn Sql, s: &Snapshot) -> Result<()> {
    let cols = columns(s.entity, "");
    let mut params = vec![SqlValue::Text(s.record_id.to_string())];
    params.extend(
        s.entity
            .fields()
            .iter()
            .map(|f| to_sql(s.fields.get(f.name).unwrap_or(&Value::Null))),
    );
    params.push(s.clocks.base.to_string().into());
    params.push(s.clocks.fields_json().into());
    let marks: Vec<String> = (1..=params.len()).map(|i| format!("${i}")).collect();
    sql.exec(
        &format!(
            "INSERT INTO {} ({cols}) VALUES ({})",
            s.entity.table(),
            marks.join(", ")
        ),
        &params,
    )?;
    Ok(())
}

fn update_record(sql: &mut dyn Sql, s: &Snapshot, changed: &[&str]) -> Result<()> {
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

// ---------------------------------------------------------------------------------------------
// Scopes

fn read_scope(sql: &mut dyn Sql, entity: Entity, id: &str) -> Result<Option<RecordScope>> {
    let Some(row) = sql.row(
        "SELECT public, park_id FROM scopes WHERE entity = $1 AND record_id = $2",
        &[entity.table().into(), id.into()],
    )?
    else {
        return Ok(None);
    };
    let departments = sql
        .rows(
            "SELECT department_id FROM scope_departments WHERE entity = $1 AND record_id = $2",
            &[entity.table().into(), id.into()],
        )?
        .iter()
        .map(|r| uuid(&r[0]))
        .collect::<Result<_>>()?;
    Ok(Some(RecordScope {
        public: row[0].int() == Some(1),
        park: row[1].text().and_then(|s| s.parse().ok()),
        departments,
    }))
}

/// Stores a record's scope; true if someone who could not see it before can now.
fn write_scope(sql: &mut dyn Sql, entity: Entity, id: &str, scope: &RecordScope) -> Result<bool> {
    let old = read_scope(sql, entity, id)?;
    if old.as_ref() == Some(scope) {
        return Ok(false);
    }
    let params = [entity.table().into(), id.into()];
    sql.exec(
        "DELETE FROM scopes WHERE entity = $1 AND record_id = $2",
        &params,
    )?;
    sql.exec(
        "DELETE FROM scope_departments WHERE entity = $1 AND record_id = $2",
        &params,
    )?;
    insert_scope(sql, entity, id, scope)?;
    Ok(old.is_some_and(|old| scope.grew_from(&old)))
}

/// The scope of a record that has none yet.
fn insert_scope(sql: &mut dyn Sql, entity: Entity, id: &str, scope: &RecordScope) -> Result<()> {
    sql.exec(
        "INSERT INTO scopes (entity, record_id, public, park_id) VALUES ($1, $2, $3, $4)",
        &[
            entity.table().into(),
            id.into(),
            (scope.public as i64).into(),
            scope.park.map(|p| p.to_string()).into(),
        ],
    )?;
    for d in &scope.departments {
        sql.exec(
            "INSERT INTO scope_departments (entity, record_id, department_id) VALUES ($1, $2, $3)",
            &[entity.table().into(), id.into(), d.to_string().into()],
        )?;
    }
    Ok(())
}

fn str_field<'a>(fields: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    fields.get(name).and_then(Value::as_str)
}

fn park_of_site(sql: &mut dyn Sql, site_id: Option<&str>) -> Result<Option<Uuid>> {
    let Some(site) = site_id else { return Ok(None) };
    Ok(field_of(sql, Entity::Site, site, "park_id")?.and_then(|p| p.parse::<Uuid>().ok()))
}

/// An appeal's audience: its site's park, the department it was dispatched to, and every
/// department a live resolution names.
fn appeal_scope(sql: &mut dyn Sql, appeal_id: &str) -> Result<RecordScope> {
    let Some(appeal) = read_record(
        sql,
        Entity::Appeal,
        appeal_id
            .parse()
            .map_err(|_| ApiError::internal("appeal id"))?,
    )?
    else {
        return Ok(RecordScope::default());
    };
    let park = park_of_site(sql, str_field(&appeal.fields, "site_id"))?;
    let mut departments: BTreeSet<Uuid> = str_field(&appeal.fields, "department_id")
        .and_then(|d| d.parse::<Uuid>().ok())
        .into_iter()
        .collect();
    for r in sql.rows(
        "SELECT lead_department_id, co_department_ids FROM resolutions WHERE appeal_id = $1 AND void_reason IS NULL",
        &[appeal_id.into()],
    )? {
        departments.extend(r[0].text().and_then(|d| d.parse::<Uuid>().ok()));
        if let Some(co) = r[1].text() {
            departments.extend(serde_json::from_str::<Vec<Uuid>>(co).unwrap_or_default());
        }
    }
    Ok(RecordScope {
        public: false,
        park,
        departments,
    })
}

/// The scope a record would have with these fields.
fn scope_for(
    sql: &mut dyn Sql,
    entity: Entity,
    id: &str,
    fields: &Map<String, Value>,
) -> Result<RecordScope> {
    Ok(match entity {
        Entity::Park | Entity::Department => RecordScope::public(),
        Entity::Session => RecordScope::default(),
        Entity::Site => {
            let departments = sql
                .rows(
                    "SELECT DISTINCT d.department_id FROM appeals a
                     JOIN scope_departments d ON d.entity = 'appeals' AND d.record_id = a.id
                     WHERE a.site_id = $1",
                    &[id.into()],
                )?
                .iter()
                .map(|r| uuid(&r[0]))
                .collect::<Result<_>>()?;
            RecordScope {
                public: false,
                park: str_field(fields, "park_id").and_then(|p| p.parse::<Uuid>().ok()),
                departments,
            }
        }
        Entity::Stop | Entity::Visit | Entity::Consultation | Entity::Suggestion => RecordScope {
            park: park_of_site(sql, str_field(fields, "site_id"))?,
            ..Default::default()
        },
        Entity::Appeal => {
            let mut s = appeal_scope(sql, id)?;
            // Before the appeal is stored its scope comes from the fields at hand.
            s.park = park_of_site(sql, str_field(fields, "site_id"))?;
            s.departments
                .extend(str_field(fields, "department_id").and_then(|d| d.parse::<Uuid>().ok()));
            s
        }
        Entity::Resolution | Entity::Progress => {
            let appeal = str_field(fields, "appeal_id")
                .unwrap_or_default()
                .to_owned();
            let mut s = appeal_scope(sql, &appeal)?;
            if entity == Entity::Resolution && fields.get("void_reason").is_none_or(Value::is_null)
            {
                s.departments.extend(
                    str_field(fields, "lead_department_id").and_then(|d| d.parse::<Uuid>().ok()),
                );
                if let Some(Value::Array(co)) = fields.get("co_department_ids") {
                    s.departments
                        .extend(co.iter().filter_map(|d| d.as_str()?.parse::<Uuid>().ok()));
                }
            }
            s
        }
    })
}

/// Recomputes and stores the scopes a write to `entity`/`id` may have changed; returns the
/// records whose audience grew, which the log must now carry whole.
fn rescope(
    sql: &mut dyn Sql,
    entity: Entity,
    id: &str,
    fields: &Map<String, Value>,
    scope: &RecordScope,
) -> Result<Vec<(Entity, String)>> {
    let mut grown = Vec::new();
    if write_scope(sql, entity, id, scope)? {
        grown.push((entity, id.to_owned()));
    }
    let appeal = match entity {
        Entity::Appeal => Some(id.to_owned()),
        Entity::Resolution => str_field(fields, "appeal_id").map(str::to_owned),
        _ => None,
    };
    if let Some(appeal) = appeal {
        grown.extend(rescope_appeal_family(sql, &appeal)?);
    }
    if entity == Entity::Site {
        // The site's park decides the audience of everything recorded about it.
        for dependent in [
            Entity::Stop,
            Entity::Visit,
            Entity::Consultation,
            Entity::Suggestion,
            Entity::Appeal,
        ] {
            let q = format!("SELECT id FROM {} WHERE site_id = $1", dependent.table());
            for r in sql.rows(&q, &[id.into()])? {
                let rid = text(&r[0]).to_owned();
                if dependent == Entity::Appeal {
                    grown.extend(rescope_appeal_family(sql, &rid)?);
                } else {
                    let s = RecordScope {
                        park: scope.park,
                        ..Default::default()
                    };
                    if write_scope(sql, dependent, &rid, &s)? {
                        grown.push((dependent, rid));
                    }
                }
            }
        }
    }
    Ok(grown)
}

fn rescope_appeal_family(sql: &mut dyn Sql, appeal: &str) -> Result<Vec<(Entity, String)>> {
    let mut grown = Vec::new();
    let scope = appeal_scope(sql, appeal)?;
    if write_scope(sql, Entity::Appeal, appeal, &scope)? {
        grown.push((Entity::Appeal, appeal.to_owned()));
    }
    for child in [Entity::Resolution, Entity::Progress] {
        let q = format!("SELECT id FROM {} WHERE appeal_id = $1", child.table());
        for r in sql.rows(&q, &[appeal.into()])? {
            let rid = text(&r[0]).to_owned();
            if write_scope(sql, child, &rid, &scope)? {
                grown.push((child, rid));
            }
        }
    }
    if let Some(site) = field_of(sql, Entity::Appeal, appeal, "site_id")? {
        if let Some(s) = read_record(
            sql,
            Entity::Site,
            site.parse().map_err(|_| ApiError::internal("site id"))?,
        )? {
            let scope = scope_for(sql, Entity::Site, &site, &s.fields)?;
            if write_scope(sql, Entity::Site, &site, &scope)? {
                grown.push((Entity::Site, site));
            }
        }
    }
    Ok(grown)
}

// ---------------------------------------------------------------------------------------------
// The sync log

/// Numbers log entries during one ingest, which holds the log lock: the head is read once.
struct LogWriter {
    next: i64,
}

impl LogWriter {
    fn start(sql: &mut dyn Sql) -> Result<LogWriter> {
        Ok(LogWriter {
            next: head(sql)? + 1,
        })
    }

    fn seq(&mut self) -> i64 {
        self.next += 1;
        self.next - 1
    }
}

/// The newest log position.
pub fn head(sql: &mut dyn Sql) -> Result<i64> {
    Ok(sql
        .row("SELECT COALESCE(MAX(seq), 0) FROM log", &[])?
        .and_then(|r| r[0].int())
        .unwrap_or(0))
}

fn append_op(sql: &mut dyn Sql, log: &mut LogWriter, op: &Op, caller: &Caller) -> Result<()> {
    let seq = log.seq();
    sql.exec(
        "INSERT INTO log (seq, kind, op_id, entity, record_id, fields, hlc, prev, clocks, user_id, device_id, received_at)
         VALUES ($1, 'op', $2, $3, $4, $5, $6, $10, NULL, $7, $8, $9)",
        &[
            seq.into(),
            op.id.to_string().into(),
            op.entity.table().into(),
            op.record_id.to_string().into(),
            Value::Object(op.fields.clone()).to_string().into(),
            op.hlc.to_string().into(),
            caller.user_id.to_string().into(),
            caller.device_id.map(|d| d.to_string()).into(),
            now_text().into(),
            serde_json::to_string(&op.prev).expect("stamps serialise").into(),
        ],
    )?;
    Ok(())
}

fn append_snapshot(sql: &mut dyn Sql, log: &mut LogWriter, entity: Entity, id: &str) -> Result<()> {
    let Some(s) = read_record(
        sql,
        entity,
        id.parse().map_err(|_| ApiError::internal("record id"))?,
    )?
    else {
        return Ok(());
    };
    let seq = log.seq();
    sql.exec(
        "INSERT INTO log (seq, kind, op_id, entity, record_id, fields, hlc, clocks, user_id, device_id, received_at)
         VALUES ($1, 'snapshot', NULL, $2, $3, $4, NULL, $5, NULL, NULL, $6)",
        &[
            seq.into(),
            entity.table().into(),
            id.into(),
            Value::Object(s.fields.clone()).to_string().into(),
            serde_json::to_string(&s.clocks).expect("clocks serialise").into(),
            now_text().into(),
        ],
    )?;
    Ok(())
}

fn entity_of(table: &str) -> Result<Entity> {
    Entity::ALL
        .into_iter()
        .find(|e| e.table() == table)
        .ok_or_else(|| ApiError::internal("unknown entity in log"))
}

fn rejected(op: &Op, code: &str, field: Option<&str>, reason: String) -> PushResult {
    PushResult {
        op_id: op.id,
        status: PushStatus::Rejected,
        code: Some(code.into()),
        field: field.map(str::to_owned),
        reason: Some(reason),
    }
}

/// Limits of ingest.
#[derive(Debug, Clone, Copy)]
pub struct IngestRules {
    pub now_ms: i64,
    /// How far ahead of the server's clock a stamp may be.
    pub max_clock_ahead_ms: i64,
}

/// Takes a batch of pushed operations. Each lands or is rejected on its own; the reply says
/// which. An operation seen before (by id) is acknowledged again and changes nothing.
pub fn ingest(
    sql: &mut dyn Sql,
    caller: &Caller,
    ops: &[Op],
    rules: IngestRules,
) -> Result<Vec<PushResult>> {
    sql.lock_log()?;
    let mut log = LogWriter::start(sql)?;
    let mut results = Vec::with_capacity(ops.len());
    let (mut accepted, mut refused) = (0, 0);
    for op in ops {
        let r = ingest_one(sql, &mut log, caller, op, rules)?;
        match r.status {
            PushStatus::Accepted => accepted += 1,
            PushStatus::Rejected => refused += 1,
            PushStatus::Duplicate => {}
        }
        results.push(r);
    }
    audit(
        sql,
        Some(caller.user_id),
        caller.device_id,
        "push",
        &format!(
            "{} operations: {accepted} accepted, {} already in, {refused} rejected",
            ops.len(),
            ops.len() - accepted - refused
        ),
    )?;
    Ok(results)
}

fn ingest_one(
    sql: &mut dyn Sql,
    log: &mut LogWriter,
    caller: &Caller,
    op: &Op,
    rules: IngestRules,
) -> Result<PushResult> {
    if let Err(e) = op.check_shape() {
        return Ok(rejected(op, "validation", Some(e.field()), e.to_string()));
    }
    let ahead = op.hlc.wall_ms as i64 - rules.now_ms;
    if ahead > rules.max_clock_ahead_ms {
        return Ok(rejected(
            op,
            "clock_ahead",
            Some("hlc"),
            format!(
                "设备时钟比服务器快 {} 分钟，请校准设备时间后重试 (the device clock is {} minutes ahead of the server: set it right and retry)",
                (ahead + 30_000) / 60_000,
                (ahead + 30_000) / 60_000
            ),
        ));
    }
    if sql
        .row(
            "SELECT 1 FROM log WHERE op_id = $1",
            &[op.id.to_string().into()],
        )?
        .is_some()
    {
        return Ok(PushResult {
            op_id: op.id,
            status: PushStatus::Duplicate,
            code: None,
            field: None,
            reason: None,
        });
    }
    let id = op.record_id.to_string();
    let current = read_record(sql, op.entity, op.record_id)?;
    let (next, changed): (Snapshot, Vec<&str>) = match &current {
        None if !op.is_complete() => {
            return Ok(rejected(
                op,
                "unknown_record",
                Some("record_id"),
                format!(
                    "服务器上没有这条{}，无法修改 (no such {} on the server to change)",
                    op.entity.name_zh(),
                    op.entity.name_en()
                ),
            ))
        }
        None => (
            Snapshot {
                entity: op.entity,
                record_id: op.record_id,
                fields: op.fields.clone(),
                clocks: FieldClocks::all(op.hlc),
            },
            Vec::new(),
        ),
        Some(_) if op.entity.append_only() => {
            return Ok(rejected(
                op,
                "immutable",
                Some("record_id"),
                "办理进展一经记录不可修改 (progress updates cannot be changed)".into(),
            ))
        }
        Some(cur) => {
            let mut next = cur.clone();
            let won: Vec<&str> = next
                .clocks
                .merge(op.writes())
                .into_iter()
                .map(|(k, _)| k)
                .collect();
            for name in &won {
                next.fields
                    .insert((*name).to_owned(), op.fields[*name].clone());
            }
            (next, won)
        }
    };
    let references = match check_fields(op.entity, op.record_id, &next.fields) {
        Ok(refs) => refs,
        Err(e) => return Ok(rejected(op, "validation", Some(e.field()), e.to_string())),
    };
    for (field, entity, rid) in references {
        if !record_exists(sql, entity, rid)? {
            return Ok(rejected(
                op,
                "unknown_reference",
                Some(field),
                format!(
                    "{field}：服务器上没有编号为 {rid} 的{}，请先同步它 (no {} {rid} on the server: sync it first)",
                    entity.name_zh(),
                    entity.name_en()
                ),
            ));
        }
    }
    let before = match &current {
        Some(_) => read_scope(sql, op.entity, &id)?,
        None => None,
    };
    let new = current.is_none();
    // A record appearing for the first time is the common case, and most kinds then have no
    // dependents whose scope could change: they take the short way.
    let simple_new = new && !matches!(op.entity, Entity::Appeal | Entity::Resolution);
    let after = if simple_new && op.entity == Entity::Site {
        RecordScope {
            park: str_field(&next.fields, "park_id").and_then(|p| p.parse::<Uuid>().ok()),
            ..Default::default()
        }
    } else {
        scope_for(sql, op.entity, &id, &next.fields)?
    };
    if let Err(reason) = caller.may_write(op.entity, before.as_ref(), &after) {
        return Ok(rejected(op, "forbidden", None, reason));
    }
    if let Some(field) = op
        .fields
        .keys()
        .find(|f| !caller.may_change_field(op.entity, f))
    {
        return Ok(rejected(
            op,
            "forbidden",
            Some(field),
            format!("{field}：此账号只能办理诉求，不能修改这一项 (this account handles appeals and may not change {field})"),
        ));
    }
    let voided = current
        .as_ref()
        .is_some_and(|c| c.fields.get("void_reason").is_some_and(|v| !v.is_null()));
    if voided && next.fields.get("void_reason").is_some_and(Value::is_null) {
        return Ok(rejected(
            op,
            "immutable",
            Some("void_reason"),
            "作废的记录不能恢复 (a voided record cannot come back)".into(),
        ));
    }

    match &current {
        None => insert_record(sql, &next)?,
        Some(_) if !changed.is_empty() => update_record(sql, &next, &changed)?,
        Some(_) => {} // older than what the server holds: logged, changes nothing
    }
    append_op(sql, log, op, caller)?;
    if simple_new {
        insert_scope(sql, op.entity, &id, &after)?;
    } else {
        for (entity, rid) in rescope(sql, op.entity, &id, &next.fields, &after)? {
            append_snapshot(sql, log, entity, &rid)?;
        }
    }
    Ok(PushResult {
        op_id: op.id,
        status: PushStatus::Accepted,
        code: None,
        field: None,
        reason: None,
    })
}

/// The log after `cursor` that the caller may see, its own operations left out.
pub fn pull(
    sql: &mut dyn Sql,
    caller: &Caller,
    cursor: i64,
    limit: i64,
) -> Result<(Vec<Change>, i64, bool)> {
    let top = head(sql)?;
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
         WHERE l.seq > $1 AND l.seq <= $2 AND (l.device_id IS NULL OR l.device_id <> $3) AND {}
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
        let entity = entity_of(text(&r[3]))?;
        let record_id = uuid(&r[4])?;
        let fields: Map<String, Value> =
            serde_json::from_str(text(&r[5])).map_err(|_| ApiError::internal("bad log fields"))?;
        let seq = r[0].int().unwrap_or_default();
        changes.push(if text(&r[1]) == "op" {
            Change {
                seq,
                op: Some(Op {
                    id: uuid(&r[2])?,
                    entity,
                    record_id,
                    fields,
                    hlc: text(&r[6])
                        .parse()
                        .map_err(|_| ApiError::internal("bad log stamp"))?,
                    prev: r[8]
                        .text()
                        .map(serde_json::from_str)
                        .transpose()
                        .map_err(|_| ApiError::internal("bad log prev"))?
                        .unwrap_or_default(),
                }),
                snapshot: None,
            }
        } else {
            Change {
                seq,
                op: None,
                snapshot: Some(Snapshot {
                    entity,
                    record_id,
                    fields,
                    clocks: serde_json::from_str(text(&r[7]))
                        .map_err(|_| ApiError::internal("bad log clocks"))?,
                }),
            }
        });
    }
    // With nothing more to see, the cursor moves to the head, past entries out of scope.
    let cursor = if has_more {
        changes.last().map_or(cursor, |c| c.seq)
    } else {
        top.max(cursor)
    };
    Ok((changes, cursor, has_more))
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
    let Some(scope) = read_scope(sql, entity, &id.to_string())? else {
        return Ok(None);
    };
    if !caller.sees(&scope) {
        return Ok(None);
    }
    read_record(sql, entity, id)
}

// ---------------------------------------------------------------------------------------------
// The ledger and the zone's figures, within the caller's scope

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LedgerQuery {
    /// received, dispatched, in_progress, resolved, confirmed (or the Chinese label).
    pub status: Option<String>,
    pub park: Option<Uuid>,
    pub department: Option<Uuid>,
    pub category: Option<String>,
    /// Only appeals past their deadline and not resolved.
    #[serde(default)]
    pub overdue: bool,
}

pub fn ledger(
    sql: &mut dyn Sql,
    caller: &Caller,
    q: &LedgerQuery,
    today: NaiveDate,
) -> Result<Vec<Map<String, Value>>> {
    use desk_core::model::{AppealStatus, Category};
    let mut params: Vec<SqlValue> = vec![caller.user_id.to_string().into()];
    let mut cond = vec![caller.visibility_sql("$1"), "t.void_reason IS NULL".into()];
    let bind = |params: &mut Vec<SqlValue>, v: SqlValue| {
        params.push(v);
        format!("${}", params.len())
    };
    if let Some(s) = &q.status {
        let s = AppealStatus::parse("status", s)?;
        cond.push(format!(
            "t.status = {}",
            bind(&mut params, s.as_str().into())
        ));
    }
    if let Some(c) = &q.category {
        let c = Category::parse("category", c)?;
        cond.push(format!(
            "t.category = {}",
            bind(&mut params, c.as_str().into())
        ));
    }
    if let Some(p) = q.park {
        cond.push(format!(
            "t.site_id IN (SELECT id FROM sites WHERE park_id = {})",
            bind(&mut params, p.to_string().into())
        ));
    }
    if let Some(d) = q.department {
        cond.push(format!(
            "EXISTS (SELECT 1 FROM scope_departments sd WHERE sd.entity = 'appeals' AND sd.record_id = t.id AND sd.department_id = {})",
            bind(&mut params, d.to_string().into())
        ));
    }
    if q.overdue {
        cond.push(format!(
            "t.status NOT IN ('resolved', 'confirmed') AND t.deadline < {}",
            bind(&mut params, today.to_string().into())
        ));
    }
    let sql_text = format!(
        "SELECT {} FROM appeals t JOIN scopes s ON s.entity = 'appeals' AND s.record_id = t.id WHERE {} ORDER BY t.id",
        columns(Entity::Appeal, "t."),
        cond.join(" AND ")
    );
    sql.rows(&sql_text, &params)?
        .iter()
        .map(|r| {
            let s = snapshot_of_row(Entity::Appeal, r)?;
            let mut out = Map::new();
            out.insert("id".into(), Value::String(s.record_id.to_string()));
            out.extend(s.fields);
            Ok(out)
        })
        .collect()
}

/// The zone's figures (the same as a device's `desk stats`), over what the caller may see.
pub fn stats(sql: &mut dyn Sql, caller: &Caller, today: NaiveDate) -> Result<Stats> {
    let vis = caller.visibility_sql("$1");
    let user: SqlValue = caller.user_id.to_string().into();
    let today: SqlValue = today.to_string().into();
    // `extra` may use $2, today's date in the zone.
    let mut count = |entity: Entity, extra: &str| -> Result<i64> {
        let q = format!(
            "SELECT COUNT(*) FROM {} t JOIN scopes s ON s.entity = '{}' AND s.record_id = t.id
             WHERE {vis} AND t.void_reason IS NULL {extra}",
            entity.table(),
            entity.table()
        );
        let params = if extra.contains("$2") {
            vec![user.clone(), today.clone()]
        } else {
            vec![user.clone()]
        };
        Ok(sql.row(&q, &params)?.and_then(|r| r[0].int()).unwrap_or(0))
    };
    let resolved = "AND t.status IN ('resolved', 'confirmed')";
    let sessions = count(Entity::Session, "")?;
    let visits = count(Entity::Visit, "")?;
    let consultations = count(Entity::Consultation, "")?;
    let appeals = count(Entity::Appeal, "")?;
    let appeals_resolved = count(Entity::Appeal, resolved)?;
    let with_deadline = count(
        Entity::Appeal,
        &format!("{resolved} AND t.deadline IS NOT NULL"),
    )?;
    // On time: resolved before the end of the deadline day in the zone (UTC+8), i.e. 16:00 UTC.
    let on_time = count(
        Entity::Appeal,
        &format!(
            "{resolved} AND t.deadline IS NOT NULL AND t.resolved_at < t.deadline || 'T16:00:00Z'"
        ),
    )?;
    let overdue_appeals = count(
        Entity::Appeal,
        "AND t.status NOT IN ('resolved', 'confirmed') AND t.deadline < $2",
    )?;
    let suggestions = count(Entity::Suggestion, "")?;
    let suggestions_adopted = count(Entity::Suggestion, "AND t.adopted = 1")?;
    let (satisfaction_ratings, satisfaction_sum) = sql
        .row(
            &format!(
                "SELECT COUNT(t.satisfaction), CAST(COALESCE(SUM(t.satisfaction), 0) AS BIGINT) FROM appeals t
                 JOIN scopes s ON s.entity = 'appeals' AND s.record_id = t.id
                 WHERE {vis} AND t.void_reason IS NULL AND t.satisfaction IS NOT NULL"
            ),
            &[user],
        )?
        .map_or((0, 0), |r| (r[0].int().unwrap_or(0), r[1].int().unwrap_or(0)));
    Ok(Counts {
        sessions,
        visits,
        consultations,
        appeals,
        appeals_resolved,
        resolved_with_deadline: with_deadline,
        resolved_on_time: on_time,
        overdue_appeals,
        suggestions,
        suggestions_adopted,
        satisfaction_ratings,
        satisfaction_sum,
    }
    .into())
}

/// Rejects an out-of-range page size with a 400 naming the parameter.
pub fn page_limit(limit: Option<i64>) -> Result<i64> {
    match limit {
        None => Ok(1000),
        Some(n) if (1..=5000).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("limit：{n} 超出范围 1–5000 (out of range 1–5000)"),
        )
        .field("limit")),
    }
}
