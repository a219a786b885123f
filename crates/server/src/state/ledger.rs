//! The ledger (台账) as the office reads it, the zone's figures, and the check that every
//! appeal's ledger is as the server sealed it.

use axum::http::StatusCode;
use chrono::NaiveDate;
use desk_core::bulletin::{Bulletin, Week, WeekFigures};
use desk_core::ledger;
use desk_core::model::{Progress, TimeLimits};
use desk_core::stats::{Counts, Stats};
use desk_core::Entity;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::records::{columns, record_of_row, snapshot_of_row};
use super::{uuid, Result};
use crate::db::{Sql, SqlValue};
use crate::error::ApiError;
use crate::scope::Caller;

/// What `desk-server admin verify-ledger` found.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerReport {
    pub appeals: usize,
    pub entries: usize,
    /// The first broken link, if any.
    pub broken: Option<ledger::Break>,
}

/// Walks every appeal's chain, in order, against the appeal's head; stops at the first broken
/// link. Also checks that each appeal's status is the one its actions lead to.
pub fn verify_ledger(sql: &mut dyn Sql) -> Result<LedgerReport> {
    let appeals = sql.rows(
        "SELECT id, ledger_head, status FROM appeals ORDER BY id",
        &[],
    )?;
    let mut report = LedgerReport {
        appeals: appeals.len(),
        entries: 0,
        broken: None,
    };
    let q = format!(
        "SELECT {} FROM progress_updates WHERE appeal_id = $1 ORDER BY position, id",
        columns(Entity::Progress, "")
    );
    for a in &appeals {
        let id = uuid(a.get("id"))?;
        let entries = sql
            .rows(&q, &[id.to_string().into()])?
            .iter()
            .map(record_of_row::<Progress>)
            .collect::<Result<Vec<_>>>()?;
        let verified = ledger::verify(id, a.text("ledger_head"), &entries).and_then(|n| {
            // The status is what the last action led to (received, before any).
            let led_to = entries
                .iter()
                .rev()
                .find_map(|e| e.to_status)
                .map_or("received", |s| s.as_str());
            if a.text("status") == Some(led_to) {
                Ok(n)
            } else {
                Err(ledger::Break {
                    appeal_id: id,
                    position: entries.len() as i64,
                    entry_id: entries.last().map(|e| e.id),
                    problem: ledger::Problem::Status,
                })
            }
        });
        match verified {
            Ok(n) => report.entries += n,
            Err(b) => {
                report.broken = Some(b);
                return Ok(report);
            }
        }
    }
    Ok(report)
}

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

/// The conditions of a ledger query over `appeals t` joined to its `scopes s`, with their
/// parameters: the caller's visibility first, then the filters.
fn ledger_where(
    caller: &Caller,
    q: &LedgerQuery,
    today: NaiveDate,
) -> Result<(Vec<String>, Vec<SqlValue>)> {
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
        let today = bind(&mut params, today.to_string().into());
        cond.push(desk_core::deadline::sql::overdue("t.", &today));
    }
    Ok((cond, params))
}

const LEDGER_FROM: &str = "appeals t JOIN scopes s ON s.entity = 'appeals' AND s.record_id = t.id";

