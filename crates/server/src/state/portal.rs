//! The enterprise portal's state: the access code the office issues to each site, the sessions
//! an enterprise signs in to with it, and the enterprise's own appeals as it is shown them.

use std::collections::HashMap;

use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use desk_core::deadline;
use desk_core::model::{
    ActionKind, Appeal, AppealStatus, Category, Channel, DeskType, Order, Progress, Rater, Record,
};
use desk_core::portal::{
    Board, BoardAppeal, BoardPark, PortalAppeal, PortalAppealRequest, PortalAppeals, PortalOrder,
    PortalOrderRequest, PortalRating, PortalReceipt, PortalStep, PortalVisit,
};
use desk_core::{time, Entity};
use uuid::Uuid;

use super::accounts::audit;
use super::actions;
use super::records::{columns, record_of_row};
use super::{text, uuid, Result};
use crate::db::{now_text, Sql};
use crate::error::ApiError;

/// How long a portal session lasts: an enterprise contact signs in again after a month.
pub const SESSION_DAYS: i64 = 30;

/// The characters of an access code: Crockford's base 32, digits and the capitals a reader
/// cannot mistake for them (no I, L, O; no U), so each carries 5 bits.
const CODE_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A new access code: 12 characters (60 random bits; guesses are throttled) in groups of four,
/// "ABCD-EFGH-JKMN", to read out over the phone or copy from a letter.
pub fn new_access_code() -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut code = String::with_capacity(14);
    for i in 0..12 {
        if i > 0 && i % 4 == 0 {
            code.push('-');
        }
        // 32 divides 2³², so taking the remainder favours no character.
        let k = OsRng.next_u32() as usize % CODE_ALPHABET.len();
        code.push(CODE_ALPHABET[k] as char);
    }
    code
}

/// What an enterprise typed, as the code was issued: capitals, without spaces or dashes, and
/// the letters read for digits taken as those digits (O for 0, I and L for 1), as Crockford's
/// base 32 decodes them.
pub fn normalise_code(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect()
}

/// A live site by id, unified social credit code or name, for the admin command.
pub fn find_site(sql: &mut dyn Sql, key: &str) -> Result<(Uuid, String, Option<String>)> {
    let key = key.trim();
    let row = sql.row(
        "SELECT id, name, credit_code FROM sites
         WHERE void_reason IS NULL AND (id = $1 OR credit_code = $2 OR name = $1)
         ORDER BY id LIMIT 1",
        &[key.into(), key.to_uppercase().into()],
    )?;
    let Some(r) = row else {
        return Err(desk_core::ValidationError::NotFound {
            field: "site",
            entity: "site",
            entity_zh: "企业/项目",
            id: key.into(),
        }
        .into());
    };
    Ok((
        uuid(r.get("id"))?,
        text(r.get("name")).to_owned(),
        r.text("credit_code").map(str::to_owned),
    ))
}

/// Gives a site a new access code (hashed), replacing and revoking any earlier one.
pub fn issue_code(sql: &mut dyn Sql, site: Uuid, code_hash: &str) -> Result<()> {
    sql.exec(
        "INSERT INTO enterprise_codes (site_id, code_hash, issued_at, revoked_at)
         VALUES ($1, $2, $3, NULL)
         ON CONFLICT (site_id) DO UPDATE SET code_hash = $2, issued_at = $3, revoked_at = NULL",
        &[site.to_string().into(), code_hash.into(), now_text().into()],
    )?;
    end_sessions(sql, site)?;
    audit(sql, None, None, "issue_enterprise_code", &site.to_string())
}

/// Revokes a site's access code and ends its portal sessions; false if it had none.
pub fn revoke_code(sql: &mut dyn Sql, site: Uuid) -> Result<bool> {
    let changed = sql.exec(
        "UPDATE enterprise_codes SET revoked_at = $2 WHERE site_id = $1 AND revoked_at IS NULL",
        &[site.to_string().into(), now_text().into()],
    )?;
    end_sessions(sql, site)?;
    if changed > 0 {
        audit(sql, None, None, "revoke_enterprise_code", &site.to_string())?;
    }
    Ok(changed > 0)
}

