//! Desk sessions (流动办公桌活动): planned with their stops in order and time slots, started,
//! finished with a summary. The Today screen lists them, today's first.

use chrono::NaiveDate;
use desk_core::model::{
    parse_date, Appeal, Consultation, DeskType, Origin, Record, Session, SessionStatus, Stop,
    Suggestion, Visit,
};
use desk_core::{time, Entity, ValidationError};
use desk_store::{Store, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use ts_rs::TS;
use uuid::Uuid;

use super::{AppError, Desk, Result};

/// A session as the planning page sends it: the whole plan, saved in one transaction.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct SessionPlan {
    /// None for a new session.
    pub id: Option<Uuid>,
    pub date: String,
    pub leader: String,
    #[serde(default)]
    pub participants: Vec<String>,
    pub desk_types: Vec<String>,
    /// Scheduled unless said otherwise.
    #[serde(default)]
    pub origin: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    /// In visiting order; a stop left out of the list is removed from the plan.
    #[serde(default)]
    pub stops: Vec<StopPlan>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct StopPlan {
    /// None for a stop added in this edit.
    pub id: Option<Uuid>,
    pub site_id: Option<Uuid>,
    #[serde(default)]
    pub slot_start: Option<String>,
    #[serde(default)]
    pub slot_end: Option<String>,
}

/// Where a session falls from today's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SessionWhen {
    Today,
    Upcoming,
    Recent,
}

/// A planned stop with its site's name and whether the session's visit there is recorded.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct StopView {
    #[serde(flatten)]
    pub stop: Stop,
    pub site_name: Option<String>,
    pub visited: bool,
}

/// A session with its live stops in order.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SessionView {
    #[serde(flatten)]
    pub session: Session,
    pub stops: Vec<StopView>,
    pub when: SessionWhen,
}

/// A session for its page, with a summary drawn from what its visits recorded so far.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SessionDetail {
    #[serde(flatten)]
    pub view: SessionView,
    pub draft_summary: String,
}

/// Why a stop leaves a plan; records are voided, never erased.
const STOP_REMOVED: &str = "从活动计划中移除 (removed from the plan)";

/// An empty text box means "no value".
pub(super) fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// A session goes planned → in progress → finished, and never back.
fn check_transition(from: SessionStatus, to: SessionStatus) -> Result<()> {
    use SessionStatus::*;
    if matches!((from, to), (Planned, InProgress) | (InProgress, Finished)) {
        return Ok(());
    }
    Err(AppError {
        code: "illegal_transition".into(),
        params: Default::default(),
        field: Some("status".into()),
        message: format!(
            "status：活动“{}”，不能改为“{}” (a session that is {} cannot become {})",
            from.label_zh(),
            to.label_zh(),
            from.as_str(),
            to.as_str()
        ),
    })
}

fn not_found(entity: Entity, field: &'static str, id: Uuid) -> ValidationError {
    ValidationError::NotFound {
        field,
        entity: entity.name_en(),
        entity_zh: entity.name_zh(),
        id: id.to_string(),
    }
}

/// The live records of a kind.
pub(super) fn live<R: Record>(store: &Store) -> Result<Vec<R>> {
    store
        .list(R::ENTITY)?
        .into_iter()
        .filter(|row| row["void_reason"].is_null())
        .map(|row| {
            serde_json::from_value(Value::Object(row))
                .map_err(|_| StoreError::Corrupt(R::ENTITY.table()).into())
        })
        .collect()
}

/// What the Today screen and a session's page show, read in one go.
struct Snapshot {
    today: NaiveDate,
    site_names: Vec<Map<String, Value>>,
    stops: Vec<Stop>,
    visits: Vec<Visit>,
}

impl Snapshot {
    fn read(store: &Store) -> Result<Snapshot> {
        Ok(Snapshot {
            today: time::local_date(store.now()),
            site_names: store.list(Entity::Site)?,
            stops: live(store)?,
            visits: live(store)?,
        })
    }

    fn site_name(&self, id: Uuid) -> Option<String> {
        self.site_names
            .iter()
            .find(|s| s["id"] == id.to_string())
            .and_then(|s| s["name"].as_str())
            .map(str::to_owned)
    }

