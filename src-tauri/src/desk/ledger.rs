//! The ledger (台账): appeals, their progress and status, and the zone's figures.

use desk_core::appeal::Action;
use desk_core::model::{AppealStatus, Progress};
use desk_core::stats::Stats;
use desk_core::{Entity, ValidationError};
use desk_store::AppealFilter;
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::{Desk, Result};

/// An action on an appeal, as the ledger screen sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum AppealAction {
    Dispatch { department_id: Uuid },
    Start,
    Resolve,
    Confirm { satisfaction: i64 },
    Return { reason: String },
    Reopen { reason: String },
}

impl Desk {
    /// The ledger, with each appeal's site name.
    pub fn ledger(&self, status: Option<&str>, overdue: bool) -> Result<Vec<Value>> {
        let store = self.store();
        let filter = AppealFilter {
            status: status
                .map(|s| AppealStatus::parse("status", s))
                .transpose()?,
            overdue_on: overdue.then(|| desk_core::time::local_date(store.now())),
            ..AppealFilter::default()
        };
        let sites = store.list(Entity::Site)?;
        Ok(store
            .appeals(&filter)?
            .into_iter()
            .map(|mut a| {
                let name = sites
                    .iter()
                    .find(|s| s["id"] == a["site_id"])
                    .map(|s| s["name"].clone())
                    .unwrap_or(Value::Null);
                a.insert("site_name".into(), name);
                Value::Object(a)
            })
            .collect())
    }

    /// One appeal with its ledger entries, oldest first.
    pub fn appeal(&self, id: Uuid) -> Result<Value> {
        let store = self.store();
        let appeal = store
            .get_json(Entity::Appeal, id)?
            .ok_or(ValidationError::NotFound {
                field: "id",
                entity: "appeal",
                entity_zh: "诉求",
                id: id.to_string(),
            })?;
        let progress = store.progress_of(id)?;
        Ok(serde_json::json!({ "appeal": appeal, "progress": progress }))
    }

    pub fn act_on_appeal(
        &self,
        id: Uuid,
        action: AppealAction,
        note: Option<&str>,
    ) -> Result<Value> {
        let action = match action {
            AppealAction::Dispatch { department_id } => Action::Dispatch { department_id },
            AppealAction::Start => Action::Start,
            AppealAction::Resolve => Action::Resolve,
            AppealAction::Confirm { satisfaction } => Action::Confirm { satisfaction },
            AppealAction::Return { reason } => Action::Return { reason },
            AppealAction::Reopen { reason } => Action::Reopen { reason },
        };
        let author = self.author();
        self.store()
            .write(|w| w.act_on_appeal(id, action, &author, note).map(drop))?;
        self.appeal(id)
    }

    pub fn add_progress(&self, appeal_id: Uuid, note: &str) -> Result<Value> {
        let author = self.author();
        self.store().write(|w| {
            let at = w.now();
            w.create(Progress {
                id: Uuid::now_v7(),
                appeal_id,
                at,
                author,
                note: note.into(),
                from_status: None,
                to_status: None,
                reason: None,
            })
            .map(drop)
        })?;
        self.appeal(appeal_id)
    }

    pub fn stats(&self) -> Result<Stats> {
        Ok(self.store().stats()?)
    }
}
