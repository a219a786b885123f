//! Field-level merging, shared by every replica: devices, and the server on either database.
//!
//! A record keeps one stamp per field: the stamp of its create for every field (`base`), unless a
//! later write set the field's own. A write of a field wins when its stamp is later than the
//! field's ([`crate::op::wins`]), so edits of different fields both survive, edits of one field
//! resolve the same way everywhere, and a write seen twice changes nothing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::op::wins;
use crate::{Entity, Hlc, Op};

/// The stamps of one record's fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FieldClocks {
    /// Every field's stamp unless `fields` names it.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub base: Hlc,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, String>))]
    pub fields: BTreeMap<String, Hlc>,
}

impl FieldClocks {
    /// All fields written by one operation.
    pub fn all(stamp: Hlc) -> Self {
        FieldClocks {
            base: stamp,
            fields: BTreeMap::new(),
        }
    }

    /// No field written yet: every stamp beats it.
    pub fn unwritten() -> Self {
        Self::all(Hlc::zero(Uuid::nil()))
    }

    pub fn of(&self, field: &str) -> Hlc {
        self.fields.get(field).copied().unwrap_or(self.base)
    }

    /// Applies writes of (field, value, stamp); returns the fields whose value changes.
    pub fn merge<'a>(
        &mut self,
        writes: impl IntoIterator<Item = (&'a str, &'a Value, Hlc)>,
    ) -> Vec<(&'a str, &'a Value)> {
        let mut won = Vec::new();
        for (field, value, stamp) in writes {
            if wins(&stamp, Some(&self.of(field))) {
                self.fields.insert(field.to_owned(), stamp);
                won.push((field, value));
            }
        }
        won
    }

    /// The `_clocks` column: fields whose stamp differs from `base`.
    pub fn fields_json(&self) -> String {
        serde_json::to_string(&self.fields).expect("stamps serialise")
    }

    pub fn from_columns(base: &str, fields: &str) -> Option<Self> {
        Some(FieldClocks {
            base: base.parse().ok()?,
            fields: serde_json::from_str(fields).ok()?,
        })
    }
}

/// A record as it stands, with the stamps of its fields: what a new device receives instead of
/// the record's whole history, and what the server sends when a record enters a device's scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    pub entity: Entity,
    pub record_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub fields: Map<String, Value>,
    pub clocks: FieldClocks,
}

impl Snapshot {
    /// Each field with the stamp it was written at.
    pub fn writes(&self) -> impl Iterator<Item = (&str, &Value, Hlc)> {
        self.fields
            .iter()
            .map(|(k, v)| (k.as_str(), v, self.clocks.of(k)))
    }
}

impl Op {
    /// Each field with the operation's stamp.
    pub fn writes(&self) -> impl Iterator<Item = (&str, &Value, Hlc)> {
        self.fields.iter().map(|(k, v)| (k.as_str(), v, self.hlc))
    }

    /// Carries every field of its entity (as a create does).
    pub fn is_complete(&self) -> bool {
        self.entity
            .fields()
            .iter()
            .all(|f| self.fields.contains_key(f.name))
    }
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
    fn different_fields_both_survive_and_the_same_field_has_one_winner() {
        let (a, b) = (Value::from("甲"), Value::from("乙"));
        // Two replicas receive the same two writes in opposite orders.
        let mut one = FieldClocks::all(stamp(1, 0));
        let mut two = one.clone();
        let w1 = [("phone", &a, stamp(5, 1)), ("address", &a, stamp(5, 1))];
        let w2 = [("phone", &b, stamp(5, 2))];
        let mut got_one = one.merge(w1);
        got_one.extend(one.merge(w2));
        let mut got_two = two.merge(w2);
        got_two.extend(two.merge(w1));
        assert_eq!(one, two);
        assert_eq!(one.of("phone"), stamp(5, 2));
        assert_eq!(got_one.last(), Some(&("phone", &b)));
        assert!(!got_two.contains(&("phone", &a)), "the earlier write loses");
        assert!(got_two.contains(&("address", &a)));
    }

    #[test]
    fn a_write_seen_twice_changes_nothing() {
        let v = Value::from(1);
        let mut c = FieldClocks::unwritten();
        assert_eq!(c.merge([("x", &v, stamp(3, 1))]).len(), 1);
        assert!(c.merge([("x", &v, stamp(3, 1))]).is_empty());
    }

    #[test]
    fn columns_round_trip() {
        let mut c = FieldClocks::all(stamp(1, 1));
        c.merge([("x", &Value::Null, stamp(2, 2))]);
        let back = FieldClocks::from_columns(&c.base.to_string(), &c.fields_json()).unwrap();
        assert_eq!(back, c);
    }
}
