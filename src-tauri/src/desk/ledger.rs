//! The ledger (台账): appeals, their progress and status, and the zone's figures.

use desk_core::appeal::Action;
use desk_core::model::{Appeal, AppealStatus, Progress, Record};
use desk_core::stats::Stats;
use desk_core::{Entity, ValidationError};
use desk_store::{AppealFilter, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use ts_rs::TS;
use uuid::Uuid;

use super::{Desk, Result};

/// An action on an appeal, as the ledger screen sends it.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum AppealAction {
    Dispatch { department_id: Uuid },
    Start,
    Resolve,
    Confirm { satisfaction: i64 },
    Return { reason: String },
    Reopen { reason: String },
}

/// A row of the ledger: the appeal and the name of its site.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct LedgerRow {
    #[serde(flatten)]
    pub appeal: Appeal,
    pub site_name: Option<String>,
}

/// One appeal with its ledger entries, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AppealDetail {
    pub appeal: Appeal,
    pub progress: Vec<Progress>,
}

/// A row as the store lists it, as the record it holds.
fn record<R: Record>(row: Map<String, Value>) -> Result<R> {
    serde_json::from_value(Value::Object(row))
        .map_err(|_| StoreError::Corrupt(R::ENTITY.table()).into())
}

impl Desk {
    /// The ledger, with each appeal's site name.
    pub fn ledger(&self, status: Option<&str>, overdue: bool) -> Result<Vec<LedgerRow>> {
        let store = self.store();
        let filter = AppealFilter {
            status: status
                .map(|s| AppealStatus::parse("status", s))
                .transpose()?,
            overdue_on: overdue.then(|| desk_core::time::local_date(store.now())),
            ..AppealFilter::default()
        };
        let sites = store.list(Entity::Site)?;
        store
            .appeals(&filter)?
            .into_iter()
            .map(|row| {
                let appeal: Appeal = record(row)?;
                let site_name = sites
                    .iter()
                    .find(|s| s["id"] == appeal.site_id.to_string())
                    .and_then(|s| s["name"].as_str())
                    .map(str::to_owned);
                Ok(LedgerRow { appeal, site_name })
            })
            .collect()
    }

    /// One appeal with its ledger entries, oldest first.
    pub fn appeal(&self, id: Uuid) -> Result<AppealDetail> {
        let store = self.store();
        let appeal = store.get::<Appeal>(id)?.ok_or(ValidationError::NotFound {
            field: "id",
            entity: "appeal",
            entity_zh: "诉求",
            id: id.to_string(),
        })?;
        let progress = store
            .progress_of(id)?
            .into_iter()
            .map(record)
            .collect::<Result<_>>()?;
        Ok(AppealDetail { appeal, progress })
    }

    pub fn act_on_appeal(
        &self,
        id: Uuid,
        action: AppealAction,
        note: Option<&str>,
    ) -> Result<AppealDetail> {
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

    pub fn add_progress(&self, appeal_id: Uuid, note: &str) -> Result<AppealDetail> {
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
