//! Visit capture, the core screen. What the official types is a draft, saved as typed (valid or
//! not), so closing the app, a crash or a dead battery loses nothing. Finishing the visit checks
//! the draft and writes its records — the visit, appeals with their on-site resolutions,
//! consultations, golden ideas — and discards the draft, all in one transaction: a mistake
//! anywhere leaves everything as it was, with the error next to the field it concerns.

use chrono::{DateTime, NaiveDate, Utc};
use desk_core::appeal::Action;
use desk_core::calendar::WorkingDate;
use desk_core::model::{
    Appeal, Category, Consultation, Department, DepartmentLevel, Resolution, Signature, Site,
    Suggestion, Urgency, Visit,
};
use desk_core::{Entity, ValidationError};
use desk_store::{Store, StoreError, Writer};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::sites::records;
use super::{AppError, Desk, Result};

const DRAFT_KIND: &str = "visit";

/// A visit being captured, as typed. Ids are chosen when a card is added, so the records
/// written at the end keep them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, TS)]
pub struct VisitDraft {
    pub id: Uuid,
    pub session_id: Option<Uuid>,
    pub site_id: Option<Uuid>,
    /// Filled in when the draft is read, for the screen's convenience.
    #[serde(default)]
    pub site_name: Option<String>,
    pub started_at: DateTime<Utc>,
    #[serde(default)]
    pub enterprise_attendees: String,
    #[serde(default)]
    pub production_status: String,
    /// Monthly output value in 万元 (ten thousand yuan), as people say it.
    #[serde(default)]
    pub monthly_output_wan: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub appeals: Vec<AppealDraft>,
    #[serde(default)]
    pub consultations: Vec<ConsultationDraft>,
    #[serde(default)]
    pub ideas: Vec<IdeaDraft>,
    /// Where the visit is being made, once the device could tell (it is asked when capture
    /// starts, and never waited for).
    #[serde(default)]
    pub location: Option<desk_core::model::Location>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, TS)]
pub struct AppealDraft {
    pub id: Uuid,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub urgency: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub resolution: ResolutionDraft,
}

/// The on-site resolution (现场办公会决议): who does what by when.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, TS)]
pub struct ResolutionDraft {
    #[serde(default)]
    pub action: String,
    pub lead_department_id: Option<Uuid>,
    #[serde(default)]
    pub co_department_ids: Vec<Uuid>,
    #[serde(default)]
    pub deadline: String,
    #[serde(default)]
    pub commitment: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, TS)]
pub struct ConsultationDraft {
    pub id: Uuid,
    #[serde(default)]
    pub topic: String,
    #[serde(default)]
    pub question: String,
    #[serde(default)]
    pub answer: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, TS)]
pub struct IdeaDraft {
    pub id: Uuid,
    #[serde(default)]
    pub content: String,
}

/// An unfinished visit, as Today lists it.
#[derive(Debug, Clone, Serialize, PartialEq, TS)]
pub struct DraftSummary {
    pub id: Uuid,
    pub site_name: Option<String>,
    pub started_at: DateTime<Utc>,
    pub appeals: usize,
}

/// What is read back to the enterprise when the visit is finished.
#[derive(Debug, Clone, Serialize, PartialEq, TS)]
pub struct VisitSummary {
    pub visit_id: Uuid,
    pub site_name: String,
    pub text: String,
    /// The receipt to show the enterprise, once this device knows its server's address.
    pub receipt: Option<Receipt>,
}

/// A visit receipt (走访回执) as the read-back summary shows it: the link, and its QR code.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Receipt {
    pub link: String,
    /// An SVG image of the link's QR code.
    pub qr_svg: String,
}

impl Desk {
    /// Starts a visit: at a planned stop (session and site known) or anywhere.
    pub fn new_visit(&self, session_id: Option<Uuid>, site_id: Option<Uuid>) -> Result<VisitDraft> {
        let draft = VisitDraft {
            id: Uuid::now_v7(),
            session_id,
            site_id,
            site_name: None,
            started_at: self.store().now(),
            enterprise_attendees: String::new(),
            production_status: String::new(),
            monthly_output_wan: String::new(),
            notes: String::new(),
            appeals: vec![],
            consultations: vec![],
            ideas: vec![],
            location: None,
        };
        self.save_visit_draft(&draft)?;
        self.visit_draft(draft.id)
    }

