//! Sync operations: the unit every write is recorded as, and that devices and the server
//! exchange.
//!
//! An operation sets some fields of one record, all stamped with one [`Hlc`]. Replicas merge
//! field by field: the later stamp wins, so edits of different fields of one record both
//! survive and edits of the same field resolve the same way everywhere. The first operation on
//! a record carries all of its fields; later ones carry only what changed.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::Hlc;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    Park,
    Department,
    Site,
    Session,
    Stop,
    Visit,
    Appeal,
    Resolution,
    Progress,
    Consultation,
    Suggestion,
    CalendarYear,
    PolicyIssue,
    TimeLimits,
    Order,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    Int,
    Bool,
    /// A list or object, kept as JSON text in SQL columns.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub kind: FieldKind,
}

const fn text(name: &'static str) -> Field {
    Field {
        name,
        kind: FieldKind::Text,
    }
}
const fn int(name: &'static str) -> Field {
    Field {
        name,
        kind: FieldKind::Int,
    }
}
const fn boolean(name: &'static str) -> Field {
    Field {
        name,
        kind: FieldKind::Bool,
    }
}
const fn json(name: &'static str) -> Field {
    Field {
        name,
        kind: FieldKind::Json,
    }
}

/// Every record can be voided (作废) with a reason; records are never erased.
const VOID: Field = text("void_reason");

const PARK: &[Field] = &[text("name"), VOID];
const DEPARTMENT: &[Field] = &[text("name"), text("level"), VOID];
const SITE: &[Field] = &[
    text("kind"),
    text("name"),
    text("credit_code"),
    text("park_id"),
    text("address"),
    text("industry"),
    text("contact"),
    text("phone"),
    VOID,
];
const SESSION: &[Field] = &[
    text("date"),
    text("leader"),
    json("participants"),
    json("desk_types"),
    text("origin"),
    text("status"),
    text("summary"),
    VOID,
];
const STOP: &[Field] = &[
    text("session_id"),
    int("position"),
    text("site_id"),
    text("slot_start"),
    text("slot_end"),
    VOID,
];
const VISIT: &[Field] = &[
    text("session_id"),
    text("site_id"),
    text("started_at"),
    text("ended_at"),
    json("officials"),
    json("enterprise_attendees"),
    text("production_status"),
    int("monthly_output_yuan"),
    text("notes"),
    text("receipt_hash"),
    boolean("receipt_revoked"),
    json("location"),
    json("signature"),
    VOID,
];
const APPEAL: &[Field] = &[
    text("site_id"),
    text("visit_id"),
    text("raised_at"),
    text("channel"),
    text("category"),
    text("description"),
    text("urgency"),
    text("status"),
    text("department_id"),
    text("deadline"),
    text("resolved_at"),
    int("satisfaction"),
    text("ledger_head"),
    text("policy_issue_id"),
    VOID,
];
const RESOLUTION: &[Field] = &[
    text("appeal_id"),
    text("action"),
    text("lead_department_id"),
    json("co_department_ids"),
    text("deadline"),
    text("commitment"),
    VOID,
];
const PROGRESS: &[Field] = &[
    text("appeal_id"),
    text("at"),
    text("author"),
    text("note"),
    text("from_status"),
    text("to_status"),
    text("reason"),
    text("action"),
    text("department_id"),
    text("deadline"),
    int("satisfaction"),
    text("rated_by"),
    text("device_id"),
    int("position"),
    text("prev_hash"),
    text("hash"),
];
const CONSULTATION: &[Field] = &[
    text("site_id"),
    text("visit_id"),
    text("at"),
    text("topic"),
    text("question"),
    text("answer"),
    VOID,
];
/// A year of holidays and make-up working days, as the server publishes it to every device.
const CALENDAR_YEAR: &[Field] = &[int("year"), text("days"), VOID];
const SUGGESTION: &[Field] = &[
    text("site_id"),
    text("visit_id"),
    text("at"),
    text("content"),
    boolean("adopted"),
    VOID,
];

