//! Who may see and change what. Pure rules; the records' scopes are kept in the `scopes` and
//! `scope_departments` tables by `state`.
//!
//! - admin, leader: the whole zone (parks and departments, the reference data, only admin);
//! - officer: sees the records of their parks and zone-wide records that belong to no park
//!   (sessions, policy issues, sites without a park); changes the records of their parks, and
//!   of zone-wide records only those they created: a session the admin planned, or a park-less
//!   site someone else registered, is not theirs to change, void or move into a park;
//! - department: sees the appeals dispatched to it or naming it in a resolution, with their
//!   resolutions and ledgers and the sites they concern; it writes ledger entries on those
//!   appeals (notes, and the actions `desk-core` lets a department take) and nothing else.
//!
//! Parks, departments, the calendar's years and the zone's time limits are public reference
//! data: every device needs them, and only an admin changes them.

use std::collections::BTreeSet;

use desk_core::Entity;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use desk_core::Role;

/// The signed-in user and device behind a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: Uuid,
    pub user_name: String,
    /// What the ledger says of who wrote an entry.
    pub display_name: String,
    pub role: Role,
    pub parks: Vec<Uuid>,
    pub departments: Vec<Uuid>,
    pub device_id: Option<Uuid>,
}

/// Who may see one record.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
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

    /// Someone who could see the record under `old` cannot now. (A record that belongs to no
    /// park is seen by every officer: leaving a park for none takes it from no one.)
    pub fn shrank_from(&self, old: &RecordScope) -> bool {
        (old.public && !self.public)
            || (self.park.is_some() && self.park != old.park)
            || !old.departments.is_subset(&self.departments)
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

    /// May this caller write `entity` whose scope is `before` (None: a new record) and will be
    /// `after`? `owner` is who created it. The error is the reason given back for the operation.
    pub fn may_write(
        &self,
        entity: Entity,
        before: Option<&RecordScope>,
        after: &RecordScope,
        owner: Option<Uuid>,
    ) -> Result<(), String> {
        let reference_data = matches!(
            entity,
            Entity::Park | Entity::Department | Entity::CalendarYear | Entity::TimeLimits
        );
        let allowed = match self.role {
            Role::Admin => true,
            Role::Leader => !reference_data,
            Role::Officer => {
                let zone_wide = |s: &RecordScope| !s.public && s.park.is_none();
                !reference_data
                    && self.sees(after)
                    && before.is_none_or(|b| {
                        self.sees(b) && (!zone_wide(b) || owner == Some(self.user_id))
                    })
            }
            // Departments write ledger entries, which the ledger's own rules check.
            Role::Department => entity == Entity::Progress && before.is_none() && self.sees(after),
        };
        if allowed {
            Ok(())
        } else {
            Err(self.refusal(entity))
        }
    }

    /// May this caller act on an appeal whose scope is `scope` and owner `owner` (dispatch,
    /// resolve, …)? Taking an action changes the appeal: an officer needs to be able to change
    /// it; a department, to see it.
    pub fn may_act(&self, scope: &RecordScope, owner: Option<Uuid>) -> Result<(), String> {
        match self.role {
            Role::Department if self.sees(scope) => Ok(()),
            Role::Department => Err(self.refusal(Entity::Appeal)),
            _ => self.may_write(Entity::Appeal, Some(scope), scope, owner),
        }
    }

    fn refusal(&self, entity: Entity) -> String {
        format!(
            "无权修改此{}：超出账号“{}”（{}）的范围 (outside the scope of this account: {} may not change this {})",
            entity.name_zh(),
            self.user_name,
            self.role.label_zh(),
            self.role.as_str(),
            entity.name_en()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role, parks: Vec<Uuid>, departments: Vec<Uuid>) -> Caller {
        Caller {
            user_id: Uuid::now_v7(),
            user_name: "u".into(),
            display_name: "u".into(),
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
        assert!(o.may_write(Entity::Site, None, &in_p(p1), None).is_ok());
        assert!(
            o.may_write(Entity::Site, Some(&in_p(p1)), &in_p(p2), None)
                .is_err(),
            "moving a site out of their parks"
        );
        assert!(o
            .may_write(Entity::Park, None, &RecordScope::public(), None)
            .is_err());
    }

    #[test]
    fn officers_change_zone_wide_records_only_when_they_made_them() {
        let p1 = Uuid::now_v7();
        let o = caller(Role::Officer, vec![p1], vec![]);
        let zone = RecordScope::default();
        let in_p1 = RecordScope {
            park: Some(p1),
            ..Default::default()
        };
        let someone = Some(Uuid::now_v7());
        assert!(
            o.may_write(Entity::Session, None, &zone, None).is_ok(),
            "plan one"
        );
        assert!(o
            .may_write(Entity::Session, Some(&zone), &zone, someone)
            .is_err());
        assert!(o
            .may_write(Entity::Session, Some(&zone), &zone, Some(o.user_id))
            .is_ok());
        assert!(
            o.may_write(Entity::Site, Some(&zone), &in_p1, someone)
                .is_err(),
            "moving someone's park-less site into their park"
        );
        let leader = caller(Role::Leader, vec![], vec![]);
        assert!(leader
            .may_write(Entity::Session, Some(&zone), &zone, someone)
            .is_ok());
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
        assert!(c.may_write(Entity::Progress, None, &theirs, None).is_ok());
        assert!(
            c.may_write(Entity::Appeal, Some(&theirs), &theirs, None)
                .is_err(),
            "appeals move through the ledger only"
        );
        assert!(c.may_act(&theirs, None).is_ok());
        assert!(c.may_act(&other, None).is_err());
        assert!(
            c.may_write(Entity::Appeal, None, &theirs, None).is_err(),
            "no new appeals"
        );
        assert!(c
            .may_write(Entity::Site, Some(&theirs), &theirs, None)
            .is_err());
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
        assert!(before.shrank_from(&after), "the department lost it");
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let park = |p| RecordScope {
            park: Some(p),
            ..Default::default()
        };
        assert!(park(b).shrank_from(&park(a)), "moved to another park");
        assert!(
            !RecordScope::default().shrank_from(&park(a)),
            "zone-wide: all officers"
        );
        assert!(park(a).shrank_from(&RecordScope::default()));
    }
}
