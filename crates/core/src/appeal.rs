//! The appeal lifecycle: received → dispatched → in progress → resolved → confirmed, with
//! returns, transfers, extensions and reopenings, each only from where it makes sense, by whom
//! it may be taken, and each with a reason. A rating of 不满意 or 非常不满意 does not close the
//! appeal: it goes to rectifying (整改中) with a follow-up deadline, and is confirmed when its
//! department has put it right.
//!
//! An action is recorded as an entry of the appeal's ledger (a [`Progress`] with `action` set).
//! The appeal's [`DERIVED`] fields follow from its actions alone: devices apply an action's
//! [`effect`] when they record it, and the server, which checks every action against the
//! appeal as it stands ([`check`]), applies them in the order it accepts them.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::calendar::Calendar;
use crate::model::AppealStatus::{self, *};
use crate::model::{
    check_deadline, check_satisfaction, is_dissatisfied, ActionKind, Appeal, Progress, Rater,
};
use crate::{deadline, Role, ValidationError};

/// The appeal's fields that only actions change. A new appeal starts received, with none of
/// them set but its deadline; after that, devices never write them directly.
pub const DERIVED: [&str; 6] = [
    "status",
    "department_id",
    "deadline",
    "resolved_at",
    "satisfaction",
    "ledger_head",
];

/// Checks a new appeal's [`DERIVED`] fields: it starts received, with nothing decided but its
/// deadline.
pub fn check_new(fields: &Map<String, Value>) -> Result<(), ValidationError> {
    for name in DERIVED {
        let value = fields.get(name).unwrap_or(&Value::Null);
        let fine = match name {
            "status" => value.as_str() == Some(Received.as_str()),
            "deadline" => true,
            _ => value.is_null(),
        };
        if !fine {
            return Err(ValidationError::Derived { field: name });
        }
    }
    Ok(())
}

/// Checks that a change of an existing appeal, naming the fields it changes, leaves the
/// [`DERIVED`] ones alone.
pub fn check_change<'a>(mut changed: impl Iterator<Item = &'a str>) -> Result<(), ValidationError> {
    match changed.find_map(|name| DERIVED.into_iter().find(|d| *d == name)) {
        Some(field) => Err(ValidationError::Derived { field }),
        None => Ok(()),
    }
}

/// Something done to an appeal that the ledger records.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Send to the responsible department (派单).
    Dispatch { department_id: Uuid },
    /// The department starts handling it.
    Start,
    /// Handled (办结); also straight from received when solved on the spot.
    Resolve,
    /// The enterprise's rating, 1 to 5 (评价); a dissatisfied one ([`is_dissatisfied`]) with
    /// the deadline of its follow-up, and none otherwise.
    Confirm {
        satisfaction: i64,
        follow_up: Option<NaiveDate>,
    },
    /// Sent back to intake (退回).
    Return { reason: String },
    /// Handed to another department (转办).
    Transfer { department_id: Uuid, reason: String },
    /// The deadline is moved (延期).
    Extend { deadline: NaiveDate, reason: String },
    /// Not solved after all (重新办理).
    Reopen { reason: String },
    /// What a dissatisfied rating asked for is put right (整改完成).
    Rectify,
}