/// A problem many enterprises share (议事桌), with the appeals it gathers pointing at it.
const POLICY_ISSUE: &[Field] = &[
    text("title"),
    text("description"),
    text("category"),
    text("status"),
    text("conclusion"),
    VOID,
];
/// The zone's time limits, in working days (one record, the admin's to set).
const TIME_LIMITS: &[Field] = &[int("response_days"), int("handling_days"), VOID];
const ORDER: &[Field] = &[
    text("site_id"),
    text("placed_at"),
    text("topic"),
    text("wishes"),
    json("windows"),
    text("stop_id"),
    VOID,
];

impl Entity {
    pub const ALL: [Entity; 15] = [
        Entity::Park,
        Entity::Department,
        Entity::Site,
        Entity::Session,
        Entity::Stop,
        Entity::Visit,
        Entity::Appeal,
        Entity::Resolution,
        Entity::Progress,
        Entity::Consultation,
        Entity::Suggestion,
        Entity::CalendarYear,
        Entity::PolicyIssue,
        Entity::TimeLimits,
        Entity::Order,
    ];

    /// The SQL table holding the current state of this entity, on devices and on the server.
    pub fn table(self) -> &'static str {
        match self {
            Entity::Park => "parks",
            Entity::Department => "departments",
            Entity::Site => "sites",
            Entity::Session => "sessions",
            Entity::Stop => "stops",
            Entity::Visit => "visits",
            Entity::Appeal => "appeals",
            Entity::Resolution => "resolutions",
            Entity::Progress => "progress_updates",
            Entity::Consultation => "consultations",
            Entity::Suggestion => "suggestions",
            Entity::CalendarYear => "calendar_years",
            Entity::PolicyIssue => "policy_issues",
            Entity::TimeLimits => "time_limits",
            Entity::Order => "orders",
        }
    }

    /// The synced fields, besides `id`. Column names in SQL are exactly these.
    pub fn fields(self) -> &'static [Field] {
        match self {
            Entity::Park => PARK,
            Entity::Department => DEPARTMENT,
            Entity::Site => SITE,
            Entity::Session => SESSION,
            Entity::Stop => STOP,
            Entity::Visit => VISIT,
            Entity::Appeal => APPEAL,
            Entity::Resolution => RESOLUTION,
            Entity::Progress => PROGRESS,
            Entity::Consultation => CONSULTATION,
            Entity::Suggestion => SUGGESTION,
            Entity::CalendarYear => CALENDAR_YEAR,
            Entity::PolicyIssue => POLICY_ISSUE,
            Entity::TimeLimits => TIME_LIMITS,
            Entity::Order => ORDER,
        }
    }

    pub fn field(self, name: &str) -> Option<Field> {
        self.fields().iter().copied().find(|f| f.name == name)
    }

    /// Progress updates are a ledger: written once, never edited, so they never conflict.
    pub fn append_only(self) -> bool {
        self == Entity::Progress
    }

    /// The record's name in the users' words, for messages.
    pub fn name_zh(self) -> &'static str {
        match self {
            Entity::Park => "园区",
            Entity::Department => "责任单位",
            Entity::Site => "企业/项目",
            Entity::Session => "流动办公桌活动",
            Entity::Stop => "走访站点",
            Entity::Visit => "走访记录",
            Entity::Appeal => "诉求",
            Entity::Resolution => "现场决议",
            Entity::Progress => "办理进展",
            Entity::Consultation => "咨询",
            Entity::Suggestion => "金点子",
            Entity::CalendarYear => "节假日安排",
            Entity::PolicyIssue => "议题",
            Entity::TimeLimits => "办理时限",
            Entity::Order => "企业点单",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Entity::Park => "park",
            Entity::Department => "department",
            Entity::Site => "site",
            Entity::Session => "session",
            Entity::Stop => "stop",
            Entity::Visit => "visit",
            Entity::Appeal => "appeal",
            Entity::Resolution => "resolution",
            Entity::Progress => "progress update",
            Entity::Consultation => "consultation",
            Entity::Suggestion => "suggestion",
            Entity::CalendarYear => "calendar year",
            Entity::PolicyIssue => "policy issue",
            Entity::TimeLimits => "time limits",
            Entity::Order => "order",
        }
    }
}

