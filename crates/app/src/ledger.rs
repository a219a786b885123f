//! The ledger (台账): appeals, their progress and status, and the zone's figures.

use chrono::NaiveDate;
use desk_core::appeal::Action;
use desk_core::calendar::Calendar;
use desk_core::model::{
    parse_date, ActionKind, Appeal, AppealStatus, Category, Department, Park, Progress, Record,
    Site, TimeLimits,
};
use desk_core::stats::Stats;
use desk_core::{Role, ValidationError};
use desk_store::{AppealFilter, LedgerOrder, LedgerSort, Store, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use ts_rs::TS;
use uuid::Uuid;

use super::{Desk, Result};

/// What the ledger screen filters by; every field may be left out.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, TS)]
#[serde(default)]
pub struct LedgerFilter {
    #[ts(optional)]
    pub status: Option<AppealStatus>,
    #[ts(optional)]
    pub park_id: Option<Uuid>,
    /// The department dispatched to, or one named in the on-site resolution.
    #[ts(optional)]
    pub department_id: Option<Uuid>,
    #[ts(optional)]
    pub category: Option<Category>,
    /// Only appeals past their deadline and not yet resolved, judged on the zone's calendar.
    pub overdue: bool,
    /// Words to find in the description or the site (name, pinyin initials, credit code).
    #[ts(optional)]
    pub search: Option<String>,
}

impl LedgerFilter {
    /// The store's filter, "overdue" judged on `today`.
    fn to_store(&self, today: NaiveDate) -> AppealFilter {
        AppealFilter {
            status: self.status,
            park_id: self.park_id,
            department_id: self.department_id,
            category: self.category,
            overdue_on: self.overdue.then_some(today),
            search: self
                .search
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            ..AppealFilter::default()
        }
    }
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Exported {
    pub path: String,
    pub rows: u32,
}

/// How many of each kind of alert Today lists (the count says how many in all).
const ALERTS_SHOWN: usize = 20;

/// How many rows a page of the ledger holds: a screenful on the desktop table.
pub const PAGE: usize = 50;

/// A page of the ledger, where the next begins (none on the last), and how many match (on
/// the first page; the pages after it leave it out).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct LedgerPage {
    pub rows: Vec<LedgerRow>,
    pub next: Option<String>,
    pub total: Option<i64>,
}

/// What needs attention (需要关注): the open appeals past their deadline and those due within
/// `within` working days, the earliest deadline first, and those still unanswered past the
/// zone's response limit, the oldest first; each list's first page, and its count.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Alerts {
    pub overdue: LedgerPage,
    pub due_soon: LedgerPage,
    pub unanswered: LedgerPage,
    pub within: u32,
    /// The zone's time limits the lists are judged by.
    pub limits: TimeLimits,
}

/// An action on an appeal, as the ledger screen sends it. Fields the screen may leave empty are
/// optional or text here, so the error names the field rather than failing to decode.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum AppealAction {
    Dispatch {
        department_id: Option<Uuid>,
    },
    Start,
    Resolve,
    Confirm {
        satisfaction: i64,
    },
    Return {
        reason: String,
    },
    Transfer {
        department_id: Option<Uuid>,
        reason: String,
    },
    /// `deadline` is YYYY-MM-DD.
    Extend {
        deadline: String,
        reason: String,
    },
    Reopen {
        reason: String,
    },
    Rectify,
}

/// An action of this kind with stand-in values that pass its own checks, so asking the
/// lifecycle about it answers only whether the status (and the role) allows it.
fn sample(kind: ActionKind) -> Action {
    let reason = || "-".to_owned();
    match kind {
        ActionKind::Dispatch => Action::Dispatch {
            department_id: Uuid::nil(),
        },
        ActionKind::Start => Action::Start,
        ActionKind::Resolve => Action::Resolve,
        ActionKind::Confirm => Action::Confirm {
            satisfaction: 5,
            follow_up: None,
        },
        ActionKind::Return => Action::Return { reason: reason() },
        ActionKind::Transfer => Action::Transfer {
            department_id: Uuid::nil(),
            reason: reason(),
        },
        ActionKind::Extend => Action::Extend {
            deadline: NaiveDate::default(),
            reason: reason(),
        },
        ActionKind::Reopen => Action::Reopen { reason: reason() },
        ActionKind::Rectify => Action::Rectify,
    }
}

