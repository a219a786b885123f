//! The appeal lifecycle: received → dispatched → in progress → resolved → confirmed, with
//! returns, transfers, extensions and reopenings, each only from where it makes sense and each
//! with a reason.

use chrono::NaiveDate;
use uuid::Uuid;

use crate::model::AppealStatus::{self, *};
use crate::ValidationError;

/// Something done to an appeal that the ledger records.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Send to the responsible department (派单).
    Dispatch { department_id: Uuid },
    /// The department starts handling it.
    Start,
    /// Handled (办结); also straight from received when solved on the spot.
    Resolve,
    /// The enterprise confirms, with a satisfaction of 1 to 5 (评价).
    Confirm { satisfaction: i64 },
    /// Sent back to intake (退回).
    Return { reason: String },
    /// Handed to another department (转办).
    Transfer { department_id: Uuid, reason: String },
    /// The deadline is moved (延期).
    Extend { deadline: NaiveDate, reason: String },
    /// Not solved after all (重新办理).
    Reopen { reason: String },
}

impl Action {
    pub fn label_zh(&self) -> &'static str {
        match self {
            Action::Dispatch { .. } => "派单",
            Action::Start => "开始办理",
            Action::Resolve => "办结",
            Action::Confirm { .. } => "评价",
            Action::Return { .. } => "退回",
            Action::Transfer { .. } => "转办",
            Action::Extend { .. } => "延期",
            Action::Reopen { .. } => "重新办理",
        }
    }

    pub fn label_en(&self) -> &'static str {
        match self {
            Action::Dispatch { .. } => "dispatched",
            Action::Start => "started",
            Action::Resolve => "resolved",
            Action::Confirm { .. } => "confirmed",
            Action::Return { .. } => "returned",
            Action::Transfer { .. } => "transferred",
            Action::Extend { .. } => "extended",
            Action::Reopen { .. } => "reopened",
        }
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

    /// The status after this action from `from`, or why it is not allowed.
    pub fn apply(&self, from: AppealStatus) -> Result<AppealStatus, ValidationError> {
        if let Some(reason) = self.reason() {
            if reason.trim().is_empty() {
                return Err(ValidationError::Required { field: "reason" });
            }
        }
        if let Action::Confirm { satisfaction } = self {
            if !(1..=5).contains(satisfaction) {
                return Err(ValidationError::Invalid {
                    field: "satisfaction",
                    value: satisfaction.to_string(),
                    expected: "1–5".into(),
                });
            }
        }
        let to = match (self, from) {
            (Action::Dispatch { .. }, Received) => Dispatched,
            (Action::Start, Dispatched) => InProgress,
            (Action::Resolve, Received | Dispatched | InProgress) => Resolved,
            (Action::Confirm { .. }, Resolved) => Confirmed,
            (Action::Return { .. }, Dispatched | InProgress) => Received,
            (Action::Transfer { .. }, Dispatched | InProgress) => Dispatched,
            (Action::Extend { .. }, Received | Dispatched | InProgress) => from,
            (Action::Reopen { .. }, Resolved | Confirmed) => InProgress,
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason() -> String {
        "企业要求".into()
    }

    #[test]
    fn the_happy_path() {
        let d = Uuid::now_v7();
        let mut s = Received;
        for action in [
            Action::Dispatch { department_id: d },
            Action::Start,
            Action::Resolve,
            Action::Confirm { satisfaction: 5 },
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
            Action::Confirm { satisfaction: 4 },
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
        assert_eq!(allowed, 1 + 1 + 3 + 1 + 2 + 2 + 3 + 2);
    }

    #[test]
    fn confirming_before_resolving_is_illegal() {
        let err = Action::Confirm { satisfaction: 5 }
            .apply(InProgress)
            .unwrap_err();
        assert!(err.to_string().contains("办理中"), "{err}");
    }

    #[test]
    fn returns_need_a_reason() {
        let err = Action::Return { reason: " ".into() }
            .apply(Dispatched)
            .unwrap_err();
        assert_eq!(err, ValidationError::Required { field: "reason" });
    }
}
