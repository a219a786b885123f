//! Printable papers: the visit minutes (走访纪要) gathered from the records, and the month's
//! report (工作月报) from the figures, as the A4 pages `desk_export::print` lays out; the
//! window previews them and prints them.

use desk_core::model::{Appeal, Consultation, Resolution, Session, Site, Stop, Suggestion, Visit};
use desk_core::{time, Entity, ValidationError};
use desk_export::print::{
    Minutes, MinutesAppeal, MinutesResolution, Report, ReportIssue, SessionSummary,
};
use uuid::Uuid;

use super::sites::{names, records};
use super::{Desk, Result};

/// The resolution decided on the spot for an appeal, if one was.
fn on_site_resolution(store: &desk_store::Store, appeal_id: Uuid) -> Result<Option<Resolution>> {
    Ok(
        records(store.live_with(Entity::Resolution, "appeal_id", appeal_id)?)?
            .into_iter()
            .next(),
    )
}

impl Desk {
    /// The minutes of a finished visit, as a complete HTML page.
    pub fn visit_minutes(&self, visit_id: Uuid) -> Result<String> {
        let store = self.store();
        let visit = store
            .get::<Visit>(visit_id)?
            .ok_or(ValidationError::NotFound {
                field: "visit_id",
                entity: "visit",
                entity_zh: "走访",
                id: visit_id.to_string(),
            })?;
        let site = store.get::<Site>(visit.site_id)?;
        let parks = names(store.list(Entity::Park)?);
        let departments = names(store.list(Entity::Department)?);
        let department = |id: &Uuid| departments.get(id).cloned().unwrap_or_default();
        let session = match visit.session_id {
            Some(id) => store.get::<Session>(id)?,
            None => None,
        };
        let mut appeals: Vec<Appeal> =
            records(store.live_with(Entity::Appeal, "visit_id", visit_id)?)?;
        appeals.sort_by_key(|a| a.raised_at);
        let mut lines = Vec::new();
        for a in appeals {
            let resolution = on_site_resolution(&store, a.id)?;
            lines.push(MinutesAppeal {
                category: a.category.label_zh().into(),
                description: a.description,
                urgent: a.urgency == desk_core::model::Urgency::Urgent,
                resolution: resolution.map(|r| MinutesResolution {
                    action: r.action,
                    lead: department(&r.lead_department_id),
                    co: r.co_department_ids.iter().map(department).collect(),
                    deadline: r.deadline,
                    commitment: r.commitment,
                }),
            });
        }
        let consultations: Vec<Consultation> =
            records(store.live_with(Entity::Consultation, "visit_id", visit_id)?)?;
        let ideas: Vec<Suggestion> =
            records(store.live_with(Entity::Suggestion, "visit_id", visit_id)?)?;
        let local = visit.started_at.with_timezone(&time::shanghai());
        let minutes = Minutes {
            park: site
                .as_ref()
                .and_then(|s| s.park_id)
                .and_then(|p| parks.get(&p).cloned()),
            credit_code: site.as_ref().and_then(|s| s.credit_code.clone()),
            address: site.as_ref().and_then(|s| s.address.clone()),
            site: site.map(|s| s.name).unwrap_or_default(),
            date: Some(local.date_naive()),
            time: local.format("%H:%M").to_string(),
            leader: session.map(|s| s.leader),
            officials: visit.officials,
            attendees: visit.enterprise_attendees,
            production: visit.production_status,
            output_wan: visit
                .monthly_output_yuan
                .map(|y| format!("{}", y as f64 / 10_000.0)),
            appeals: lines,
            consultations: consultations
                .into_iter()
                .map(|c| (c.topic, c.question, c.answer))
                .collect(),
            ideas: ideas.into_iter().map(|g| g.content).collect(),
            notes: visit.notes,
            signature: visit.signature.map(|s| {
                let at = s.signed_at.with_timezone(&time::shanghai());
                (
                    s.svg(240),
                    s.signer,
                    at.format("%Y年%-m月%-d日").to_string(),
                )
            }),
        };
        Ok(desk_export::print::minutes_html(&minutes))
    }
}