/// The actions the lifecycle (`desk_core::appeal`) allows from `status` to an account of
/// `role` (any, before signing in: the server judges at the next sync).
pub fn allowed_actions(status: AppealStatus, role: Option<Role>) -> Vec<ActionKind> {
    ActionKind::ALL
        .iter()
        .copied()
        .filter(|k| {
            let action = sample(*k);
            action.apply(status).is_ok() && role.is_none_or(|r| action.permitted(r))
        })
        .collect()
}

impl AppealAction {
    /// The lifecycle's action, once the fields the screen may leave empty are checked; a
    /// rating is given on `today`, by `calendar`.
    fn into_action(self, today: NaiveDate, calendar: &Calendar) -> Result<Action> {
        let department = |id: Option<Uuid>| {
            id.ok_or(ValidationError::Required {
                field: "department_id",
            })
        };
        Ok(match self {
            AppealAction::Dispatch { department_id } => Action::Dispatch {
                department_id: department(department_id)?,
            },
            AppealAction::Start => Action::Start,
            AppealAction::Resolve => Action::Resolve,
            AppealAction::Confirm { satisfaction } => Action::rating(satisfaction, today, calendar),
            AppealAction::Return { reason } => Action::Return { reason },
            AppealAction::Transfer {
                department_id,
                reason,
            } => Action::Transfer {
                department_id: department(department_id)?,
                reason,
            },
            AppealAction::Extend { deadline, reason } => {
                if deadline.trim().is_empty() {
                    return Err(ValidationError::Required { field: "deadline" }.into());
                }
                Action::Extend {
                    deadline: parse_date("deadline", &deadline)?,
                    reason,
                }
            }
            AppealAction::Reopen { reason } => Action::Reopen { reason },
            AppealAction::Rectify => Action::Rectify,
        })
    }
}

/// The names an appeal's ids stand for, and what its deadline means today.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AppealContext {
    pub site_name: Option<String>,
    pub park_name: Option<String>,
    pub department_name: Option<String>,
    pub overdue: bool,
    /// Working days left to the deadline (negative: working days late), while open.
    pub days_left: Option<i64>,
    /// The count rests on a year whose holidays are not published yet (暂定).
    pub provisional: bool,
}

impl AppealContext {
    fn new(
        appeal: &Appeal,
        names: [Option<String>; 3],
        today: NaiveDate,
        calendar: &desk_core::calendar::Calendar,
    ) -> AppealContext {
        let [site_name, park_name, department_name] = names;
        let left =
            desk_core::deadline::working_days_left(appeal.status, appeal.deadline, today, calendar);
        AppealContext {
            site_name,
            park_name,
            department_name,
            overdue: desk_core::deadline::is_overdue(appeal.status, appeal.deadline, today),
            days_left: left.map(|l| l.0),
            provisional: left.is_some_and(|l| l.1),
        }
    }
}

/// A row of the ledger: the appeal, the names it refers to, and whether it is overdue.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct LedgerRow {
    #[serde(flatten)]
    pub appeal: Appeal,
    #[serde(flatten)]
    pub context: AppealContext,
}

/// One appeal with its ledger entries (oldest first) and the actions its status allows.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AppealDetail {
    pub appeal: Appeal,
    #[serde(flatten)]
    pub context: AppealContext,
    pub allowed: Vec<ActionKind>,
    pub progress: Vec<Progress>,
}

/// A row as the store lists it, as the record it holds.
fn record<R: Record>(row: Map<String, Value>) -> Result<R> {
    serde_json::from_value(Value::Object(row))
        .map_err(|_| StoreError::Corrupt(R::ENTITY.table()).into())
}