    pub fn save_visit_draft(&self, draft: &VisitDraft) -> Result<()> {
        let body = serde_json::to_string(draft).map_err(internal)?;
        Ok(self.store().save_draft(draft.id, DRAFT_KIND, &body)?)
    }

    pub fn visit_draft(&self, id: Uuid) -> Result<VisitDraft> {
        let store = self.store();
        let saved = store.draft(id)?.ok_or(ValidationError::NotFound {
            field: "id",
            entity: "visit draft",
            entity_zh: "走访草稿",
            id: id.to_string(),
        })?;
        read_draft(&store, &saved.body)
    }

    /// Unfinished visits, the most recently touched first.
    pub fn visit_drafts(&self) -> Result<Vec<DraftSummary>> {
        let store = self.store();
        store
            .drafts(DRAFT_KIND)?
            .iter()
            .map(|saved| {
                let d = read_draft(&store, &saved.body)?;
                Ok(DraftSummary {
                    id: d.id,
                    site_name: d.site_name,
                    started_at: d.started_at,
                    appeals: d.appeals.len(),
                })
            })
            .collect()
    }

    pub fn discard_visit_draft(&self, id: Uuid) -> Result<()> {
        Ok(self.store().discard_draft(id)?)
    }

    /// Writes the visit's records and discards its draft, in one transaction.
    pub fn finish_visit(&self, id: Uuid) -> Result<VisitSummary> {
        let draft = self.visit_draft(id)?;
        let author = self.author();
        let site_id = draft.site_id.ok_or(AppError {
            code: "required".into(),
            params: Default::default(),
            field: Some("site".into()),
            message: "请先选择走访的企业或项目 (choose the site visited first)".into(),
        })?;
        let departments = self.department_names()?;
        // An appeal no resolution gives a deadline is to be handled within the zone's limit.
        let handling = {
            let store = self.store();
            let (calendar, limits) = (store.calendar()?, store.time_limits()?);
            desk_core::deadline::handling_deadline(draft.started_at, &calendar, &limits).0
        };
        let mut place = String::new();
        self.store()
            .write(|w| write_visit(w, &draft, site_id, &author, handling, &mut place))
            .map_err(|e| located(e, &place))?;
        Ok(VisitSummary {
            visit_id: draft.id,
            site_name: draft.site_name.clone().unwrap_or_default(),
            text: read_back(&draft, &departments),
            receipt: self.receipt(draft.id)?,
        })
    }

    /// The receipt of a visit this device recorded: a link to the portal of the server it
    /// syncs with (none before it knows one), with its QR code.
    pub fn receipt(&self, visit_id: Uuid) -> Result<Option<Receipt>> {
        let Some(token) = self.store().receipt(visit_id)? else {
            return Ok(None);
        };
        let Some(server) = self.server() else {
            return Ok(None);
        };
        let link = desk_core::receipt::link(&server, &token);
        let qr_svg = qrcode::QrCode::new(link.as_bytes())
            .map_err(|e| AppError {
                code: "failed".into(),
                params: Default::default(),
                field: None,
                message: format!("二维码生成失败 (cannot make the QR code): {e}"),
            })?
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(240, 240)
            .quiet_zone(true)
            .build();
        Ok(Some(Receipt { link, qr_svg }))
    }

    /// Takes a visit's receipt back: its link opens nothing from the next sync on.
    pub fn revoke_receipt(&self, visit_id: Uuid) -> Result<()> {
        self.store().write(|w| {
            w.update::<Visit>(visit_id, |v| v.receipt_revoked = true)
                .map(drop)
        })?;
        Ok(())
    }

