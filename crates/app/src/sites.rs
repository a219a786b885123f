//! Sites (企业 / 重点项目): found by name, pinyin initials or credit code, created on the spot,
//! and each one's history of visits, appeals, consultations and golden ideas.

use desk_core::model::{Appeal, Consultation, Park, Record, Site, SiteKind, Suggestion, Visit};
use desk_core::{time, Entity, ValidationError};
use desk_store::{AppealFilter, Store, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use ts_rs::TS;
use uuid::Uuid;

use super::{Desk, Result};

/// The most sites a search or the full list returns: a tablet list stays quick to scroll, and
/// typing a few more letters narrows it.
pub const SITE_LIST_CAP: usize = 200;

/// A site with the name of its park, as lists show it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SiteRow {
    #[serde(flatten)]
    pub site: Site,
    pub park_name: Option<String>,
}

/// A new site as the UI sends it; checked here so that each error names its field.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct SiteInput {
    pub name: String,
    pub credit_code: Option<String>,
    /// "enterprise" or "project" (or their Chinese names); text here so that anything else is
    /// refused with the field named.
    #[ts(as = "SiteKind")]
    pub kind: String,
    pub park_id: Option<String>,
}

/// An appeal as a site's history shows it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SiteAppeal {
    #[serde(flatten)]
    pub appeal: Appeal,
    pub department_name: Option<String>,
    /// Past its deadline and not resolved, on the zone's calendar today.
    pub overdue: bool,
}

/// A site and what happened there, each list newest first.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SiteHistory {
    pub site: SiteRow,
    pub visits: Vec<Visit>,
    pub appeals: Vec<SiteAppeal>,
    pub consultations: Vec<Consultation>,
    pub suggestions: Vec<Suggestion>,
}

/// Rows as the store lists them, as the records they hold.
pub(super) fn records<R: Record>(rows: Vec<Map<String, Value>>) -> Result<Vec<R>> {
    rows.into_iter()
        .map(|r| {
            serde_json::from_value(Value::Object(r))
                .map_err(|_| StoreError::Corrupt(R::ENTITY.table()).into())
        })
        .collect()
}

/// Live records of one kind that belong to a site.
fn of_site<R: Record>(store: &Store, site: Uuid) -> Result<Vec<R>> {
    let key = Value::String(site.to_string());
    let mut rows = store.list(R::ENTITY)?;
    rows.retain(|r| r["site_id"] == key && r["void_reason"].is_null());
    records(rows)
}

/// Names by id, from a list of parks, departments or sites.
pub(super) fn names(rows: Vec<Map<String, Value>>) -> std::collections::HashMap<Uuid, String> {
    rows.into_iter()
        .filter_map(|r| Some((r["id"].as_str()?.parse().ok()?, r["name"].as_str()?.into())))
        .collect()
}

fn with_park(site: Site, parks: &std::collections::HashMap<Uuid, String>) -> SiteRow {
    let park_name = site.park_id.and_then(|p| parks.get(&p).cloned());
    SiteRow { site, park_name }
}

impl Desk {
    /// Live sites matching `query` (name, pinyin initials such as "hbsn", credit code or its
    /// prefix, address, industry), in name order; an empty query lists them all. At most
    /// [`SITE_LIST_CAP`].
    pub fn find_sites(&self, query: &str) -> Result<Vec<SiteRow>> {
        let store = self.store();
        let rows = if query.trim().is_empty() {
            store.list(Entity::Site)?
        } else {
            store.search(query, SITE_LIST_CAP)?.sites
        };
        let mut sites: Vec<Site> = records(rows)?;
        sites.retain(|s| s.void_reason.is_none());
        sites.sort_by(|a, b| a.name.cmp(&b.name));
        sites.truncate(SITE_LIST_CAP);
        let parks = names(store.list(Entity::Park)?);
        Ok(sites.into_iter().map(|s| with_park(s, &parks)).collect())
    }