/// One recorded write: some fields of one record, stamped by the writing device's clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Op {
    /// Made on the device; the server accepts an operation once by this id.
    pub id: Uuid,
    pub entity: Entity,
    pub record_id: Uuid,
    /// Field name to new value; names are those of [`Entity::fields`].
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub fields: Map<String, Value>,
    /// When and where it was written; `hlc.node` is the writing device. Text form:
    /// `wall-ms(13 hex)-counter(8 hex)-node(32 hex)`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub hlc: Hlc,
    /// For each field changed, the stamp of the value this write replaced (absent for a
    /// create). Two writes of a field that replaced the same value were made without seeing
    /// each other: the later wins, and the replica keeps the other in its conflict log.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, String>))]
    pub prev: std::collections::BTreeMap<String, Hlc>,
}

impl Op {
    pub fn device(&self) -> Uuid {
        self.hlc.node
    }

    /// Checks that every field exists for the entity and has a value of its kind.
    pub fn check_shape(&self) -> Result<(), crate::ValidationError> {
        for (name, value) in &self.fields {
            let field = self
                .entity
                .field(name)
                .ok_or_else(|| crate::ValidationError::Invalid {
                    field: "fields",
                    value: name.clone(),
                    expected: format!("a field of {}", self.entity.name_en()),
                })?;
            // PostgreSQL text cannot hold NUL, and no person types one.
            if value.as_str().is_some_and(|t| t.contains('\0')) {
                return Err(crate::ValidationError::Invalid {
                    field: field.name,
                    value: value.to_string(),
                    expected: "text without NUL characters".into(),
                });
            }
            let fits = match (field.kind, value) {
                (_, Value::Null) => true,
                (FieldKind::Text, Value::String(_)) => true,
                (FieldKind::Int, Value::Number(n)) => n.is_i64(),
                (FieldKind::Bool, Value::Bool(_)) => true,
                (FieldKind::Json, Value::Array(_) | Value::Object(_)) => true,
                _ => false,
            };
            if !fits {
                return Err(crate::ValidationError::Invalid {
                    field: field.name,
                    value: value.to_string(),
                    expected: format!("{:?}", field.kind).to_lowercase(),
                });
            }
        }
        Ok(())
    }
}

/// The merge rule for one field: does a write stamped `incoming` replace the value last written
/// at `current`? Later stamps win; equal stamps are the same write seen twice.
pub fn wins(incoming: &Hlc, current: Option<&Hlc>) -> bool {
    current.is_none_or(|c| incoming > c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(wall_ms: u64, node: u128) -> Hlc {
        Hlc {
            wall_ms,
            counter: 0,
            node: Uuid::from_u128(node),
        }
    }

    #[test]
    fn later_stamp_wins_and_ties_break_by_node() {
        assert!(wins(&stamp(2, 1), Some(&stamp(1, 9))));
        assert!(!wins(&stamp(1, 9), Some(&stamp(2, 1))));
        assert!(wins(&stamp(1, 2), Some(&stamp(1, 1))));
        assert!(
            !wins(&stamp(1, 1), Some(&stamp(1, 1))),
            "a replay changes nothing"
        );
        assert!(wins(&stamp(1, 1), None));
    }

    #[test]
    fn field_names_are_unique_per_entity() {
        for e in Entity::ALL {
            let mut names: Vec<_> = e.fields().iter().map(|f| f.name).collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), e.fields().len(), "{e:?}");
        }
    }

    #[test]
    fn shape_check_names_the_unknown_or_mistyped_field() {
        let mut op = Op {
            id: Uuid::from_u128(1),
            entity: Entity::Appeal,
            record_id: Uuid::from_u128(2),
            fields: Map::new(),
            hlc: stamp(1, 1),
            prev: Default::default(),
        };
        op.fields.insert("satisfaction".into(), Value::from("five"));
        assert_eq!(op.check_shape().unwrap_err().field(), "satisfaction");
        op.fields.clear();
        op.fields.insert("password".into(), Value::from("x"));
        let err = op.check_shape().unwrap_err();
        assert_eq!(err.field(), "fields");
        assert!(err.to_string().contains("password"));
    }
}