    fn view(&self, session: Session) -> SessionView {
        let mut stops: Vec<&Stop> = self
            .stops
            .iter()
            .filter(|st| st.session_id == session.id)
            .collect();
        stops.sort_by_key(|st| st.position);
        let stops = stops
            .into_iter()
            .map(|st| StopView {
                site_name: self.site_name(st.site_id),
                visited: self
                    .visits
                    .iter()
                    .any(|v| v.session_id == Some(session.id) && v.site_id == st.site_id),
                stop: st.clone(),
            })
            .collect();
        let when = match session.date.cmp(&self.today) {
            std::cmp::Ordering::Equal => SessionWhen::Today,
            std::cmp::Ordering::Greater => SessionWhen::Upcoming,
            std::cmp::Ordering::Less => SessionWhen::Recent,
        };
        SessionView {
            session,
            stops,
            when,
        }
    }
}

impl Desk {
    /// Live sessions, each with its stops in order: today's first, then the upcoming ones
    /// (soonest first), then the recent ones (latest first).
    pub fn sessions(&self) -> Result<Vec<SessionView>> {
        let store = self.store();
        let snap = Snapshot::read(&store)?;
        let mut sessions: Vec<SessionView> = live::<Session>(&store)?
            .into_iter()
            .map(|s| snap.view(s))
            .collect();
        sessions.sort_by(|a, b| {
            let by_date = match a.when {
                SessionWhen::Upcoming => a.session.date.cmp(&b.session.date),
                _ => b.session.date.cmp(&a.session.date),
            };
            a.when.cmp(&b.when).then(by_date)
        });
        Ok(sessions)
    }

    /// One session for its page.
    pub fn session(&self, id: Uuid) -> Result<SessionDetail> {
        let store = self.store();
        let session = store
            .get::<Session>(id)?
            .filter(|s| s.void_reason.is_none())
            .ok_or(not_found(Entity::Session, "id", id))?;
        let view = Snapshot::read(&store)?.view(session);
        let draft_summary = draft_summary(&store, &view)?;
        Ok(SessionDetail {
            view,
            draft_summary,
        })
    }

    /// Creates or changes a session and its stops, all or nothing. An error about a stop names
    /// it by its place in the list: `stops.2.slot_end`.
    pub fn save_session(&self, plan: SessionPlan) -> Result<SessionDetail> {
        let date = parse_date("date", &plan.date)?;
        let desk_types = plan
            .desk_types
            .iter()
            .map(|d| DeskType::parse("desk_types", d))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let origin = match non_empty(plan.origin) {
            Some(o) => Origin::parse("origin", &o)?,
            None => Origin::Scheduled,
        };
        let summary = non_empty(plan.summary);
        let mut store = self.store();
        let stops_before: Vec<Stop> = live(&store)?;
        // The stop being written when the write failed, to name it in the error.
        let mut at_stop: Option<usize> = None;
        let written = store.write(|w| {
            let fill = |s: &mut Session| {
                s.date = date;
                s.leader = plan.leader.clone();
                s.participants = plan.participants.clone();
                s.desk_types = desk_types.clone();
                s.origin = origin;
                s.summary = summary.clone();
            };
            let session_id = match plan.id {
                Some(id) => w.update::<Session>(id, fill)?.id,
                None => {
                    let mut s = Session {
                        id: Uuid::now_v7(),
                        date,
                        leader: String::new(),
                        participants: Vec::new(),
                        desk_types: Vec::new(),
                        origin,
                        status: SessionStatus::Planned,
                        summary: None,
                        void_reason: None,
                    };
                    fill(&mut s);
                    w.create(s)?.id
                }
            };
            let mine: Vec<Uuid> = stops_before
                .iter()
                .filter(|st| st.session_id == session_id)
                .map(|st| st.id)
                .collect();
            let mut kept = Vec::new();
            for (i, stop) in plan.stops.iter().enumerate() {
                at_stop = Some(i);
                let site_id = stop
                    .site_id
                    .ok_or(ValidationError::Required { field: "site_id" })?;
                let fill = |st: &mut Stop| {
                    st.position = i as i64 + 1;
                    st.site_id = site_id;
                    st.slot_start = non_empty(stop.slot_start.clone());
                    st.slot_end = non_empty(stop.slot_end.clone());
                };
                match stop.id {
                    // Only this session's own stops can be edited through its plan.
                    Some(id) if !mine.contains(&id) => {
                        return Err(not_found(Entity::Stop, "id", id).into());
                    }
                    Some(id) => {
                        w.update::<Stop>(id, fill)?;
                        kept.push(id);
                    }
                    None => {
                        let mut st = Stop {
                            id: Uuid::now_v7(),
                            session_id,
                            position: 0,
                            site_id,
                            slot_start: None,
                            slot_end: None,
                            void_reason: None,
                        };
                        fill(&mut st);
                        w.create(st)?;
                    }
                }
            }
            at_stop = None;
            for gone in mine.iter().filter(|id| !kept.contains(id)) {
                w.void(Entity::Stop, *gone, STOP_REMOVED)?;
            }
            Ok(session_id)
        });
        drop(store);
        match written {
            Ok(id) => self.session(id),
            Err(e) => {
                let mut e = AppError::from(e);
                if let (Some(i), Some(field)) = (at_stop, &e.field) {
                    e.field = Some(format!("stops.{i}.{field}"));
                }
                Err(e)
            }
        }
    }