    /// The enterprise representative signs the read-back minutes on the tablet: the signature
    /// goes with the visit (stamped now, by this device) and is printed with its minutes.
    pub fn sign_visit(
        &self,
        visit_id: Uuid,
        signer: String,
        strokes: Vec<Vec<[u16; 2]>>,
    ) -> Result<Signature> {
        let mut store = self.store();
        let signed_at = store.now();
        let visit = store.write(|w| {
            w.update::<Visit>(visit_id, |v| {
                v.signature = Some(Signature {
                    signer,
                    signed_at,
                    strokes,
                })
            })
        })?;
        Ok(visit.signature.expect("just signed"))
    }

    /// The day `days` working days after `from` (a deadline of "5 个工作日"), in the State
    /// Council's calendar; provisional when it reaches into a year not yet published.
    pub fn add_working_days(&self, from: &str, days: u32) -> Result<WorkingDate> {
        let from = desk_core::model::parse_date("from", from)?;
        Ok(self.store().calendar()?.add_working_days(from, days))
    }

    /// Live departments, by name.
    pub fn departments(&self) -> Result<Vec<Department>> {
        let mut all: Vec<Department> = records(self.store().list(Entity::Department)?)?;
        all.retain(|d| d.void_reason.is_none());
        all.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(all)
    }

    /// Adds a department met in the field. Reference data: the server accepts it from an
    /// administrator's device and says why not from others (the change is then listed for review).
    pub fn create_department(&self, name: &str) -> Result<Department> {
        Ok(self.store().write(|w| {
            w.create(Department {
                id: Uuid::now_v7(),
                name: name.into(),
                level: DepartmentLevel::Zone,
                void_reason: None,
            })
        })?)
    }

    fn department_names(&self) -> Result<Vec<(Uuid, String)>> {
        Ok(self
            .departments()?
            .into_iter()
            .map(|d| (d.id, d.name))
            .collect())
    }
}

/// A saved draft as the screen reads it, with its site's name.
fn read_draft(store: &Store, body: &str) -> Result<VisitDraft> {
    let mut draft: VisitDraft = serde_json::from_str(body).map_err(internal)?;
    draft.site_name = match draft.site_id {
        Some(site) => store.get::<Site>(site)?.map(|s| s.name),
        None => None,
    };
    Ok(draft)
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError {
        code: "failed".into(),
        params: Default::default(),
        field: None,
        message: e.to_string(),
    }
}

/// A store error, pointed at its place in the draft (`appeals.1.resolution.deadline`) so the
/// screen shows it beside the field.
fn located(e: StoreError, place: &str) -> AppError {
    let mut err = AppError::from(e);
    if let (Some(field), false) = (&err.field, place.is_empty()) {
        err.field = Some(format!("{place}.{field}"));
    }
    err
}

fn blank(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

fn names(list: &str) -> Vec<String> {
    list.split(['、', ',', '，', ';', '；', '\n'])
        .filter_map(blank)
        .collect()
}

fn parse_date(field: &'static str, s: &str) -> std::result::Result<NaiveDate, ValidationError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(ValidationError::Required { field });
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| ValidationError::Invalid {
        field,
        value: s.into(),
        expected: "YYYY-MM-DD".into(),
    })
}

/// 万元 as typed ("1200", "1,200.5") to yuan.
fn parse_wan(s: &str) -> std::result::Result<Option<i64>, ValidationError> {
    let s = s.trim().replace([',', '，'], "");
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<f64>() {
        Ok(wan) if (0.0..1e10).contains(&wan) => Ok(Some((wan * 10_000.0).round() as i64)),
        _ => Err(ValidationError::Invalid {
            field: "monthly_output_wan",
            value: s,
            expected: "万元数，如 1200 (a number of 10,000 yuan)".into(),
        }),
    }
}