impl Action {
    /// The enterprise's rating given on `rated_on`: a dissatisfied one with the deadline of
    /// its follow-up ([`deadline::follow_up_deadline`]). The server, the app and the CLI all
    /// rate through this.
    pub fn rating(satisfaction: i64, rated_on: NaiveDate, calendar: &Calendar) -> Action {
        Action::Confirm {
            satisfaction,
            follow_up: is_dissatisfied(satisfaction)
                .then(|| deadline::follow_up_deadline(rated_on, calendar).0),
        }
    }

    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Dispatch { .. } => ActionKind::Dispatch,
            Action::Start => ActionKind::Start,
            Action::Resolve => ActionKind::Resolve,
            Action::Confirm { .. } => ActionKind::Confirm,
            Action::Return { .. } => ActionKind::Return,
            Action::Transfer { .. } => ActionKind::Transfer,
            Action::Extend { .. } => ActionKind::Extend,
            Action::Reopen { .. } => ActionKind::Reopen,
            Action::Rectify => ActionKind::Rectify,
        }
    }

    pub fn label_zh(&self) -> &'static str {
        self.kind().label_zh()
    }

    pub fn label_en(&self) -> &'static str {
        self.kind().label_en()
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            Action::Return { reason }
            | Action::Transfer { reason, .. }
            | Action::Extend { reason, .. }
            | Action::Reopen { reason } => Some(reason),
            _ => None,
        }
    }

    pub fn department_id(&self) -> Option<Uuid> {
        match self {
            Action::Dispatch { department_id } | Action::Transfer { department_id, .. } => {
                Some(*department_id)
            }
            _ => None,
        }
    }

    /// Who may take this action. A department handles and resolves what it was given, sends it
    /// back, hands it on or asks for more time; dispatching, confirming with the enterprise's
    /// rating and reopening belong to the office.
    pub fn permitted(&self, role: Role) -> bool {
        match self.kind() {
            ActionKind::Dispatch | ActionKind::Confirm | ActionKind::Reopen => role.is_office(),
            ActionKind::Start
            | ActionKind::Resolve
            | ActionKind::Return
            | ActionKind::Transfer
            | ActionKind::Extend
            | ActionKind::Rectify => true,
        }
    }

    /// The status after this action from `from`, or why it is not allowed.
    pub fn apply(&self, from: AppealStatus) -> Result<AppealStatus, ValidationError> {
        if let Some(reason) = self.reason() {
            if reason.trim().is_empty() {
                return Err(ValidationError::Required { field: "reason" });
            }
        }
        if let Action::Confirm {
            satisfaction,
            follow_up,
        } = self
        {
            check_satisfaction(*satisfaction)?;
            match (is_dissatisfied(*satisfaction), follow_up) {
                (true, None) => return Err(ValidationError::Required { field: "deadline" }),
                (false, Some(d)) => {
                    return Err(ValidationError::Invalid {
                        field: "deadline",
                        value: d.to_string(),
                        expected: "none: only a dissatisfied rating is followed up".into(),
                    })
                }
                _ => {}
            }
        }
        let to = match (self, from) {
            (Action::Dispatch { .. }, Received) => Dispatched,
            (Action::Start, Dispatched) => InProgress,
            (Action::Resolve, Received | Dispatched | InProgress) => Resolved,
            (
                Action::Confirm {
                    follow_up: None, ..
                },
                Resolved,
            ) => Confirmed,
            (Action::Confirm { .. }, Resolved) => Rectifying,
            (Action::Rectify, Rectifying) => Confirmed,
            (Action::Return { .. }, Dispatched | InProgress) => Received,
            (Action::Transfer { .. }, Dispatched | InProgress) => Dispatched,
            (Action::Extend { .. }, Received | Dispatched | InProgress | Rectifying) => from,
            (Action::Reopen { .. }, Resolved | Rectifying | Confirmed) => InProgress,
            _ => {
                return Err(ValidationError::IllegalTransition {
                    from: from.label_zh(),
                    action_zh: self.label_zh(),
                    action_en: self.label_en(),
                })
            }
        };
        Ok(to)
    }

    /// The action a ledger entry records, if it records one, checked for its parameters.
    pub fn of_entry(entry: &Progress) -> Result<Option<Action>, ValidationError> {
        let Some(kind) = entry.action else {
            return Ok(None);
        };
        let reason = || {
            entry
                .reason
                .clone()
                .filter(|r| !r.trim().is_empty())
                .ok_or(ValidationError::Required { field: "reason" })
        };
        let department = || {
            entry.department_id.ok_or(ValidationError::Required {
                field: "department_id",
            })
        };
        Ok(Some(match kind {
            ActionKind::Dispatch => Action::Dispatch {
                department_id: department()?,
            },
            ActionKind::Start => Action::Start,
            ActionKind::Resolve => Action::Resolve,
            ActionKind::Confirm => Action::Confirm {
                satisfaction: entry.satisfaction.ok_or(ValidationError::Required {
                    field: "satisfaction",
                })?,
                follow_up: entry.deadline,
            },
            ActionKind::Return => Action::Return { reason: reason()? },
            ActionKind::Transfer => Action::Transfer {
                department_id: department()?,
                reason: reason()?,
            },
            ActionKind::Extend => Action::Extend {
                deadline: entry
                    .deadline
                    .ok_or(ValidationError::Required { field: "deadline" })?,
                reason: reason()?,
            },
            ActionKind::Reopen => Action::Reopen { reason: reason()? },
            ActionKind::Rectify => Action::Rectify,
        }))
    }

    /// Writes this action's kind and parameters into a ledger entry.
    pub fn record_in(&self, entry: &mut Progress) {
        entry.action = Some(self.kind());
        entry.department_id = self.department_id();
        entry.deadline = match self {
            Action::Extend { deadline, .. } => Some(*deadline),
            Action::Confirm { follow_up, .. } => *follow_up,
            _ => None,
        };
        entry.satisfaction = match self {
            Action::Confirm { satisfaction, .. } => Some(*satisfaction),
            _ => None,
        };
        // A rating recorded on a device is an official's, typed on the enterprise's behalf;
        // the server says so whoever claims otherwise, and writes the enterprise's own.
        entry.rated_by = matches!(self, Action::Confirm { .. }).then_some(Rater::Official);
        entry.reason = self.reason().map(|r| r.trim().to_owned());
    }
}

