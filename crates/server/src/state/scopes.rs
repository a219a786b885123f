//! Who may see each record, kept per record (`scopes`, `scope_departments`) and recomputed
//! when a write can change it: an appeal's audience is its site's park, the department it was
//! dispatched to and every department a live resolution names; its resolutions and ledger
//! share it; a site is seen by the departments of its appeals; what was recorded at a site
//! follows the site's park. A record whose audience grew is sent whole to those who gained it;
//! one whose audience shrank is said to have left those who lost it.

use std::collections::{BTreeSet, HashMap};

use desk_core::Entity;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::records::{field_of, read_record};
use super::{text, uuid, Result};
use crate::db::{Sql, SqlValue, IDS_PER_STATEMENT};
use crate::error::ApiError;
use crate::scope::RecordScope;

/// A record's stored scope, and who created it.
pub(crate) fn read_scope(
    sql: &mut dyn Sql,
    entity: Entity,
    id: &str,
) -> Result<Option<(RecordScope, Option<Uuid>)>> {
    let id: Uuid = id
        .parse()
        .map_err(|_| ApiError::internal("a record id is not a UUID"))?;
    Ok(read_scopes(sql, entity, &[id])?.remove(&id))
}

/// The stored scopes of many records of one kind, and who created each, with a statement or
/// two per [`IDS_PER_STATEMENT`] ids; a record without one is left out.
pub(crate) fn read_scopes(
    sql: &mut dyn Sql,
    entity: Entity,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, (RecordScope, Option<Uuid>)>> {
    let mut found = HashMap::new();
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let mut params: Vec<SqlValue> = vec![entity.table().into()];
        params.extend(chunk.iter().map(|id| id.to_string().into()));
        let ids: Vec<String> = (2..chunk.len() + 2).map(|i| format!("${i}")).collect();
        let within = format!("entity = $1 AND record_id IN ({})", ids.join(", "));
        for row in sql.rows(
            &format!("SELECT record_id, public, park_id, owner_id FROM scopes WHERE {within}"),
            &params,
        )? {
            let scope = RecordScope {
                public: row.int("public") == Some(1),
                park: row.text("park_id").and_then(|s| s.parse().ok()),
                departments: BTreeSet::new(),
            };
            let owner = row.text("owner_id").and_then(|s| s.parse().ok());
            found.insert(uuid(row.get("record_id"))?, (scope, owner));
        }
        for row in sql.rows(
            &format!("SELECT record_id, department_id FROM scope_departments WHERE {within}"),
            &params,
        )? {
            if let Some((scope, _)) = found.get_mut(&uuid(row.get("record_id"))?) {
                scope.departments.insert(uuid(row.get("department_id"))?);
            }
        }
    }
    Ok(found)
}

/// A record whose audience changed.
#[derive(Debug, Clone)]
pub(crate) struct Moved {
    pub entity: Entity,
    pub id: String,
    /// Someone who could not see it before can now: the log must carry it whole.
    pub grew: bool,
    /// Its audience before, when someone who could see it can no longer.
    pub shrank_from: Option<RecordScope>,
    pub now: RecordScope,
}

/// Stores a record's scope; says how its audience changed.
fn write_scope(
    sql: &mut dyn Sql,
    entity: Entity,
    id: &str,
    scope: &RecordScope,
) -> Result<Option<Moved>> {
    let old = read_scope(sql, entity, id)?.map(|(s, _)| s);
    if old.as_ref() == Some(scope) {
        return Ok(None);
    }
    let Some(old) = old else {
        insert_scope(sql, entity, id, scope, None)?;
        return Ok(None);
    };
    sql.exec(
        "UPDATE scopes SET public = $3, park_id = $4 WHERE entity = $1 AND record_id = $2",
        &[
            entity.table().into(),
            id.into(),
            (scope.public as i64).into(),
            scope.park.map(|p| p.to_string()).into(),
        ],
    )?;
    sql.exec(
        "DELETE FROM scope_departments WHERE entity = $1 AND record_id = $2",
        &[entity.table().into(), id.into()],
    )?;
    insert_departments(sql, entity, id, scope)?;
    Ok(Some(Moved {
        entity,
        id: id.to_owned(),
        grew: scope.grew_from(&old),
        shrank_from: scope.shrank_from(&old).then_some(old),
        now: scope.clone(),
    }))
}