/// Writes the draft's records; `place` follows along, so an error can say where it was.
fn write_visit(
    w: &mut Writer,
    d: &VisitDraft,
    site_id: Uuid,
    author: &str,
    handling: NaiveDate,
    place: &mut String,
) -> desk_store::Result<()> {
    let now = w.now();
    // A visit entered after the fact (back at the office) has no meaningful end time.
    let same_day = desk_core::time::local_date(d.started_at) == desk_core::time::local_date(now);
    let ended_at = (same_day && d.started_at <= now).then_some(now);
    let monthly_output_yuan = parse_wan(&d.monthly_output_wan)?;
    let (_, receipt_hash) = w.new_receipt(d.id)?;
    w.create(Visit {
        id: d.id,
        session_id: d.session_id,
        site_id,
        started_at: d.started_at,
        ended_at,
        officials: vec![author.to_owned()],
        enterprise_attendees: names(&d.enterprise_attendees),
        production_status: blank(&d.production_status),
        monthly_output_yuan,
        notes: blank(&d.notes),
        receipt_hash: Some(receipt_hash),
        receipt_revoked: false,
        location: d.location.clone(),
        signature: None, // signed on the summary, once written
        void_reason: None,
    })?;
    for (i, a) in d.appeals.iter().enumerate() {
        *place = format!("appeals.{i}");
        let r = &a.resolution;
        let has_resolution = blank(&r.action).is_some()
            || r.lead_department_id.is_some()
            || blank(&r.deadline).is_some()
            || blank(&r.commitment).is_some();
        if blank(&a.description).is_none() && !has_resolution {
            continue; // an untouched card
        }
        let category = match a.category.trim() {
            "" => return Err(ValidationError::Required { field: "category" }.into()),
            c => Category::parse("category", c)?,
        };
        let urgency = match a.urgency.trim() {
            "" => Urgency::Normal,
            u => Urgency::parse("urgency", u)?,
        };
        let deadline = if has_resolution {
            *place = format!("appeals.{i}.resolution");
            let deadline = parse_date("deadline", &r.deadline)?;
            *place = format!("appeals.{i}");
            deadline
        } else {
            handling
        };
        w.create(Appeal {
            id: a.id,
            visit_id: Some(d.id),
            urgency,
            deadline: Some(deadline),
            ..Appeal::raised(site_id, d.started_at, category, a.description.clone())
        })?;
        if !has_resolution {
            continue;
        }
        *place = format!("appeals.{i}.resolution");
        let lead = r.lead_department_id.ok_or(ValidationError::Required {
            field: "lead_department_id",
        })?;
        w.create(Resolution {
            id: Uuid::now_v7(),
            appeal_id: a.id,
            action: r.action.clone(),
            lead_department_id: lead,
            co_department_ids: r.co_department_ids.clone(),
            deadline,
            commitment: blank(&r.commitment),
            void_reason: None,
        })?;
        w.act_on_appeal(
            a.id,
            Action::Dispatch {
                department_id: lead,
            },
            author,
            Some("现场办公会决议：派单办理"),
        )?;
    }
    for (i, c) in d.consultations.iter().enumerate() {
        *place = format!("consultations.{i}");
        if blank(&c.question).is_none() && blank(&c.answer).is_none() {
            continue;
        }
        w.create(Consultation {
            id: c.id,
            site_id: Some(site_id),
            visit_id: Some(d.id),
            at: d.started_at,
            topic: blank(&c.topic).unwrap_or_else(|| "现场咨询".into()),
            question: c.question.clone(),
            answer: blank(&c.answer),
            void_reason: None,
        })?;
    }
    for (i, idea) in d.ideas.iter().enumerate() {
        *place = format!("ideas.{i}");
        let Some(content) = blank(&idea.content) else {
            continue;
        };
        w.create(Suggestion {
            id: idea.id,
            site_id: Some(site_id),
            visit_id: Some(d.id),
            at: d.started_at,
            content,
            adopted: false,
            void_reason: None,
        })?;
    }
    place.clear();
    w.discard_draft(d.id)
}