    /// The desk is out: a planned session starts.
    pub fn start_session(&self, id: Uuid) -> Result<SessionDetail> {
        self.move_session(id, SessionStatus::InProgress, None)?;
        self.session(id)
    }

    /// Back at the office: the session is finished, with the summary given or, when none is,
    /// the one drawn from its visits.
    pub fn finish_session(&self, id: Uuid, summary: Option<String>) -> Result<SessionDetail> {
        let summary = match non_empty(summary) {
            Some(s) => s,
            None => self.session(id)?.draft_summary,
        };
        self.move_session(id, SessionStatus::Finished, Some(summary))?;
        self.session(id)
    }

    fn move_session(&self, id: Uuid, to: SessionStatus, summary: Option<String>) -> Result<()> {
        let mut store = self.store();
        let from = store
            .get::<Session>(id)?
            .filter(|s| s.void_reason.is_none())
            .ok_or(not_found(Entity::Session, "id", id))?
            .status;
        check_transition(from, to)?;
        store.write(|w| {
            w.update::<Session>(id, |s| {
                s.status = to;
                if summary.is_some() {
                    s.summary = summary;
                }
            })
        })?;
        Ok(())
    }
}

/// A summary from what the session's visits recorded: stops visited, appeals collected and
/// resolved, consultations answered, golden ideas.
fn draft_summary(store: &Store, view: &SessionView) -> Result<String> {
    let visits: Vec<Uuid> = live::<Visit>(store)?
        .into_iter()
        .filter(|v| v.session_id == Some(view.session.id))
        .map(|v| v.id)
        .collect();
    let of_visits = |visit: Option<Uuid>| visit.is_some_and(|v| visits.contains(&v));
    let appeals: Vec<Appeal> = live::<Appeal>(store)?
        .into_iter()
        .filter(|a| of_visits(a.visit_id))
        .collect();
    let resolved = appeals.iter().filter(|a| a.status.is_resolved()).count();
    let consultations = live::<Consultation>(store)?
        .iter()
        .filter(|c| of_visits(c.visit_id))
        .count();
    let ideas = live::<Suggestion>(store)?
        .iter()
        .filter(|s| of_visits(s.visit_id))
        .count();
    let visited: Vec<&str> = view
        .stops
        .iter()
        .filter(|s| s.visited)
        .filter_map(|s| s.site_name.as_deref())
        .collect();
    let desks: Vec<&str> = view
        .session
        .desk_types
        .iter()
        .map(|d| d.label_zh())
        .collect();
    let mut text = format!(
        "{}，{}带队开展{}，计划走访 {} 个站点，已走访 {} 个",
        view.session.date,
        view.session.leader,
        desks.join("、"),
        view.stops.len(),
        visited.len(),
    );
    if !visited.is_empty() {
        text += &format!("：{}", visited.join("、"));
    }
    text += &format!(
        "。收集诉求 {} 件，已办结 {resolved} 件；解答咨询 {consultations} 次；收集金点子 {ideas} 条。",
        appeals.len()
    );
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A desk on the demo data, its clock pinned to 10:00 in the zone on `today`.
    fn desk_on(today: &str) -> (tempfile::TempDir, Desk) {
        crate::testing::demo_desk(Some(today))
    }

    fn site_ids(desk: &Desk) -> Vec<Uuid> {
        desk.store()
            .list(Entity::Site)
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().parse().unwrap())
            .collect()
    }

    fn plan(date: &str, stops: Vec<StopPlan>) -> SessionPlan {
        SessionPlan {
            id: None,
            date: date.into(),
            leader: "党工委书记".into(),
            participants: vec!["园区办公室百通岗".into(), " ".into()],
            desk_types: vec!["office".into(), "流动调解桌".into()],
            origin: None,
            summary: None,
            stops,
        }
    }

    fn stop(site_id: Uuid, start: &str, end: &str) -> StopPlan {
        StopPlan {
            id: None,
            site_id: Some(site_id),
            slot_start: Some(start.into()),
            slot_end: Some(end.into()),
        }
    }

    #[test]
    fn todays_sessions_come_first_then_upcoming_then_recent() {
        let (_dir, desk) = desk_on("2024-11-05");
        let sites = site_ids(&desk);
        for date in ["2024-11-20", "2024-11-05", "2024-11-07", "2024-10-30"] {
            desk.save_session(plan(date, vec![stop(sites[0], "09:00", "10:00")]))
                .unwrap();
        }
        let list = desk.sessions().unwrap();
        let order: Vec<(String, SessionWhen)> = list
            .iter()
            .map(|s| (s.session.date.to_string(), s.when))
            .collect();
        use SessionWhen::*;
        assert_eq!(
            order,
            [
                ("2024-11-05".into(), Today),
                ("2024-11-07".into(), Upcoming),
                ("2024-11-20".into(), Upcoming),
                ("2024-10-30".into(), Recent),
                ("2024-10-26".into(), Recent),
            ]
        );
        // The demo session: five stops in order, every one visited.
        let demo = &list[4].stops;
        assert_eq!(demo.len(), 5);
        assert_eq!(demo[0].site_name.as_deref(), Some("湖北斯诺新材料有限公司"));
        assert_eq!(demo[0].stop.slot_start.as_deref(), Some("08:30"));
        assert!(demo.iter().all(|s| s.visited));
        assert!(!list[0].stops[0].visited);
        // What the UI receives: the session's fields and the added ones side by side.
        let json = serde_json::to_value(&list[0]).unwrap();
        assert_eq!(json["when"], "today");
        assert_eq!(json["stops"][0]["site_name"], "湖北斯诺新材料有限公司");
        assert_eq!(json["stops"][0]["slot_end"], "10:00");
    }

    #[test]
    fn a_plan_is_saved_with_its_stops_in_order_and_can_be_edited() {
        let (_dir, desk) = desk_on("2024-11-05");
        let sites = site_ids(&desk);
        let saved = desk
            .save_session(plan(
                "2024-11-06",
                vec![
                    stop(sites[0], "08:30", "09:30"),
                    stop(sites[1], "10:00", ""),
                    stop(sites[2], "14:00", "15:00"),
                ],
            ))
            .unwrap()
            .view;
        assert_eq!(saved.session.status, SessionStatus::Planned);
        assert_eq!(saved.session.origin, Origin::Scheduled);
        assert_eq!(saved.session.participants, ["园区办公室百通岗"]);
        assert_eq!(
            saved.session.desk_types,
            [DeskType::Office, DeskType::Mediation]
        );
        assert_eq!(saved.stops[1].stop.slot_end, None);
        let stop_id = |i: usize| Some(saved.stops[i].stop.id);

        // Reorder (third first), change a slot, drop the second stop, add one at the end.
        let mut edit = plan("2024-11-07", Vec::new());
        edit.id = Some(saved.session.id);
        edit.leader = "管委会主任".into();
        edit.stops = vec![
            StopPlan {
                id: stop_id(2),
                ..stop(sites[2], "08:00", "08:45")
            },
            StopPlan {
                id: stop_id(0),
                ..stop(sites[0], "09:00", "09:30")
            },
            stop(sites[3], "10:00", "11:00"),
        ];
        let edited = desk.save_session(edit).unwrap().view;
        assert_eq!(edited.session.leader, "管委会主任");
        assert_eq!(edited.session.date.to_string(), "2024-11-07");
        let order: Vec<(Uuid, i64)> = edited
            .stops
            .iter()
            .map(|s| (s.stop.site_id, s.stop.position))
            .collect();
        assert_eq!(order, [(sites[2], 1), (sites[0], 2), (sites[3], 3)]);
        assert_eq!(edited.stops[0].stop.id, saved.stops[2].stop.id);
        assert_eq!(edited.stops[0].stop.slot_start.as_deref(), Some("08:00"));
        // The dropped stop is voided, not erased.
        let dropped = desk
            .store()
            .get::<Stop>(saved.stops[1].stop.id)
            .unwrap()
            .unwrap();
        assert_eq!(dropped.void_reason.as_deref(), Some(STOP_REMOVED));
    }

    #[test]
    fn a_bad_plan_names_the_field_and_writes_nothing() {
        let (_dir, desk) = desk_on("2024-11-05");
        let sites = site_ids(&desk);
        let ops_before = desk.store().oplog().unwrap().len();
        let field_of = |p: SessionPlan| desk.save_session(p).unwrap_err().field.unwrap();

        assert_eq!(field_of(plan("11/06/2024", Vec::new())), "date");
        let mut p = plan("2024-11-06", Vec::new());
        p.leader = "  ".into();
        assert_eq!(field_of(p), "leader");
        let mut p = plan("2024-11-06", Vec::new());
        p.desk_types = Vec::new();
        assert_eq!(field_of(p), "desk_types");
        let mut p = plan("2024-11-06", Vec::new());
        p.desk_types = vec!["canteen".into()];
        assert_eq!(field_of(p), "desk_types");
        let mut p = plan("2024-11-06", Vec::new());
        p.origin = Some("walk-in".into());
        assert_eq!(field_of(p), "origin");
        // Stops are named by their place in the list, after the good ones were written.
        let good = stop(sites[0], "08:30", "09:00");
        let bad_end = stop(sites[1], "10:00", "09:00");
        assert_eq!(
            field_of(plan("2024-11-06", vec![good.clone(), bad_end])),
            "stops.1.slot_end"
        );
        let bad_start = stop(sites[1], "8点", "");
        assert_eq!(
            field_of(plan("2024-11-06", vec![good.clone(), bad_start])),
            "stops.1.slot_start"
        );
        let no_site = StopPlan {
            site_id: None,
            ..good.clone()
        };
        assert_eq!(
            field_of(plan("2024-11-06", vec![no_site])),
            "stops.0.site_id"
        );
        let unknown_site = stop(Uuid::now_v7(), "08:30", "09:00");
        assert_eq!(
            field_of(plan("2024-11-06", vec![unknown_site])),
            "stops.0.site_id"
        );
        let foreign_stop = StopPlan {
            id: Some(Uuid::now_v7()),
            ..good
        };
        assert_eq!(
            field_of(plan("2024-11-06", vec![foreign_stop])),
            "stops.0.id"
        );
        let mut p = plan("2024-11-06", Vec::new());
        p.id = Some(Uuid::now_v7());
        assert_eq!(field_of(p), "id");

        assert_eq!(desk.store().oplog().unwrap().len(), ops_before);
        assert_eq!(desk.sessions().unwrap().len(), 1);
    }

    #[test]
    fn a_session_starts_then_finishes_with_a_summary_and_never_goes_back() {
        let (_dir, desk) = desk_on("2024-11-05");
        let sites = site_ids(&desk);
        let saved = desk
            .save_session(plan("2024-11-05", vec![stop(sites[0], "08:30", "09:30")]))
            .unwrap();
        let id = saved.view.session.id;

        let err = desk.finish_session(id, None).unwrap_err();
        assert_eq!(
            (err.code.as_str(), err.field.as_deref()),
            ("illegal_transition", Some("status"))
        );
        assert!(err.message.contains("计划中"), "{}", err.message);

        let started = desk.start_session(id).unwrap();
        assert_eq!(started.view.session.status, SessionStatus::InProgress);
        let err = desk.start_session(id).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("status"));

        let finished = desk.finish_session(id, Some("  ".into())).unwrap().view;
        assert_eq!(finished.session.status, SessionStatus::Finished);
        let summary = finished.session.summary.unwrap();
        assert!(
            summary.starts_with("2024-11-05，党工委书记带队开展流动办公桌、流动调解桌"),
            "{summary}"
        );
        assert!(
            summary.contains("计划走访 1 个站点，已走访 0 个。"),
            "{summary}"
        );
        assert!(desk.start_session(id).is_err());

        let unknown = desk.start_session(Uuid::now_v7()).unwrap_err();
        assert_eq!(unknown.field.as_deref(), Some("id"));
        assert_eq!(desk.session(Uuid::now_v7()).unwrap_err().code, "not_found");
    }

    #[test]
    fn a_summary_written_by_hand_is_kept() {
        let (_dir, desk) = desk_on("2024-11-05");
        let sites = site_ids(&desk);
        let id = desk
            .save_session(plan("2024-11-05", vec![stop(sites[0], "08:30", "09:30")]))
            .unwrap()
            .view
            .session
            .id;
        desk.start_session(id).unwrap();
        let finished = desk.finish_session(id, Some(" 手写小结 ".into())).unwrap();
        assert_eq!(finished.view.session.summary.as_deref(), Some("手写小结"));
    }

    #[test]
    fn the_draft_summary_counts_what_the_visits_recorded() {
        let (_dir, desk) = desk_on("2024-11-05");
        let id = desk.sessions().unwrap()[0].session.id;
        let draft = desk.session(id).unwrap().draft_summary;
        assert!(
            draft.contains("计划走访 5 个站点，已走访 5 个：湖北斯诺新材料有限公司、"),
            "{draft}"
        );
        assert!(draft.contains("收集诉求 2 件"), "{draft}");
        // The demo session is finished already: it cannot finish twice.
        let err = desk
            .finish_session(id, Some("手写小结".into()))
            .unwrap_err();
        assert_eq!(err.code, "illegal_transition");
    }
}
