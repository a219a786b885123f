//! Pushed operations. Each lands or is refused on its own, with a code and a reason; the reply
//! says which. The checks run in this order, each before anything the next one reads:
//!
//! 1. the operation's own shape (no database read: nothing to leak);
//! 2. its stamp, which may not be too far in the server's future (`clock_ahead`);
//! 3. whether it landed before (by id): acknowledged again, changing nothing;
//! 4. scope: a record the caller may not see is answered exactly as a missing one;
//! 5. the record as it would stand, validated whole with `desk-core`;
//! 6. what it refers to, which must exist and be visible to the caller (an invisible
//!    reference is answered as a missing one);
//! 7. an appeal's derived fields (status, deadline, outcome), which only actions change; what
//!    an enterprise ordered, which devices only dispatch or void;
//! 8. whether the caller may write this record (role, parks, who made a zone-wide record);
//! 9. voids, which stay;
//! 10. for a ledger entry, the ledger's rules ([`super::actions`]).

use std::collections::{HashMap, HashSet};

use desk_core::model::{check_fields, Record};
use desk_core::protocol::{PushResult, PushStatus};
use desk_core::{Entity, FieldClocks, Op, Snapshot};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::accounts::audit;
use super::actions;
use super::log::LogWriter;
use super::records::{insert_record, read_record, update_record};
use super::scopes::{
    insert_scope, own_scope, read_scope, read_scopes, rescope, scope_for, scoped_by_own_fields,
    str_field,
};
use super::Result;
use crate::db::{marks, Sql, SqlValue, IDS_PER_STATEMENT};
use crate::error::ApiError;
use crate::scope::{Caller, RecordScope};

/// Limits of ingest.
#[derive(Debug, Clone, Copy)]
pub struct IngestRules {
    pub now_ms: i64,
    /// How far ahead of the server's clock a stamp may be.
    pub max_clock_ahead_ms: i64,
}

