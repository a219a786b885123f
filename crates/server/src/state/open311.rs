//! The Open311 GeoReport v2 intake's state: the API keys of the integrating systems (the 12345
//! hotline, say), kept as SHA-256 hashes, and the appeals each raised, which it may follow.

use chrono::{DateTime, FixedOffset, NaiveTime, Utc};
use desk_core::model::{Appeal, Category, Channel};
use desk_core::{deadline, time, Entity};
use serde::Serialize;
use uuid::Uuid;

use super::accounts::audit;
use super::records::{columns, record_of_row};
use super::{text, uuid, Result};
use crate::db::{now_text, Sql, SqlValue};

/// A system's key: issued once, then only its hash is kept. Issuing again under the same name
/// replaces it.
pub fn issue_key(sql: &mut dyn Sql, name: &str, key_hash: &str, by: Option<Uuid>) -> Result<()> {
    sql.exec(
        "INSERT INTO integration_keys (id, name, key_hash, created_at, revoked_at)
         VALUES ($1, $2, $3, $4, NULL)
         ON CONFLICT (name) DO UPDATE SET key_hash = excluded.key_hash,
             created_at = excluded.created_at, revoked_at = NULL",
        &[
            Uuid::now_v7().to_string().into(),
            name.into(),
            key_hash.into(),
            now_text().into(),
        ],
    )?;
    audit(sql, by, None, "api_key_issued", name)
}

/// Withdraws a system's key; whether it had a live one.
pub fn revoke_key(sql: &mut dyn Sql, name: &str, by: Option<Uuid>) -> Result<bool> {
    let n = sql.exec(
        "UPDATE integration_keys SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL",
        &[name.into(), now_text().into()],
    )?;
    if n > 0 {
        audit(sql, by, None, "api_key_revoked", name)?;
    }
    Ok(n > 0)
}

/// The systems' keys, as the administrator's screens list them (never the keys).
pub fn list_keys(sql: &mut dyn Sql) -> Result<Vec<desk_core::admin::KeyInfo>> {
    Ok(sql
        .rows(
            "SELECT name, created_at, revoked_at FROM integration_keys ORDER BY name",
            &[],
        )?
        .iter()
        .map(|r| desk_core::admin::KeyInfo {
            name: r.text("name").unwrap_or_default().to_owned(),
            created_at: r.text("created_at").unwrap_or_default().to_owned(),
            revoked_at: r.text("revoked_at").map(str::to_owned),
        })
        .collect())
}

/// The live key with this hash: its id and the system's name.
pub fn key(sql: &mut dyn Sql, key_hash: &str) -> Result<Option<(Uuid, String)>> {
    sql.row(
        "SELECT id, name FROM integration_keys WHERE key_hash = $1 AND revoked_at IS NULL",
        &[key_hash.into()],
    )?
    .map(|r| Ok((uuid(r.get("id"))?, text(r.get("name")).to_owned())))
    .transpose()
}

/// The live site with this unified social credit code.
pub fn site_by_credit_code(sql: &mut dyn Sql, credit_code: &str) -> Result<Option<Uuid>> {
    sql.row(
        "SELECT id FROM sites WHERE credit_code = $1 AND void_reason IS NULL",
        &[credit_code.into()],
    )?
    .map(|r| uuid(r.get("id")))
    .transpose()
}

/// A request a system makes: an appeal of the hotline channel, which the system then follows.
pub fn raise(
    sql: &mut dyn Sql,
    key: Uuid,
    site: Uuid,
    category: Category,
    description: String,
    now: DateTime<Utc>,
) -> Result<Appeal> {
    let appeal =
        super::portal::new_appeal(sql, site, category, description, Channel::Hotline, now)?;
    sql.exec(
        "INSERT INTO open311_requests (appeal_id, key_id, created_at) VALUES ($1, $2, $3)",
        &[
            appeal.id.to_string().into(),
            key.to_string().into(),
            now_text().into(),
        ],
    )?;
    Ok(appeal)
}