/// Looked up by id, one appeal at a time: a primary-key read each, cheap in a local database
/// even for a long ledger.
fn context(store: &Store, appeal: &Appeal) -> Result<AppealContext> {
    let site = store.get::<Site>(appeal.site_id)?;
    let park_name = match site.as_ref().and_then(|s| s.park_id) {
        Some(id) => store.get::<Park>(id)?.map(|p| p.name),
        None => None,
    };
    let department_name = match appeal.department_id {
        Some(id) => store.get::<Department>(id)?.map(|d| d.name),
        None => None,
    };
    let today = desk_core::time::local_date(store.now());
    Ok(AppealContext::new(
        appeal,
        [site.map(|s| s.name), park_name, department_name],
        today,
        &store.calendar()?,
    ))
}

/// A page of the store's ledger as the screen shows it.
fn page(
    store: &Store,
    filter: &AppealFilter,
    order: LedgerOrder,
    after: Option<&str>,
    limit: usize,
) -> Result<LedgerPage> {
    let today = desk_core::time::local_date(store.now());
    let calendar = store.calendar()?;
    let page = store.ledger_page(filter, order, after, limit)?;
    Ok(LedgerPage {
        rows: page
            .entries
            .into_iter()
            .map(|e| LedgerRow {
                context: AppealContext::new(
                    &e.appeal,
                    [e.site_name, e.park_name, e.department_name],
                    today,
                    &calendar,
                ),
                appeal: e.appeal,
            })
            .collect(),
        next: page.next,
        total: page.total,
    })
}

impl Desk {
    /// A page of the ledger, filtered and ordered, after the cursor `after` of the page before.
    pub fn ledger(
        &self,
        filter: &LedgerFilter,
        order: LedgerOrder,
        after: Option<&str>,
    ) -> Result<LedgerPage> {
        let store = self.store();
        let today = desk_core::time::local_date(store.now());
        page(&store, &filter.to_store(today), order, after, PAGE)
    }

    /// What needs attention today, as `desk_core::deadline` defines it.
    pub fn alerts(&self, within: u32) -> Result<Alerts> {
        let store = self.store();
        let today = desk_core::time::local_date(store.now());
        let by_deadline = LedgerOrder {
            by: LedgerSort::Deadline,
            descending: false,
        };
        let calendar = store.calendar()?;
        let limits = store.time_limits()?;
        let until = desk_core::deadline::due_soon_until(today, &calendar, within);
        let unanswered = AppealFilter {
            unanswered_before: Some(desk_core::deadline::unanswered_before(
                today, &calendar, &limits,
            )),
            ..AppealFilter::default()
        };
        let oldest_first = LedgerOrder {
            by: LedgerSort::Raised,
            descending: false,
        };
        let overdue = AppealFilter {
            overdue_on: Some(today),
            ..AppealFilter::default()
        };
        let due_soon = AppealFilter {
            due_between: Some((today, until)),
            ..AppealFilter::default()
        };
        Ok(Alerts {
            overdue: page(&store, &overdue, by_deadline, None, ALERTS_SHOWN)?,
            due_soon: page(&store, &due_soon, by_deadline, None, ALERTS_SHOWN)?,
            unanswered: page(&store, &unanswered, oldest_first, None, ALERTS_SHOWN)?,
            within,
            limits,
        })
    }

    /// The day's reminder for the office: what needs attention, said once a day and only when
    /// something does; `None` otherwise (and for department accounts, whose Today lists theirs).
    pub fn daily_reminder(&self) -> Result<Option<String>> {
        if self.store().account_role()?.is_some_and(|r| !r.is_office()) {
            return Ok(None);
        }
        let today = desk_core::time::local_date(self.store().now()).to_string();
        if self.store().local_setting("alerts.reminded_on")?.as_deref() == Some(today.as_str()) {
            return Ok(None);
        }
        let alerts = self.alerts(desk_core::deadline::DUE_SOON_WITHIN)?;
        let count = |p: &LedgerPage| p.total.unwrap_or_default();
        let (late, soon, unanswered) = (
            count(&alerts.overdue),
            count(&alerts.due_soon),
            count(&alerts.unanswered),
        );
        if late + soon + unanswered == 0 {
            return Ok(None);
        }
        self.store()
            .set_local_setting("alerts.reminded_on", &today)?;
        Ok(Some(format!(
            "逾期未办结 {late} 件，{} 个工作日内到期 {soon} 件，超时未响应 {unanswered} 件 ({late} overdue, {soon} due within {} working days, {unanswered} unanswered)",
            alerts.within, alerts.within
        )))
    }

