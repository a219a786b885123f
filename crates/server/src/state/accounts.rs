//! Accounts and devices: users with their role and scope, device tokens, the audit trail.

use desk_core::admin::{Account, AccountChange, DeviceInfo};
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
    /// The administrator who made it from the app, for the audit trail (none from the CLI).
    pub by: Option<Uuid>,
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
        u.by,
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
    let Some(Login { user, .. }) = user_by_name(sql, name)? else {
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
    set_scope_rows(sql, &user.id.to_string(), parks, departments)?;
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

/// A user as sign-in sees it.
pub struct Login {
    pub password_hash: String,
    pub user: UserInfo,
    /// An administrator disabled the account.
    pub disabled: bool,
}

/// The password hash and the account of a user, by name.
pub fn user_by_name(sql: &mut dyn Sql, name: &str) -> Result<Option<Login>> {
    let Some(row) = sql.row(
        "SELECT id, name, display_name, role, password_hash, disabled_at FROM users WHERE name = $1",
        &[name.trim().into()],
    )?
    else {
        return Ok(None);
    };
    let id = uuid(row.get("id"))?;
    Ok(Some(Login {
        password_hash: text(row.get("password_hash")).to_owned(),
        user: user_info(sql, id, &row)?,
        disabled: row.text("disabled_at").is_some(),
    }))
}

const ACCOUNT_COLUMNS: &str = "id, name, display_name, role, created_at, disabled_at";

pub fn list_accounts(sql: &mut dyn Sql) -> Result<Vec<Account>> {
    let rows = sql.rows(
        &format!("SELECT {ACCOUNT_COLUMNS} FROM users ORDER BY name"),
        &[],
    )?;
    rows.iter().map(|r| account_of_row(sql, r)).collect()
}

/// One account, by id.
pub fn account(sql: &mut dyn Sql, id: Uuid) -> Result<Account> {
    let row = sql
        .row(
            &format!("SELECT {ACCOUNT_COLUMNS} FROM users WHERE id = $1"),
            &[id.to_string().into()],
        )?
        .ok_or_else(|| desk_core::ValidationError::NotFound {
            field: "id",
            entity: "user",
            entity_zh: "用户",
            id: id.to_string(),
        })?;
    account_of_row(sql, &row)
}

fn account_of_row(sql: &mut dyn Sql, r: &Row) -> Result<Account> {
    let user = user_info(sql, uuid(r.get("id"))?, r)?;
    Ok(Account {
        id: user.id,
        name: user.name,
        display_name: user.display_name,
        role: user.role,
        parks: user.parks,
        departments: user.departments,
        created_at: text(r.get("created_at")).to_owned(),
        disabled_at: r.text("disabled_at").map(str::to_owned),
    })
}

/// The scope a role needs: an officer serves a park at least, a department account belongs to
/// a department.
pub fn check_role_scope(role: Role, parks: &[Uuid], departments: &[Uuid]) -> Result<()> {
    match role {
        Role::Officer if parks.is_empty() => Err(ApiError::bad_request(
            "parks：园区干部须至少负责一个园区 (an officer serves at least one park)",
        )
        .field("parks")),
        Role::Department if departments.is_empty() => Err(ApiError::bad_request(
            "departments：部门账号须属于一个责任单位 (a department account belongs to a department)",
        )
        .field("departments")),
        _ => Ok(()),
    }
}

/// Changes an account; its devices follow at their next sync (a new role or scope) or at once
/// (disabled). `by` is the administrator, for the audit trail.
pub fn change_account(
    sql: &mut dyn Sql,
    id: Uuid,
    change: &AccountChange,
    by: &Caller,
) -> Result<Account> {
    let before = account(sql, id)?;
    if id == by.user_id
        && (change.disabled == Some(true) || change.role.is_some_and(|r| r != Role::Admin))
    {
        return Err(ApiError::bad_request(
            "id：不能停用自己或取消自己的管理员角色 (you cannot disable yourself or give up your own administrator role)",
        )
        .field("id"));
    }
    let role = change.role.unwrap_or(before.role);
    let parks = change.parks.clone().unwrap_or(before.parks.clone());
    let departments = change
        .departments
        .clone()
        .unwrap_or(before.departments.clone());
    check_role_scope(role, &parks, &departments)?;
    for park in &parks {
        require(sql, Entity::Park, *park, "parks")?;
    }
    for dept in &departments {
        require(sql, Entity::Department, *dept, "departments")?;
    }
    let display_name = match &change.display_name {
        Some(n) if n.trim().is_empty() => {
            return Err(desk_core::ValidationError::Required {
                field: "display_name",
            }
            .into())
        }
        Some(n) => n.trim().to_owned(),
        None => before.display_name.clone(),
    };
    let disabled_at = match change.disabled {
        Some(true) => before.disabled_at.clone().or_else(|| Some(now_text())),
        Some(false) => None,
        None => before.disabled_at.clone(),
    };
    let key = id.to_string();
    sql.exec(
        "UPDATE users SET display_name = $1, role = $2, disabled_at = $3 WHERE id = $4",
        &[
            display_name.into(),
            role.as_str().into(),
            disabled_at.into(),
            key.clone().into(),
        ],
    )?;
    if change.parks.is_some() || change.departments.is_some() {
        set_scope_rows(sql, &key, &parks, &departments)?;
    }
    let after = account(sql, id)?;
    audit(
        sql,
        Some(by.user_id),
        by.device_id,
        "change_account",
        &format!(
            "{}: role {}, {} parks, {} departments, {}",
            after.name,
            after.role.as_str(),
            after.parks.len(),
            after.departments.len(),
            if after.disabled_at.is_some() {
                "disabled"
            } else {
                "enabled"
            }
        ),
    )?;
    Ok(after)
}

/// Sets a new password (the administrator resets a forgotten one).
pub fn set_password(sql: &mut dyn Sql, id: Uuid, password_hash: &str, by: &Caller) -> Result<()> {
    let name = account(sql, id)?.name;
    sql.exec(
        "UPDATE users SET password_hash = $1 WHERE id = $2",
        &[password_hash.into(), id.to_string().into()],
    )?;
    audit(sql, Some(by.user_id), by.device_id, "reset_password", &name)
}

fn set_scope_rows(sql: &mut dyn Sql, id: &str, parks: &[Uuid], departments: &[Uuid]) -> Result<()> {
    sql.exec("DELETE FROM user_parks WHERE user_id = $1", &[id.into()])?;
    sql.exec(
        "DELETE FROM user_departments WHERE user_id = $1",
        &[id.into()],
    )?;
    for park in parks {
        sql.exec(
            "INSERT INTO user_parks (user_id, park_id) VALUES ($1, $2)",
            &[id.into(), park.to_string().into()],
        )?;
    }
    for dept in departments {
        sql.exec(
            "INSERT INTO user_departments (user_id, department_id) VALUES ($1, $2)",
            &[id.into(), dept.to_string().into()],
        )?;
    }
    Ok(())
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

/// The caller behind a device token, if the token is known, its device not revoked and its
/// account not disabled. A device marked lost is told so (410), whatever it asked.
pub fn caller_by_token(sql: &mut dyn Sql, token_hash: &str) -> Result<Option<Caller>> {
    let Some(row) = sql.row(
        "SELECT u.id, u.name, u.display_name, u.role, d.id AS device_id, d.lost_at
         FROM devices d JOIN users u ON u.id = d.user_id
         WHERE d.token_hash = $1 AND d.revoked_at IS NULL AND u.disabled_at IS NULL",
        &[token_hash.into()],
    )?
    else {
        return Ok(None);
    };
    if row.text("lost_at").is_some() {
        return Err(ApiError::device_lost());
    }
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

/// Marks a device lost: its token opens nothing from now on, and at its next contact it hands
/// over what it had not pushed and erases itself.
pub fn mark_device_lost(sql: &mut dyn Sql, id: Uuid, by: Option<Uuid>) -> Result<()> {
    let changed = sql.exec(
        "UPDATE devices SET lost_at = $1 WHERE id = $2 AND lost_at IS NULL AND revoked_at IS NULL",
        &[now_text().into(), id.to_string().into()],
    )?;
    if changed == 0 {
        return Err(ApiError::not_found(format!(
            "没有可标记为丢失的设备 {id}（编号不对，或已停用、已标记）(no device {id} that can be marked lost: unknown, revoked or marked already)"
        )));
    }
    audit(sql, by, Some(id), "device_lost", &id.to_string())
}

/// Keeps what a lost device had not pushed, for the office to review; returns how many
/// operations it handed over. Only a device marked lost hands over.
pub fn hand_over(sql: &mut dyn Sql, token_hash: &str, ops: &[desk_core::Op]) -> Result<usize> {
    let device = sql
        .row(
            "SELECT id, lost_at FROM devices WHERE token_hash = $1 AND revoked_at IS NULL",
            &[token_hash.into()],
        )?
        .ok_or_else(ApiError::unauthorized)?;
    if device.text("lost_at").is_none() {
        return Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "not_lost",
            "此设备未被标记为丢失，请照常同步 (this device is not marked lost: sync as usual)",
        ));
    }
    let id = uuid(device.get("id"))?;
    let now = now_text();
    for op in ops {
        sql.exec(
            "INSERT INTO handed_over_ops (device_id, op_id, entity, record_id, op, received_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (device_id, op_id) DO NOTHING",
            &[
                id.to_string().into(),
                op.id.to_string().into(),
                op.entity.table().into(),
                op.record_id.to_string().into(),
                serde_json::to_string(op).expect("an op serialises").into(),
                now.clone().into(),
            ],
        )?;
    }
    sql.exec(
        "UPDATE devices SET handed_over_at = $1 WHERE id = $2",
        &[now.into(), id.to_string().into()],
    )?;
    audit(
        sql,
        None,
        Some(id),
        "hand_over",
        &format!("{} operations not pushed", ops.len()),
    )?;
    Ok(ops.len())
}

/// What a lost device handed over, oldest first.
pub fn handed_over(sql: &mut dyn Sql, device: Uuid) -> Result<Vec<desk_core::Op>> {
    sql.rows(
        "SELECT op FROM handed_over_ops WHERE device_id = $1 ORDER BY op_id",
        &[device.to_string().into()],
    )?
    .iter()
    .map(|r| {
        serde_json::from_str(text(r.get("op")))
            .map_err(|_| ApiError::internal("a handed-over operation is unreadable"))
    })
    .collect()
}

pub fn touch_device(sql: &mut dyn Sql, device: Uuid) -> Result<()> {
    sql.exec(
        "UPDATE devices SET last_seen_at = $1 WHERE id = $2",
        &[now_text().into(), device.to_string().into()],
    )?;
    Ok(())
}

/// Devices of one user, or of everyone (`None`).
pub fn list_devices(sql: &mut dyn Sql, user: Option<Uuid>) -> Result<Vec<DeviceInfo>> {
    let rows = sql.rows(
        "SELECT d.id, u.name AS user_name, d.name, d.created_at, d.last_seen_at, d.revoked_at,
                d.lost_at, d.handed_over_at
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
                lost_at: r.text("lost_at").map(str::to_owned),
                handed_over_at: r.text("handed_over_at").map(str::to_owned),
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
    sql.insert(
        "audit",
        "id, at, user_id, device_id, action, detail",
        vec![
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