/// Takes a batch of pushed operations, holding the log lock for the whole transaction.
pub fn ingest(
    sql: &mut dyn Sql,
    caller: &Caller,
    ops: &[Op],
    rules: IngestRules,
) -> Result<Vec<PushResult>> {
    let mut log = LogWriter::start(sql)?;
    let mut batch = Batch::read(sql, ops)?;
    let mut results = Vec::with_capacity(ops.len());
    let (mut accepted, mut refused) = (0, 0);
    for op in ops {
        let r = ingest_one(sql, &mut log, &mut batch, caller, op, rules)?;
        match r.status {
            PushStatus::Accepted => accepted += 1,
            PushStatus::Rejected => refused += 1,
            PushStatus::Duplicate => {}
        }
        results.push(r);
    }
    log.finish(sql)?;
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

/// What a batch's checks would otherwise ask once per operation, asked once per batch: which
/// operations landed before (and what was logged for them), which records do not exist, and
/// the scopes of the records named and referred to. Kept current as the batch lands, so that
/// a batch of new records reads nothing more and its rows land together ([`Sql::insert`]).
struct Batch {
    /// Operations in the log, with their logged fields (`None`: landed in this batch).
    landed: HashMap<String, Option<String>>,
    /// Records the batch names that the server does not hold.
    absent: HashSet<(Entity, Uuid)>,
    /// Stored scopes and owners, as read (`None`: no such record).
    scopes: HashMap<(Entity, Uuid), Option<Held>>,
}

/// A record's scope and who created it.
type Held = (RecordScope, Option<Uuid>);

impl Batch {
    fn read(sql: &mut dyn Sql, ops: &[Op]) -> Result<Batch> {
        let mut landed = HashMap::new();
        for chunk in ops.chunks(IDS_PER_STATEMENT) {
            let q = format!(
                "SELECT op_id, fields FROM log WHERE op_id IN ({})",
                marks(chunk.len())
            );
            let ids: Vec<SqlValue> = chunk.iter().map(|op| op.id.to_string().into()).collect();
            for row in sql.rows(&q, &ids)? {
                let fields = row.text("fields").map(str::to_owned);
                landed.insert(super::text(row.get("op_id")).to_owned(), fields);
            }
        }
        let named: HashSet<(Entity, Uuid)> =
            ops.iter().map(|op| (op.entity, op.record_id)).collect();
        let mut absent = named.clone();
        for (entity, ids) in by_entity(named.iter().copied()) {
            for chunk in ids.chunks(IDS_PER_STATEMENT) {
                let q = format!(
                    "SELECT id FROM {} WHERE id IN ({})",
                    entity.table(),
                    marks(chunk.len())
                );
                let ids: Vec<SqlValue> = chunk.iter().map(|id| id.to_string().into()).collect();
                for row in sql.rows(&q, &ids)? {
                    absent.remove(&(entity, super::uuid(row.get("id"))?));
                }
            }
        }
        // The scopes the checks will ask for: of the records held, and of what whole records
        // refer to (a change's references are known once merged, and read then).
        let referred = ops.iter().filter(|op| op.is_complete()).flat_map(|op| {
            check_fields(op.entity, op.record_id, &op.fields)
                .unwrap_or_default()
                .into_iter()
                .map(|(_, entity, id)| (entity, id))
        });
        let wanted: HashSet<(Entity, Uuid)> =
            named.difference(&absent).copied().chain(referred).collect();
        let mut scopes = HashMap::new();
        for (entity, ids) in by_entity(wanted.into_iter()) {
            let mut found = read_scopes(sql, entity, &ids)?;
            for id in ids {
                scopes.insert((entity, id), found.remove(&id));
            }
        }
        Ok(Batch {
            landed,
            absent,
            scopes,
        })
    }

    /// The fields logged for `op`, if it landed before.
    fn landed(&mut self, sql: &mut dyn Sql, op: &Op) -> Result<Option<Map<String, Value>>> {
        let id = op.id.to_string();
        let logged = match self.landed.get(&id) {
            None => return Ok(None),
            Some(Some(fields)) => Some(fields.clone()),
            // Landed earlier in this batch.
            Some(None) => sql
                .row("SELECT fields FROM log WHERE op_id = $1", &[id.into()])?
                .and_then(|row| row.text("fields").map(str::to_owned)),
        };
        Ok(Some(
            logged
                .and_then(|f| serde_json::from_str(&f).ok())
                .unwrap_or_default(),
        ))
    }

    /// The record `op` writes, as the server holds it now.
    fn current(&self, sql: &mut dyn Sql, op: &Op) -> Result<Option<Snapshot>> {
        if self.absent.contains(&(op.entity, op.record_id)) {
            return Ok(None);
        }
        read_record(sql, op.entity, op.record_id)
    }

    /// A record's stored scope and owner, read once per batch while no write moves scopes.
    fn held(&mut self, sql: &mut dyn Sql, entity: Entity, id: Uuid) -> Result<Option<Held>> {
        if let Some(held) = self.scopes.get(&(entity, id)) {
            return Ok(held.clone());
        }
        let held = read_scope(sql, entity, &id.to_string())?;
        self.scopes.insert((entity, id), held.clone());
        Ok(held)
    }

    fn scope(
        &mut self,
        sql: &mut dyn Sql,
        entity: Entity,
        id: Uuid,
    ) -> Result<Option<RecordScope>> {
        Ok(self.held(sql, entity, id)?.map(|(scope, _)| scope))
    }

    /// `op` landed. A new record adds its own scope (`new`) only; anything else (a change, a
    /// ledger entry, a spread) may have moved others', which are read again.
    fn land(&mut self, op: &Op, new: Option<Held>, scopes_moved: bool) {
        self.landed.insert(op.id.to_string(), None);
        self.absent.remove(&(op.entity, op.record_id));
        if scopes_moved {
            self.scopes.clear();
        } else {
            self.scopes.insert((op.entity, op.record_id), new);
        }
    }
}

/// Records grouped by kind, each kind's ids in order.
fn by_entity(records: impl Iterator<Item = (Entity, Uuid)>) -> Vec<(Entity, Vec<Uuid>)> {
    let mut records: Vec<(Entity, Uuid)> = records.collect();
    records.sort();
    records
        .chunk_by(|a, b| a.0 == b.0)
        .map(|group| (group[0].0, group.iter().map(|(_, id)| *id).collect()))
        .collect()
}

/// The one answer for a record the caller cannot reach, whether it exists or not.
fn unknown(op: &Op) -> PushResult {
    PushResult::rejected(
        op.id,
        "unknown_record",
        Some("record_id"),
        format!(
            "服务器上没有这条{}，或它不归此账号 (no such {} on the server for this account)",
            op.entity.name_zh(),
            op.entity.name_en()
        ),
    )
}

fn ingest_one(
    sql: &mut dyn Sql,
    log: &mut LogWriter,
    batch: &mut Batch,
    caller: &Caller,
    op: &Op,
    rules: IngestRules,
) -> Result<PushResult> {
    // 1. Shape.
    if let Err(e) = op.check_shape() {
        return Ok(PushResult::rejected(
            op.id,
            "validation",
            Some(e.field()),
            e.to_string(),
        ));
    }
    // 2. Stamp.
    let ahead = op.hlc.wall_ms as i64 - rules.now_ms;
    if ahead > rules.max_clock_ahead_ms {
        let minutes = (ahead + 30_000) / 60_000;
        return Ok(PushResult::rejected(
            op.id,
            "clock_ahead",
            Some("hlc"),
            format!(
                "设备时钟比服务器快 {minutes} 分钟：此条修改未被接受，设备校正时间后会重新发送 (the device clock is {minutes} minutes ahead of the server: this change was not taken; the device sends it again once its clock is corrected)"
            ),
        ));
    }
    log.observe(&op.hlc, rules.now_ms);
    // 3. Seen before.
    if let Some(logged) = batch.landed(sql, op)? {
        let amended = actions::amendments(&op.fields, &logged);
        return Ok(PushResult {
            status: PushStatus::Duplicate,
            amended: (!amended.is_empty()).then_some(amended),
            ..PushResult::accepted(op.id)
        });
    }
    // 4. Scope, before anything about the record is looked at.
    let id = op.record_id.to_string();
    let current = batch.current(sql, op)?;
    let held = match &current {
        Some(_) => batch.held(sql, op.entity, op.record_id)?,
        None => None,
    };
    if let Some((scope, _)) = &held {
        if !caller.sees(scope) {
            return Ok(unknown(op));
        }
    }
    let (next, changed): (Snapshot, Vec<&str>) = match &current {
        None if !op.is_complete() => return Ok(unknown(op)),
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
            return Ok(PushResult::rejected(
                op.id,
                "immutable",
                Some("record_id"),
                "办理进展一经记录不可修改 (ledger entries cannot be changed)".into(),
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
    // 5. The record as it would stand.
    let references = match check_fields(op.entity, op.record_id, &next.fields) {
        Ok(refs) => refs,
        Err(e) => {
            return Ok(PushResult::rejected(
                op.id,
                "validation",
                Some(e.field()),
                e.to_string(),
            ))
        }
    };
    // 6. What it refers to. Every record on the server has a scope: none means no record.
    for (field, entity, rid) in references {
        let visible = batch
            .scope(sql, entity, rid)?
            .is_some_and(|s| caller.sees(&s));
        if !visible {
            return Ok(PushResult::rejected(
                op.id,
                "unknown_reference",
                Some(field),
                format!(
                    "{field}：服务器上没有编号为 {rid} 的{}，或它不归此账号 (no {} {rid} on the server for this account)",
                    entity.name_zh(),
                    entity.name_en()
                ),
            ));
        }
    }
    // 7. An appeal's derived fields.
    if op.entity == Entity::Appeal {
        let checked = match &current {
            None => desk_core::appeal::check_new(&op.fields),
            Some(_) => desk_core::appeal::check_change(op.fields.keys().map(String::as_str)),
        };
        if let Err(e) = checked {
            return Ok(PushResult::rejected(
                op.id,
                e.code(),
                Some(e.field()),
                e.to_string(),
            ));
        }
    }
    // 7. (orders) What an enterprise asked for stays as it asked: devices only dispatch an
    // order (its stop, at the order's own site) or void it.
    if op.entity == Entity::Order {
        if let Some(asked) = current.as_ref().and_then(|_| {
            op.fields
                .keys()
                .find(|k| !matches!(k.as_str(), "stop_id" | "void_reason"))
        }) {
            return Ok(PushResult::rejected(
                op.id,
                "immutable",
                Some(asked),
                format!("{asked}：企业点单的内容只能由企业填写 (what an enterprise ordered is the enterprise's to say)"),
            ));
        }
        let stop = next.fields.get("stop_id").and_then(Value::as_str);
        if let Some(stop) = stop.and_then(|s| s.parse().ok()) {
            let at = read_record(sql, Entity::Stop, stop)?
                .and_then(|s| s.fields.get("site_id").cloned());
            if at.as_ref() != next.fields.get("site_id") {
                return Ok(PushResult::rejected(
                    op.id,
                    "validation",
                    Some("stop_id"),
                    "stop_id：派单的走访站点须是点单企业的 (the stop must be at the ordering enterprise's site)".into(),
                ));
            }
        }
    }
    // 8. May the caller write it? A new record's scope comes from its own fields and its
    // site's park, which the batch has read; nothing stored refers to it yet.
    let after = match current {
        None if scoped_by_own_fields(op.entity) => {
            let site = str_field(&next.fields, "site_id").and_then(|s| s.parse().ok());
            let park = match site {
                Some(site) => batch.scope(sql, Entity::Site, site)?.and_then(|s| s.park),
                None => None,
            };
            own_scope(op.entity, &next.fields, park)
        }
        _ => scope_for(sql, op.entity, &id, &next.fields)?,
    };
    let (before, owner) = match &held {
        Some((s, o)) => (Some(s), *o),
        None => (None, None),
    };
    if let Err(reason) = caller.may_write(op.entity, before, &after, owner) {
        return Ok(PushResult::rejected(op.id, "forbidden", None, reason));
    }
    // 9. Voids stay.
    let voided = current
        .as_ref()
        .is_some_and(|c| c.fields.get("void_reason").is_some_and(|v| !v.is_null()));
    if voided && next.fields.get("void_reason").is_some_and(Value::is_null) {
        return Ok(PushResult::rejected(
            op.id,
            "immutable",
            Some("void_reason"),
            "作废的记录不能恢复 (a voided record cannot come back)".into(),
        ));
    }
    // 10. A ledger entry, as the ledger takes it.
    let now =
        chrono::DateTime::from_timestamp_millis(rules.now_ms).unwrap_or_else(chrono::Utc::now);
    let entry = match (op.entity, &current) {
        (Entity::Progress, None) => {
            let progress = actions::entry_of(op.record_id, &next.fields)
                .ok_or_else(|| ApiError::internal("a validated entry did not parse"))?;
            match actions::take_entry(
                sql,
                &actions::Author::Account(caller),
                progress,
                now,
                rules.max_clock_ahead_ms,
            )? {
                Ok(entry) => Some(entry),
                Err((code, field, reason)) => {
                    return Ok(PushResult::rejected(op.id, code, field, reason))
                }
            }
        }
        _ => None,
    };

    let mut taken = op.clone();
    let mut next = next;
    if let Some(entry) = &entry {
        taken.fields = entry.progress.to_fields();
        next.fields = taken.fields.clone();
    }
    match &current {
        None => insert_record(sql, &next)?,
        Some(_) if !changed.is_empty() => update_record(sql, &next, &changed)?,
        Some(_) => {} // older than what the server holds: logged, changes nothing
    }
    log.append_op(sql, &taken, Some(caller.user_id), caller.device_id)?;
    if current.is_none() {
        insert_scope(sql, op.entity, &id, &after, Some(caller.user_id))?;
    }
    if let Some(entry) = &entry {
        actions::follow(sql, log, Some(caller.user_id), entry, rules.now_ms)?;
    }
    // New records of most kinds have no dependents whose audience could change. A new appeal
    // brings its departments to its site (none when it was not dispatched: the common case,
    // and half the statements of its push); a new resolution brings its own to its appeal.
    let may_move = current.is_some()
        || (op.entity == Entity::Appeal && !after.departments.is_empty())
        || op.entity == Entity::Resolution
        || entry.as_ref().is_some_and(|e| {
            e.action
                .as_ref()
                .is_some_and(|a| a.department_id().is_some())
        });
    if may_move {
        spread(sql, log, op.entity, &id, &next.fields, &after)?;
    }
    let new = current
        .is_none()
        .then(|| (after.clone(), Some(caller.user_id)));
    batch.land(op, new, current.is_some() || may_move || entry.is_some());
    let amended = actions::amendments(&op.fields, &taken.fields);
    Ok(PushResult {
        amended: (!amended.is_empty()).then_some(amended),
        ..PushResult::accepted(op.id)
    })
}

/// Tells those a write brought a record to, or took it from, after the write to `entity`/`id`
/// (now scoped `after`): the record whole for a grown audience, a leave for a shrunk one.
fn spread(
    sql: &mut dyn Sql,
    log: &mut LogWriter,
    entity: Entity,
    id: &str,
    fields: &Map<String, Value>,
    after: &RecordScope,
) -> Result<()> {
    for m in rescope(sql, entity, id, fields, after)? {
        if m.grew {
            log.append_snapshot(sql, m.entity, &m.id)?;
        }
        if let Some(before) = &m.shrank_from {
            log.append_leave(sql, m.entity, &m.id, before, &m.now)?;
        }
    }
    Ok(())
}

/// [`create_own`] in a transaction of its own on the log.
pub(crate) fn write_own(
    sql: &mut dyn Sql,
    entity: Entity,
    record_id: uuid::Uuid,
    fields: Map<String, Value>,
    now_ms: i64,
) -> Result<()> {
    let mut log = LogWriter::start(sql)?;
    create_own(sql, &mut log, entity, record_id, fields, now_ms)?;
    log.finish(sql)
}

/// A record the server creates itself (an enterprise's order or appeal from the portal, the
/// ledger entry of its rating), checked by the caller beforehand: stored, logged as an
/// operation of the server's that every device in its scope pulls, and scoped like a pushed
/// one.
pub(crate) fn create_own(
    sql: &mut dyn Sql,
    log: &mut LogWriter,
    entity: Entity,
    record_id: uuid::Uuid,
    fields: Map<String, Value>,
    now_ms: i64,
) -> Result<()> {
    let hlc = log.tick(now_ms);
    let op = Op {
        id: uuid::Uuid::now_v7(),
        entity,
        record_id,
        fields,
        hlc,
        prev: Default::default(),
    };
    insert_record(
        sql,
        &Snapshot {
            entity,
            record_id,
            fields: op.fields.clone(),
            clocks: FieldClocks::all(hlc),
        },
    )?;
    log.append_op(sql, &op, None, None)?;
    let id = record_id.to_string();
    let scope = scope_for(sql, entity, &id, &op.fields)?;
    insert_scope(sql, entity, &id, &scope, None)?;
    spread(sql, log, entity, &id, &op.fields, &scope)
}
