//! Printable papers: the visit minutes (走访纪要) gathered from the records, as the A4 page
//! `desk_export::print` lays out; the window previews it and prints it.

use desk_core::model::{Appeal, Consultation, Resolution, Session, Site, Suggestion, Visit};
use desk_core::{time, Entity, ValidationError};
use desk_export::print::{Minutes, MinutesAppeal, MinutesResolution};
use uuid::Uuid;

use super::sites::{names, records};
use super::{Desk, Result};

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
            let resolution: Option<Resolution> =
                records::<Resolution>(store.live_with(Entity::Resolution, "appeal_id", a.id)?)?
                    .into_iter()
                    .next();
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
        };
        Ok(desk_export::print::minutes_html(&minutes))
    }
}

#[cfg(test)]
mod tests {
    use crate::desk::testing::demo_desk;
    use desk_core::Entity;

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
}
