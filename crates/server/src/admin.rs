//! Administration from the server's own machine: the first admin, users, parks, departments,
//! devices. Parks and departments are records every device syncs, so they are written as
//! operations through the same ingest as any push.

use desk_core::model::{Department, DepartmentLevel, Park, Record};
use desk_core::protocol::PushStatus;
use desk_core::{Entity, Hlc, Op};
use uuid::Uuid;

use crate::auth;
use crate::db::Db;
use crate::error::ApiError;
use crate::scope::{Caller, Role};
use crate::state::{self, IngestRules, NewUser};

pub use crate::state::log::SERVER_NODE;

fn server_caller() -> Caller {
    Caller {
        user_id: SERVER_NODE,
        user_name: "desk-server admin".into(),
        display_name: "管委会办公室 (desk-server admin)".into(),
        role: Role::Admin,
        parks: vec![],
        departments: vec![],
        device_id: None,
    }
}

pub struct UserSpec<'a> {
    pub name: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub password: &'a str,
    /// Park ids or names.
    pub parks: &'a [String],
    /// Department ids or names.
    pub departments: &'a [String],
}

pub fn create_user(db: &Db, spec: &UserSpec) -> Result<Uuid, ApiError> {
    create_user_by(db, spec, None)
}

/// As [`create_user`], by an administrator (`by`) from the app.
pub fn create_user_by(db: &Db, spec: &UserSpec, by: Option<Uuid>) -> Result<Uuid, ApiError> {
    auth::check_password(spec.password)?;
    let hash = auth::hash_password(spec.password);
    db.tx_blocking(|sql| {
        let parks = spec
            .parks
            .iter()
            .map(|p| resolve(sql, Entity::Park, "parks", p))
            .collect::<Result<Vec<_>, _>>()?;
        let departments = spec
            .departments
            .iter()
            .map(|d| resolve(sql, Entity::Department, "departments", d))
            .collect::<Result<Vec<_>, _>>()?;
        state::check_role_scope(spec.role, &parks, &departments)?;
        state::create_user(
            sql,
            &NewUser {
                name: spec.name,
                display_name: if spec.display_name.trim().is_empty() {
                    spec.name
                } else {
                    spec.display_name
                },
                role: spec.role,
                password_hash: &hash,
                parks: &parks,
                departments: &departments,
                by,
            },
        )
    })
}

fn resolve(
    sql: &mut dyn crate::db::Sql,
    entity: Entity,
    field: &'static str,
    text: &str,
) -> Result<Uuid, ApiError> {
    if let Ok(id) = text.trim().parse::<Uuid>() {
        return Ok(id);
    }
    let q = format!(
        "SELECT id FROM {} WHERE name = $1 AND void_reason IS NULL",
        entity.table()
    );
    sql.row(&q, &[text.trim().into()])?
        .and_then(|r| r.text("id").and_then(|s| s.parse().ok()))
        .ok_or_else(|| {
            desk_core::ValidationError::NotFound {
                field,
                entity: entity.name_en(),
                entity_zh: entity.name_zh(),
                id: text.into(),
            }
            .into()
        })
}

fn write_record<R: Record>(db: &Db, mut record: R) -> Result<Uuid, ApiError> {
    record.validate()?;
    let now = chrono::Utc::now().timestamp_millis();
    let op = Op {
        id: Uuid::now_v7(),
        entity: R::ENTITY,
        record_id: record.id(),
        fields: record.to_fields(),
        hlc: Hlc {
            wall_ms: now as u64,
            counter: 0,
            node: SERVER_NODE,
        },
        prev: Default::default(),
    };
    let rules = IngestRules {
        now_ms: now,
        max_clock_ahead_ms: 0,
    };
    let result = db.tx_blocking(|sql| -> Result<_, ApiError> {
        // Names identify parks and departments to people: two live ones may not share one.
        if let Some(name) = record.to_fields().get("name").and_then(|n| n.as_str()) {
            let q = format!(
                "SELECT 1 AS taken FROM {} WHERE name = $1 AND void_reason IS NULL",
                R::ENTITY.table()
            );
            if sql.row(&q, &[name.into()])?.is_some() {
                return Err(desk_core::ValidationError::Duplicate {
                    field: "name",
                    value: name.into(),
                }
                .into());
            }
        }
        Ok(state::ingest(sql, &server_caller(), &[op], rules)?.remove(0))
    })?;
    match result.status {
        PushStatus::Accepted => Ok(record.id()),
        _ => Err(ApiError::bad_request(result.reason.unwrap_or_default())),
    }
}

pub fn create_park(db: &Db, name: &str) -> Result<Uuid, ApiError> {
    write_record(
        db,
        Park {
            id: Uuid::now_v7(),
            name: name.into(),
            void_reason: None,
        },
    )
}

pub fn create_department(db: &Db, name: &str, level: DepartmentLevel) -> Result<Uuid, ApiError> {
    write_record(
        db,
        Department {
            id: Uuid::now_v7(),
            name: name.into(),
            level,
            void_reason: None,
        },
    )
}

/// Publishes a year of holidays and make-up working days (holiday-cn's JSON form) to every
/// device; a year published again replaces the earlier list. Returns the year.
pub fn import_calendar(db: &Db, json: &str) -> Result<desk_core::calendar::Year, ApiError> {
    let year = desk_core::calendar::Year::from_json(json)?;
    write_record(db, desk_core::model::CalendarYear::of(&year))?;
    Ok(year)
}