/// Checks `action`, taken by an account of `role` (`None`: not known here, as on a device not
/// yet signed in), on `appeal` as it stands: the transition, who may take it, and what it sets.
/// Returns the status it leads to. Devices and the server run exactly this.
pub fn check(
    appeal: &Appeal,
    action: &Action,
    role: Option<Role>,
) -> Result<AppealStatus, ValidationError> {
    if appeal.void_reason.is_some() {
        return Err(ValidationError::Voided {
            field: "appeal_id",
            entity: "appeal",
            entity_zh: "诉求",
            id: appeal.id.to_string(),
        });
    }
    let to = action.apply(appeal.status)?;
    if let Some(role) = role.filter(|r| !action.permitted(*r)) {
        return Err(ValidationError::NotPermitted {
            role_zh: role.label_zh(),
            role: role.as_str(),
            action_zh: action.label_zh(),
            action_en: action.label_en(),
        });
    }
    match action {
        Action::Extend { deadline, .. } => {
            check_deadline("deadline", *deadline, appeal.raised_at)?;
            if let Some(current) = appeal.deadline.filter(|d| deadline <= d) {
                return Err(ValidationError::Invalid {
                    field: "deadline",
                    value: deadline.to_string(),
                    expected: format!("a date after the current deadline {current}"),
                });
            }
        }
        Action::Confirm {
            follow_up: Some(deadline),
            ..
        } => check_deadline("deadline", *deadline, appeal.raised_at)?,
        Action::Transfer { department_id, .. } if appeal.department_id == Some(*department_id) => {
            return Err(ValidationError::Invalid {
                field: "department_id",
                value: department_id.to_string(),
                expected: "a department other than the one handling it".into(),
            });
        }
        _ => {}
    }
    Ok(to)
}