fn end_sessions(sql: &mut dyn Sql, site: Uuid) -> Result<()> {
    sql.exec(
        "DELETE FROM portal_sessions WHERE site_id = $1",
        &[site.to_string().into()],
    )?;
    Ok(())
}

/// The live sites registered under a credit code that hold a live access code: (site, name,
/// code hash). Usually one; a group's projects may share their company's code.
pub fn codes_for(sql: &mut dyn Sql, credit_code: &str) -> Result<Vec<(Uuid, String, String)>> {
    sql.rows(
        "SELECT s.id, s.name, c.code_hash FROM sites s
         JOIN enterprise_codes c ON c.site_id = s.id
         WHERE s.credit_code = $1 AND s.void_reason IS NULL AND c.revoked_at IS NULL
         ORDER BY s.id",
        &[credit_code.into()],
    )?
    .iter()
    .map(|r| {
        Ok((
            uuid(r.get("id"))?,
            text(r.get("name")).to_owned(),
            text(r.get("code_hash")).to_owned(),
        ))
    })
    .collect()
}

/// Opens a session for a site, clearing its expired ones; returns when it expires (ms since
/// the epoch).
pub fn create_session(sql: &mut dyn Sql, site: Uuid, token_hash: &str) -> Result<i64> {
    let now = Utc::now();
    let expires = now + chrono::Duration::days(SESSION_DAYS);
    sql.exec(
        "DELETE FROM portal_sessions WHERE site_id = $1 AND expires_at <= $2",
        &[site.to_string().into(), time::stamp(now).into()],
    )?;
    sql.exec(
        "INSERT INTO portal_sessions (token_hash, site_id, created_at, expires_at)
         VALUES ($1, $2, $3, $4)",
        &[
            token_hash.into(),
            site.to_string().into(),
            time::stamp(now).into(),
            time::stamp(expires).into(),
        ],
    )?;
    Ok(expires.timestamp_millis())
}

/// The site a live session belongs to: not expired, its site's code not revoked since.
pub fn session_site(sql: &mut dyn Sql, token_hash: &str) -> Result<Option<(Uuid, String)>> {
    let row = sql.row(
        "SELECT p.site_id, p.expires_at, s.name FROM portal_sessions p
         JOIN sites s ON s.id = p.site_id
         JOIN enterprise_codes c ON c.site_id = p.site_id AND c.revoked_at IS NULL
         WHERE p.token_hash = $1 AND s.void_reason IS NULL",
        &[token_hash.into()],
    )?;
    let Some(r) = row else { return Ok(None) };
    let expires: Option<DateTime<Utc>> = r.text("expires_at").and_then(|t| t.parse().ok());
    if expires.is_none_or(|e| e <= Utc::now()) {
        return Ok(None);
    }
    Ok(Some((
        uuid(r.get("site_id"))?,
        text(r.get("name")).to_owned(),
    )))
}

/// Ends the session of this token (signing out).
pub fn end_session(sql: &mut dyn Sql, token_hash: &str) -> Result<()> {
    sql.exec(
        "DELETE FROM portal_sessions WHERE token_hash = $1",
        &[token_hash.into()],
    )?;
    Ok(())
}

/// The site's live appeals, newest first, each with its steps, as of `today` in the zone.
pub fn appeals(
    sql: &mut dyn Sql,
    site: Uuid,
    site_name: String,
    today: NaiveDate,
) -> Result<PortalAppeals> {
    let appeals = appeal_list(sql, site, None, today)?;
    let site = site.to_string();
    let public_on_board = sql
        .row(
            "SELECT site_id FROM board_consents WHERE site_id = $1",
            &[site.clone().into()],
        )?
        .is_some();
    Ok(PortalAppeals {
        orders: orders(sql, &site)?,
        site_name,
        public_on_board,
        appeals,
    })
}