/// The zone's time limits, changed where `response` or `handling` is given (and then sent to
/// every device); with neither, as they stand.
pub fn time_limits(
    db: &Db,
    response: Option<i64>,
    handling: Option<i64>,
) -> Result<desk_core::model::TimeLimits, ApiError> {
    let current = db.tx_blocking(|sql| crate::state::ledger::time_limits(sql))?;
    if response.is_none() && handling.is_none() {
        return Ok(current);
    }
    let limits = desk_core::model::TimeLimits::zone(
        response.unwrap_or(current.response_days),
        handling.unwrap_or(current.handling_days),
    );
    write_record(db, limits.clone())?;
    Ok(limits)
}

/// Changes the parks and departments (ids or names) a user serves.
pub fn set_scope(
    db: &Db,
    user: &str,
    parks: &[String],
    departments: &[String],
) -> Result<(), ApiError> {
    db.tx_blocking(|sql| {
        let parks = parks
            .iter()
            .map(|p| resolve(sql, Entity::Park, "parks", p))
            .collect::<Result<Vec<_>, _>>()?;
        let departments = departments
            .iter()
            .map(|d| resolve(sql, Entity::Department, "departments", d))
            .collect::<Result<Vec<_>, _>>()?;
        state::set_user_scope(sql, user, &parks, &departments)
    })
}

pub fn list_devices(db: &Db) -> Result<Vec<desk_core::admin::DeviceInfo>, ApiError> {
    db.tx_blocking(|sql| state::list_devices(sql, None))
}

pub fn revoke_device(db: &Db, id: Uuid) -> Result<(), ApiError> {
    db.tx_blocking(|sql| state::revoke_device(sql, id, None, None))
}

pub fn mark_device_lost(db: &Db, id: Uuid) -> Result<(), ApiError> {
    db.tx_blocking(|sql| state::mark_device_lost(sql, id, None))
}

pub fn handed_over(db: &Db, id: Uuid) -> Result<Vec<desk_core::Op>, ApiError> {
    db.tx_blocking(|sql| state::handed_over(sql, id))
}

/// Walks every appeal's ledger chain (`desk-server admin verify-ledger`).
pub fn verify_ledger(db: &Db) -> Result<state::ledger::LedgerReport, ApiError> {
    db.tx_blocking(state::verify_ledger)
}

pub fn user_count(db: &Db) -> Result<i64, ApiError> {
    db.tx_blocking(state::user_count)
}

/// Loads the desk session of 26 October 2024 (DOMAIN.md) into the server, as the operations a
/// device would have pushed. Returns false, writing nothing, if it is already there.
pub fn load_demo(db: &Db) -> Result<bool, ApiError> {
    let mut device =
        desk_store::Store::open_in_memory().map_err(|e| ApiError::internal(e.to_string()))?;
    let report = device
        .load_demo()
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let ops = device
        .oplog()
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let rules = IngestRules {
        now_ms: chrono::Utc::now().timestamp_millis(),
        max_clock_ahead_ms: 600_000,
    };
    db.tx_blocking(|sql| {
        if state::read_record(sql, Entity::Session, report.session_id)?.is_some() {
            return Ok(false);
        }
        let results = state::ingest(sql, &server_caller(), &ops, rules)?;
        match results.iter().find(|r| r.status == PushStatus::Rejected) {
            Some(r) => Err(ApiError::internal(format!(
                "demo operation rejected: {:?}",
                r.reason
            ))),
            None => Ok(true),
        }
    })
}

/// An access code just issued, shown once: the server keeps only its hash.
pub struct IssuedCode {
    pub site_name: String,
    pub credit_code: String,
    pub code: String,
}

/// Issues a new portal access code to a site (by id, credit code or name), replacing and
/// revoking any earlier one and ending its portal sessions.
pub fn issue_enterprise_code(db: &Db, site: &str) -> Result<IssuedCode, ApiError> {
    let code = state::portal::new_access_code();
    let hash = crate::auth::hash_password(&state::portal::normalise_code(&code));
    db.tx_blocking(|sql| {
        let (id, site_name, credit_code) = state::portal::find_site(sql, site)?;
        let Some(credit_code) = credit_code.filter(|c| !c.is_empty()) else {
            return Err(ApiError::bad_request(format!(
                "site：{site_name} 没有统一社会信用代码，无法登录企业端；请先在应用中补上 \
                 ({site_name} has no unified social credit code to sign in with: add it in the app first)"
            ))
            .field("site"));
        };
        state::portal::issue_code(sql, id, &hash)?;
        Ok(IssuedCode {
            site_name,
            credit_code,
            code,
        })
    })
}

/// Revokes a site's portal access code and ends its sessions; returns the site's name and
/// whether it had a live code.
pub fn revoke_enterprise_code(db: &Db, site: &str) -> Result<(String, bool), ApiError> {
    db.tx_blocking(|sql| {
        let (id, site_name, _) = state::portal::find_site(sql, site)?;
        Ok((site_name, state::portal::revoke_code(sql, id)?))
    })
}

/// Issues an integrating system its Open311 key, returned once; the server keeps its hash.
pub fn issue_api_key(db: &Db, name: &str, by: Option<Uuid>) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(desk_core::ValidationError::Required { field: "name" }.into());
    }
    let (key, hash) = crate::auth::new_token();
    db.tx_blocking(|sql| state::open311::issue_key(sql, name, &hash, by))?;
    Ok(key)
}

/// Withdraws a system's Open311 key; whether it had a live one.
pub fn revoke_api_key(db: &Db, name: &str, by: Option<Uuid>) -> Result<bool, ApiError> {
    db.tx_blocking(|sql| state::open311::revoke_key(sql, name.trim(), by))
}