/// What an action that led to `to` at `at` changes on its appeal, as synced fields (the
/// ledger's head is the server's to set).
pub fn effect(action: &Action, to: AppealStatus, at: DateTime<Utc>) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert("status".into(), Value::from(to.as_str()));
    let mut set = |name: &str, value: Value| {
        fields.insert(name.into(), value);
    };
    match action {
        Action::Dispatch { department_id } | Action::Transfer { department_id, .. } => {
            set("department_id", Value::from(department_id.to_string()))
        }
        // Put right after a dissatisfied rating: resolved again, by the follow-up's deadline.
        Action::Resolve | Action::Rectify => {
            set("resolved_at", Value::from(crate::time::stamp(at)))
        }
        Action::Confirm {
            satisfaction,
            follow_up,
        } => {
            set("satisfaction", Value::from(*satisfaction));
            if let Some(deadline) = follow_up {
                set("deadline", Value::from(deadline.to_string()));
            }
        }
        Action::Extend { deadline, .. } => set("deadline", Value::from(deadline.to_string())),
        Action::Reopen { .. } => {
            set("resolved_at", Value::Null);
            set("satisfaction", Value::Null);
        }
        Action::Start | Action::Return { .. } => {}
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Category, Channel, Urgency};

    fn reason() -> String {
        "企业要求".into()
    }

    fn appeal(status: AppealStatus) -> Appeal {
        Appeal {
            id: Uuid::now_v7(),
            site_id: Uuid::now_v7(),
            visit_id: None,
            raised_at: "2024-10-26T00:30:00Z".parse().unwrap(),
            channel: Channel::OnSite,
            category: Category::Utilities,
            description: "用电价格偏高".into(),
            urgency: Urgency::Normal,
            status,
            department_id: None,
            deadline: NaiveDate::from_ymd_opt(2024, 12, 31),
            resolved_at: None,
            satisfaction: None,
            ledger_head: None,
            policy_issue_id: None,
            void_reason: None,
        }
    }

    #[test]
    fn the_happy_path() {
        let d = Uuid::now_v7();
        let mut s = Received;
        for action in [
            Action::Dispatch { department_id: d },
            Action::Start,
            Action::Resolve,
            Action::Confirm {
                satisfaction: 5,
                follow_up: None,
            },
        ] {
            s = action.apply(s).unwrap();
        }
        assert_eq!(s, Confirmed);
    }

    #[test]
    fn every_pair_is_either_allowed_or_named_illegal() {
        let d = Uuid::now_v7();
        let actions = [
            Action::Dispatch { department_id: d },
            Action::Start,
            Action::Resolve,
            Action::Confirm {
                satisfaction: 4,
                follow_up: None,
            },
            Action::Return { reason: reason() },
            Action::Transfer {
                department_id: d,
                reason: reason(),
            },
            Action::Extend {
                deadline: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
                reason: reason(),
            },
            Action::Reopen { reason: reason() },
            Action::Confirm {
                satisfaction: 2,
                follow_up: NaiveDate::from_ymd_opt(2025, 1, 10),
            },
            Action::Rectify,
        ];
        let mut allowed = 0;
        for from in AppealStatus::ALL {
            for action in &actions {
                match action.apply(*from) {
                    Ok(_) => allowed += 1,
                    Err(e) => assert_eq!(e.code(), "illegal_transition"),
                }
            }
        }
        // Counted from the table in `apply`.
        assert_eq!(allowed, 1 + 1 + 3 + 1 + 2 + 2 + 4 + 3 + 1 + 1);
    }

    #[test]
    fn confirming_before_resolving_is_illegal() {
        let err = Action::Confirm {
            satisfaction: 5,
            follow_up: None,
        }
        .apply(InProgress)
        .unwrap_err();
        assert!(err.to_string().contains("办理中"), "{err}");
    }

    #[test]
    fn a_dissatisfied_rating_is_followed_up_until_put_right() {
        let a = appeal(Resolved);
        let due = NaiveDate::from_ymd_opt(2024, 11, 8);
        let unfollowed = Action::Confirm {
            satisfaction: 2,
            follow_up: None,
        };
        assert_eq!(
            check(&a, &unfollowed, None).unwrap_err(),
            ValidationError::Required { field: "deadline" }
        );
        let needless = Action::Confirm {
            satisfaction: 3,
            follow_up: due,
        };
        assert_eq!(check(&a, &needless, None).unwrap_err().field(), "deadline");

        let rated = Action::Confirm {
            satisfaction: 1,
            follow_up: due,
        };
        assert_eq!(check(&a, &rated, Some(Role::Officer)).unwrap(), Rectifying);
        let at: DateTime<Utc> = "2024-11-01T02:00:00Z".parse().unwrap();
        let fields = effect(&rated, Rectifying, at);
        assert_eq!(
            (
                &fields["status"],
                &fields["satisfaction"],
                &fields["deadline"]
            ),
            (
                &Value::from("rectifying"),
                &Value::from(1),
                &Value::from("2024-11-08")
            )
        );
        // The department puts it right, and may ask for more time to.
        let rectifying = appeal(Rectifying);
        assert_eq!(
            check(&rectifying, &Action::Rectify, Some(Role::Department)).unwrap(),
            Confirmed
        );
        let fields = effect(&Action::Rectify, Confirmed, at);
        assert_eq!(fields["resolved_at"], Value::from(crate::time::stamp(at)));
        assert!(!fields.contains_key("satisfaction"), "the rating stands");
        let more_time = Action::Extend {
            deadline: NaiveDate::from_ymd_opt(2025, 1, 31).unwrap(),
            reason: reason(),
        };
        assert_eq!(
            check(&rectifying, &more_time, Some(Role::Department)).unwrap(),
            Rectifying
        );
        // Rated once: a confirmed appeal takes no second rating.
        assert_eq!(
            check(
                &appeal(Confirmed),
                &Action::Confirm {
                    satisfaction: 5,
                    follow_up: None
                },
                None
            )
            .unwrap_err()
            .code(),
            "illegal_transition"
        );
    }

    #[test]
    fn returns_need_a_reason() {
        let err = Action::Return { reason: " ".into() }
            .apply(Dispatched)
            .unwrap_err();
        assert_eq!(err, ValidationError::Required { field: "reason" });
    }

    #[test]
    fn departments_handle_and_the_office_dispatches_confirms_and_reopens() {
        let a = appeal(Resolved);
        let confirm = Action::Confirm {
            satisfaction: 5,
            follow_up: None,
        };
        let err = check(&a, &confirm, Some(Role::Department)).unwrap_err();
        assert_eq!(err.code(), "not_permitted");
        assert!(err.to_string().contains("责任单位"), "{err}");
        assert_eq!(check(&a, &confirm, Some(Role::Officer)).unwrap(), Confirmed);
        assert_eq!(check(&a, &confirm, None).unwrap(), Confirmed);
        let reopen = Action::Reopen { reason: reason() };
        assert!(check(&a, &reopen, Some(Role::Department)).is_err());
        let dispatch = Action::Dispatch {
            department_id: Uuid::now_v7(),
        };
        assert!(check(&appeal(Received), &dispatch, Some(Role::Department)).is_err());
        assert_eq!(
            check(
                &appeal(Dispatched),
                &Action::Resolve,
                Some(Role::Department)
            )
            .unwrap(),
            Resolved
        );
    }

    #[test]
    fn an_extension_moves_the_deadline_later() {
        let a = appeal(Dispatched);
        let earlier = Action::Extend {
            deadline: NaiveDate::from_ymd_opt(2024, 12, 1).unwrap(),
            reason: reason(),
        };
        assert_eq!(check(&a, &earlier, None).unwrap_err().field(), "deadline");
        let later = Action::Extend {
            deadline: NaiveDate::from_ymd_opt(2025, 1, 31).unwrap(),
            reason: reason(),
        };
        assert_eq!(check(&a, &later, None).unwrap(), Dispatched);
        let fields = effect(&later, Dispatched, a.raised_at);
        assert_eq!(fields["deadline"], "2025-01-31");
    }

    #[test]
    fn derived_fields_start_empty_and_change_only_through_actions() {
        let mut a = appeal(Received);
        check_new(&crate::model::Record::to_fields(&a)).unwrap();
        a.status = Confirmed;
        let err = check_new(&crate::model::Record::to_fields(&a)).unwrap_err();
        assert_eq!((err.code(), err.field()), ("derived_field", "status"));
        check_change(["description", "urgency"].into_iter()).unwrap();
        let err = check_change(["description", "resolved_at"].into_iter()).unwrap_err();
        assert_eq!(err.field(), "resolved_at");
    }

    #[test]
    fn a_void_appeal_takes_no_action() {
        let mut a = appeal(Dispatched);
        a.void_reason = Some("重复登记".into());
        assert_eq!(
            check(&a, &Action::Start, None).unwrap_err().code(),
            "voided"
        );
    }

    #[test]
    fn entries_carry_their_action_whole() {
        let at: DateTime<Utc> = "2024-10-27T02:00:00Z".parse().unwrap();
        let d = Uuid::now_v7();
        for action in [
            Action::Transfer {
                department_id: d,
                reason: reason(),
            },
            Action::Confirm {
                satisfaction: 3,
                follow_up: None,
            },
            Action::Confirm {
                satisfaction: 1,
                follow_up: NaiveDate::from_ymd_opt(2025, 2, 1),
            },
            Action::Rectify,
            Action::Extend {
                deadline: NaiveDate::from_ymd_opt(2025, 2, 1).unwrap(),
                reason: reason(),
            },
            Action::Start,
        ] {
            let mut entry = Progress::note(Uuid::now_v7(), at, "张三", "办理");
            action.record_in(&mut entry);
            assert_eq!(Action::of_entry(&entry).unwrap(), Some(action));
        }
        let mut entry = Progress::note(Uuid::now_v7(), at, "张三", "办理");
        entry.action = Some(ActionKind::Transfer);
        assert_eq!(
            Action::of_entry(&entry).unwrap_err().field(),
            "department_id"
        );
    }

    #[test]
    fn reopening_clears_the_outcome() {
        let at: DateTime<Utc> = "2024-10-27T02:00:00Z".parse().unwrap();
        let fields = effect(&Action::Resolve, Resolved, at);
        assert_eq!(fields["resolved_at"], "2024-10-27T02:00:00Z");
        let fields = effect(&Action::Reopen { reason: reason() }, InProgress, at);
        assert_eq!(fields["status"], "in_progress");
        assert!(fields["resolved_at"].is_null() && fields["satisfaction"].is_null());
    }
}
