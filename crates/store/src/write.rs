//! Local writes: validate, stamp, record the operation, apply it. Every service the CLI and the
//! app offer is built from these few verbs inside one [`crate::Store::write`] transaction.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use desk_core::appeal::Action;
use desk_core::model::{check_deadline, Appeal, Progress, Record};
use desk_core::{Clock, Entity, FieldClocks, Hlc, Op, Role, ValidationError};
use rusqlite::{Connection, OptionalExtension};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::apply::{record_and_apply, row_to_json, select_list};
use crate::clock::Written;
use crate::Result;

pub struct Writer<'a> {
    pub(crate) conn: &'a Connection,
    clock: &'a mut Clock,
    now: DateTime<Utc>,
    written: Written,
    role: Option<Role>,
}

impl<'a> Writer<'a> {
    pub(crate) fn new(
        conn: &'a Connection,
        clock: &'a mut Clock,
        now: DateTime<Utc>,
        written: Written,
        role: Option<Role>,
    ) -> Self {
        Writer {
            conn,
            clock,
            now,
            written,
            role,
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Creates a record: checks it and what it points at, then records one operation carrying
    /// all of its fields.
    pub fn create<R: Record>(&mut self, mut record: R) -> Result<R> {
        record.validate()?;
        if R::ENTITY == Entity::Appeal {
            desk_core::appeal::check_new(&record.to_fields())?;
        }
        self.check_references(&record)?;
        self.check_unique(&record)?;
        self.check_appeal_deadline(&record)?;
        self.emit(R::ENTITY, record.id(), record.to_fields(), BTreeMap::new())?;
        Ok(record)
    }

    /// Changes a record: `edit` works on a copy, the result is checked like a new record, and
    /// only the fields that changed are recorded.
    pub fn update<R: Record>(&mut self, id: Uuid, edit: impl FnOnce(&mut R)) -> Result<R> {
        let before: R = self.get_live(id, "id")?;
        let mut after = before.clone();
        edit(&mut after);
        after.validate()?;
        self.check_references(&after)?;
        self.check_appeal_deadline(&after)?;
        self.check_unique(&after)?;
        let old = before.to_fields();
        let changed: Map<String, Value> = after
            .to_fields()
            .into_iter()
            .filter(|(k, v)| old.get(k) != Some(v))
            .collect();
        if R::ENTITY == Entity::Appeal {
            desk_core::appeal::check_change(changed.keys().map(String::as_str))?;
        }
        if !changed.is_empty() {
            let clocks = self.clocks_of(R::ENTITY, id)?;
            let prev = changed.keys().map(|k| (k.clone(), clocks.of(k))).collect();
            self.emit(R::ENTITY, id, changed, prev)?;
        }
        Ok(after)
    }

    /// Voids a record (作废): it stays, marked with the reason, and nothing brings it back.
    pub fn void(&mut self, entity: Entity, id: Uuid, reason: &str) -> Result<()> {
        if entity.append_only() {
            return Err(ValidationError::Invalid {
                field: "entity",
                value: entity.name_en().into(),
                expected: "a record that can be voided (progress updates are permanent)".into(),
            }
            .into());
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(ValidationError::Required {
                field: "void_reason",
            }
            .into());
        }
        self.require_live(entity, id, "id")?;
        let mut fields = Map::new();
        fields.insert("void_reason".into(), Value::String(reason.into()));
        let prev = [(
            "void_reason".to_owned(),
            self.clocks_of(entity, id)?.of("void_reason"),
        )]
        .into();
        self.emit(entity, id, fields, prev)
    }

    /// Acts on an appeal (dispatch, resolve, return, …), as this device's account (its role
    /// when signed in): checked with the rules the server applies, and recorded as one ledger entry saying who
    /// did what and why, which moves the appeal as it is applied. The server has the last word
    /// on the entry's author, statuses and place in the ledger.
    pub fn act_on_appeal(
        &mut self,
        appeal_id: Uuid,
        action: Action,
        author: &str,
        note: Option<&str>,
    ) -> Result<Appeal> {
        let before: Appeal = self.get_live(appeal_id, "appeal_id")?;
        let to = desk_core::appeal::check(&before, &action, self.role)?;
        if let Some(department_id) = action.department_id() {
            self.require_live(Entity::Department, department_id, "department_id")?;
        }
        let note = note
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
            .unwrap_or_else(|| {
                format!(
                    "{}：{} → {}",
                    action.label_zh(),
                    before.status.label_zh(),
                    to.label_zh()
                )
            });
        let mut entry = Progress::note(appeal_id, self.now, author, &note);
        entry.from_status = Some(before.status);
        entry.to_status = Some(to);
        action.record_in(&mut entry);
        self.create(entry)?;
        self.get_live(appeal_id, "appeal_id")
    }

    /// Sets one field of a record to `value` (resolving a conflict, say), checked like any
    /// change and recorded with the stamp it replaces.
    pub fn set_field(&mut self, entity: Entity, id: Uuid, field: &str, value: Value) -> Result<()> {
        let mut fields = self.require_live(entity, id, "id")?;
        fields.shift_remove("id");
        let name = entity
            .field(field)
            .ok_or_else(|| ValidationError::Invalid {
                field: "field",
                value: field.into(),
                expected: format!("a field of {}", entity.name_en()),
            })?
            .name;
        if fields.get(name) == Some(&value) {
            return Ok(());
        }
        fields.insert(name.into(), value.clone());
        let refs = desk_core::model::check_fields(entity, id, &fields)?;
        for (f, e, rid) in refs {
            self.require_live(e, rid, f)?;
        }
        let prev = [(name.to_owned(), self.clocks_of(entity, id)?.of(name))].into();
        let mut change = Map::new();
        change.insert(name.into(), value);
        self.emit(entity, id, change, prev)
    }

    /// Writes some fields again with the values they hold here, as a new change (to push again
    /// what the server refused once).
    pub fn restate(&mut self, entity: Entity, id: Uuid, names: &[String]) -> Result<()> {
        let row = self.require_live(entity, id, "id")?;
        let clocks = self.clocks_of(entity, id)?;
        let mut fields = Map::new();
        let mut prev = BTreeMap::new();
        for name in names {
            if let Some(v) = row.get(name).filter(|_| entity.field(name).is_some()) {
                fields.insert(name.clone(), v.clone());
                prev.insert(name.clone(), clocks.of(name));
            }
        }
        if fields.is_empty() {
            return Ok(());
        }
        self.emit(entity, id, fields, prev)
    }

    /// Reads a record that exists and is not void, or says which field pointed at it.
    pub fn get_live<R: Record>(&self, id: Uuid, field: &'static str) -> Result<R> {
        crate::query::typed(self.require_live(R::ENTITY, id, field)?)
    }

    fn require_live(
        &self,
        entity: Entity,
        id: Uuid,
        field: &'static str,
    ) -> Result<Map<String, Value>> {
        let sql = format!(
            "SELECT {} FROM {} WHERE id = ?1",
            select_list(entity),
            entity.table()
        );
        let row = self
            .conn
            .prepare_cached(&sql)?
            .query_row([id.to_string()], |r| Ok(row_to_json(entity, r)))
            .optional()?
            .transpose()?;
        let Some(row) = row else {
            return Err(ValidationError::NotFound {
                field,
                entity: entity.name_en(),
                entity_zh: entity.name_zh(),
                id: id.to_string(),
            }
            .into());
        };
        if row.get("void_reason").is_some_and(|v| !v.is_null()) {
            return Err(ValidationError::Voided {
                field,
                entity: entity.name_en(),
                entity_zh: entity.name_zh(),
                id: id.to_string(),
            }
            .into());
        }
        Ok(row)
    }

    fn check_references<R: Record>(&self, record: &R) -> Result<()> {
        for (field, entity, id) in record.references() {
            self.require_live(entity, id, field)?;
        }
        Ok(())
    }

    /// Names of parks and departments, and credit codes of sites, identify them to people:
    /// two live records may not share one.
    fn check_unique<R: Record>(&self, record: &R) -> Result<()> {
        let field = match R::ENTITY {
            Entity::Park | Entity::Department => "name",
            Entity::Site => "credit_code",
            _ => return Ok(()),
        };
        let fields = record.to_fields();
        let Some(Value::String(value)) = fields.get(field) else {
            return Ok(());
        };
        let sql = format!(
            "SELECT 1 FROM {} WHERE {field} = ?1 AND id <> ?2 AND void_reason IS NULL",
            R::ENTITY.table()
        );
        let taken = self
            .conn
            .prepare_cached(&sql)?
            .query_row([value.as_str(), &record.id().to_string()], |_| Ok(()))
            .optional()?
            .is_some();
        if taken {
            return Err(ValidationError::Duplicate {
                field,
                value: value.clone(),
            }
            .into());
        }
        Ok(())
    }

    fn check_appeal_deadline<R: Record>(&self, record: &R) -> Result<()> {
        if let Some((appeal_id, deadline)) = record.appeal_deadline() {
            let appeal: Appeal = self.get_live(appeal_id, "appeal_id")?;
            check_deadline("deadline", deadline, appeal.raised_at)?;
        }
        Ok(())
    }

    /// The stamps of a record's fields as this replica holds them.
    fn clocks_of(&self, entity: Entity, id: Uuid) -> Result<FieldClocks> {
        let (base, fields): (String, String) = self
            .conn
            .prepare_cached(&format!(
                "SELECT _hlc, _clocks FROM {} WHERE id = ?1",
                entity.table()
            ))?
            .query_row([id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?;
        FieldClocks::from_columns(&base, &fields).ok_or(crate::StoreError::Corrupt("_clocks"))
    }

    fn emit(
        &mut self,
        entity: Entity,
        record_id: Uuid,
        fields: Map<String, Value>,
        prev: BTreeMap<String, Hlc>,
    ) -> Result<()> {
        let hlc = self.clock.tick(self.now.timestamp_millis().max(0) as u64);
        let op = Op {
            id: Uuid::now_v7(),
            entity,
            record_id,
            fields,
            hlc,
            prev,
        };
        record_and_apply(self.conn, &op, Some(&self.written))?;
        Ok(())
    }
}