/// The site's live appeals (those raised at `visit` only, when given), newest first, each with
/// its steps, as of `today` in the zone.
fn appeal_list(
    sql: &mut dyn Sql,
    site: Uuid,
    visit: Option<Uuid>,
    today: NaiveDate,
) -> Result<Vec<PortalAppeal>> {
    let calendar = super::ledger::calendar(sql)?;
    let mut params = vec![site.to_string().into()];
    let of_visit = match visit {
        Some(v) => {
            params.push(v.to_string().into());
            "AND a.visit_id = $2"
        }
        None => "",
    };
    let mut steps: HashMap<Uuid, Vec<PortalStep>> = HashMap::new();
    let mut raters: HashMap<Uuid, Rater> = HashMap::new();
    let q = format!(
        "SELECT {} FROM progress_updates p JOIN appeals a ON a.id = p.appeal_id
         WHERE a.site_id = $1 {of_visit} AND a.void_reason IS NULL ORDER BY p.at, p.id",
        columns(Entity::Progress, "p.")
    );
    for r in sql.rows(&q, &params)? {
        let p: Progress = record_of_row(&r)?;
        if let (Some(ActionKind::Confirm), Some(rater)) = (p.action, p.rated_by) {
            raters.insert(p.appeal_id, rater);
        }
        steps.entry(p.appeal_id).or_default().push(PortalStep {
            at: time::display(p.at),
            status: p.to_status,
            note: p.note,
        });
    }
    let q = format!(
        "SELECT {}, (SELECT name FROM departments WHERE id = a.department_id) AS department
         FROM appeals a WHERE a.site_id = $1 {of_visit} AND a.void_reason IS NULL
         ORDER BY a.raised_at DESC, a.id DESC",
        columns(Entity::Appeal, "a.")
    );
    sql.rows(&q, &params)?
        .iter()
        .map(|r| {
            let a: Appeal = record_of_row(r)?;
            let left = deadline::working_days_left(a.status, a.deadline, today, &calendar);
            Ok(PortalAppeal {
                id: a.id,
                category: a.category,
                description: a.description,
                status: a.status,
                raised_on: time::local_date(a.raised_at).to_string(),
                department: r.text("department").map(str::to_owned),
                deadline: a.deadline.map(|d| d.to_string()),
                days_left: left.map(|l| l.0),
                provisional: left.is_some_and(|l| l.1),
                resolved_on: a.resolved_at.map(|at| time::local_date(at).to_string()),
                satisfaction: a.satisfaction,
                rated_by: a.satisfaction.and(raters.get(&a.id).copied()),
                steps: steps.remove(&a.id).unwrap_or_default(),
            })
        })
        .collect()
}

/// What a receipt link opens.
pub enum ReceiptVisit {
    /// No visit carries it (yet): the tablet has not uploaded it, or the link is wrong.
    NotUploaded,
    Revoked,
    Found {
        visit: Uuid,
        site: Uuid,
        site_name: String,
        visited_on: NaiveDate,
    },
}

/// The visit whose receipt `token` is.
pub fn receipt_visit(sql: &mut dyn Sql, token: &str) -> Result<ReceiptVisit> {
    if !desk_core::receipt::well_formed(token) {
        return Ok(ReceiptVisit::NotUploaded);
    }
    let row = sql.row(
        "SELECT v.id, v.site_id, v.started_at, v.receipt_revoked, s.name FROM visits v
         JOIN sites s ON s.id = v.site_id
         WHERE v.receipt_hash = $1 AND v.void_reason IS NULL",
        &[desk_core::receipt::hash(token).into()],
    )?;
    let Some(r) = row else {
        return Ok(ReceiptVisit::NotUploaded);
    };
    if r.int("receipt_revoked").unwrap_or(0) != 0 {
        return Ok(ReceiptVisit::Revoked);
    }
    let started: DateTime<Utc> = text(r.get("started_at"))
        .parse()
        .map_err(|_| ApiError::internal("a visit's start"))?;
    Ok(ReceiptVisit::Found {
        visit: uuid(r.get("id"))?,
        site: uuid(r.get("site_id"))?,
        site_name: text(r.get("name")).to_owned(),
        visited_on: time::local_date(started),
    })
}

/// What a receipt shows: the visit's appeals as they stand, or why it shows none.
pub fn receipt(sql: &mut dyn Sql, token: &str, today: NaiveDate) -> Result<PortalReceipt> {
    Ok(match receipt_visit(sql, token)? {
        ReceiptVisit::NotUploaded => PortalReceipt::default(),
        ReceiptVisit::Revoked => PortalReceipt {
            revoked: true,
            ..Default::default()
        },
        ReceiptVisit::Found {
            visit,
            site,
            site_name,
            visited_on,
        } => PortalReceipt {
            uploaded: true,
            revoked: false,
            site_name: Some(site_name),
            visited_on: Some(visited_on.to_string()),
            appeals: appeal_list(sql, site, Some(visit), today)?,
        },
    })
}

