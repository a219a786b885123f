//! The zone's figures beyond the headline counters ([`desk_core::stats::Stats`]): how the
//! live appeals split by status, category, park and department, month by month, and which
//! are overdue. The Figures screen draws its charts from these.

use std::collections::{BTreeMap, HashMap};

use desk_core::model::{Appeal, AppealStatus, Category, Site};
use desk_core::{time, Entity};
use desk_store::AppealFilter;
use serde::Serialize;
use ts_rs::TS;
use uuid::Uuid;

use super::sites::{names, records};
use super::{Desk, Result};

/// How many months the trend covers, ending with the latest one that has an appeal.
const TREND_MONTHS: usize = 12;
/// How many overdue appeals are listed, longest overdue first (the counter has them all).
const OVERDUE_LISTED: usize = 50;

/// One part of a whole: `key` is a stable token (or an id), `label` its Chinese name.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct FigureSlice {
    pub key: String,
    pub label: String,
    pub count: i64,
}

/// What a department has on its desk: appeals dispatched to it, open and resolved.
#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
pub struct DepartmentLoad {
    /// None: appeals not dispatched yet.
    pub id: Option<Uuid>,
    pub name: String,
    pub open: i64,
    pub overdue: i64,
    pub resolved: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
pub struct MonthFigures {
    /// "2024-10", in the zone's calendar.
    pub month: String,
    pub raised: i64,
    pub resolved: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct OverdueAppeal {
    pub id: Uuid,
    pub description: String,
    pub site_name: Option<String>,
    pub department_name: Option<String>,
    pub deadline: String,
    pub days_overdue: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct FigureBreakdown {
    /// Every status of the ledger, in lifecycle order, zeros included.
    pub by_status: Vec<FigureSlice>,
    /// Categories that have appeals, most first.
    pub by_category: Vec<FigureSlice>,
    /// Parks that have appeals, most first; key "none" for sites outside any park.
    pub by_park: Vec<FigureSlice>,
    /// Departments by open appeals, most first.
    pub by_department: Vec<DepartmentLoad>,
    pub by_month: Vec<MonthFigures>,
    pub overdue: Vec<OverdueAppeal>,
}

/// Counts into slices, most first, then by key so the order is stable.
fn most_first(counts: BTreeMap<String, (String, i64)>) -> Vec<FigureSlice> {
    let mut slices: Vec<FigureSlice> = counts
        .into_iter()
        .map(|(key, (label, count))| FigureSlice { key, label, count })
        .collect();
    slices.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(&b.key)));
    slices
}

impl Desk {
    /// This week's bulletin for the enterprises' groups (工作通报), over what the device holds.
    pub fn bulletin(&self) -> Result<desk_core::bulletin::Bulletin> {
        let store = self.store();
        let week = desk_core::bulletin::Week::of(time::local_date(store.now()));
        Ok(store.bulletin(week)?)
    }