pub fn ledger(
    sql: &mut dyn Sql,
    caller: &Caller,
    q: &LedgerQuery,
    today: NaiveDate,
) -> Result<Vec<Map<String, Value>>> {
    let (cond, params) = ledger_where(caller, q, today)?;
    let sql_text = format!(
        "SELECT {} FROM {LEDGER_FROM} WHERE {} ORDER BY t.id",
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

/// How many appeals an export reads at a time: the server holds one batch, whatever the size
/// of the ledger.
const EXPORT_BATCH: i64 = 1000;

/// Fills an export with the ledger as filtered (oldest first), as of `today` on the zone's
/// calendar; returns how many appeals it holds.
pub fn export_ledger(
    sql: &mut dyn Sql,
    caller: &Caller,
    q: &LedgerQuery,
    today: NaiveDate,
    export: &mut desk_export::LedgerExport,
) -> Result<u32> {
    let (mut cond, mut params) = ledger_where(caller, q, today)?;
    let mut lines = desk_export::Lines::new(today, calendar(sql)?);
    params.push(SqlValue::Text(String::new()));
    let after = params.len();
    cond.push(format!("t.id > ${after}"));
    let sql_text = format!(
        "SELECT {},
           (SELECT name FROM sites WHERE id = t.site_id) AS site_name,
           (SELECT p.name FROM sites st JOIN parks p ON p.id = st.park_id WHERE st.id = t.site_id) AS park_name,
           (SELECT name FROM departments WHERE id = t.department_id) AS department_name,
           (SELECT title FROM policy_issues WHERE id = t.policy_issue_id AND void_reason IS NULL) AS policy_issue_title
         FROM {LEDGER_FROM} WHERE {} ORDER BY t.id LIMIT {EXPORT_BATCH}",
        columns(Entity::Appeal, "t."),
        cond.join(" AND ")
    );
    loop {
        let rows = sql.rows(&sql_text, &params)?;
        for r in &rows {
            let appeal: desk_core::model::Appeal = record_of_row(r)?;
            let line = lines.line(
                &appeal,
                desk_export::Names {
                    site: r.text("site_name"),
                    park: r.text("park_name"),
                    department: r.text("department_name"),
                    policy_issue: r.text("policy_issue_title"),
                },
            );
            export
                .push(&line)
                .map_err(|e| ApiError::internal(e.to_string()))?;
            params[after - 1] = SqlValue::Text(appeal.id.to_string());
        }
        if (rows.len() as i64) < EXPORT_BATCH {
            return Ok(export.rows());
        }
    }
}

/// The working-day calendar: the years built in, and those the office published since.
pub fn calendar(sql: &mut dyn Sql) -> Result<desk_core::calendar::Calendar> {
    let published: Vec<String> = sql
        .rows(
            "SELECT days FROM calendar_years WHERE void_reason IS NULL AND days IS NOT NULL",
            &[],
        )?
        .iter()
        .filter_map(|r| r.text("days").map(str::to_owned))
        .collect();
    Ok(desk_core::calendar::Calendar::with_published(
        published.iter().map(String::as_str),
    ))
}

/// The zone's time limits as the admin set them, or the defaults until then.
pub fn time_limits(sql: &mut dyn Sql) -> Result<TimeLimits> {
    let row = sql.row(
        "SELECT response_days, handling_days FROM time_limits WHERE id = $1 AND void_reason IS NULL",
        &[TimeLimits::ID.to_string().into()],
    )?;
    Ok(
        match row.and_then(|r| Some((r.int("response_days")?, r.int("handling_days")?))) {
            Some((response, handling)) => TimeLimits::zone(response, handling),
            None => TimeLimits::DEFAULT,
        },
    )
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AlertsQuery {
    /// Due within this many working days (0 to 30; default 3).
    pub within: Option<u32>,
    /// Only the appeals of this department (a department account sees its own anyway).
    pub department: Option<Uuid>,
}

/// What needs attention (需要关注): open appeals past their deadline, and those due within a
/// few working days, earliest deadline first; and those still unanswered (received) past the
/// zone's response limit, oldest first.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Alerts {
    #[schema(value_type = Vec<Object>)]
    pub overdue: Vec<Map<String, Value>>,
    #[schema(value_type = Vec<Object>)]
    pub due_soon: Vec<Map<String, Value>>,
    #[schema(value_type = Vec<Object>)]
    pub unanswered: Vec<Map<String, Value>>,
    /// The working days "due soon" looked ahead.
    pub within: u32,
    /// The response limit "unanswered" was judged by, in working days.
    pub response_days: i64,
}

pub fn alerts(
    sql: &mut dyn Sql,
    caller: &Caller,
    q: &AlertsQuery,
    today: NaiveDate,
) -> Result<Alerts> {
    let within = q.within.unwrap_or(3);
    if within > 30 {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("within：{within} 超出范围 0–30 (out of range 0–30)"),
        )
        .field("within"));
    }
    let calendar = calendar(sql)?;
    let limits = time_limits(sql)?;
    let appeals = ledger(
        sql,
        caller,
        &LedgerQuery {
            department: q.department,
            ..LedgerQuery::default()
        },
        today,
    )?;
    let mut alerts = Alerts {
        overdue: Vec::new(),
        due_soon: Vec::new(),
        unanswered: Vec::new(),
        within,
        response_days: limits.response_days,
    };
    for a in appeals {
        let status = a
            .get("status")
            .and_then(Value::as_str)
            .and_then(|s| desk_core::model::AppealStatus::parse("status", s).ok());
        let deadline = a
            .get("deadline")
            .and_then(Value::as_str)
            .and_then(|d| d.parse::<NaiveDate>().ok());
        let Some(status) = status else { continue };
        let raised_at = a
            .get("raised_at")
            .and_then(Value::as_str)
            .and_then(|r| r.parse::<chrono::DateTime<chrono::Utc>>().ok());
        if raised_at.is_some_and(|r| {
            desk_core::deadline::is_unanswered(status, r, today, &calendar, &limits)
        }) {
            alerts.unanswered.push(a.clone());
        }
        if desk_core::deadline::is_overdue(status, deadline, today) {
            alerts.overdue.push(a);
        } else if desk_core::deadline::is_due_soon(status, deadline, today, &calendar, within) {
            alerts.due_soon.push(a);
        }
    }
    let by_deadline =
        |a: &Map<String, Value>| a.get("deadline").and_then(Value::as_str).map(str::to_owned);
    alerts.overdue.sort_by_key(by_deadline);
    alerts.due_soon.sort_by_key(by_deadline);
    let by_raised = |a: &Map<String, Value>| {
        a.get("raised_at")
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    alerts.unanswered.sort_by_key(by_raised);
    Ok(alerts)
}

/// The zone's figures (the same as a device's `desk stats`), over what the caller may see.
pub fn stats(sql: &mut dyn Sql, caller: &Caller, today: NaiveDate) -> Result<Stats> {
    let vis = caller.visibility_sql("$1");
    let user: SqlValue = caller.user_id.to_string().into();
    let today: SqlValue = today.to_string().into();
    // `extra` may use $2, today's date in the zone.
    let mut count = |entity: Entity, extra: &str| -> Result<i64> {
        let q = format!(
            "SELECT COUNT(*) AS n FROM {} t JOIN scopes s ON s.entity = '{}' AND s.record_id = t.id
             WHERE {vis} AND t.void_reason IS NULL {extra}",
            entity.table(),
            entity.table()
        );
        let params = if extra.contains("$2") {
            vec![user.clone(), today.clone()]
        } else {
            vec![user.clone()]
        };
        Ok(sql.row(&q, &params)?.and_then(|r| r.int("n")).unwrap_or(0))
    };
    use desk_core::deadline::sql;
    let resolved = format!("AND {}", sql::resolved("t."));
    let sessions = count(Entity::Session, "")?;
    let visits = count(Entity::Visit, "")?;
    let consultations = count(Entity::Consultation, "")?;
    let appeals = count(Entity::Appeal, "")?;
    let appeals_resolved = count(Entity::Appeal, &resolved)?;
    let with_deadline = count(
        Entity::Appeal,
        &format!("{resolved} AND t.deadline IS NOT NULL"),
    )?;
    let on_time = count(Entity::Appeal, &format!("AND {}", sql::on_time("t.")))?;
    let overdue_appeals = count(Entity::Appeal, &format!("AND {}", sql::overdue("t.", "$2")))?;
    let suggestions = count(Entity::Suggestion, "")?;
    let suggestions_adopted = count(Entity::Suggestion, "AND t.adopted = 1")?;
    let policy_issues = count(Entity::PolicyIssue, "")?;
    let policy_enterprises = count(
        Entity::Site,
        &format!("AND {}", desk_core::stats::COVERED_BY_POLICY_ISSUES),
    )?;
    let satisfied = count(
        Entity::Appeal,
        &format!("AND {}", desk_core::stats::sql::satisfied("t.")),
    )?;
    let follow_up = format!("AND {}", desk_core::stats::sql::follow_up("t."));
    let follow_ups = count(Entity::Appeal, &follow_up)?;
    let follow_ups_overdue = count(
        Entity::Appeal,
        &format!("{follow_up} AND {}", sql::overdue("t.", "$2")),
    )?;
    let (satisfaction_ratings, satisfaction_sum) = sql
        .row(
            &format!(
                "SELECT COUNT(t.satisfaction) AS ratings, CAST(COALESCE(SUM(t.satisfaction), 0) AS BIGINT) AS total FROM appeals t
                 JOIN scopes s ON s.entity = 'appeals' AND s.record_id = t.id
                 WHERE {vis} AND t.void_reason IS NULL AND t.satisfaction IS NOT NULL"
            ),
            &[user],
        )?
        .map_or((0, 0), |r| {
            (r.int("ratings").unwrap_or(0), r.int("total").unwrap_or(0))
        });
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
        satisfied,
        follow_ups,
        follow_ups_overdue,
        policy_issues,
        policy_enterprises,
    }
    .into())
}