/// The summary read back to the enterprise before leaving: what was heard and what was decided.
fn read_back(d: &VisitDraft, departments: &[(Uuid, String)]) -> String {
    let dept = |id: &Uuid| {
        departments
            .iter()
            .find(|(d, _)| d == id)
            .map_or("—", |(_, n)| n.as_str())
    };
    let mut out = format!(
        "{} · {} 走访纪要\n",
        d.site_name.as_deref().unwrap_or(""),
        desk_core::time::local_date(d.started_at).format("%Y年%-m月%-d日")
    );
    let attendees = names(&d.enterprise_attendees);
    if !attendees.is_empty() {
        out += &format!("企业参加人员：{}\n", attendees.join("、"));
    }
    if let Some(p) = blank(&d.production_status) {
        out += &format!("生产经营情况：{p}\n");
    }
    if let Some(w) = blank(&d.monthly_output_wan) {
        out += &format!("月产值：约 {w} 万元\n");
    }
    if let Some(l) = &d.location {
        out += &format!(
            "走访地点：{:.5}, {:.5}（误差约 {:.0} 米）\n",
            l.latitude, l.longitude, l.accuracy_m
        );
    }
    let appeals: Vec<_> = d
        .appeals
        .iter()
        .filter(|a| blank(&a.description).is_some())
        .collect();
    if !appeals.is_empty() {
        out += &format!("\n企业诉求 {} 项：\n", appeals.len());
    }
    for (i, a) in appeals.iter().enumerate() {
        let category = Category::parse("category", &a.category)
            .map(|c| c.label_zh())
            .unwrap_or("其他");
        out += &format!("{}. 【{category}】{}\n", i + 1, a.description.trim());
        let r = &a.resolution;
        if let Some(action) = blank(&r.action) {
            out += &format!("   现场决议：{action}\n");
        }
        if let Some(lead) = &r.lead_department_id {
            let mut who = format!("   牵头：{}", dept(lead));
            if !r.co_department_ids.is_empty() {
                let co: Vec<&str> = r.co_department_ids.iter().map(dept).collect();
                who += &format!("；协办：{}", co.join("、"));
            }
            out += &format!("{who}\n");
        }
        if let Some(deadline) = blank(&r.deadline) {
            out += &format!("   完成期限：{deadline}\n");
        }
        if let Some(c) = blank(&r.commitment) {
            out += &format!("   承诺：{c}\n");
        }
    }
    let consultations: Vec<_> = d
        .consultations
        .iter()
        .filter(|c| blank(&c.question).is_some())
        .collect();
    if !consultations.is_empty() {
        out += &format!("\n解答咨询 {} 项：\n", consultations.len());
        for (i, c) in consultations.iter().enumerate() {
            out += &format!("{}. 问：{}\n", i + 1, c.question.trim());
            if let Some(a) = blank(&c.answer) {
                out += &format!("   答：{a}\n");
            }
        }
    }
    let ideas: Vec<_> = d.ideas.iter().filter_map(|i| blank(&i.content)).collect();
    if !ideas.is_empty() {
        out += &format!("\n金点子 {} 条：\n", ideas.len());
        for (i, idea) in ideas.iter().enumerate() {
            out += &format!("{}. {idea}\n", i + 1);
        }
    }
    out
}

#[cfg(test)]
mod working_days {
    use crate::testing::demo_desk;

