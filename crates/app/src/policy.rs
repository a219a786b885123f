//! The deliberation desk (议事桌): appeals of different enterprises about one problem,
//! suggested as groups by the likeness of their descriptions ([`desk_core::cluster`]), taken up
//! by an official as a policy issue (议题, a record that syncs) that the appeals point at, and
//! carried through deliberation to a conclusion.

use std::collections::{BTreeSet, HashMap};

use desk_core::cluster::{self, Item};
use desk_core::model::{Appeal, AppealStatus, Category, PolicyIssue, PolicyIssueStatus};
use desk_core::{time, Entity, ValidationError};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::sessions::{live, non_empty};
use super::sites::{names, records};
use super::{Desk, Result};
use desk_store::{AppealText, Store};

/// How many suggestions the desk shows, largest first.
const SUGGESTIONS_SHOWN: usize = 30;

/// An appeal as the deliberation desk lists it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct PolicyAppeal {
    pub id: Uuid,
    pub site_id: Uuid,
    pub site_name: String,
    pub category: Category,
    pub status: AppealStatus,
    pub description: String,
    /// YYYY-MM-DD in the zone.
    pub raised_on: String,
}

/// Appeals that look like one problem raised by several enterprises.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SuggestedGroup {
    pub appeals: Vec<PolicyAppeal>,
    /// The enterprises, by name, each once.
    pub enterprises: Vec<String>,
    /// The most common category among the appeals.
    pub category: Category,
    /// The least likeness through which an appeal joined (weighted Jaccard of bigrams).
    pub similarity: f64,
}

/// A policy issue with the appeals it gathers.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct PolicyIssueView {
    pub issue: PolicyIssue,
    pub appeals: Vec<PolicyAppeal>,
    pub enterprises: Vec<String>,
}

/// A new policy issue, from a suggested group or from appeals picked by hand.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct NewPolicyIssue {
    pub title: String,
    #[ts(optional)]
    pub description: Option<String>,
    pub appeal_ids: Vec<Uuid>,
}

/// What deliberation makes of an issue.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct PolicyIssueChange {
    pub id: Uuid,
    pub status: PolicyIssueStatus,
    #[ts(optional)]
    pub conclusion: Option<String>,
}

fn enterprises(appeals: &[PolicyAppeal]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    appeals
        .iter()
        .filter(|a| seen.insert(a.site_id))
        .map(|a| a.site_name.clone())
        .collect()
}

/// The category most of them have; on a tie, the first in the list's order of categories.
fn most_common(categories: impl Iterator<Item = Category>) -> Option<Category> {
    let mut counts: HashMap<Category, usize> = HashMap::new();
    for c in categories {
        *counts.entry(c).or_default() += 1;
    }
    Category::ALL
        .iter()
        .copied()
        .filter_map(|c| Some((c, *counts.get(&c)?)))
        .rev()
        .max_by_key(|(_, n)| *n)
        .map(|(c, _)| c)
}

fn policy_appeal(a: AppealText, sites: &HashMap<Uuid, String>) -> PolicyAppeal {
    PolicyAppeal {
        id: a.id,
        site_id: a.site_id,
        site_name: sites.get(&a.site_id).cloned().unwrap_or_default(),
        category: a.category,
        status: a.status,
        description: a.description,
        raised_on: time::local_date(a.raised_at).to_string(),
    }
}

/// An issue with the live appeals that point at it.
fn view(
    store: &Store,
    issue: PolicyIssue,
    sites: &HashMap<Uuid, String>,
) -> Result<PolicyIssueView> {
    let linked: Vec<Appeal> =
        records(store.live_with(Entity::Appeal, "policy_issue_id", issue.id)?)?;
    let appeals: Vec<PolicyAppeal> = linked
        .into_iter()
        .map(|a| policy_appeal(a.into(), sites))
        .collect();
    Ok(PolicyIssueView {
        enterprises: enterprises(&appeals),
        appeals,
        issue,
    })
}

impl Desk {
    /// Groups of appeals, not yet in a policy issue, that several enterprises raised about what
    /// looks like one problem; largest first.
    pub fn policy_suggestions(&self) -> Result<Vec<SuggestedGroup>> {
        let store = self.store();
        let texts = store.unlinked_appeal_texts()?;
        let items: Vec<Item> = texts
            .iter()
            .map(|a| Item {
                text: &a.description,
                category: a.category,
                site: a.site_id.as_u128(),
            })
            .collect();
        let groups = cluster::group(&items, cluster::THRESHOLD);
        let sites = names(store.list(Entity::Site)?);
        let mut suggestions = Vec::new();
        for g in groups.into_iter().take(SUGGESTIONS_SHOWN) {
            let appeals: Vec<PolicyAppeal> = g
                .members
                .iter()
                .map(|m| policy_appeal(texts[*m].clone(), &sites))
                .collect();
            suggestions.push(SuggestedGroup {
                enterprises: enterprises(&appeals),
                appeals,
                // Only appeals of one category are grouped.
                category: texts[g.members[0]].category,
                similarity: g.similarity,
            });
        }
        Ok(suggestions)
    }