impl Desk {
    /// A desk session's summary (活动小结): its plan, its stops and whether each was visited,
    /// the appeals its visits raised with their lead departments, and the summary written.
    pub fn session_summary(&self, session_id: Uuid) -> Result<String> {
        let store = self.store();
        let session = store
            .get::<Session>(session_id)?
            .ok_or(ValidationError::NotFound {
                field: "session_id",
                entity: "session",
                entity_zh: "活动",
                id: session_id.to_string(),
            })?;
        let sites = names(store.list(Entity::Site)?);
        let departments = names(store.list(Entity::Department)?);
        let name = |names: &std::collections::HashMap<Uuid, String>, id: &Uuid| {
            names.get(id).cloned().unwrap_or_default()
        };
        let mut stops: Vec<Stop> =
            records(store.live_with(Entity::Stop, "session_id", session_id)?)?;
        stops.sort_by_key(|s| s.position);
        let visits: Vec<Visit> =
            records(store.live_with(Entity::Visit, "session_id", session_id)?)?;
        let mut summary = SessionSummary {
            date: Some(session.date),
            leader: session.leader,
            participants: session.participants,
            desks: session
                .desk_types
                .iter()
                .map(|d| d.label_zh().to_owned())
                .collect(),
            stops: stops
                .iter()
                .map(|s| {
                    let slot = match (&s.slot_start, &s.slot_end) {
                        (None, None) => String::new(),
                        (a, b) => format!(
                            "{}–{}",
                            a.as_deref().unwrap_or(""),
                            b.as_deref().unwrap_or("")
                        ),
                    };
                    let visited = visits.iter().any(|v| v.site_id == s.site_id);
                    (name(&sites, &s.site_id), slot, visited)
                })
                .collect(),
            summary: session.summary,
            ..SessionSummary::default()
        };
        for visit in &visits {
            let appeals: Vec<Appeal> =
                records(store.live_with(Entity::Appeal, "visit_id", visit.id)?)?;
            for a in appeals {
                let resolution = on_site_resolution(&store, a.id)?;
                summary.appeals.push((
                    name(&sites, &a.site_id),
                    a.category.label_zh().to_owned(),
                    a.description,
                    resolution
                        .as_ref()
                        .map(|r| name(&departments, &r.lead_department_id))
                        .unwrap_or_default(),
                    resolution
                        .map(|r| r.deadline.to_string())
                        .unwrap_or_default(),
                ));
            }
            summary.consultations += store
                .live_with(Entity::Consultation, "visit_id", visit.id)?
                .len();
            summary.ideas += store
                .live_with(Entity::Suggestion, "visit_id", visit.id)?
                .len();
        }
        Ok(desk_export::print::session_html(&summary))
    }