    pub fn figures(&self) -> Result<FigureBreakdown> {
        let store = self.store();
        let today = time::local_date(store.now());
        let appeals: Vec<Appeal> = records(store.appeals(&AppealFilter::default())?)?;
        let sites: Vec<Site> = records(store.list(Entity::Site)?)?;
        let site_names: HashMap<Uuid, String> =
            sites.iter().map(|s| (s.id, s.name.clone())).collect();
        let site_park: HashMap<Uuid, Option<Uuid>> =
            sites.iter().map(|s| (s.id, s.park_id)).collect();
        let parks = names(store.list(Entity::Park)?);
        let departments = names(store.list(Entity::Department)?);
        drop(store);

        let mut by_status: HashMap<AppealStatus, i64> = HashMap::new();
        let mut by_category: BTreeMap<String, (String, i64)> = BTreeMap::new();
        let mut by_park: BTreeMap<String, (String, i64)> = BTreeMap::new();
        let mut by_department: BTreeMap<Option<Uuid>, DepartmentLoad> = BTreeMap::new();
        let mut by_month: BTreeMap<String, MonthFigures> = BTreeMap::new();
        let mut overdue = Vec::new();
        for a in &appeals {
            *by_status.entry(a.status).or_default() += 1;
            let c: Category = a.category;
            by_category
                .entry(c.as_str().into())
                .or_insert_with(|| (c.label_zh().into(), 0))
                .1 += 1;
            let park = site_park.get(&a.site_id).copied().flatten();
            let (key, label) = match park {
                Some(p) => {
                    let name = parks.get(&p).cloned().unwrap_or_else(|| p.to_string());
                    (p.to_string(), name)
                }
                None => ("none".into(), "未分园区".into()),
            };
            by_park.entry(key).or_insert_with(|| (label, 0)).1 += 1;

            let resolved = a.status.is_resolved();
            let late = desk_core::deadline::is_overdue(a.status, a.deadline, today);
            let department_name = a
                .department_id
                .map(|d| departments.get(&d).cloned().unwrap_or_default());
            let load = by_department
                .entry(a.department_id)
                .or_insert_with(|| DepartmentLoad {
                    id: a.department_id,
                    name: department_name.clone().unwrap_or_else(|| "未派单".into()),
                    ..DepartmentLoad::default()
                });
            if resolved {
                load.resolved += 1;
            } else {
                load.open += 1;
            }
            if late {
                load.overdue += 1;
            }

            let month = |at| time::local_date(at).format("%Y-%m").to_string();
            by_month.entry(month(a.raised_at)).or_default().raised += 1;
            if let Some(at) = a.resolved_at.filter(|_| resolved) {
                by_month.entry(month(at)).or_default().resolved += 1;
            }

            if let (true, Some(deadline)) = (late, a.deadline) {
                overdue.push(OverdueAppeal {
                    id: a.id,
                    description: a.description.clone(),
                    site_name: site_names.get(&a.site_id).cloned(),
                    department_name,
                    deadline: deadline.to_string(),
                    days_overdue: (today - deadline).num_days(),
                });
            }
        }

        let mut by_department: Vec<DepartmentLoad> = by_department.into_values().collect();
        by_department.sort_by(|a, b| {
            (b.open, b.overdue)
                .cmp(&(a.open, a.overdue))
                .then(a.name.cmp(&b.name))
        });
        let months = by_month.len();
        let by_month = by_month
            .into_iter()
            .skip(months.saturating_sub(TREND_MONTHS))
            .map(|(month, m)| MonthFigures { month, ..m })
            .collect();
        overdue.sort_by(|a, b| b.days_overdue.cmp(&a.days_overdue).then(a.id.cmp(&b.id)));
        overdue.truncate(OVERDUE_LISTED);

        Ok(FigureBreakdown {
            by_status: AppealStatus::ALL
                .iter()
                .map(|s| FigureSlice {
                    key: s.as_str().into(),
                    label: s.label_zh().into(),
                    count: by_status.get(s).copied().unwrap_or(0),
                })
                .collect(),
            by_category: most_first(by_category),
            by_park: most_first(by_park),
            by_department,
            by_month,
            overdue,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::demo_desk;
    use crate::AppealAction;

    fn count(slices: &[FigureSlice], key: &str) -> i64 {
        slices.iter().find(|s| s.key == key).map_or(0, |s| s.count)
    }

    #[test]
    fn the_demo_appeals_split_by_status_category_park_and_department() {
        let (_dir, desk) = demo_desk(Some("2024-11-01"));
        let f = desk.figures().unwrap();
        let statuses: Vec<_> = f.by_status.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(
            statuses,
            [
                "received",
                "dispatched",
                "in_progress",
                "resolved",
                "rectifying",
                "confirmed"
            ]
        );
        assert_eq!(count(&f.by_status, "dispatched"), 2);
        assert_eq!(f.by_status[1].label, "已派单");
        assert_eq!(count(&f.by_category, "environment"), 1);
        assert_eq!(count(&f.by_category, "utilities"), 1);
        assert_eq!(f.by_park.len(), 1);
        assert_eq!(f.by_park[0].label, "新材料产业园");
        assert_eq!(f.by_park[0].count, 2);
        let departments: Vec<_> = f
            .by_department
            .iter()
            .map(|d| (d.name.as_str(), d.open, d.overdue))
            .collect();
        // Most overdue first when the open counts tie.
        assert_eq!(
            departments,
            [("自然资源和规划中心", 1, 1), ("经济发展局", 1, 0)]
        );
        assert_eq!(
            f.by_month,
            [MonthFigures {
                month: "2024-10".into(),
                raised: 2,
                resolved: 0
            }]
        );
        assert_eq!(f.overdue.len(), 1);
        let late = &f.overdue[0];
        assert_eq!(
            (late.deadline.as_str(), late.days_overdue),
            ("2024-10-28", 4)
        );
        assert_eq!(late.site_name.as_deref(), Some("湖北斯诺新材料有限公司"));
        assert_eq!(late.department_name.as_deref(), Some("自然资源和规划中心"));
    }

    #[test]
    fn a_resolved_appeal_leaves_the_overdue_list_and_counts_in_its_month() {
        let (_dir, desk) = demo_desk(Some("2024-11-01"));
        let id = desk.figures().unwrap().overdue[0].id;
        desk.act_on_appeal(id, AppealAction::Resolve, Some("方案已交付"))
            .unwrap();
        let f = desk.figures().unwrap();
        assert!(f.overdue.is_empty());
        assert_eq!(count(&f.by_status, "resolved"), 1);
        let planning = f
            .by_department
            .iter()
            .find(|d| d.name == "自然资源和规划中心")
            .unwrap();
        assert_eq!(
            (planning.open, planning.resolved, planning.overdue),
            (0, 1, 0)
        );
        let months: Vec<_> = f
            .by_month
            .iter()
            .map(|m| (m.month.as_str(), m.raised, m.resolved))
            .collect();
        assert_eq!(months, [("2024-10", 2, 0), ("2024-11", 0, 1)]);
        // The breakdown agrees with the headline counters.
        let stats = desk.stats().unwrap();
        assert_eq!(stats.overdue_appeals, f.overdue.len() as i64);
        assert_eq!(stats.appeals_resolved, count(&f.by_status, "resolved"));
    }

    #[test]
    fn an_empty_store_has_zero_statuses_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let desk = Desk::open(dir.path()).unwrap();
        let f = desk.figures().unwrap();
        assert!(f.by_status.iter().all(|s| s.count == 0));
        assert!(f.by_category.is_empty() && f.by_park.is_empty() && f.overdue.is_empty());
    }
}