    /// The live policy issues, open ones first, each with its appeals.
    pub fn policy_issues(&self) -> Result<Vec<PolicyIssueView>> {
        let store = self.store();
        let sites = names(store.list(Entity::Site)?);
        let mut views = live::<PolicyIssue>(&store)?
            .into_iter()
            .map(|issue| view(&store, issue, &sites))
            .collect::<Result<Vec<_>>>()?;
        let rank = |s: PolicyIssueStatus| PolicyIssueStatus::ALL.iter().position(|x| *x == s);
        views.sort_by(|a, b| {
            rank(a.issue.status)
                .cmp(&rank(b.issue.status))
                .then(b.appeals.len().cmp(&a.appeals.len()))
                .then(a.issue.title.cmp(&b.issue.title))
        });
        Ok(views)
    }

    /// Takes up appeals as a new policy issue, in one transaction: the issue is created and
    /// each appeal points at it. At least two appeals; none may already be in an issue.
    pub fn create_policy_issue(&self, new: NewPolicyIssue) -> Result<PolicyIssueView> {
        let mut ids = new.appeal_ids.clone();
        ids.sort();
        ids.dedup();
        if ids.len() < 2 {
            return Err(ValidationError::Invalid {
                field: "appeal_ids",
                value: ids.len().to_string(),
                expected: "at least two appeals (至少两件诉求)".into(),
            }
            .into());
        }
        let id = Uuid::now_v7();
        self.store().write(|w| {
            let appeals: Vec<Appeal> = ids
                .iter()
                .map(|a| w.get_live::<Appeal>(*a, "appeal_ids"))
                .collect::<desk_store::Result<_>>()?;
            w.create(PolicyIssue {
                id,
                title: new.title.clone(),
                description: new.description.clone(),
                category: most_common(appeals.iter().map(|a| a.category)),
                status: PolicyIssueStatus::Open,
                conclusion: None,
                void_reason: None,
            })?;
            for a in appeals {
                if a.policy_issue_id.is_some() {
                    return Err(ValidationError::Invalid {
                        field: "appeal_ids",
                        value: a.id.to_string(),
                        expected: "an appeal not yet in a policy issue (已纳入其他议题)".into(),
                    }
                    .into());
                }
                w.update::<Appeal>(a.id, |a| a.policy_issue_id = Some(id))?;
            }
            Ok(())
        })?;
        self.policy_issue(id)
    }

    fn policy_issue(&self, id: Uuid) -> Result<PolicyIssueView> {
        let store = self.store();
        let issue = store
            .get::<PolicyIssue>(id)?
            .ok_or(ValidationError::NotFound {
                field: "id",
                entity: Entity::PolicyIssue.name_en(),
                entity_zh: Entity::PolicyIssue.name_zh(),
                id: id.to_string(),
            })?;
        view(&store, issue, &names(store.list(Entity::Site)?))
    }

    /// Records what deliberation made of an issue: its status and conclusion. An issue is
    /// concluded (已议定) or closed only with a conclusion written.
    pub fn change_policy_issue(&self, change: PolicyIssueChange) -> Result<PolicyIssueView> {
        let conclusion = non_empty(change.conclusion);
        if change.status != PolicyIssueStatus::Open && conclusion.is_none() {
            return Err(ValidationError::Required {
                field: "conclusion",
            }
            .into());
        }
        self.store().write(|w| {
            w.update::<PolicyIssue>(change.id, |i| {
                i.status = change.status;
                i.conclusion = conclusion;
            })
        })?;
        self.policy_issue(change.id)
    }