    /// The month's report as of today: the zone's figures, charts by status, category and
    /// park, the trend, the departments' loads, the overdue list and the policy issues.
    pub fn month_report(&self) -> Result<String> {
        let stats = self.stats()?;
        let figures = self.figures()?;
        let today = time::local_date(self.store().now());
        let rate = |r: Option<f64>| r.map_or("—".to_owned(), |r| format!("{r}%"));
        let slices = |v: &[super::figures::FigureSlice]| -> Vec<(String, i64)> {
            v.iter().map(|s| (s.label.clone(), s.count)).collect()
        };
        let report = Report {
            month: today.format("%Y年%-m月").to_string(),
            as_of: Some(today),
            headline: vec![
                ("走访企业".into(), stats.visits.to_string()),
                ("诉求总数".into(), stats.appeals.to_string()),
                ("已办结".into(), stats.appeals_resolved.to_string()),
                ("办结率".into(), rate(stats.resolution_rate)),
                ("按期办结率".into(), rate(stats.on_time_rate)),
                ("逾期未办结".into(), stats.overdue_appeals.to_string()),
                ("满意率".into(), rate(stats.satisfaction_rate)),
                ("金点子".into(), stats.suggestions.to_string()),
                ("议事议题".into(), stats.policy_issues.to_string()),
                ("议题涉及企业".into(), stats.policy_enterprises.to_string()),
            ],
            charts: vec![
                ("按办理状态".into(), slices(&figures.by_status)),
                ("按诉求类别".into(), slices(&figures.by_category)),
                ("按园区".into(), slices(&figures.by_park)),
            ],
            months: figures
                .by_month
                .iter()
                .map(|m| (m.month.clone(), m.raised, m.resolved))
                .collect(),
            departments: figures
                .by_department
                .iter()
                .map(|d| (d.name.clone(), d.open, d.overdue, d.resolved))
                .collect(),
            overdue: figures
                .overdue
                .into_iter()
                .map(|o| {
                    (
                        o.site_name.unwrap_or_default(),
                        o.description,
                        o.department_name.unwrap_or_default(),
                        o.deadline,
                        o.days_overdue,
                    )
                })
                .collect(),
            policy_issues: self
                .policy_issues()?
                .into_iter()
                .map(|v| ReportIssue {
                    title: v.issue.title,
                    status: v.issue.status.label_zh().to_owned(),
                    appeals: v.appeals.len(),
                    enterprises: v.enterprises.len(),
                    conclusion: v.issue.conclusion,
                })
                .collect(),
        };
        Ok(desk_export::print::report_html(&report))
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::demo_desk;
    use desk_core::Entity;
    use uuid::Uuid;

    #[test]
    fn the_demo_visits_minutes_carry_its_appeals_and_resolutions() {
        let (_dir, desk) = demo_desk(Some("2024-11-15"));
        // One statement per lock: the store's guard lives to the end of the statement.
        let visits = desk.store().list(Entity::Visit).unwrap();
        let store = desk.store();
        let visit = visits
            .into_iter()
            .find(|v| {
                let id = v["id"].as_str().unwrap().parse().unwrap();
                !store
                    .live_with(Entity::Appeal, "visit_id", id)
                    .unwrap()
                    .is_empty()
            })
            .expect("a visit with appeals");
        drop(store);
        let html = desk
            .visit_minutes(visit["id"].as_str().unwrap().parse().unwrap())
            .unwrap();
        assert!(html.contains("湖北斯诺新材料有限公司"), "{html}");
        assert!(html.contains("牵头单位：自然资源和规划中心"));
        assert!(html.contains("2024年10月26日"));
        let missing = desk.visit_minutes(uuid::Uuid::now_v7()).unwrap_err();
        assert_eq!(missing.field.as_deref(), Some("visit_id"));
    }

    #[test]
    fn the_month_report_has_the_figures_the_overdue_and_the_policy_issues() {
        let (_dir, desk) = demo_desk(Some("2024-11-15"));
        let html = desk.month_report().unwrap();
        assert!(html.contains("2024年11月 工作月报"), "{html}");
        assert!(html.contains("逾期未办结（1 件）"));
        assert!(html.contains("厂区围墙"));
        assert!(html.contains("<rect"), "charts are drawn");
        assert!(!html.contains("议事桌议题"), "no issue taken up yet");

        let appeals: Vec<Uuid> = desk
            .store()
            .list(Entity::Appeal)
            .unwrap()
            .iter()
            .take(2)
            .map(|a| a["id"].as_str().unwrap().parse().unwrap())
            .collect();
        desk.create_policy_issue(crate::NewPolicyIssue {
            title: "厂区周边环境".into(),
            description: None,
            appeal_ids: appeals,
        })
        .unwrap();
        let html = desk.month_report().unwrap();
        assert!(html.contains("议事桌议题（1 项）"), "{html}");
        assert!(html.contains("<td>厂区周边环境</td><td>待议</td><td>2</td><td>1</td>"));
        assert!(
            html.contains("<div class=\"v\">1</div><div>议题涉及企业</div>"),
            "the headline counts it"
        );
    }

    #[test]
    fn the_demo_sessions_summary_counts_its_stops_and_appeals() {
        let (_dir, desk) = demo_desk(Some("2024-11-15"));
        let session = desk.store().list(Entity::Session).unwrap().remove(0);
        let id = session["id"].as_str().unwrap().parse().unwrap();
        let html = desk.session_summary(id).unwrap();
        assert!(html.contains("<h1>活动小结</h1>"), "{html}");
        assert!(html.contains("计划 5 站"), "{html}");
        assert!(html.contains("收集诉求 2 项"), "{html}");
        assert!(html.contains("2024年10月26日"));
        let missing = desk.session_summary(uuid::Uuid::now_v7()).unwrap_err();
        assert_eq!(missing.field.as_deref(), Some("session_id"));
    }
}