/// The scope of a record that has none yet, and who created it.
pub(crate) fn insert_scope(
    sql: &mut dyn Sql,
    entity: Entity,
    id: &str,
    scope: &RecordScope,
    owner: Option<Uuid>,
) -> Result<()> {
    sql.insert(
        "scopes",
        "entity, record_id, public, park_id, owner_id",
        vec![
            entity.table().into(),
            id.into(),
            (scope.public as i64).into(),
            scope.park.map(|p| p.to_string()).into(),
            owner.map(|o| o.to_string()).into(),
        ],
    )?;
    insert_departments(sql, entity, id, scope)
}

fn insert_departments(
    sql: &mut dyn Sql,
    entity: Entity,
    id: &str,
    scope: &RecordScope,
) -> Result<()> {
    for d in &scope.departments {
        sql.insert(
            "scope_departments",
            "entity, record_id, department_id",
            vec![entity.table().into(), id.into(), d.to_string().into()],
        )?;
    }
    Ok(())
}

pub(crate) fn str_field<'a>(fields: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    fields.get(name).and_then(Value::as_str)
}

fn park_of_site(sql: &mut dyn Sql, site_id: Option<&str>) -> Result<Option<Uuid>> {
    let Some(site) = site_id else { return Ok(None) };
    Ok(field_of(sql, Entity::Site, site, "park_id")?.and_then(|p| p.parse::<Uuid>().ok()))
}

/// The departments of an appeal's live resolutions.
fn resolution_departments(sql: &mut dyn Sql, appeal_id: &str) -> Result<BTreeSet<Uuid>> {
    let mut departments = BTreeSet::new();
    for r in sql.rows(
        "SELECT lead_department_id, co_department_ids FROM resolutions WHERE appeal_id = $1 AND void_reason IS NULL",
        &[appeal_id.into()],
    )? {
        departments.extend(r.text("lead_department_id").and_then(|d| d.parse::<Uuid>().ok()));
        if let Some(co) = r.text("co_department_ids") {
            departments.extend(serde_json::from_str::<Vec<Uuid>>(co).unwrap_or_default());
        }
    }
    Ok(departments)
}

/// An appeal's audience: its site's park, the department it was dispatched to, and every
/// department a live resolution names.
fn appeal_scope(sql: &mut dyn Sql, appeal_id: &str) -> Result<RecordScope> {
    let Some(appeal) = read_record(
        sql,
        Entity::Appeal,
        appeal_id
            .parse()
            .map_err(|_| ApiError::internal("appeal id"))?,
    )?
    else {
        return Ok(RecordScope::default());
    };
    let park = park_of_site(sql, str_field(&appeal.fields, "site_id"))?;
    let mut s = own_scope(Entity::Appeal, &appeal.fields, park);
    s.departments
        .extend(resolution_departments(sql, appeal_id)?);
    Ok(s)
}

/// The part of a record's scope its own fields decide, given its site's park (`site_park`,
/// for the kinds recorded at a site). It is the whole scope of a record that nothing stored
/// refers to yet, as a new one: what a site's appeals or an appeal's resolutions add comes on
/// top ([`scope_for`]), and a resolution or a ledger entry takes its appeal's.
pub(crate) fn own_scope(
    entity: Entity,
    fields: &Map<String, Value>,
    site_park: Option<Uuid>,
) -> RecordScope {
    let id_field = |name: &str| str_field(fields, name).and_then(|d| d.parse::<Uuid>().ok());
    match entity {
        Entity::Park | Entity::Department | Entity::CalendarYear | Entity::TimeLimits => {
            RecordScope::public()
        }
        Entity::Session | Entity::PolicyIssue | Entity::Resolution | Entity::Progress => {
            RecordScope::default()
        }
        Entity::Site => RecordScope {
            park: id_field("park_id"),
            ..Default::default()
        },
        Entity::Stop
        | Entity::Visit
        | Entity::Consultation
        | Entity::Suggestion
        | Entity::Order => RecordScope {
            park: site_park,
            ..Default::default()
        },
        Entity::Appeal => RecordScope {
            public: false,
            park: site_park,
            departments: id_field("department_id").into_iter().collect(),
        },
    }
}

/// Whether [`own_scope`] is the whole scope of a new record of this kind.
pub(crate) fn scoped_by_own_fields(entity: Entity) -> bool {
    !matches!(entity, Entity::Resolution | Entity::Progress)
}

