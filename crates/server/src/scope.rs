//! Who may see and change what. Pure rules; the records' scopes are kept in the `scopes` and
//! `scope_departments` tables by `state`.
//!
//! - admin, leader: the whole zone (parks and departments, the reference data, only admin);
//! - officer: the records of their parks, and zone-wide records that belong to no park
//!   (sessions, sites without a park);
//! - department: appeals dispatched to it or naming it in a resolution, with their resolutions
//!   and progress updates and the sites they concern; it may add progress updates and act on
//!   those appeals.
//!
//! Parks and departments are public: every device needs their names.

use std::collections::BTreeSet;

use desk_core::Entity;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Leader,
    Officer,
    Department,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Leader => "leader",
            Role::Officer => "officer",
            Role::Department => "department",
        }
    }
}

/// The signed-in user and device behind a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: Uuid,
    pub user_name: String,
    pub role: Role,
    pub parks: Vec<Uuid>,
    pub departments: Vec<Uuid>,
    pub device_id: Option<Uuid>,
}

/// Who may see one record.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecordScope {
    pub public: bool,
    pub park: Option<Uuid>,
    pub departments: BTreeSet<Uuid>,
}

impl RecordScope {
    pub fn public() -> Self {
        RecordScope {
            public: true,
            ..Default::default()
        }
    }

    /// Someone who could not see the record under `old` can see it now.
    pub fn grew_from(&self, old: &RecordScope) -> bool {
        (self.public && !old.public)
            || self.park != old.park
            || !self.departments.is_subset(&old.departments)
    }
}

impl Caller {
    /// A short name for what this account may see; it changes when the role, parks or
    /// departments do.
    pub fn scope_fingerprint(&self) -> String {
        let mut parks = self.parks.clone();
        let mut departments = self.departments.clone();
        parks.sort();
        departments.sort();
        let text = format!("{}|{parks:?}|{departments:?}", self.role.as_str());
        // FNV-1a: stable across builds and platforms, unlike the std hasher.
        let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
        });
        format!("{}-{hash:016x}", self.role.as_str())
    }

    pub fn sees(&self, s: &RecordScope) -> bool {
        match self.role {
            Role::Admin | Role::Leader => true,
            Role::Officer => s.public || s.park.is_none_or(|p| self.parks.contains(&p)),
            Role::Department => {
                s.public || self.departments.iter().any(|d| s.departments.contains(d))
            }
        }
    }

    /// The SQL condition, over `scopes s`, for records this caller sees; `user` is the
    /// placeholder bound to the caller's user id.
    pub fn visibility_sql(&self, user: &str) -> String {
        match self.role {
            // Still names the placeholder: PostgreSQL must see every parameter to type it.
            Role::Admin | Role::Leader => format!("CAST({user} AS TEXT) IS NOT NULL"),
            Role::Officer => format!(
                "(s.public = 1 OR s.park_id IS NULL
                  OR s.park_id IN (SELECT park_id FROM user_parks WHERE user_id = {user}))"
            ),
            Role::Department => format!(
                "(s.public = 1 OR EXISTS (SELECT 1 FROM scope_departments d
                  JOIN user_departments u ON u.department_id = d.department_id
                  WHERE d.entity = s.entity AND d.record_id = s.record_id AND u.user_id = {user}))"
            ),
        }
    }

    /// Departments handle appeals: they move them along (status, deadline, hand-over) and leave
    /// what the enterprise said, and its rating, alone.
    pub fn may_change_field(&self, entity: Entity, field: &str) -> bool {
        self.role != Role::Department
            || entity != Entity::Appeal
            || matches!(
                field,
                "status" | "department_id" | "deadline" | "resolved_at"
            )
    }

    /// May this caller write `entity` whose scope is `before` (None: a new record) and will be
    /// `after`? The error is the reason given back for the operation.
    pub fn may_write(
        &self,
        entity: Entity,
        before: Option<&RecordScope>,
        after: &RecordScope,
    ) -> Result<(), String> {
        let reference_data = matches!(entity, Entity::Park | Entity::Department);
        let allowed = match self.role {
            Role::Admin => true,
            Role::Leader => !reference_data,
            Role::Officer => {
                !reference_data && self.sees(after) && before.is_none_or(|b| self.sees(b))
            }
            Role::Department => match (entity, before) {
                (Entity::Progress, None) => self.sees(after),
                (Entity::Appeal, Some(b)) => self.sees(b),
                _ => false,
            },
        };
        if allowed {
            Ok(())
        } else {
            Err(format!(
                "无权修改此{}：超出账号“{}”（{}）的范围 (outside the scope of this account: {} may not change this {})",
                entity.name_zh(),
                self.user_name,
                self.role.as_str(),
                self.role.as_str(),
                entity.name_en()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role, parks: Vec<Uuid>, departments: Vec<Uuid>) -> Caller {
        Caller {
            user_id: Uuid::now_v7(),
            user_name: "u".into(),
            role,
            parks,
            departments,
            device_id: None,
        }
    }

    #[test]
    fn officers_see_their_parks_and_zone_wide_records() {
        let (p1, p2) = (Uuid::now_v7(), Uuid::now_v7());
        let o = caller(Role::Officer, vec![p1], vec![]);
        let in_p = |p| RecordScope {
            park: Some(p),
            ..Default::default()
        };
        assert!(o.sees(&in_p(p1)));
        assert!(!o.sees(&in_p(p2)));
        assert!(o.sees(&RecordScope::default()));
        assert!(o.may_write(Entity::Site, None, &in_p(p1)).is_ok());
        assert!(
            o.may_write(Entity::Site, Some(&in_p(p1)), &in_p(p2))
                .is_err(),
            "moving a site out of their parks"
        );
        assert!(o
            .may_write(Entity::Park, None, &RecordScope::public())
            .is_err());
    }

    #[test]
    fn departments_touch_only_their_appeals() {
        let d = Uuid::now_v7();
        let c = caller(Role::Department, vec![], vec![d]);
        let theirs = RecordScope {
            departments: [d].into(),
            ..Default::default()
        };
        let other = RecordScope::default();
        assert!(c.may_write(Entity::Progress, None, &theirs).is_ok());
        assert!(
            c.may_write(Entity::Appeal, Some(&theirs), &other).is_ok(),
            "transfer away"
        );
        assert!(
            c.may_write(Entity::Appeal, None, &theirs).is_err(),
            "no new appeals"
        );
        assert!(c.may_write(Entity::Site, Some(&theirs), &theirs).is_err());
        assert!(!c.sees(&other));
        assert!(c.sees(&RecordScope::public()));
    }

    #[test]
    fn growth_is_a_new_audience() {
        let d = Uuid::now_v7();
        let before = RecordScope::default();
        let after = RecordScope {
            departments: [d].into(),
            ..Default::default()
        };
        assert!(after.grew_from(&before));
        assert!(!before.grew_from(&after));
    }
}
