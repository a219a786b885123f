//! The enterprise portal's state: the access code the office issues to each site, the sessions
//! an enterprise signs in to with it, and the enterprise's own appeals as it is shown them.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use desk_core::deadline;
use desk_core::model::{Appeal, Progress};
use desk_core::portal::{PortalAppeal, PortalAppeals, PortalStep};
use desk_core::{time, Entity};
use uuid::Uuid;

use super::accounts::audit;
use super::records::{columns, record_of_row};
use super::{text, uuid, Result};
use crate::db::{now_text, Sql};

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
    let calendar = super::ledger::calendar(sql)?;
    let site = site.to_string();
    let mut steps: HashMap<Uuid, Vec<PortalStep>> = HashMap::new();
    let q = format!(
        "SELECT {} FROM progress_updates p JOIN appeals a ON a.id = p.appeal_id
         WHERE a.site_id = $1 AND a.void_reason IS NULL ORDER BY p.at, p.id",
        columns(Entity::Progress, "p.")
    );
    for r in sql.rows(&q, &[site.clone().into()])? {
        let p: Progress = record_of_row(&r)?;
        steps.entry(p.appeal_id).or_default().push(PortalStep {
            at: time::display(p.at),
            status: p.to_status,
            note: p.note,
        });
    }
    let q = format!(
        "SELECT {}, (SELECT name FROM departments WHERE id = a.department_id) AS department
         FROM appeals a WHERE a.site_id = $1 AND a.void_reason IS NULL
         ORDER BY a.raised_at DESC, a.id DESC",
        columns(Entity::Appeal, "a.")
    );
    sql.rows(&q, &[site.into()])?
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
                steps: steps.remove(&a.id).unwrap_or_default(),
            })
        })
        .collect::<Result<Vec<_>>>()
        .map(|appeals| PortalAppeals { site_name, appeals })
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