    /// Records a new site met on the road. The credit code is optional (projects have none)
    /// and checked against GB 32100-2015 when given; an empty one counts as none.
    pub fn create_site(&self, input: SiteInput) -> Result<SiteRow> {
        let kind = SiteKind::parse("kind", &input.kind)?;
        let park_id = input
            .park_id
            .filter(|p| !p.trim().is_empty())
            .map(|p| {
                Uuid::parse_str(p.trim()).map_err(|_| ValidationError::Invalid {
                    field: "park_id",
                    value: p.clone(),
                    expected: "一个园区 (a park)".into(),
                })
            })
            .transpose()?;
        let site = Site {
            id: Uuid::now_v7(),
            kind,
            name: input.name,
            credit_code: input.credit_code.filter(|c| !c.trim().is_empty()),
            park_id,
            address: None,
            industry: None,
            contact: None,
            phone: None,
            void_reason: None,
        };
        let mut store = self.store();
        // The record as written: trimmed, its credit code upper-cased.
        let site = store.write(|w| w.create(site))?;
        let parks = names(store.list(Entity::Park)?);
        Ok(with_park(site, &parks))
    }

    /// The zone's live parks, in name order: what a new site can belong to.
    pub fn parks(&self) -> Result<Vec<Park>> {
        let mut parks: Vec<Park> = records(self.store().list(Entity::Park)?)?;
        parks.retain(|p| p.void_reason.is_none());
        parks.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(parks)
    }