/// A rating given through a receipt: of an appeal of that visit, as on the portal.
pub fn rate_by_receipt(
    sql: &mut dyn Sql,
    token: &str,
    appeal_id: Uuid,
    rating: &PortalRating,
    now: DateTime<Utc>,
) -> Result<PortalAppeal> {
    let ReceiptVisit::Found {
        visit,
        site,
        site_name,
        ..
    } = receipt_visit(sql, token)?
    else {
        return Err(ApiError::not_found(
            "没有这张回执，或它已收回 (no such receipt, or it was revoked)",
        ));
    };
    let of_visit = sql
        .row(
            "SELECT id FROM appeals WHERE id = $1 AND visit_id = $2",
            &[appeal_id.to_string().into(), visit.to_string().into()],
        )?
        .is_some();
    if !of_visit {
        return Err(no_such_appeal());
    }
    rate(sql, site, site_name, appeal_id, rating, now)
}

/// The enterprise's rating of one of its resolved appeals (一事一评), then the appeal as it
/// stands after it: confirmed, or rectifying with its follow-up's deadline.
pub fn rate(
    sql: &mut dyn Sql,
    site: Uuid,
    site_name: String,
    appeal_id: Uuid,
    rating: &PortalRating,
    now: DateTime<Utc>,
) -> Result<PortalAppeal> {
    // Another enterprise's appeal is answered as a missing one.
    let status = sql
        .row(
            "SELECT status FROM appeals WHERE id = $1 AND site_id = $2 AND void_reason IS NULL",
            &[appeal_id.to_string().into(), site.to_string().into()],
        )?
        .and_then(|r| AppealStatus::parse("status", text(r.get("status"))).ok())
        .ok_or_else(no_such_appeal)?;
    match status {
        AppealStatus::Resolved => {}
        AppealStatus::Rectifying | AppealStatus::Confirmed => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "already_rated",
                "每项诉求只评价一次，这一项已经评价过了 (each appeal is rated once, and this one has been)",
            ))
        }
        _ => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "not_resolved",
                "诉求办结后才能评价 (an appeal is rated once it is resolved)",
            ))
        }
    }
    let calendar = super::ledger::calendar(sql)?;
    let rated = actions::rate_for_enterprise(
        sql,
        &site_name,
        appeal_id,
        rating.satisfaction,
        rating.comment.as_deref(),
        &calendar,
        now,
    )?;
    if let Err((code, field, reason)) = rated {
        let error = ApiError::new(StatusCode::BAD_REQUEST, code, reason);
        // The comment is the entry's note.
        return Err(match field {
            Some("note") => error.field("comment"),
            Some(field) => error.field(field),
            None => error,
        });
    }
    appeals(sql, site, site_name, time::local_date(now))?
        .appeals
        .into_iter()
        .find(|a| a.id == appeal_id)
        .ok_or_else(|| ApiError::internal("a rated appeal went missing"))
}

/// The site's live orders, newest first, each with the visit it was dispatched to.
fn orders(sql: &mut dyn Sql, site: &str) -> Result<Vec<PortalOrder>> {
    let q = format!(
        "SELECT {}, se.date AS visit_date, se.desk_types AS visit_desks,
                st.slot_start AS visit_start, st.slot_end AS visit_end
         FROM orders o
         LEFT JOIN stops st ON st.id = o.stop_id AND st.void_reason IS NULL
         LEFT JOIN sessions se ON se.id = st.session_id AND se.void_reason IS NULL
         WHERE o.site_id = $1 AND o.void_reason IS NULL
         ORDER BY o.placed_at DESC, o.id DESC",
        columns(Entity::Order, "o.")
    );
    sql.rows(&q, &[site.into()])?
        .iter()
        .map(|r| {
            let o: Order = record_of_row(r)?;
            let desk = r
                .text("visit_desks")
                .and_then(|d| serde_json::from_str::<Vec<DeskType>>(d).ok())
                .and_then(|d| d.first().copied())
                .unwrap_or(DeskType::Office);
            Ok(PortalOrder {
                id: o.id,
                placed_on: time::local_date(o.placed_at).to_string(),
                topic: o.topic,
                wishes: o.wishes,
                windows: o.windows,
                visit: r.text("visit_date").map(|date| PortalVisit {
                    date: date.to_owned(),
                    start: r.text("visit_start").map(str::to_owned),
                    end: r.text("visit_end").map(str::to_owned),
                    desk: desk.label_zh().to_owned(),
                }),
            })
        })
        .collect()
}