    /// Takes an appeal out of its policy issue (it was not the same problem after all).
    pub fn unlink_appeal(&self, appeal_id: Uuid) -> Result<()> {
        self.store()
            .write(|w| w.update::<Appeal>(appeal_id, |a| a.policy_issue_id = None))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::demo_desk;
    use desk_core::model::Site;

    /// Four enterprises: three speak of the price of power (as the demo's site did), one of
    /// schooling.
    const RAISED: [&str; 4] = [
        "园区工业用电价格偏高，每度电比周边园区贵一毛多，生产成本压力大，希望协调降低电价。",
        "我们企业用电成本高，电价比周边园区高，希望管委会协调降低工业电价。",
        "工业电价偏高，企业用电成本压力很大，每月电费占成本近两成。",
        "员工子女入学难，希望协调就近学校解决外来员工子女入学。",
    ];

    fn raise(desk: &Desk) -> Vec<Uuid> {
        desk.store()
            .write(|w| {
                let now = w.now();
                let mut ids = Vec::new();
                for (i, text) in RAISED.iter().enumerate() {
                    let site = w.create(Site::enterprise(format!("企业{}", i + 1)))?;
                    let appeal =
                        w.create(Appeal::raised(site.id, now, Category::Utilities, *text))?;
                    ids.push(appeal.id);
                }
                Ok(ids)
            })
            .unwrap()
    }

    #[test]
    fn a_suggested_group_becomes_a_policy_issue_and_is_counted() {
        let (_dir, desk) = demo_desk(Some("2024-11-15"));
        let ids = raise(&desk);
        let suggested = desk.policy_suggestions().unwrap();
        assert_eq!(suggested.len(), 1, "{suggested:#?}");
        let group = &suggested[0];
        let mut found: Vec<Uuid> = group.appeals.iter().map(|a| a.id).collect();
        found.sort();
        // The demo's "生产用电价格偏高" is the same problem.
        assert_eq!(found.len(), 4, "{group:#?}");
        assert!(ids[..3].iter().all(|id| found.contains(id)));
        assert_eq!(
            group.enterprises,
            ["湖北斯诺新材料有限公司", "企业1", "企业2", "企业3"]
        );
        assert_eq!(group.category, Category::Utilities);

        let view = desk
            .create_policy_issue(NewPolicyIssue {
                title: " 工业电价偏高 ".into(),
                description: None,
                appeal_ids: found.clone(),
            })
            .unwrap();
        assert_eq!(view.issue.title, "工业电价偏高");
        assert_eq!(view.issue.status, PolicyIssueStatus::Open);
        assert_eq!(view.appeals.len(), 4);
        assert!(desk.policy_suggestions().unwrap().is_empty());
        let figures = desk.stats().unwrap();
        assert_eq!(figures.policy_issues, 1);
        assert_eq!(figures.policy_enterprises, 4);

        desk.unlink_appeal(ids[0]).unwrap();
        assert_eq!(desk.policy_issues().unwrap()[0].appeals.len(), 3);
        assert_eq!(desk.stats().unwrap().policy_enterprises, 3);
    }

    #[test]
    fn deliberation_records_a_conclusion() {
        let (_dir, desk) = demo_desk(Some("2024-11-15"));
        let ids = raise(&desk);
        let view = desk
            .create_policy_issue(NewPolicyIssue {
                title: "工业电价偏高".into(),
                description: Some("三家企业反映".into()),
                appeal_ids: ids[..2].to_vec(),
            })
            .unwrap();
        let e = desk
            .change_policy_issue(PolicyIssueChange {
                id: view.issue.id,
                status: PolicyIssueStatus::Deliberated,
                conclusion: Some("  ".into()),
            })
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("conclusion"));
        let done = desk
            .change_policy_issue(PolicyIssueChange {
                id: view.issue.id,
                status: PolicyIssueStatus::Deliberated,
                conclusion: Some("协调供电公司执行园区直供电价".into()),
            })
            .unwrap();
        assert_eq!(done.issue.status, PolicyIssueStatus::Deliberated);
        assert_eq!(
            done.issue.conclusion.as_deref(),
            Some("协调供电公司执行园区直供电价")
        );
    }

    #[test]
    fn a_bad_policy_issue_names_the_field_and_writes_nothing() {
        let (_dir, desk) = demo_desk(Some("2024-11-15"));
        let ids = raise(&desk);
        let new = |title: &str, appeal_ids: Vec<Uuid>| NewPolicyIssue {
            title: title.into(),
            description: None,
            appeal_ids,
        };
        let one = desk
            .create_policy_issue(new("电价", vec![ids[0], ids[0]]))
            .unwrap_err();
        assert_eq!(one.field.as_deref(), Some("appeal_ids"));
        let untitled = desk
            .create_policy_issue(new(" ", ids[..2].to_vec()))
            .unwrap_err();
        assert_eq!(untitled.field.as_deref(), Some("title"));
        let unknown = desk
            .create_policy_issue(new("电价", vec![ids[0], Uuid::now_v7()]))
            .unwrap_err();
        assert_eq!(unknown.field.as_deref(), Some("appeal_ids"));
        desk.create_policy_issue(new("电价", ids[..2].to_vec()))
            .unwrap();
        let taken = desk
            .create_policy_issue(new("电价又一件", ids[1..3].to_vec()))
            .unwrap_err();
        assert_eq!(taken.field.as_deref(), Some("appeal_ids"));
        assert!(
            taken.message.contains("已纳入其他议题"),
            "{}",
            taken.message
        );
        // Nothing of the refused ones was written.
        let issues = desk.policy_issues().unwrap();
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].appeals.len(), 2);
    }
}