/// A service request as GeoReport v2 describes it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ServiceRequest {
    pub service_request_id: String,
    /// `open` or `closed` (resolved).
    pub status: String,
    /// The latest step of the handling.
    pub status_notes: Option<String>,
    pub service_name: String,
    pub service_code: String,
    pub description: String,
    /// The department handling it.
    pub agency_responsible: Option<String>,
    pub service_notice: Option<String>,
    pub requested_datetime: String,
    pub updated_datetime: String,
    /// The end of the deadline day, in the zone.
    pub expected_datetime: Option<String>,
    pub address: Option<String>,
}

/// Which of a system's requests to list.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub ids: Option<Vec<Uuid>>,
    pub service_code: Option<Category>,
    pub open: Option<bool>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

/// The most requests one answer lists (the specification's default).
pub const REQUESTS_MAX: i64 = 1000;

/// The requests `key`'s system made, newest first, as they stand.
pub fn requests(
    sql: &mut dyn Sql,
    key: Uuid,
    filter: &RequestFilter,
) -> Result<Vec<ServiceRequest>> {
    // The filters in SQL, before the limit, so a system's older requests stay reachable.
    let mut params: Vec<SqlValue> = vec![key.to_string().into()];
    let mut bind = |value: SqlValue| {
        params.push(value);
        format!("${}", params.len())
    };
    let mut conditions = String::new();
    if let Some(ids) = &filter.ids {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list: Vec<String> = ids.iter().map(|i| bind(i.to_string().into())).collect();
        conditions += &format!(" AND a.id IN ({})", list.join(", "));
    }
    if let Some(code) = filter.service_code {
        conditions += &format!(" AND a.category = {}", bind(code.as_str().into()));
    }
    match filter.open {
        Some(true) => conditions += &format!(" AND NOT ({})", deadline::sql::resolved("a.")),
        Some(false) => conditions += &format!(" AND {}", deadline::sql::resolved("a.")),
        None => {}
    }
    if let Some(start) = filter.start {
        conditions += &format!(" AND a.raised_at >= {}", bind(time::stamp(start).into()));
    }
    if let Some(end) = filter.end {
        conditions += &format!(" AND a.raised_at <= {}", bind(time::stamp(end).into()));
    }
    let limit = bind(REQUESTS_MAX.into());
    let q = format!(
        "SELECT {},
            (SELECT name FROM departments WHERE id = a.department_id) AS department,
            (SELECT name FROM sites WHERE id = a.site_id) AS site_name,
            (SELECT p.note FROM progress_updates p WHERE p.appeal_id = a.id
             ORDER BY p.position DESC NULLS LAST, p.at DESC LIMIT 1) AS last_note,
            (SELECT MAX(p.at) FROM progress_updates p WHERE p.appeal_id = a.id) AS last_at
         FROM open311_requests r JOIN appeals a ON a.id = r.appeal_id
         WHERE r.key_id = $1 AND a.void_reason IS NULL{conditions}
         ORDER BY a.raised_at DESC, a.id DESC LIMIT {limit}",
        columns(Entity::Appeal, "a.")
    );
    let zone = FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    let shown = |at: DateTime<Utc>| at.with_timezone(&zone).to_rfc3339();
    let mut out = Vec::new();
    for r in sql.rows(&q, &params)? {
        let a: Appeal = record_of_row(&r)?;
        let open = !a.status.is_resolved();
        let updated = r
            .text("last_at")
            .and_then(|t| t.parse::<DateTime<Utc>>().ok())
            .unwrap_or(a.raised_at);
        out.push(ServiceRequest {
            service_request_id: a.id.to_string(),
            status: if open { "open" } else { "closed" }.into(),
            status_notes: r.text("last_note").map(str::to_owned),
            service_name: a.category.label_zh().into(),
            service_code: a.category.as_str().into(),
            description: a.description,
            agency_responsible: r.text("department").map(str::to_owned),
            service_notice: None,
            requested_datetime: shown(a.raised_at),
            updated_datetime: shown(updated),
            expected_datetime: a.deadline.map(|d| {
                shown(time::from_local(
                    d,
                    NaiveTime::from_hms_opt(23, 59, 59).expect("a time"),
                ))
            }),
            address: r.text("site_name").map(str::to_owned),
        });
    }
    Ok(out)
}