    #[test]
    fn quick_deadlines_count_working_days_and_name_a_bad_date() {
        let (_dir, desk) = demo_desk(None);
        let due = desk.add_working_days("2026-02-13", 5).unwrap();
        assert_eq!(
            due.date.to_string(),
            "2026-02-27",
            "the Spring Festival skipped"
        );
        assert!(!due.provisional);
        assert!(desk.add_working_days("2026-12-28", 5).unwrap().provisional);
        let err = desk.add_working_days("2月13日", 5).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("from"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SiteInput;
    use desk_core::model::AppealStatus;

    fn desk() -> (tempfile::TempDir, Desk) {
        let dir = tempfile::tempdir().unwrap();
        let desk = Desk::open(dir.path()).unwrap();
        (dir, desk)
    }

    fn snow(desk: &Desk) -> Uuid {
        let input = SiteInput {
            name: "湖北斯诺新材料有限公司".into(),
            credit_code: None,
            kind: "enterprise".into(),
            park_id: None,
        };
        desk.create_site(input).unwrap().site.id
    }

    fn appeal(category: &str, description: &str, resolution: ResolutionDraft) -> AppealDraft {
        AppealDraft {
            id: Uuid::now_v7(),
            category: category.into(),
            urgency: String::new(),
            description: description.into(),
            resolution,
        }
    }

    #[test]
    fn a_visit_is_kept_as_typed_until_finished_then_lands_in_the_ledger() {
        let (dir, desk) = desk();
        let site = snow(&desk);
        let planning = desk.create_department("自然资源和规划中心").unwrap().id;
        let mut draft = desk.new_visit(None, Some(site)).unwrap();
        draft.production_status = "除高温碳化车间外满负荷生产".into();
        draft.enterprise_attendees = "王总、李经理".into();
        draft.monthly_output_wan = "1,200".into();
        draft.location = Some(desk_core::model::Location {
            latitude: 31.69021,
            longitude: 113.38245,
            accuracy_m: 18.0,
        });
        let deadline = desk_core::time::local_date(draft.started_at) + chrono::Days::new(2);
        draft.appeals.push(appeal(
            "environment",
            "厂区围墙外公共绿化",
            ResolutionDraft {
                action: "制定厂区外公共绿化方案".into(),
                lead_department_id: Some(planning),
                deadline: deadline.to_string(),
                commitment: "按期交付绿化方案".into(),
                ..Default::default()
            },
        ));
        draft.ideas.push(IdeaDraft {
            id: Uuid::now_v7(),
            content: "建设园区共享仓储".into(),
        });
        desk.save_visit_draft(&draft).unwrap();
        let written = desk.store().outbox().unwrap();
        assert!(
            written
                .iter()
                .all(|op| op.entity == Entity::Site || op.entity == Entity::Department),
            "a draft writes no records"
        );

        // The app is closed and opened again: everything typed is there.
        drop(desk);
        let desk = Desk::open(dir.path()).unwrap();
        let listed = desk.visit_drafts().unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(
            listed[0].site_name.as_deref(),
            Some("湖北斯诺新材料有限公司")
        );
        let again = desk.visit_draft(draft.id).unwrap();
        assert_eq!(
            again,
            VisitDraft {
                site_name: again.site_name.clone(),
                ..draft.clone()
            }
        );

        let summary = desk.finish_visit(draft.id).unwrap();
        assert!(
            summary.text.contains("厂区围墙外公共绿化"),
            "{}",
            summary.text
        );
        assert!(
            summary.text.contains("牵头：自然资源和规划中心"),
            "{}",
            summary.text
        );
        assert!(summary.text.contains("王总、李经理"), "{}", summary.text);
        assert!(desk.visit_drafts().unwrap().is_empty());
        let visit = desk.store().get::<Visit>(draft.id).unwrap().unwrap();
        assert_eq!(visit.monthly_output_yuan, Some(12_000_000));
        assert_eq!(visit.enterprise_attendees, ["王总", "李经理"]);
        assert_eq!(
            visit.location, draft.location,
            "where it was made goes with it"
        );
        assert!(
            summary
                .text
                .contains("走访地点：31.69021, 113.38245（误差约 18 米）"),
            "{}",
            summary.text
        );
        // Its receipt: the token kept on the device, its hash on the visit; no QR code while
        // the device knows no server to link to.
        let token = desk.store().receipt(draft.id).unwrap().expect("a receipt");
        assert_eq!(visit.receipt_hash, Some(desk_core::receipt::hash(&token)));
        assert!(summary.receipt.is_none() && desk.receipt(draft.id).unwrap().is_none());
        // Signed in, the device links the receipt to its server's portal, as a QR code.
        desk_sync::credentials::save(
            &desk.dir,
            &desk_sync::credentials::Credentials {
                server: "https://desk.example.cn".into(),
                token: "desk_x".into(),
                device_id: Uuid::now_v7(),
                user: "张三".into(),
            },
        )
        .unwrap();
        let receipt = desk.receipt(draft.id).unwrap().expect("a receipt to show");
        assert_eq!(
            receipt.link,
            format!("https://desk.example.cn/portal/r/{token}")
        );
        assert!(receipt.qr_svg.contains("<svg"), "{}", &receipt.qr_svg[..80]);
        desk.revoke_receipt(draft.id).unwrap();
        assert!(
            desk.store()
                .get::<Visit>(draft.id)
                .unwrap()
                .unwrap()
                .receipt_revoked
        );
        let ledger = desk
            .ledger(
                &crate::LedgerFilter {
                    status: Some(AppealStatus::Dispatched),
                    ..Default::default()
                },
                Default::default(),
                None,
            )
            .unwrap()
            .rows;
        assert_eq!(ledger.len(), 1);
        assert_eq!(ledger[0].appeal.deadline, Some(deadline));
        assert_eq!(desk.stats().unwrap().suggestions, 1);
    }

    #[test]
    fn a_mistake_is_pointed_at_and_nothing_is_written() {
        let (_dir, desk) = desk();
        let mut draft = desk.new_visit(None, None).unwrap();
        let err = desk.finish_visit(draft.id).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("site"));

        draft.site_id = Some(snow(&desk));
        draft.appeals.push(appeal(
            "environment",
            "厂区围墙外公共绿化",
            Default::default(),
        ));
        draft.appeals.push(appeal(
            "utilities",
            "生产用电价格偏高",
            ResolutionDraft {
                action: "微风发电供应绿电".into(),
                deadline: "10月28日".into(),
                ..Default::default()
            },
        ));
        desk.save_visit_draft(&draft).unwrap();
        let err = desk.finish_visit(draft.id).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("appeals.1.resolution.deadline"));
        assert!(err.message.contains("YYYY-MM-DD"), "{}", err.message);

        draft.appeals[1].resolution.deadline = "2999-01-01".into();
        desk.save_visit_draft(&draft).unwrap();
        let err = desk.finish_visit(draft.id).unwrap_err();
        assert_eq!(
            err.field.as_deref(),
            Some("appeals.1.resolution.lead_department_id")
        );

        draft.appeals[0].category = String::new();
        draft.monthly_output_wan = "很多".into();
        desk.save_visit_draft(&draft).unwrap();
        let err = desk.finish_visit(draft.id).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("monthly_output_wan"));
        draft.monthly_output_wan = String::new();
        desk.save_visit_draft(&draft).unwrap();
        let err = desk.finish_visit(draft.id).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("appeals.0.category"));

        // Nothing of the visit was written; the draft is intact.
        assert!(desk.store().get::<Visit>(draft.id).unwrap().is_none());
        assert!(desk
            .ledger(&Default::default(), Default::default(), None)
            .unwrap()
            .rows
            .is_empty());
        assert_eq!(desk.visit_draft(draft.id).unwrap().appeals.len(), 2);
    }

    #[test]
    fn untouched_cards_are_skipped_and_a_discarded_draft_is_gone() {
        let (_dir, desk) = desk();
        let mut draft = desk.new_visit(None, Some(snow(&desk))).unwrap();
        draft.appeals.push(appeal("", "", Default::default()));
        draft.consultations.push(ConsultationDraft {
            id: Uuid::now_v7(),
            topic: String::new(),
            question: "高新技术企业认定需要哪些材料？".into(),
            answer: "当场解答".into(),
        });
        desk.save_visit_draft(&draft).unwrap();
        let summary = desk.finish_visit(draft.id).unwrap();
        assert!(summary.text.contains("解答咨询 1 项"), "{}", summary.text);
        assert_eq!(desk.stats().unwrap().consultations, 1);
        assert_eq!(desk.stats().unwrap().appeals, 0);

        let other = desk.new_visit(None, None).unwrap();
        desk.discard_visit_draft(other.id).unwrap();
        let err = desk.visit_draft(other.id).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("id"));
    }

    #[test]
    fn a_department_name_is_required_and_unique() {
        let (_dir, desk) = desk();
        desk.create_department("经济发展局").unwrap();
        let err = desk.create_department("经济发展局").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("name"));
        let err = desk.create_department("  ").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("name"));
        assert_eq!(desk.departments().unwrap().len(), 1);
    }
}
