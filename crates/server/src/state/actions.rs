//! The appeal ledger on the server. A ledger entry (a progress update) is taken only as the
//! server sees it: an action is checked against its appeal as it stands, with `desk-core`'s
//! rules and the caller's role; who wrote it, from which device, the statuses it led from and
//! to, and a time that cannot precede what it follows are the server's to set; the entry is
//! sealed into the appeal's hash chain. Then the server moves the appeal itself, by an
//! operation of its own stamped after everything it has seen, so every device ends with the
//! appeal as the order of accepted actions left it, whatever order its stamps suggest.

use chrono::{DateTime, Utc};
use desk_core::appeal::{self, Action};
use desk_core::calendar::Calendar;
use desk_core::model::{Appeal, Progress, Rater, Record, SATISFACTION_LEVELS};
use desk_core::{ledger, Entity, Op, Snapshot};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::accounts::audit;
use super::log::LogWriter;
use super::records::{read_record, typed, update_record};
use super::scopes::read_scope;
use super::Result;
use crate::db::Sql;
use crate::error::ApiError;
use crate::scope::Caller;

/// Why an entry was refused: code, field, reason.
pub(crate) type Refusal = (&'static str, Option<&'static str>, String);

/// Who writes a ledger entry.
pub(crate) enum Author<'a> {
    /// An account, from its device: its role and scope are checked, and a rating it records
    /// is one typed on the enterprise's behalf.
    Account(&'a Caller),
    /// An enterprise on the portal, rating an appeal of its own (the portal checked whose).
    Enterprise { name: &'a str },
}

/// An entry as the server takes it, and the action it records.
pub(crate) struct Entry {
    pub progress: Progress,
    pub action: Option<Action>,
    /// The appeal as it stood when the entry was checked, which the entry then moves.
    appeal: Snapshot,
}

/// Checks a new ledger entry against its appeal and the caller, and returns it as the server
/// holds it (written by the caller, in its place in the chain), or why it is refused.
pub(crate) fn take_entry(
    sql: &mut dyn Sql,
    author: &Author,
    mut progress: Progress,
    now: DateTime<Utc>,
    max_ahead_ms: i64,
) -> Result<std::result::Result<Entry, Refusal>> {
    let refuse =
        |e: desk_core::ValidationError| Ok(Err((e.code(), Some(e.field()), e.to_string())));
    let Some(held) = read_record(sql, Entity::Appeal, progress.appeal_id)? else {
        return Err(ApiError::internal("a checked reference went missing"));
    };
    let appeal: Appeal = typed(&held)?;
    let mut action = match Action::of_entry(&progress) {
        Ok(a) => a,
        Err(e) => return refuse(e),
    };
    // A dissatisfied rating's follow-up is due by the zone's rule, counted on the server's
    // calendar from the day of the rating, whatever deadline the device proposed. (The
    // portal's ratings are built by the server with that rule already.)
    if let (
        Author::Account(_),
        Some(Action::Confirm {
            satisfaction,
            follow_up: Some(_),
        }),
    ) = (author, &action)
    {
        let satisfaction = *satisfaction;
        let rated_on = desk_core::time::local_date(progress.at.min(now));
        let rating = Action::rating(satisfaction, rated_on, &super::ledger::calendar(sql)?);
        rating.record_in(&mut progress);
        action = Some(rating);
    }
    let (from, to) = match &action {
        Some(action) => {
            let role = match author {
                Author::Account(caller) => Some(caller.role),
                Author::Enterprise { .. } => None,
            };
            let to = match appeal::check(&appeal, action, role) {
                Ok(to) => to,
                Err(e) => return refuse(e),
            };
            match author {
                Author::Account(caller) => {
                    let (scope, owner) = read_scope(sql, Entity::Appeal, &appeal.id.to_string())?
                        .unwrap_or_default();
                    if let Err(reason) = caller.may_act(&scope, owner) {
                        return Ok(Err(("forbidden", None, reason)));
                    }
                }
                Author::Enterprise { .. } if !matches!(action, Action::Confirm { .. }) => {
                    return Err(ApiError::internal("an enterprise only rates"));
                }
                Author::Enterprise { .. } => {}
            }
            (Some(appeal.status), Some(to))
        }
        None => (None, None),
    };
    let last = sql.row(
        "SELECT position, hash, at FROM progress_updates
         WHERE appeal_id = $1 AND position IS NOT NULL ORDER BY position DESC LIMIT 1",
        &[appeal.id.to_string().into()],
    )?;
    // An entry says when it happened (offline, perhaps days ago), but never before the appeal
    // was raised or before the entry it follows, and never in the server's future.
    if (progress.at - now).num_milliseconds() > max_ahead_ms {
        return Ok(Err((
            "validation",
            Some("at"),
            format!(
                "at：{} 晚于服务器时间 (is later than the server's time)",
                desk_core::time::display(progress.at)
            ),
        )));
    }
    let follows = last
        .as_ref()
        .and_then(|r| r.text("at")?.parse::<DateTime<Utc>>().ok())
        .unwrap_or(appeal.raised_at)
        .max(appeal.raised_at);
    progress.at = progress.at.max(follows);
    (progress.author, progress.device_id) = match author {
        Author::Account(caller) => (caller.display_name.clone(), caller.device_id),
        Author::Enterprise { name } => ((*name).to_owned(), None),
    };
    progress.rated_by = match (&action, author) {
        (Some(Action::Confirm { .. }), Author::Account(_)) => Some(Rater::Official),
        (Some(Action::Confirm { .. }), Author::Enterprise { .. }) => Some(Rater::Enterprise),
        _ => None,
    };
    progress.from_status = from;
    progress.to_status = to;
    let (position, prev) = match &last {
        Some(r) => (
            r.int("position").unwrap_or_default() + 1,
            r.text("hash").unwrap_or(ledger::GENESIS).to_owned(),
        ),
        None => (1, ledger::GENESIS.to_owned()),
    };
    ledger::seal(&mut progress, position, &prev);
    Ok(Ok(Entry {
        progress,
        action,
        appeal: held,
    }))
}

/// The fields of `taken` the server set otherwise than `sent` (for the device to take).
pub(crate) fn amendments(
    sent: &Map<String, Value>,
    taken: &Map<String, Value>,
) -> Map<String, Value> {
    taken
        .iter()
        .filter(|(k, v)| sent.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Moves the appeal of an accepted entry: the action's effect and the chain's new head, as an
/// operation of the server's, logged for every device.
pub(crate) fn follow(
    sql: &mut dyn Sql,
    log: &mut LogWriter,
    user: Option<Uuid>,
    entry: &Entry,
    now_ms: i64,
) -> Result<()> {
    let p = &entry.progress;
    let mut fields = match (&entry.action, p.to_status) {
        (Some(action), Some(to)) => appeal::effect(action, to, p.at),
        _ => Map::new(),
    };
    fields.insert(
        "ledger_head".into(),
        p.hash.clone().map_or(Value::Null, Value::String),
    );
    let mut current = entry.appeal.clone();
    let op = Op {
        id: Uuid::now_v7(),
        entity: Entity::Appeal,
        record_id: p.appeal_id,
        fields,
        hlc: log.tick(now_ms),
        prev: Default::default(),
    };
    let changed: Vec<&str> = op.fields.keys().map(String::as_str).collect();
    for (name, value) in &op.fields {
        current.fields.insert(name.clone(), value.clone());
        current.clocks.fields.insert(name.clone(), op.hlc);
    }
    update_record(sql, &current, &changed)?;
    log.append_op(sql, &op, user, None)
}

/// An enterprise's rating of its own resolved appeal on the portal (一事一评), on the five
/// national levels with an optional comment: a ledger entry the server writes in the
/// enterprise's name, checked like any other; a dissatisfied one is followed up (整改中) by the
/// lead department within [`desk_core::deadline::FOLLOW_UP_DAYS`] working days. Returns the entry, or why
/// it was refused (a second rating is an illegal transition).
pub(crate) fn rate_for_enterprise(
    sql: &mut dyn Sql,
    enterprise: &str,
    appeal_id: Uuid,
    satisfaction: i64,
    comment: Option<&str>,
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> Result<std::result::Result<Progress, Refusal>> {
    let action = Action::rating(satisfaction, desk_core::time::local_date(now), calendar);
    let level = satisfaction
        .checked_sub(1)
        .and_then(|i| usize::try_from(i).ok())
        .and_then(|i| SATISFACTION_LEVELS.get(i))
        .copied()
        .unwrap_or_default();
    let note = comment
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map_or_else(
            || format!("企业评价：{level}"),
            |c| format!("企业评价：{level}。{c}"),
        );
    let mut progress = Progress::note(appeal_id, now, enterprise, &note);
    action.record_in(&mut progress);
    if let Err(e) = progress.validate() {
        return Ok(Err((e.code(), Some(e.field()), e.to_string())));
    }
    let mut log = LogWriter::start(sql)?;
    let entry = match take_entry(
        sql,
        &Author::Enterprise { name: enterprise },
        progress,
        now,
        0,
    )? {
        Ok(entry) => entry,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let now_ms = now.timestamp_millis();
    let fields = entry.progress.to_fields();
    super::ingest::create_own(
        sql,
        &mut log,
        Entity::Progress,
        entry.progress.id,
        fields,
        now_ms,
    )?;
    follow(sql, &mut log, None, &entry, now_ms)?;
    log.finish(sql)?;
    audit(
        sql,
        None,
        None,
        "portal_rating",
        &format!("{enterprise}: appeal {appeal_id}, {satisfaction}"),
    )?;
    Ok(Ok(entry.progress))
}

/// An entry's fields as a typed value.
pub(crate) fn entry_of(id: Uuid, fields: &Map<String, Value>) -> Option<Progress> {
    let mut fields = fields.clone();
    fields.insert("id".into(), Value::String(id.to_string()));
    serde_json::from_value(Value::Object(fields)).ok()
}