/// The week's bulletin (工作通报) over the appeals the caller may see, as of `today`.
pub fn bulletin(
    sql: &mut dyn Sql,
    caller: &Caller,
    week: Week,
    today: NaiveDate,
) -> Result<Bulletin> {
    use desk_core::deadline::sql as rules;
    let (start, end) = week.span();
    let resolved = rules::resolved("t.");
    let in_week = |column: &str| format!("t.{column} >= $3 AND t.{column} < $4");
    let count = |condition: String| {
        format!("CAST(COALESCE(SUM(CASE WHEN {condition} THEN 1 ELSE 0 END), 0) AS BIGINT)")
    };
    let q = format!(
        "SELECT {} AS collected, {} AS resolved, {} AS open, {} AS overdue, {} AS follow_ups
         FROM appeals t JOIN scopes s ON s.entity = 'appeals' AND s.record_id = t.id
         WHERE {} AND t.void_reason IS NULL",
        count(in_week("raised_at")),
        count(format!("{} AND {resolved}", in_week("resolved_at"))),
        count(format!("NOT ({resolved})")),
        count(rules::overdue("t.", "$2")),
        count(desk_core::stats::sql::follow_up("t.")),
        caller.visibility_sql("$1"),
    );
    let params: [SqlValue; 4] = [
        caller.user_id.to_string().into(),
        today.to_string().into(),
        desk_core::time::stamp(start).into(),
        desk_core::time::stamp(end).into(),
    ];
    let row = sql.row(&q, &params)?;
    let n = |name: &str| row.as_ref().and_then(|r| r.int(name)).unwrap_or(0);
    Ok(Bulletin::new(
        week,
        WeekFigures {
            collected: n("collected"),
            resolved: n("resolved"),
            open: n("open"),
            overdue: n("overdue"),
            follow_ups: n("follow_ups"),
        },
    ))
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