    /// Writes the ledger as filtered and ordered to `path` (XLSX or CSV by its extension);
    /// returns how many appeals it holds.
    pub fn export_ledger(
        &self,
        filter: &LedgerFilter,
        order: LedgerOrder,
        path: &std::path::Path,
    ) -> Result<u32> {
        let kind = match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("csv") => desk_export::Kind::Csv,
            _ => desk_export::Kind::Xlsx,
        };
        let store = self.store();
        let today = desk_core::time::local_date(store.now());
        let title = format!("台账导出 {today}");
        let mut export =
            desk_export::LedgerExport::to_file(kind, path, &title).map_err(StoreError::from)?;
        let rows = store.export_ledger(&filter.to_store(today), order, &mut export)?;
        export.finish().map_err(StoreError::from)?;
        Ok(rows)
    }

    /// One appeal with its ledger entries, oldest first, and what may be done to it next.
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
        Ok(AppealDetail {
            context: context(&store, &appeal)?,
            allowed: allowed_actions(appeal.status, store.account_role()?),
            appeal,
            progress,
        })
    }

    pub fn act_on_appeal(
        &self,
        id: Uuid,
        action: AppealAction,
        note: Option<&str>,
    ) -> Result<AppealDetail> {
        let action = {
            let store = self.store();
            let today = desk_core::time::local_date(store.now());
            action.into_action(today, &store.calendar()?)?
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
            w.create(Progress::note(appeal_id, at, &author, note))
                .map(drop)
        })?;
        self.appeal(appeal_id)
    }

    pub fn stats(&self) -> Result<Stats> {
        Ok(self.store().stats()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::demo_desk;
    use desk_core::Entity;

    fn id_of(desk: &Desk, entity: Entity, name: &str) -> Uuid {
        desk.store().resolve(entity, name).unwrap().unwrap()
    }

    fn descriptions(desk: &Desk, filter: LedgerFilter) -> Vec<String> {
        desk.ledger(&filter, LedgerOrder::default(), None)
            .unwrap()
            .rows
            .into_iter()
            .map(|r| r.appeal.description.chars().take(4).collect())
            .collect()
    }

    #[test]
    fn each_filter_narrows_the_ledger() {
        let (_dir, desk) = demo_desk(Some("2024-11-15"));
        let all = descriptions(&desk, LedgerFilter::default());
        assert_eq!(all, ["厂区围墙", "生产用电"]);
        let by_category = LedgerFilter {
            category: Some(Category::Environment),
            ..LedgerFilter::default()
        };
        assert_eq!(descriptions(&desk, by_category), ["厂区围墙"]);
        // The co-handling department finds the appeal through the on-site resolution.
        let by_department = LedgerFilter {
            department_id: Some(id_of(&desk, Entity::Department, "国网随州供电公司")),
            ..LedgerFilter::default()
        };
        assert_eq!(descriptions(&desk, by_department), ["生产用电"]);
        let other_park = LedgerFilter {
            park_id: Some(id_of(&desk, Entity::Park, "青春化工园")),
            ..LedgerFilter::default()
        };
        assert!(descriptions(&desk, other_park).is_empty());
        let overdue = LedgerFilter {
            overdue: true,
            ..LedgerFilter::default()
        };
        assert_eq!(descriptions(&desk, overdue), ["厂区围墙"]);
        let resolved = LedgerFilter {
            status: Some(AppealStatus::Resolved),
            ..LedgerFilter::default()
        };
        assert!(descriptions(&desk, resolved).is_empty());
    }

    #[test]
    fn a_row_names_its_site_park_and_department() {
        let (_dir, desk) = demo_desk(Some("2024-11-15"));
        let rows = desk
            .ledger(
                &LedgerFilter {
                    park_id: Some(id_of(&desk, Entity::Park, "新材料产业园")),
                    ..LedgerFilter::default()
                },
                LedgerOrder::default(),
                None,
            )
            .unwrap()
            .rows;
        assert_eq!(rows.len(), 2);
        let context = &rows[0].context;
        assert_eq!(context.site_name.as_deref(), Some("湖北斯诺新材料有限公司"));
        assert_eq!(context.park_name.as_deref(), Some("新材料产业园"));
        assert_eq!(
            context.department_name.as_deref(),
            Some("自然资源和规划中心")
        );
        assert!(context.overdue);
        assert!(!rows[1].context.overdue);
    }

    #[test]
    fn a_filter_with_fields_left_out_reads_as_no_filter() {
        let filter: LedgerFilter =
            serde_json::from_value(serde_json::json!({ "category": "land" })).unwrap();
        assert_eq!(
            filter,
            LedgerFilter {
                category: Some(Category::Land),
                ..LedgerFilter::default()
            }
        );
    }

    #[test]
    fn the_allowed_actions_follow_the_lifecycle() {
        use ActionKind::*;
        assert_eq!(
            allowed_actions(AppealStatus::Received, None),
            [Dispatch, Resolve, Extend]
        );
        assert_eq!(
            allowed_actions(AppealStatus::Dispatched, None),
            [Start, Resolve, Return, Transfer, Extend]
        );
        assert_eq!(
            allowed_actions(AppealStatus::InProgress, None),
            [Resolve, Return, Transfer, Extend]
        );
        assert_eq!(
            allowed_actions(AppealStatus::Resolved, None),
            [Confirm, Reopen]
        );
        assert_eq!(allowed_actions(AppealStatus::Confirmed, None), [Reopen]);
        // A department handles what it was given; the office dispatches, confirms, reopens.
        let dept = Some(Role::Department);
        assert_eq!(
            allowed_actions(AppealStatus::Received, dept),
            [Resolve, Extend]
        );
        assert_eq!(allowed_actions(AppealStatus::Resolved, dept), []);
        assert_eq!(
            allowed_actions(AppealStatus::Resolved, Some(Role::Officer)),
            [Confirm, Reopen]
        );
    }

    #[test]
    fn the_detail_offers_what_its_status_allows() {
        let (_dir, desk) = demo_desk(Some("2024-11-15"));
        let id = desk
            .ledger(&LedgerFilter::default(), LedgerOrder::default(), None)
            .unwrap()
            .rows[0]
            .appeal
            .id;
        let detail = desk.act_on_appeal(id, AppealAction::Resolve, None).unwrap();
        assert_eq!(detail.allowed, [ActionKind::Confirm, ActionKind::Reopen]);
        assert!(!detail.context.overdue, "a resolved appeal is not overdue");
        let detail = desk
            .act_on_appeal(id, AppealAction::Confirm { satisfaction: 4 }, None)
            .unwrap();
        assert_eq!(detail.appeal.satisfaction, Some(4));
        assert_eq!(detail.allowed, [ActionKind::Reopen]);
    }

    #[test]
    fn a_missing_reason_department_or_deadline_is_named() {
        let (_dir, desk) = demo_desk(Some("2024-11-15"));
        let id = desk
            .ledger(&LedgerFilter::default(), LedgerOrder::default(), None)
            .unwrap()
            .rows[0]
            .appeal
            .id;
        let field = |action| desk.act_on_appeal(id, action, None).unwrap_err().field;
        let reason = field(AppealAction::Return {
            reason: "  ".into(),
        });
        assert_eq!(reason.as_deref(), Some("reason"));
        let department = field(AppealAction::Transfer {
            department_id: None,
            reason: "不属本单位职责".into(),
        });
        assert_eq!(department.as_deref(), Some("department_id"));
        let deadline = field(AppealAction::Extend {
            deadline: "".into(),
            reason: "等待设计".into(),
        });
        assert_eq!(deadline.as_deref(), Some("deadline"));
        let deadline = field(AppealAction::Extend {
            deadline: "2025-13-01".into(),
            reason: "等待设计".into(),
        });
        assert_eq!(deadline.as_deref(), Some("deadline"));
        // Nothing was recorded by the refused actions.
        assert_eq!(desk.appeal(id).unwrap().progress.len(), 1);
    }

    #[test]
    fn transfer_and_extend_change_the_department_and_deadline() {
        let (_dir, desk) = demo_desk(Some("2024-11-15"));
        let id = desk
            .ledger(&LedgerFilter::default(), LedgerOrder::default(), None)
            .unwrap()
            .rows[0]
            .appeal
            .id;
        let economy = id_of(&desk, Entity::Department, "经济发展局");
        let detail = desk
            .act_on_appeal(
                id,
                AppealAction::Transfer {
                    department_id: Some(economy),
                    reason: "涉及资金".into(),
                },
                None,
            )
            .unwrap();
        assert_eq!(
            detail.context.department_name.as_deref(),
            Some("经济发展局")
        );
        let detail = desk
            .act_on_appeal(
                id,
                AppealAction::Extend {
                    deadline: "2024-12-15".into(),
                    reason: "等待设计".into(),
                },
                None,
            )
            .unwrap();
        assert_eq!(
            detail.appeal.deadline,
            NaiveDate::from_ymd_opt(2024, 12, 15)
        );
        assert!(!detail.context.overdue);
        assert_eq!(
            detail.progress.last().unwrap().reason.as_deref(),
            Some("等待设计")
        );
    }

    #[test]
    fn alerts_list_the_late_and_the_due_soon_and_remind_once_a_day() {
        // Friday 27 December 2024: the wall is long overdue, the power price is due Tuesday.
        let (_dir, desk) = demo_desk(Some("2024-12-27"));
        let alerts = desk.alerts(3).unwrap();
        let first = |p: &LedgerPage| -> Vec<String> {
            p.rows
                .iter()
                .map(|r| r.appeal.description.chars().take(4).collect())
                .collect()
        };
        assert_eq!(first(&alerts.overdue), ["厂区围墙"]);
        assert_eq!(first(&alerts.due_soon), ["生产用电"]);
        assert_eq!(
            (alerts.overdue.total, alerts.due_soon.total),
            (Some(1), Some(1))
        );
        assert_eq!(alerts.due_soon.rows[0].context.days_left, Some(2));
        assert!(alerts.overdue.rows[0].context.days_left.unwrap() < 0);
        assert!(
            desk.alerts(1).unwrap().due_soon.rows.is_empty(),
            "Tuesday is two days on"
        );

        let reminder = desk
            .daily_reminder()
            .unwrap()
            .expect("something needs attention");
        assert!(reminder.contains("逾期未办结 1 件"), "{reminder}");
        assert_eq!(desk.daily_reminder().unwrap(), None, "once a day");
    }

    #[test]
    fn the_ledger_pages_and_searches_and_exports_as_shown() {
        let (dir, desk) = demo_desk(Some("2024-11-15"));
        let by_deadline = LedgerOrder {
            by: LedgerSort::Deadline,
            descending: true,
        };
        let page = desk
            .ledger(&LedgerFilter::default(), by_deadline, None)
            .unwrap();
        assert_eq!(page.total, Some(2));
        assert!(page.next.is_none());
        assert!(page.rows[0].appeal.deadline > page.rows[1].appeal.deadline);
        let found = desk
            .ledger(
                &LedgerFilter {
                    search: Some(" 围墙 ".into()),
                    ..LedgerFilter::default()
                },
                LedgerOrder::default(),
                None,
            )
            .unwrap();
        assert_eq!(found.total, Some(1));
        let bad = desk
            .ledger(&LedgerFilter::default(), by_deadline, Some("nonsense"))
            .unwrap_err();
        assert_eq!(bad.field.as_deref(), Some("after"));

        let path = dir.path().join("台账.csv");
        let rows = desk
            .export_ledger(&LedgerFilter::default(), by_deadline, &path)
            .unwrap();
        assert_eq!(rows, 2);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.lines().nth(1).unwrap().contains("生产用电"), "{text}");
    }
}
