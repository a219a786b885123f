//! Accounts and devices: users with their role and scope, device tokens, the audit trail.

use desk_core::protocol::UserInfo;
use desk_core::{Entity, Role};
use uuid::Uuid;

use super::records::record_exists;
use super::{text, uuid, Result};
use crate::db::{now_text, Row, Sql};
use crate::error::ApiError;
use crate::scope::Caller;

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
        .row("SELECT COUNT(*) AS n FROM users", &[])?
        .and_then(|r| r.int("n"))
        .unwrap_or(0))
}

pub fn create_user(sql: &mut dyn Sql, u: &NewUser) -> Result<Uuid> {
    let name = u.name.trim();
    if name.is_empty() {
        return Err(desk_core::ValidationError::Required { field: "name" }.into());
    }
    if sql
        .row(
            "SELECT 1 AS taken FROM users WHERE name = $1",
            &[name.into()],
        )?
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

pub(crate) fn require(
    sql: &mut dyn Sql,
    entity: Entity,
    id: Uuid,
    field: &'static str,
) -> Result<()> {
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
    let id = uuid(row.get("id"))?;
    let info = user_info(sql, id, &row)?;
    Ok(Some((text(row.get("password_hash")).to_owned(), info)))
}

/// The account of a row selecting `name, display_name, role`.
fn user_info(sql: &mut dyn Sql, id: Uuid, row: &Row) -> Result<UserInfo> {
    let parks = sql
        .rows(
            "SELECT park_id FROM user_parks WHERE user_id = $1 ORDER BY park_id",
            &[id.to_string().into()],
        )?
        .iter()
        .map(|r| uuid(r.get("park_id")))
        .collect::<Result<_>>()?;
    let departments = sql
        .rows(
            "SELECT department_id FROM user_departments WHERE user_id = $1 ORDER BY department_id",
            &[id.to_string().into()],
        )?
        .iter()
        .map(|r| uuid(r.get("department_id")))
        .collect::<Result<_>>()?;
    Ok(UserInfo {
        id,
        name: text(row.get("name")).to_owned(),
        display_name: text(row.get("display_name")).to_owned(),
        role: Role::parse(text(row.get("role")))
            .ok_or_else(|| ApiError::internal("unknown role in users"))?,
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
        "SELECT u.id, u.name, u.display_name, u.role, d.id AS device_id
         FROM devices d JOIN users u ON u.id = d.user_id
         WHERE d.token_hash = $1 AND d.revoked_at IS NULL",
        &[token_hash.into()],
    )?
    else {
        return Ok(None);
    };
    let user_id = uuid(row.get("id"))?;
    let info = user_info(sql, user_id, &row)?;
    Ok(Some(Caller {
        user_id,
        user_name: info.name,
        display_name: info.display_name,
        role: info.role,
        parks: info.parks,
        departments: info.departments,
        device_id: Some(uuid(row.get("device_id"))?),
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
        "SELECT d.id, u.name AS user_name, d.name, d.created_at, d.last_seen_at, d.revoked_at
         FROM devices d JOIN users u ON u.id = d.user_id
         WHERE $1 = '' OR d.user_id = $1 ORDER BY d.id",
        &[user.map(|u| u.to_string()).unwrap_or_default().into()],
    )?;
    rows.iter()
        .map(|r| {
            Ok(DeviceInfo {
                id: uuid(r.get("id"))?,
                user: text(r.get("user_name")).to_owned(),
                name: text(r.get("name")).to_owned(),
                created_at: text(r.get("created_at")).to_owned(),
                last_seen_at: r.text("last_seen_at").map(str::to_owned),
                revoked_at: r.text("revoked_at").map(str::to_owned),
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