    /// A site and what happened there, newest first: visits (officials, production status,
    /// monthly output), appeals (status, deadline, whether overdue, the department handling
    /// it), consultations and golden ideas.
    pub fn site_history(&self, id: Uuid) -> Result<SiteHistory> {
        let store = self.store();
        let site = store.get::<Site>(id)?.ok_or(ValidationError::NotFound {
            field: "id",
            entity: "site",
            entity_zh: "企业/项目",
            id: id.to_string(),
        })?;
        let parks = names(store.list(Entity::Park)?);
        let departments = names(store.list(Entity::Department)?);
        let today = time::local_date(store.now());

        let mut visits: Vec<Visit> = of_site(&store, id)?;
        visits.sort_by_key(|v| std::cmp::Reverse(v.started_at));
        let mut appeals: Vec<Appeal> = records(store.appeals(&AppealFilter {
            site_id: Some(id),
            ..AppealFilter::default()
        })?)?;
        appeals.sort_by_key(|a| std::cmp::Reverse(a.raised_at));
        let appeals = appeals
            .into_iter()
            .map(|appeal| SiteAppeal {
                department_name: appeal
                    .department_id
                    .and_then(|d| departments.get(&d).cloned()),
                overdue: desk_core::deadline::is_overdue(appeal.status, appeal.deadline, today),
                appeal,
            })
            .collect();
        let mut consultations: Vec<Consultation> = of_site(&store, id)?;
        consultations.sort_by_key(|c| std::cmp::Reverse(c.at));
        let mut suggestions: Vec<Suggestion> = of_site(&store, id)?;
        suggestions.sort_by_key(|g| std::cmp::Reverse(g.at));

        Ok(SiteHistory {
            site: with_park(site, &parks),
            visits,
            appeals,
            consultations,
            suggestions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::demo_desk;

    fn names(sites: &[SiteRow]) -> Vec<&str> {
        sites.iter().map(|s| s.site.name.as_str()).collect()
    }

    fn snow(desk: &Desk) -> Site {
        desk.find_sites("hbsn").unwrap().remove(0).site
    }

    fn input(name: &str, code: Option<&str>, kind: &str, park: Option<&str>) -> SiteInput {
        SiteInput {
            name: name.into(),
            credit_code: code.map(Into::into),
            kind: kind.into(),
            park_id: park.map(Into::into),
        }
    }

    #[test]
    fn sites_are_found_by_name_initials_and_credit_code() {
        let (_dir, desk) = demo_desk(Some("2024-11-01"));
        let all = desk.find_sites("  ").unwrap();
        assert_eq!(all.len(), 5);
        let mut sorted = names(&all);
        sorted.sort();
        assert_eq!(names(&all), sorted, "name order");

        let found = desk.find_sites("hbsn").unwrap();
        assert_eq!(names(&found), ["湖北斯诺新材料有限公司"]);
        assert_eq!(found[0].park_name.as_deref(), Some("新材料产业园"));
        assert_eq!(names(&desk.find_sites("斯诺").unwrap()), names(&found));
        // A credit code is found from its first characters, in either case.
        let code = found[0].site.credit_code.clone().unwrap();
        let by_prefix = desk.find_sites(&code[..12].to_lowercase()).unwrap();
        assert_eq!(names(&by_prefix), ["湖北斯诺新材料有限公司"]);
        assert!(desk.find_sites("不存在的企业").unwrap().is_empty());
    }

    #[test]
    fn voided_sites_are_not_listed() {
        let (_dir, desk) = demo_desk(Some("2024-11-01"));
        let trade = desk.find_sites("随创").unwrap()[0].site.id;
        desk.store()
            .write(|w| w.void(Entity::Site, trade, "重复录入"))
            .unwrap();
        assert_eq!(desk.find_sites("").unwrap().len(), 4);
        assert!(desk.find_sites("随创").unwrap().is_empty());
    }

    #[test]
    fn a_new_site_is_checked_field_by_field() {
        let (_dir, desk) = demo_desk(Some("2024-11-01"));
        let park = desk.parks().unwrap()[0].id.to_string();
        let err = desk
            .create_site(input(" ", None, "enterprise", None))
            .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("name"));
        // The demo enterprise's code, taken already; and with its check character changed.
        let taken = snow(&desk).credit_code.unwrap();
        let last = if taken.ends_with('0') { '1' } else { '0' };
        let wrong = format!("{}{last}", &taken[..17]);
        let err = desk
            .create_site(input("随州某公司", Some(&wrong), "enterprise", None))
            .unwrap_err();
        assert_eq!(
            (err.code.as_str(), err.field.as_deref()),
            ("credit_code_check", Some("credit_code"))
        );
        assert!(err.message.contains("校验位"), "{}", err.message);
        let err = desk
            .create_site(input("随州某公司", None, "factory", None))
            .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("kind"));
        let err = desk
            .create_site(input("随州某公司", None, "enterprise", Some("park 1")))
            .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("park_id"));
        let nowhere = Uuid::now_v7().to_string();
        let err = desk
            .create_site(input("随州某公司", None, "enterprise", Some(&nowhere)))
            .unwrap_err();
        assert_eq!(
            (err.code.as_str(), err.field.as_deref()),
            ("not_found", Some("park_id"))
        );
        let err = desk
            .create_site(input("另一家公司", Some(&taken), "enterprise", None))
            .unwrap_err();
        assert_eq!(
            (err.code.as_str(), err.field.as_deref()),
            ("duplicate", Some("credit_code"))
        );
        assert_eq!(desk.find_sites("").unwrap().len(), 5, "nothing written");

        let row = desk
            .create_site(input(
                "  随州高新科技有限公司",
                Some(""),
                "enterprise",
                Some(&park),
            ))
            .unwrap();
        assert_eq!(row.site.name, "随州高新科技有限公司", "as stored: trimmed");
        assert_eq!(row.site.credit_code, None);
        assert!(row.park_name.is_some());
        let project = desk
            .create_site(input("城南污水管网", None, "重点项目", None))
            .unwrap();
        assert_eq!(project.site.kind, SiteKind::Project);
        assert_eq!(
            names(&desk.find_sites("sz").unwrap()),
            ["随州高新科技有限公司"]
        );
    }

    #[test]
    fn a_sites_history_shows_its_visits_and_appeals() {
        let (_dir, desk) = demo_desk(Some("2024-11-01"));
        let h = desk.site_history(snow(&desk).id).unwrap();
        assert_eq!(h.site.site.name, "湖北斯诺新材料有限公司");
        assert_eq!(h.visits.len(), 1);
        assert_eq!(h.visits[0].monthly_output_yuan, Some(12_000_000));
        let production = h.visits[0].production_status.as_deref().unwrap();
        assert!(production.contains("高温碳化车间"), "{production}");
        assert_eq!(h.appeals.len(), 2);
        let overdue: Vec<(&str, bool)> = h
            .appeals
            .iter()
            .map(|a| (a.department_name.as_deref().unwrap(), a.overdue))
            .collect();
        assert!(
            overdue.contains(&("自然资源和规划中心", true)),
            "{overdue:?}"
        );
        assert!(overdue.contains(&("经济发展局", false)), "{overdue:?}");
        assert!(h.consultations.is_empty() && h.suggestions.is_empty());

        let err = desk.site_history(Uuid::now_v7()).unwrap_err();
        assert_eq!(
            (err.code.as_str(), err.field.as_deref()),
            ("not_found", Some("id"))
        );
    }
}