/// The scope a record would have with these fields.
pub(crate) fn scope_for(
    sql: &mut dyn Sql,
    entity: Entity,
    id: &str,
    fields: &Map<String, Value>,
) -> Result<RecordScope> {
    let park = park_of_site(sql, str_field(fields, "site_id"))?;
    let mut s = own_scope(entity, fields, park);
    match entity {
        Entity::Site => s.departments.extend(
            sql.rows(
                "SELECT DISTINCT d.department_id FROM appeals a
                 JOIN scope_departments d ON d.entity = 'appeals' AND d.record_id = a.id
                 WHERE a.site_id = $1",
                &[id.into()],
            )?
            .iter()
            .map(|r| uuid(r.get("department_id")))
            .collect::<Result<Vec<_>>>()?,
        ),
        Entity::Appeal => s.departments.extend(resolution_departments(sql, id)?),
        Entity::Resolution | Entity::Progress => {
            let appeal = str_field(fields, "appeal_id").unwrap_or_default();
            s = appeal_scope(sql, appeal)?;
            if entity == Entity::Resolution && fields.get("void_reason").is_none_or(Value::is_null)
            {
                s.departments.extend(
                    str_field(fields, "lead_department_id").and_then(|d| d.parse::<Uuid>().ok()),
                );
                if let Some(Value::Array(co)) = fields.get("co_department_ids") {
                    s.departments
                        .extend(co.iter().filter_map(|d| d.as_str()?.parse::<Uuid>().ok()));
                }
            }
        }
        _ => {}
    }
    Ok(s)
}

/// Recomputes and stores the scopes a write to `entity`/`id` may have changed (a new record's
/// is stored with its owner); returns the records whose audience changed.
pub(crate) fn rescope(
    sql: &mut dyn Sql,
    entity: Entity,
    id: &str,
    fields: &Map<String, Value>,
    scope: &RecordScope,
) -> Result<Vec<Moved>> {
    let mut moved = Vec::new();
    moved.extend(write_scope(sql, entity, id, scope)?);
    let appeal = match entity {
        Entity::Appeal => Some(id.to_owned()),
        Entity::Resolution | Entity::Progress => str_field(fields, "appeal_id").map(str::to_owned),
        _ => None,
    };
    if let Some(appeal) = appeal {
        moved.extend(rescope_appeal_family(sql, &appeal)?);
    }
    if entity == Entity::Site {
        // The site's park decides the audience of everything recorded about it.
        for dependent in [
            Entity::Stop,
            Entity::Visit,
            Entity::Consultation,
            Entity::Suggestion,
            Entity::Appeal,
        ] {
            let q = format!("SELECT id FROM {} WHERE site_id = $1", dependent.table());
            for r in sql.rows(&q, &[id.into()])? {
                let rid = text(r.get("id")).to_owned();
                if dependent == Entity::Appeal {
                    moved.extend(rescope_appeal_family(sql, &rid)?);
                } else {
                    let s = RecordScope {
                        park: scope.park,
                        ..Default::default()
                    };
                    moved.extend(write_scope(sql, dependent, &rid, &s)?);
                }
            }
        }
    }
    Ok(moved)
}

fn rescope_appeal_family(sql: &mut dyn Sql, appeal: &str) -> Result<Vec<Moved>> {
    let mut moved = Vec::new();
    let scope = appeal_scope(sql, appeal)?;
    moved.extend(write_scope(sql, Entity::Appeal, appeal, &scope)?);
    for child in [Entity::Resolution, Entity::Progress] {
        let q = format!("SELECT id FROM {} WHERE appeal_id = $1", child.table());
        for r in sql.rows(&q, &[appeal.into()])? {
            let rid = text(r.get("id")).to_owned();
            moved.extend(write_scope(sql, child, &rid, &scope)?);
        }
    }
    if let Some(site) = field_of(sql, Entity::Appeal, appeal, "site_id")? {
        if let Some(s) = read_record(
            sql,
            Entity::Site,
            site.parse().map_err(|_| ApiError::internal("site id"))?,
        )? {
            let scope = scope_for(sql, Entity::Site, &site, &s.fields)?;
            moved.extend(write_scope(sql, Entity::Site, &site, &scope)?);
        }
    }
    Ok(moved)
}