/// An appeal that is not there, or not this enterprise's (or receipt's) to see: one answer.
pub fn no_such_appeal() -> ApiError {
    ApiError::not_found("没有这项诉求 (no such appeal)")
}

/// A validation error as the portal answers it: 400, naming the field.
fn refused(e: desk_core::ValidationError) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "validation", e.to_string()).field(e.field())
}

/// The enterprise orders a visit (点单): a record the office's devices receive through sync,
/// waiting to be dispatched. Its windows are today or later.
pub fn place_order(
    sql: &mut dyn Sql,
    site: Uuid,
    request: PortalOrderRequest,
    now: DateTime<Utc>,
) -> Result<PortalOrder> {
    let mut order = Order {
        id: Uuid::now_v7(),
        site_id: site,
        placed_at: now,
        topic: request.topic,
        wishes: request.wishes,
        windows: request.windows,
        stop_id: None,
        void_reason: None,
    };
    order.validate().map_err(refused)?;
    let today = time::local_date(now);
    if let Some(past) = order.windows.iter().find(|w| w.date < today) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "validation",
            format!("windows：{} 已经过去，请选择今天或以后的日期 (is in the past: choose today or later)", past.date),
        )
        .field("windows"));
    }
    super::ingest::write_own(
        sql,
        Entity::Order,
        order.id,
        order.to_fields(),
        now.timestamp_millis(),
    )?;
    audit(
        sql,
        None,
        None,
        "portal_order",
        &format!("site {site}: order {}", order.id),
    )?;
    Ok(PortalOrder {
        id: order.id,
        placed_on: today.to_string(),
        topic: order.topic,
        wishes: order.wishes,
        windows: order.windows,
        visit: None,
    })
}

/// The enterprise raises an appeal online (线上诉求): received, with the zone's handling limit
/// as its deadline, for the office to dispatch like any other.
pub fn raise_appeal(
    sql: &mut dyn Sql,
    site: Uuid,
    site_name: String,
    request: PortalAppealRequest,
    now: DateTime<Utc>,
) -> Result<PortalAppeal> {
    let category = Category::parse("category", &request.category).map_err(refused)?;
    let appeal = new_appeal(
        sql,
        site,
        category,
        request.description,
        Channel::Online,
        now,
    )?;
    appeals(sql, site, site_name, time::local_date(now))?
        .appeals
        .into_iter()
        .find(|a| a.id == appeal.id)
        .ok_or_else(|| ApiError::internal("a raised appeal went missing"))
}

/// An appeal raised from outside the office (the portal, the Open311 intake): received, with
/// the zone's handling limit as its deadline, written by the server for the office's devices.
pub(crate) fn new_appeal(
    sql: &mut dyn Sql,
    site: Uuid,
    category: Category,
    description: String,
    channel: Channel,
    now: DateTime<Utc>,
) -> Result<Appeal> {
    let mut appeal = Appeal {
        channel,
        ..Appeal::raised(site, now, category, description)
    };
    let (calendar, limits) = (
        super::ledger::calendar(sql)?,
        super::ledger::time_limits(sql)?,
    );
    appeal.deadline = Some(deadline::handling_deadline(now, &calendar, &limits).0);
    appeal.validate().map_err(refused)?;
    super::ingest::write_own(
        sql,
        Entity::Appeal,
        appeal.id,
        appeal.to_fields(),
        now.timestamp_millis(),
    )?;
    audit(
        sql,
        None,
        None,
        "appeal_raised_outside",
        &format!("site {site}, {}: appeal {}", channel.as_str(), appeal.id),
    )?;
    Ok(appeal)
}

/// Records whether the enterprise agrees to be named on its park's public board.
pub fn set_board_consent(sql: &mut dyn Sql, site: Uuid, public: bool) -> Result<()> {
    let site = site.to_string();
    if public {
        sql.exec(
            "INSERT INTO board_consents (site_id, agreed_at) VALUES ($1, $2)
             ON CONFLICT (site_id) DO NOTHING",
            &[site.clone().into(), now_text().into()],
        )?;
    } else {
        sql.exec(
            "DELETE FROM board_consents WHERE site_id = $1",
            &[site.clone().into()],
        )?;
    }
    audit(
        sql,
        None,
        None,
        "board_consent",
        &format!(
            "site {site}: {}",
            if public { "named" } else { "not named" }
        ),
    )
}

/// The parks with a public board, and how many live appeals each lists.
pub fn board_parks(sql: &mut dyn Sql) -> Result<Vec<BoardPark>> {
    sql.rows(
        "SELECT p.id, p.name,
                (SELECT COUNT(*) FROM appeals a JOIN sites s ON s.id = a.site_id
                 WHERE s.park_id = p.id AND a.void_reason IS NULL AND s.void_reason IS NULL) AS appeals
         FROM parks p WHERE p.void_reason IS NULL ORDER BY p.name",
        &[],
    )?
    .iter()
    .map(|r| {
        Ok(BoardPark {
            id: uuid(r.get("id"))?,
            name: text(r.get("name")).to_owned(),
            appeals: r.int("appeals").unwrap_or(0),
        })
    })
    .collect()
}

/// How many appeals a board lists at most (the newest).
pub const BOARD_LIMIT: i64 = 200;

/// A park's public board as of `today`, or none for a park that is not there. Enterprises
/// that did not agree are not named, and their descriptions (which may name them) not shown.
pub fn board(sql: &mut dyn Sql, park: Uuid, today: NaiveDate) -> Result<Option<Board>> {
    let Some(name) = sql.row(
        "SELECT name FROM parks WHERE id = $1 AND void_reason IS NULL",
        &[park.to_string().into()],
    )?
    else {
        return Ok(None);
    };
    let park_name = text(name.get("name")).to_owned();
    let calendar = super::ledger::calendar(sql)?;
    let q = format!(
        "SELECT {}, s.name AS site_name, c.site_id AS consent,
                (SELECT name FROM departments WHERE id = a.department_id) AS department
         FROM appeals a JOIN sites s ON s.id = a.site_id
         LEFT JOIN board_consents c ON c.site_id = s.id
         WHERE s.park_id = $1 AND a.void_reason IS NULL AND s.void_reason IS NULL
         ORDER BY a.raised_at DESC, a.id DESC LIMIT $2",
        columns(Entity::Appeal, "a.")
    );
    let appeals = sql
        .rows(&q, &[park.to_string().into(), BOARD_LIMIT.into()])?
        .iter()
        .map(|r| {
            let a: Appeal = record_of_row(r)?;
            let raised = time::local_date(a.raised_at);
            let until = a.resolved_at.map(time::local_date).unwrap_or(today);
            let named = r.text("consent").is_some();
            Ok(BoardAppeal {
                category: a.category,
                status: a.status,
                department: r.text("department").map(str::to_owned),
                raised_on: raised.to_string(),
                deadline: a.deadline.map(|d| d.to_string()),
                days_taken: calendar.working_days(raised, until.max(raised)).0,
                overdue: deadline::is_overdue(a.status, a.deadline, today),
                enterprise: named.then(|| text(r.get("site_name")).to_owned()),
                description: named.then_some(a.description),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(Board {
        park: park_name,
        as_of: today.to_string(),
        appeals,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_codes_are_grouped_unambiguous_and_forgiving_to_type() {
        let a = new_access_code();
        assert_eq!(a.len(), 14);
        assert_eq!(a.matches('-').count(), 2);
        assert!(a
            .chars()
            .filter(|c| *c != '-')
            .all(|c| CODE_ALPHABET.contains(&(c as u8))));
        assert!(!a.contains(['I', 'L', 'O', 'U']));
        assert_ne!(a, new_access_code());
        assert_eq!(normalise_code(" abcd-efgh jkmn "), "ABCDEFGHJKMN");
        assert_eq!(normalise_code("o1il-2345-6789"), "011123456789");
    }
}
