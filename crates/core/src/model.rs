//! The records of DOMAIN.md. Field names are the synced names of [`crate::op::Entity::fields`];
//! a test keeps the two in step.
//!
//! IDs are UUIDv7 made on the device, so records made offline never collide and sort by
//! creation. Instants are UTC; dates and time slots are the zone's local ones. Money is integer
//! yuan.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use ts_rs::TS;
use uuid::Uuid;

use crate::{credit_code, time, Entity, ValidationError};

/// A closed set of words stored as stable English tokens and shown in Chinese. The UI gets the
/// tokens as a TypeScript union (`TS`).
macro_rules! choice {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal / $zh:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
        pub enum $name { $( #[serde(rename = $text)] $variant ),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn label_zh(self) -> &'static str {
                match self { $($name::$variant => $zh),+ }
            }

            /// Accepts the token or the Chinese label.
            pub fn parse(field: &'static str, s: &str) -> Result<Self, ValidationError> {
                let s = s.trim();
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s || v.label_zh() == s)
                    .ok_or_else(|| ValidationError::Invalid {
                        field,
                        value: s.to_owned(),
                        expected: Self::ALL
                            .iter()
                            .map(|v| format!("{}（{}）", v.as_str(), v.label_zh()))
                            .collect::<Vec<_>>()
                            .join(", "),
                    })
            }
        }
    };
}

choice!(SiteKind { Enterprise = "enterprise" / "企业", Project = "project" / "重点项目" });

choice!(DepartmentLevel {
    Zone = "zone" / "园区/高新区",
    District = "district" / "区直部门",
    City = "city" / "市直部门",
    Other = "other" / "其他单位",
});

choice!(
    /// The five desks (流动五桌).
    DeskType {
        Office = "office" / "流动办公桌",
        Publicity = "publicity" / "流动宣传桌",
        Mediation = "mediation" / "流动调解桌",
        Deliberation = "deliberation" / "流动议事桌",
        Reply = "reply" / "流动答复桌",
    }
);

choice!(Origin {
    Scheduled = "scheduled" / "计划走访",
    Ordered = "ordered" / "企业点单",
    ReceptionDay = "reception_day" / "书记接待日",
});

choice!(SessionStatus {
    Planned = "planned" / "计划中",
    InProgress = "in_progress" / "进行中",
    Finished = "finished" / "已结束",
});

choice!(PolicyIssueStatus {
    Open = "open" / "待议",
    Deliberated = "deliberated" / "已议定",
    Closed = "closed" / "已办结",
});

choice!(Channel {
    OnSite = "on_site" / "现场提出",
    Online = "online" / "线上点单",
    Phone = "phone" / "书记热线",
    Hotline = "hotline" / "12345热线",
});

choice!(Urgency { Normal = "normal" / "一般", Urgent = "urgent" / "紧急" });

choice!(Category {
    Infrastructure = "infrastructure" / "基础设施",
    Utilities = "utilities" / "要素保障",
    Land = "land" / "用地规划",
    Environment = "environment" / "环境绿化",
    Approval = "approval" / "审批服务",
    Policy = "policy" / "政策兑现",
    Finance = "finance" / "融资",
    Labour = "labour" / "用工",
    Other = "other" / "其他",
});

choice!(
    /// The ledger's columns (台账). An appeal rated 不满意 or 非常不满意 is rectifying (整改中)
    /// until its lead department has put it right, by a deadline of its own.
    AppealStatus {
        Received = "received" / "受理",
        Dispatched = "dispatched" / "已派单",
        InProgress = "in_progress" / "办理中",
        Resolved = "resolved" / "已办结",
        Rectifying = "rectifying" / "整改中",
        Confirmed = "confirmed" / "已评价",
    }
);

choice!(
    /// What a ledger entry did to its appeal ([`crate::appeal::Action`]).
    ActionKind {
        Dispatch = "dispatch" / "派单",
        Start = "start" / "开始办理",
        Resolve = "resolve" / "办结",
        Confirm = "confirm" / "评价",
        Return = "return" / "退回",
        Transfer = "transfer" / "转办",
        Extend = "extend" / "延期",
        Reopen = "reopen" / "重新办理",
        Rectify = "rectify" / "整改完成",
    }
);

choice!(
    /// Who gave an appeal its rating: the enterprise itself (on the portal), or an official
    /// typing it on the enterprise's behalf, which the ledger says.
    Rater {
        Enterprise = "enterprise" / "企业评价",
        Official = "official" / "工作人员代填",
    }
);

impl ActionKind {
    /// As in "an appeal cannot be … from received".
    pub fn label_en(self) -> &'static str {
        match self {
            ActionKind::Dispatch => "dispatched",
            ActionKind::Start => "started",
            ActionKind::Resolve => "resolved",
            ActionKind::Confirm => "confirmed",
            ActionKind::Return => "returned",
            ActionKind::Transfer => "transferred",
            ActionKind::Extend => "extended",
            ActionKind::Reopen => "reopened",
            ActionKind::Rectify => "rectified",
        }
    }
}

impl AppealStatus {
    /// Resolved as far as the zone's figures are concerned.
    pub fn is_resolved(self) -> bool {
        matches!(self, AppealStatus::Resolved | AppealStatus::Confirmed)
    }
}

/// A record kind of DOMAIN.md, stored as one row of [`Record::ENTITY`]'s table.
pub trait Record: Serialize + DeserializeOwned + Clone {
    const ENTITY: Entity;

    fn id(&self) -> Uuid;

    /// Normalises (trims, upper-cases codes, empties to none) and checks the record on its own.
    fn validate(&mut self) -> Result<(), ValidationError>;

    /// The other records this one points at, by field: each must exist and not be void.
    fn references(&self) -> Vec<(&'static str, Entity, Uuid)> {
        Vec::new()
    }

    /// A deadline this record sets on an appeal held elsewhere: it may not fall before that
    /// appeal was raised.
    fn appeal_deadline(&self) -> Option<(Uuid, NaiveDate)> {
        None
    }

    /// The record as synced fields (everything but the id).
    fn to_fields(&self) -> Map<String, Value> {
        match serde_json::to_value(self).expect("records serialise") {
            Value::Object(mut map) => {
                map.shift_remove("id");
                map
            }
            _ => unreachable!("records are structs"),
        }
    }
}

/// Checks a record held as synced fields (as the server holds it) without changing it, and
/// returns the records it refers to, which must exist.
pub fn check_fields(
    entity: Entity,
    id: Uuid,
    fields: &Map<String, Value>,
) -> Result<Vec<(&'static str, Entity, Uuid)>, ValidationError> {
    fn check<R: Record>(
        value: Value,
    ) -> Result<Vec<(&'static str, Entity, Uuid)>, ValidationError> {
        let mut record: R = serde_path_to_error::deserialize(value).map_err(|e| {
            let field = R::ENTITY
                .fields()
                .iter()
                .map(|f| f.name)
                .find(|name| e.path().to_string().starts_with(name))
                .unwrap_or("fields");
            ValidationError::Invalid {
                field,
                value: e.inner().to_string(),
                expected: format!("a valid {}", R::ENTITY.name_en()),
            }
        })?;
        record.validate()?;
        Ok(record.references())
    }
    let mut value = fields.clone();
    value.insert("id".into(), Value::String(id.to_string()));
    let value = Value::Object(value);
    match entity {
        Entity::Park => check::<Park>(value),
        Entity::Department => check::<Department>(value),
        Entity::Site => check::<Site>(value),
        Entity::Session => check::<Session>(value),
        Entity::Stop => check::<Stop>(value),
        Entity::Visit => check::<Visit>(value),
        Entity::Appeal => check::<Appeal>(value),
        Entity::Resolution => check::<Resolution>(value),
        Entity::Progress => check::<Progress>(value),
        Entity::Consultation => check::<Consultation>(value),
        Entity::Suggestion => check::<Suggestion>(value),
        Entity::CalendarYear => check::<CalendarYear>(value),
        Entity::PolicyIssue => check::<PolicyIssue>(value),
        Entity::TimeLimits => check::<TimeLimits>(value),
        Entity::Order => check::<Order>(value),
    }
}

pub const NAME_MAX: usize = 100;
pub const SHORT_MAX: usize = 200;
pub const TEXT_MAX: usize = 2000;

fn required(field: &'static str, value: &mut String, max: usize) -> Result<(), ValidationError> {
    *value = value.trim().to_owned();
    if value.is_empty() {
        return Err(ValidationError::Required { field });
    }
    max_len(field, value, max)
}

fn optional(
    field: &'static str,
    value: &mut Option<String>,
    max: usize,
) -> Result<(), ValidationError> {
    if let Some(v) = value {
        *v = v.trim().to_owned();
        if v.is_empty() {
            *value = None;
            return Ok(());
        }
        max_len(field, v, max)?;
    }
    Ok(())
}

fn max_len(field: &'static str, value: &str, max: usize) -> Result<(), ValidationError> {
    let len = value.chars().count();
    if len > max {
        return Err(ValidationError::TooLong { field, max, len });
    }
    Ok(())
}

fn names(field: &'static str, list: &mut Vec<String>) -> Result<(), ValidationError> {
    for name in list.iter_mut() {
        *name = name.trim().to_owned();
        max_len(field, name, NAME_MAX)?;
    }
    list.retain(|n| !n.is_empty());
    Ok(())
}

/// A deadline may not fall before the day the appeal was raised (in the zone's calendar).
pub fn check_deadline(
    field: &'static str,
    deadline: NaiveDate,
    raised_at: DateTime<Utc>,
) -> Result<(), ValidationError> {
    let raised = time::local_date(raised_at);
    if deadline < raised {
        return Err(ValidationError::DeadlineBeforeRaised {
            field,
            deadline: deadline.to_string(),
            raised: raised.to_string(),
        });
    }
    Ok(())
}

/// A flag a record written before the field existed holds as null.
fn null_as_false<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(d)?.unwrap_or(false))
}

/// The national five levels of 好差评, from 1 (非常不满意) to 5 (非常满意).
pub const SATISFACTION_LEVELS: [&str; 5] = ["非常不满意", "不满意", "基本满意", "满意", "非常满意"];

/// The highest rating that is dissatisfied (不满意; 非常不满意 is 1).
pub const DISSATISFIED_AT_MOST: i64 = 2;

/// A rating of 不满意 or 非常不满意 (差评): the appeal is not closed but followed up (回访整改).
pub fn is_dissatisfied(satisfaction: i64) -> bool {
    satisfaction <= DISSATISFIED_AT_MOST
}

/// A satisfaction rating: 1 (very dissatisfied) to 5 (very satisfied).
pub fn check_satisfaction(value: i64) -> Result<(), ValidationError> {
    if (1..=5).contains(&value) {
        Ok(())
    } else {
        Err(ValidationError::Invalid {
            field: "satisfaction",
            value: value.to_string(),
            expected: "1–5".into(),
        })
    }
}

/// "08:30": a time slot in the zone's local time.
pub fn parse_slot(field: &'static str, s: &str) -> Result<String, ValidationError> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M")
        .map(|t| t.format("%H:%M").to_string())
        .map_err(|_| ValidationError::Invalid {
            field,
            value: s.to_owned(),
            expected: "HH:MM".into(),
        })
}

pub fn parse_date(field: &'static str, s: &str) -> Result<NaiveDate, ValidationError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| ValidationError::Invalid {
        field,
        value: s.to_owned(),
        expected: "YYYY-MM-DD".into(),
    })
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Park {
    pub id: Uuid,
    pub name: String,
    pub void_reason: Option<String>,
}

impl Record for Park {
    const ENTITY: Entity = Entity::Park;
    fn id(&self) -> Uuid {
        self.id
    }
    fn validate(&mut self) -> Result<(), ValidationError> {
        required("name", &mut self.name, NAME_MAX)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Department {
    pub id: Uuid,
    pub name: String,
    pub level: DepartmentLevel,
    pub void_reason: Option<String>,
}

impl Record for Department {
    const ENTITY: Entity = Entity::Department;
    fn id(&self) -> Uuid {
        self.id
    }
    fn validate(&mut self) -> Result<(), ValidationError> {
        required("name", &mut self.name, NAME_MAX)
    }
}

/// An enterprise or a key project's construction site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Site {
    pub id: Uuid,
    pub kind: SiteKind,
    pub name: String,
    pub credit_code: Option<String>,
    pub park_id: Option<Uuid>,
    pub address: Option<String>,
    pub industry: Option<String>,
    pub contact: Option<String>,
    pub phone: Option<String>,
    pub void_reason: Option<String>,
}

impl Site {
    /// A new enterprise known by its name alone, in no park; the rest is filled in later.
    pub fn enterprise(name: impl Into<String>) -> Site {
        Site {
            id: Uuid::now_v7(),
            kind: SiteKind::Enterprise,
            name: name.into(),
            credit_code: None,
            park_id: None,
            address: None,
            industry: None,
            contact: None,
            phone: None,
            void_reason: None,
        }
    }
}

impl Record for Site {
    const ENTITY: Entity = Entity::Site;
    fn id(&self) -> Uuid {
        self.id
    }
    fn validate(&mut self) -> Result<(), ValidationError> {
        required("name", &mut self.name, NAME_MAX)?;
        optional("credit_code", &mut self.credit_code, 18 * 4)?;
        if let Some(code) = &self.credit_code {
            self.credit_code = Some(credit_code::validate("credit_code", code)?);
        }
        optional("address", &mut self.address, SHORT_MAX)?;
        optional("industry", &mut self.industry, NAME_MAX)?;
        optional("contact", &mut self.contact, NAME_MAX)?;
        optional("phone", &mut self.phone, 40)?;
        if let Some(phone) = &self.phone {
            if !phone
                .chars()
                .all(|c| c.is_ascii_digit() || " -+()".contains(c))
            {
                return Err(ValidationError::Invalid {
                    field: "phone",
                    value: phone.clone(),
                    expected: "digits, spaces, + - ( )".into(),
                });
            }
        }
        Ok(())
    }
    fn references(&self) -> Vec<(&'static str, Entity, Uuid)> {
        self.park_id
            .map(|p| ("park_id", Entity::Park, p))
            .into_iter()
            .collect()
    }
}

/// A desk session (流动办公桌活动): one outing, with its planned stops.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Session {
    pub id: Uuid,
    pub date: NaiveDate,
    pub leader: String,
    pub participants: Vec<String>,
    pub desk_types: Vec<DeskType>,
    pub origin: Origin,
    pub status: SessionStatus,
    pub summary: Option<String>,
    pub void_reason: Option<String>,
}

impl Record for Session {
    const ENTITY: Entity = Entity::Session;
    fn id(&self) -> Uuid {
        self.id
    }
    fn validate(&mut self) -> Result<(), ValidationError> {
        required("leader", &mut self.leader, NAME_MAX)?;
        names("participants", &mut self.participants)?;
        if self.desk_types.is_empty() {
            return Err(ValidationError::Required {
                field: "desk_types",
            });
        }
        self.desk_types.dedup();
        optional("summary", &mut self.summary, TEXT_MAX)
    }
}

/// A planned stop of a session, in order, with its time slot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Stop {
    pub id: Uuid,
    pub session_id: Uuid,
    pub position: i64,
    pub site_id: Uuid,
    pub slot_start: Option<String>,
    pub slot_end: Option<String>,
    pub void_reason: Option<String>,
}

impl Record for Stop {
    const ENTITY: Entity = Entity::Stop;
    fn id(&self) -> Uuid {
        self.id
    }
    fn validate(&mut self) -> Result<(), ValidationError> {
        if self.position < 1 {
            return Err(ValidationError::Invalid {
                field: "position",
                value: self.position.to_string(),
                expected: "1, 2, 3, …".into(),
            });
        }
        for (field, slot) in [
            ("slot_start", &mut self.slot_start),
            ("slot_end", &mut self.slot_end),
        ] {
            if let Some(s) = slot {
                *s = parse_slot(field, s)?;
            }
        }
        if let (Some(start), Some(end)) = (&self.slot_start, &self.slot_end) {
            if end <= start {
                return Err(ValidationError::Invalid {
                    field: "slot_end",
                    value: end.clone(),
                    expected: format!("a time after {start}"),
                });
            }
        }
        Ok(())
    }
    fn references(&self) -> Vec<(&'static str, Entity, Uuid)> {
        vec![
            ("session_id", Entity::Session, self.session_id),
            ("site_id", Entity::Site, self.site_id),
        ]
    }
}

/// Where a visit was made, as the device could tell: a position (WGS 84, as browsers and
/// phones give it) and how far off it may be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    /// Metres, at 95 % confidence, as the device reported it.
    pub accuracy_m: f64,
}

impl Location {
    fn check(&self) -> Result<(), ValidationError> {
        let fine = (-90.0..=90.0).contains(&self.latitude)
            && (-180.0..=180.0).contains(&self.longitude)
            && self.accuracy_m.is_finite()
            && self.accuracy_m >= 0.0;
        if fine {
            Ok(())
        } else {
            Err(ValidationError::Invalid {
                field: "location",
                value: format!(
                    "{}, {} ±{} m",
                    self.latitude, self.longitude, self.accuracy_m
                ),
                expected: "纬度 −90…90、经度 −180…180、精度不小于 0 米 (latitude −90…90, longitude −180…180, accuracy 0 m or more)".into(),
            })
        }
    }
}

/// The enterprise representative's signature under the read-back minutes, drawn with a finger
/// on a pad of [`Signature::PAD`] points: its strokes, who signed and when. Kept as strokes (a
/// few kilobytes, synced with the visit like any field) and drawn as an SVG image wherever it
/// is shown or printed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Signature {
    pub signer: String,
    pub signed_at: DateTime<Utc>,
    /// Each stroke the points it went through, `[x, y]` from the pad's top left.
    pub strokes: Vec<Vec<[u16; 2]>>,
}

impl Signature {
    /// The pad's size, in points: 3 to 1, like the line one signs on.
    pub const PAD: (u16, u16) = (600, 200);
    /// More points than a signature takes, fewer than would make the visit heavy to sync.
    const POINTS_MAX: usize = 5_000;

    fn check(&mut self) -> Result<(), ValidationError> {
        required("signature.signer", &mut self.signer, NAME_MAX)?;
        let points: usize = self.strokes.iter().map(Vec::len).sum();
        let inside = self
            .strokes
            .iter()
            .flatten()
            .all(|[x, y]| *x <= Self::PAD.0 && *y <= Self::PAD.1);
        if points == 0 || points > Self::POINTS_MAX || !inside {
            return Err(ValidationError::Invalid {
                field: "signature.strokes",
                value: format!("{} 笔，{points} 点 ({} strokes, {points} points)", self.strokes.len(), self.strokes.len()),
                expected: format!(
                    "签名笔迹：1 至 {} 点，在 {}×{} 的签字区内 (a signature: 1 to {} points within the {}×{} pad)",
                    Self::POINTS_MAX, Self::PAD.0, Self::PAD.1, Self::POINTS_MAX, Self::PAD.0, Self::PAD.1
                ),
            });
        }
        Ok(())
    }

    /// The signature as an SVG image, `width` points wide.
    pub fn svg(&self, width: u32) -> String {
        let (w, h) = Self::PAD;
        let lines: String = self
            .strokes
            .iter()
            .map(|stroke| {
                // A dot is a stroke of one point: drawn as a short line so that it shows.
                let mut points: Vec<String> =
                    stroke.iter().map(|[x, y]| format!("{x},{y}")).collect();
                if points.len() == 1 {
                    points.push(points[0].clone());
                }
                format!("<polyline points=\"{}\"/>", points.join(" "))
            })
            .collect();
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{width}\" height=\"{}\"><g fill=\"none\" stroke=\"#111\" stroke-width=\"4\" stroke-linecap=\"round\" stroke-linejoin=\"round\">{lines}</g></svg>",
            width * u32::from(h) / u32::from(w)
        )
    }
}

/// What happened at one stop (走访记录).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Visit {
    pub id: Uuid,
    pub session_id: Option<Uuid>,
    pub site_id: Uuid,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub officials: Vec<String>,
    pub enterprise_attendees: Vec<String>,
    pub production_status: Option<String>,
    pub monthly_output_yuan: Option<i64>,
    pub notes: Option<String>,
    /// The SHA-256 of the visit receipt's token ([`crate::receipt`]); the token stays on the
    /// device that made it.
    #[serde(default)]
    pub receipt_hash: Option<String>,
    /// The office took the receipt back: its link opens nothing. (Visits from before receipts
    /// say nothing, or null: not revoked.)
    #[serde(default, deserialize_with = "null_as_false")]
    pub receipt_revoked: bool,
    /// Where it was made, when the device could tell; capture never waits for it.
    #[serde(default)]
    pub location: Option<Location>,
    /// The enterprise representative's signature under the read-back minutes.
    #[serde(default)]
    pub signature: Option<Signature>,
    pub void_reason: Option<String>,
}

impl Record for Visit {
    const ENTITY: Entity = Entity::Visit;
    fn id(&self) -> Uuid {
        self.id
    }
    fn validate(&mut self) -> Result<(), ValidationError> {
        names("officials", &mut self.officials)?;
        names("enterprise_attendees", &mut self.enterprise_attendees)?;
        if let Some(h) = self
            .receipt_hash
            .as_deref()
            .filter(|h| !crate::receipt::well_formed(h))
        {
            return Err(ValidationError::Invalid {
                field: "receipt_hash",
                value: h.to_owned(),
                expected: "a SHA-256 in 64 lowercase hex characters".into(),
            });
        }
        optional("production_status", &mut self.production_status, TEXT_MAX)?;
        optional("notes", &mut self.notes, TEXT_MAX)?;
        if let Some(v) = self.monthly_output_yuan.filter(|v| *v < 0) {
            return Err(ValidationError::Invalid {
                field: "monthly_output_yuan",
                value: v.to_string(),
                expected: "0 or more yuan".into(),
            });
        }
        if let Some(end) = self.ended_at.filter(|e| *e < self.started_at) {
            return Err(ValidationError::Invalid {
                field: "ended_at",
                value: time::display(end),
                expected: format!("a time after {}", time::display(self.started_at)),
            });
        }
        if let Some(location) = &self.location {
            location.check()?;
        }
        if let Some(signature) = &mut self.signature {
            signature.check()?;
        }
        Ok(())
    }
    fn references(&self) -> Vec<(&'static str, Entity, Uuid)> {
        let mut refs = vec![("site_id", Entity::Site, self.site_id)];
        refs.extend(self.session_id.map(|s| ("session_id", Entity::Session, s)));
        refs
    }
}

/// An enterprise's appeal (诉求), tracked in the ledger until resolved and rated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Appeal {
    pub id: Uuid,
    pub site_id: Uuid,
    pub visit_id: Option<Uuid>,
    pub raised_at: DateTime<Utc>,
    pub channel: Channel,
    pub category: Category,
    pub description: String,
    pub urgency: Urgency,
    pub status: AppealStatus,
    pub department_id: Option<Uuid>,
    pub deadline: Option<NaiveDate>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// 1 (very dissatisfied) to 5 (very satisfied), given by the enterprise.
    pub satisfaction: Option<i64>,
    /// The hash of the last entry of the appeal's ledger, kept by the server: a ledger cut
    /// short no longer ends there.
    pub ledger_head: Option<String>,
    /// The policy issue (议题) this appeal is one instance of.
    #[serde(default)]
    pub policy_issue_id: Option<Uuid>,
    pub void_reason: Option<String>,
}

impl Appeal {
    /// A new appeal as an official records it on site: received, of normal urgency, outside
    /// any visit, with no deadline and nothing that only actions decide.
    pub fn raised(
        site_id: Uuid,
        raised_at: DateTime<Utc>,
        category: Category,
        description: impl Into<String>,
    ) -> Appeal {
        Appeal {
            id: Uuid::now_v7(),
            site_id,
            visit_id: None,
            raised_at,
            channel: Channel::OnSite,
            category,
            description: description.into(),
            urgency: Urgency::Normal,
            status: AppealStatus::Received,
            department_id: None,
            deadline: None,
            resolved_at: None,
            satisfaction: None,
            ledger_head: None,
            policy_issue_id: None,
            void_reason: None,
        }
    }
}

impl Record for Appeal {
    const ENTITY: Entity = Entity::Appeal;
    fn id(&self) -> Uuid {
        self.id
    }
    fn validate(&mut self) -> Result<(), ValidationError> {
        required("description", &mut self.description, TEXT_MAX)?;
        if let Some(deadline) = self.deadline {
            check_deadline("deadline", deadline, self.raised_at)?;
        }
        if let Some(s) = self.satisfaction {
            check_satisfaction(s)?;
        }
        Ok(())
    }
    fn references(&self) -> Vec<(&'static str, Entity, Uuid)> {
        let mut refs = vec![("site_id", Entity::Site, self.site_id)];
        refs.extend(self.visit_id.map(|v| ("visit_id", Entity::Visit, v)));
        refs.extend(
            self.department_id
                .map(|d| ("department_id", Entity::Department, d)),
        );
        refs.extend(
            self.policy_issue_id
                .map(|p| ("policy_issue_id", Entity::PolicyIssue, p)),
        );
        refs
    }
}

/// An on-site resolution (现场办公会决议): who does what by when, and the measurable promise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Resolution {
    pub id: Uuid,
    pub appeal_id: Uuid,
    pub action: String,
    pub lead_department_id: Uuid,
    pub co_department_ids: Vec<Uuid>,
    pub deadline: NaiveDate,
    pub commitment: Option<String>,
    pub void_reason: Option<String>,
}

impl Record for Resolution {
    const ENTITY: Entity = Entity::Resolution;
    fn id(&self) -> Uuid {
        self.id
    }
    fn validate(&mut self) -> Result<(), ValidationError> {
        required("action", &mut self.action, TEXT_MAX)?;
        optional("commitment", &mut self.commitment, SHORT_MAX)?;
        self.co_department_ids.dedup();
        if self.co_department_ids.contains(&self.lead_department_id) {
            return Err(ValidationError::Invalid {
                field: "co_department_ids",
                value: self.lead_department_id.to_string(),
                expected: "departments other than the lead".into(),
            });
        }
        Ok(())
    }
    fn appeal_deadline(&self) -> Option<(Uuid, NaiveDate)> {
        Some((self.appeal_id, self.deadline))
    }
    fn references(&self) -> Vec<(&'static str, Entity, Uuid)> {
        let mut refs = vec![
            ("appeal_id", Entity::Appeal, self.appeal_id),
            (
                "lead_department_id",
                Entity::Department,
                self.lead_department_id,
            ),
        ];
        refs.extend(
            self.co_department_ids
                .iter()
                .map(|d| ("co_department_ids", Entity::Department, *d)),
        );
        refs
    }
}

/// One entry of an appeal's ledger (办理进展): a note, or an action with its reason. Written once,
/// never edited. The server sets who wrote it, from which device, the statuses it led from and
/// to, and its place in the appeal's hash chain (`position`, `prev_hash`, `hash`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Progress {
    pub id: Uuid,
    pub appeal_id: Uuid,
    pub at: DateTime<Utc>,
    pub author: String,
    pub note: String,
    pub from_status: Option<AppealStatus>,
    pub to_status: Option<AppealStatus>,
    pub reason: Option<String>,
    pub action: Option<ActionKind>,
    /// Dispatched or transferred to.
    pub department_id: Option<Uuid>,
    /// The new deadline of an extension.
    pub deadline: Option<NaiveDate>,
    /// The rating of a confirmation, 1 to 5.
    pub satisfaction: Option<i64>,
    /// Who gave that rating; the server's to set.
    #[serde(default)]
    pub rated_by: Option<Rater>,
    pub device_id: Option<Uuid>,
    pub position: Option<i64>,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

impl Progress {
    /// A plain note on an appeal, by `author` at `at`.
    pub fn note(appeal_id: Uuid, at: DateTime<Utc>, author: &str, note: &str) -> Progress {
        Progress {
            id: Uuid::now_v7(),
            appeal_id,
            at,
            author: author.into(),
            note: note.into(),
            from_status: None,
            to_status: None,
            reason: None,
            action: None,
            department_id: None,
            deadline: None,
            satisfaction: None,
            rated_by: None,
            device_id: None,
            position: None,
            prev_hash: None,
            hash: None,
        }
    }
}

impl Record for Progress {
    const ENTITY: Entity = Entity::Progress;
    fn id(&self) -> Uuid {
        self.id
    }
    fn validate(&mut self) -> Result<(), ValidationError> {
        required("author", &mut self.author, NAME_MAX)?;
        required("note", &mut self.note, TEXT_MAX)?;
        optional("reason", &mut self.reason, TEXT_MAX)?;
        if let Some(s) = self.satisfaction {
            check_satisfaction(s)?;
        }
        crate::appeal::Action::of_entry(self)?;
        Ok(())
    }
    fn references(&self) -> Vec<(&'static str, Entity, Uuid)> {
        let mut refs = vec![("appeal_id", Entity::Appeal, self.appeal_id)];
        refs.extend(
            self.department_id
                .map(|d| ("department_id", Entity::Department, d)),
        );
        refs
    }
}

/// A question answered (解答咨询), usually on the spot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Consultation {
    pub id: Uuid,
    pub site_id: Option<Uuid>,
    pub visit_id: Option<Uuid>,
    pub at: DateTime<Utc>,
    pub topic: String,
    pub question: String,
    pub answer: Option<String>,
    pub void_reason: Option<String>,
}

impl Record for Consultation {
    const ENTITY: Entity = Entity::Consultation;
    fn id(&self) -> Uuid {
        self.id
    }
    fn validate(&mut self) -> Result<(), ValidationError> {
        required("topic", &mut self.topic, NAME_MAX)?;
        required("question", &mut self.question, TEXT_MAX)?;
        optional("answer", &mut self.answer, TEXT_MAX)
    }
    fn references(&self) -> Vec<(&'static str, Entity, Uuid)> {
        let mut refs: Vec<_> = self
            .site_id
            .map(|s| ("site_id", Entity::Site, s))
            .into_iter()
            .collect();
        refs.extend(self.visit_id.map(|v| ("visit_id", Entity::Visit, v)));
        refs
    }
}

/// A golden idea (金点子) from an enterprise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Suggestion {
    pub id: Uuid,
    pub site_id: Option<Uuid>,
    pub visit_id: Option<Uuid>,
    pub at: DateTime<Utc>,
    pub content: String,
    pub adopted: bool,
    pub void_reason: Option<String>,
}

impl Record for Suggestion {
    const ENTITY: Entity = Entity::Suggestion;
    fn id(&self) -> Uuid {
        self.id
    }
    fn validate(&mut self) -> Result<(), ValidationError> {
        required("content", &mut self.content, TEXT_MAX)
    }
    fn references(&self) -> Vec<(&'static str, Entity, Uuid)> {
        let mut refs: Vec<_> = self
            .site_id
            .map(|s| ("site_id", Entity::Site, s))
            .into_iter()
            .collect();
        refs.extend(self.visit_id.map(|v| ("visit_id", Entity::Visit, v)));
        refs
    }
}

/// A year of the State Council's holidays and make-up working days (节假日安排), published by
/// the office so devices count working days with years that came out after their build.
/// `days` is the year in holiday-cn's JSON form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CalendarYear {
    pub id: Uuid,
    pub year: i64,
    pub days: String,
    pub void_reason: Option<String>,
}

impl CalendarYear {
    /// The record of a year: one id per year, so publishing a year again corrects it.
    pub fn of(year: &crate::calendar::Year) -> CalendarYear {
        CalendarYear {
            id: Uuid::from_u128(0xca1e_da00_0000_7000_8000_0000_0000_0000 | year.year as u128),
            year: year.year as i64,
            days: year.to_json(),
            void_reason: None,
        }
    }
}

impl Record for CalendarYear {
    const ENTITY: Entity = Entity::CalendarYear;
    fn id(&self) -> Uuid {
        self.id
    }
    fn validate(&mut self) -> Result<(), ValidationError> {
        let parsed = crate::calendar::Year::from_json(&self.days)?;
        if parsed.year as i64 != self.year {
            return Err(ValidationError::Invalid {
                field: "year",
                value: self.year.to_string(),
                expected: format!("the year its days are listed for, {}", parsed.year),
            });
        }
        Ok(())
    }
}

/// A time that suits an enterprise for a visit (错时办理: its idle hours), in the zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimeWindow {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub date: NaiveDate,
    /// "14:00".
    pub start: String,
    pub end: String,
}

/// The most time windows an order offers.
pub const WINDOWS_MAX: usize = 3;

/// An enterprise's order for a visit of the desk (企业点单), placed on the portal: what it
/// wants to raise and the times that suit it. The office dispatches it (派单) by making it a
/// stop of a desk session in one of those windows, which `stop_id` then names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Order {
    pub id: Uuid,
    pub site_id: Uuid,
    pub placed_at: DateTime<Utc>,
    pub topic: String,
    /// What it wants to raise.
    pub wishes: Option<String>,
    pub windows: Vec<TimeWindow>,
    pub stop_id: Option<Uuid>,
    pub void_reason: Option<String>,
}

impl Record for Order {
    const ENTITY: Entity = Entity::Order;
    fn id(&self) -> Uuid {
        self.id
    }
    fn validate(&mut self) -> Result<(), ValidationError> {
        required("topic", &mut self.topic, SHORT_MAX)?;
        optional("wishes", &mut self.wishes, TEXT_MAX)?;
        if self.windows.is_empty() {
            return Err(ValidationError::Required { field: "windows" });
        }
        if self.windows.len() > WINDOWS_MAX {
            return Err(ValidationError::Invalid {
                field: "windows",
                value: self.windows.len().to_string(),
                expected: format!("1 to {WINDOWS_MAX} time windows"),
            });
        }
        for w in &mut self.windows {
            w.start = parse_slot("windows", &w.start)?;
            w.end = parse_slot("windows", &w.end)?;
            if w.end <= w.start {
                return Err(ValidationError::Invalid {
                    field: "windows",
                    value: format!("{} {}–{}", w.date, w.start, w.end),
                    expected: format!("an end after {}", w.start),
                });
            }
        }
        optional("void_reason", &mut self.void_reason, SHORT_MAX)?;
        Ok(())
    }
    fn references(&self) -> Vec<(&'static str, Entity, Uuid)> {
        let mut refs = vec![("site_id", Entity::Site, self.site_id)];
        refs.extend(self.stop_id.map(|s| ("stop_id", Entity::Stop, s)));
        refs
    }
}

/// A problem that several enterprises raised in their own words (电价偏高, 停车难), taken up as
/// one issue for the deliberation desk (流动议事桌). Its appeals point at it by
/// `policy_issue_id`, so linking one is a change of that appeal alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PolicyIssue {
    pub id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub category: Option<Category>,
    pub status: PolicyIssueStatus,
    /// What the deliberation decided.
    pub conclusion: Option<String>,
    pub void_reason: Option<String>,
}

impl Record for PolicyIssue {
    const ENTITY: Entity = Entity::PolicyIssue;
    fn id(&self) -> Uuid {
        self.id
    }
    fn validate(&mut self) -> Result<(), ValidationError> {
        required("title", &mut self.title, SHORT_MAX)?;
        optional("description", &mut self.description, TEXT_MAX)?;
        optional("conclusion", &mut self.conclusion, TEXT_MAX)
    }
}

/// The zone's time limits in working days (办理时限): an appeal is to be answered (dispatched)
/// within `response_days` of being raised, and handled within `handling_days`, the deadline
/// it gets when none was set. One record for the zone, the admin's to set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TimeLimits {
    pub id: Uuid,
    pub response_days: i64,
    pub handling_days: i64,
    pub void_reason: Option<String>,
}

impl TimeLimits {
    /// The zone's one record.
    pub const ID: Uuid = Uuid::from_u128(0x7111_e000_0000_7000_8000_0000_0000_0001);

    /// Until the office sets its own: an answer within 1 working day, handled within 15.
    pub const DEFAULT: TimeLimits = TimeLimits::zone(1, 15);

    pub const fn zone(response_days: i64, handling_days: i64) -> TimeLimits {
        TimeLimits {
            id: TimeLimits::ID,
            response_days,
            handling_days,
            void_reason: None,
        }
    }

    pub fn response(&self) -> u32 {
        self.response_days as u32
    }

    pub fn handling(&self) -> u32 {
        self.handling_days as u32
    }
}

impl Record for TimeLimits {
    const ENTITY: Entity = Entity::TimeLimits;
    fn id(&self) -> Uuid {
        self.id
    }
    fn validate(&mut self) -> Result<(), ValidationError> {
        let within = |field, value: i64, max: i64| {
            if (1..=max).contains(&value) {
                Ok(())
            } else {
                Err(ValidationError::Invalid {
                    field,
                    value: value.to_string(),
                    expected: format!("1 to {max} working days"),
                })
            }
        };
        within("response_days", self.response_days, 30)?;
        within("handling_days", self.handling_days, 250)?;
        if self.response_days > self.handling_days {
            return Err(ValidationError::Invalid {
                field: "response_days",
                value: self.response_days.to_string(),
                expected: format!("no more than the handling limit, {}", self.handling_days),
            });
        }
        if self.id != TimeLimits::ID {
            return Err(ValidationError::Invalid {
                field: "id",
                value: self.id.to_string(),
                expected: format!("the zone's time limits, {}", TimeLimits::ID),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::FieldKind;

    fn keys_match<R: Record>(sample: R) {
        let fields = sample.to_fields();
        let mut got: Vec<_> = fields.keys().map(String::as_str).collect();
        let mut want: Vec<_> = R::ENTITY.fields().iter().map(|f| f.name).collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{:?}", R::ENTITY);
        for field in R::ENTITY.fields() {
            let v = &fields[field.name];
            let ok = match field.kind {
                FieldKind::Text => v.is_string() || v.is_null(),
                FieldKind::Int => v.is_i64() || v.is_null(),
                FieldKind::Bool => v.is_boolean(),
                FieldKind::Json => v.is_array() || v.is_object() || v.is_null(),
            };
            assert!(ok, "{:?}.{} is {v}", R::ENTITY, field.name);
        }
    }

    fn at() -> DateTime<Utc> {
        "2024-10-26T00:30:00Z".parse().unwrap()
    }

    fn appeal() -> Appeal {
        Appeal {
            id: Uuid::now_v7(),
            site_id: Uuid::now_v7(),
            visit_id: None,
            raised_at: at(),
            channel: Channel::OnSite,
            category: Category::Environment,
            description: "厂区围墙外公共绿化".into(),
            urgency: Urgency::Normal,
            status: AppealStatus::Received,
            department_id: None,
            deadline: Some(NaiveDate::from_ymd_opt(2024, 10, 28).unwrap()),
            resolved_at: None,
            satisfaction: Some(5),
            ledger_head: None,
            policy_issue_id: None,
            void_reason: None,
        }
    }

    #[test]
    fn struct_fields_are_the_synced_fields() {
        let id = Uuid::now_v7();
        keys_match(Park {
            id,
            name: "p".into(),
            void_reason: None,
        });
        keys_match(Department {
            id,
            name: "d".into(),
            level: DepartmentLevel::Zone,
            void_reason: None,
        });
        keys_match(Site {
            id,
            kind: SiteKind::Enterprise,
            name: "s".into(),
            credit_code: None,
            park_id: Some(id),
            address: None,
            industry: None,
            contact: None,
            phone: None,
            void_reason: None,
        });
        keys_match(Session {
            id,
            date: NaiveDate::from_ymd_opt(2024, 10, 26).unwrap(),
            leader: "l".into(),
            participants: vec![],
            desk_types: vec![DeskType::Office],
            origin: Origin::Scheduled,
            status: SessionStatus::Planned,
            summary: None,
            void_reason: None,
        });
        keys_match(Stop {
            id,
            session_id: id,
            position: 1,
            site_id: id,
            slot_start: None,
            slot_end: None,
            void_reason: None,
        });
        keys_match(Visit {
            id,
            session_id: None,
            site_id: id,
            started_at: at(),
            ended_at: None,
            officials: vec![],
            enterprise_attendees: vec![],
            production_status: None,
            monthly_output_yuan: Some(12_000_000),
            notes: None,
            receipt_hash: None,
            receipt_revoked: false,
            location: Some(Location {
                latitude: 31.69,
                longitude: 113.38,
                accuracy_m: 20.0,
            }),
            signature: Some(Signature {
                signer: "王总".into(),
                signed_at: at(),
                strokes: vec![vec![[10, 10], [20, 30]]],
            }),
            void_reason: None,
        });
        keys_match(appeal());
        keys_match(Resolution {
            id,
            appeal_id: id,
            action: "a".into(),
            lead_department_id: id,
            co_department_ids: vec![],
            deadline: NaiveDate::from_ymd_opt(2024, 10, 28).unwrap(),
            commitment: None,
            void_reason: None,
        });
        let mut entry = Progress::note(id, at(), "a", "n");
        entry.to_status = Some(AppealStatus::Dispatched);
        keys_match(entry);
        keys_match(CalendarYear {
            id,
            year: 2027,
            days: r#"{"year": 2027, "days": []}"#.into(),
            void_reason: None,
        });
        keys_match(Consultation {
            id,
            site_id: None,
            visit_id: None,
            at: at(),
            topic: "t".into(),
            question: "q".into(),
            answer: None,
            void_reason: None,
        });
        keys_match(Suggestion {
            id,
            site_id: None,
            visit_id: None,
            at: at(),
            content: "c".into(),
            adopted: false,
            void_reason: None,
        });
    }

    #[test]
    fn a_visit_s_location_must_be_a_place_on_earth() {
        let visit = |latitude: f64, longitude: f64, accuracy_m: f64| Visit {
            id: Uuid::now_v7(),
            session_id: None,
            site_id: Uuid::now_v7(),
            started_at: Utc::now(),
            ended_at: None,
            officials: vec!["党工委书记".into()],
            enterprise_attendees: vec![],
            production_status: None,
            monthly_output_yuan: None,
            notes: None,
            receipt_hash: None,
            receipt_revoked: false,
            location: Some(Location {
                latitude,
                longitude,
                accuracy_m,
            }),
            signature: None,
            void_reason: None,
        };
        visit(31.69021, 113.38245, 18.0).validate().unwrap();
        for (lat, lon, acc) in [
            (91.0, 113.0, 10.0),
            (31.0, -180.5, 10.0),
            (31.0, 113.0, -1.0),
            (f64::NAN, 113.0, 10.0),
            (31.0, 113.0, f64::INFINITY),
        ] {
            let err = visit(lat, lon, acc).validate().unwrap_err();
            assert_eq!(err.field(), "location", "{lat}, {lon} ±{acc}");
            assert!(err.to_string().contains("纬度"), "{err}");
        }
    }

    #[test]
    fn a_signature_is_a_name_and_strokes_on_the_pad_drawn_as_an_image() {
        let mut s = Signature {
            signer: "  王总 ".into(),
            signed_at: Utc::now(),
            strokes: vec![vec![[10, 10], [300, 150]], vec![[500, 40]]],
        };
        s.check().unwrap();
        assert_eq!(s.signer, "王总");
        let svg = s.svg(300);
        assert!(
            svg.starts_with("<svg") && svg.contains("height=\"100\""),
            "{svg}"
        );
        assert!(svg.contains("points=\"10,10 300,150\""), "{svg}");
        assert!(
            svg.contains("points=\"500,40 500,40\""),
            "a dot shows: {svg}"
        );
        for bad in [
            Signature {
                signer: " ".into(),
                ..s.clone()
            },
            Signature {
                strokes: vec![],
                ..s.clone()
            },
            Signature {
                strokes: vec![vec![[601, 10]]],
                ..s.clone()
            },
            Signature {
                strokes: vec![vec![[1, 1]; 5_001]],
                ..s.clone()
            },
        ] {
            let err = bad.clone().check().unwrap_err();
            assert!(err.field().starts_with("signature."), "{err}");
        }
    }

    #[test]
    fn deadline_before_the_day_raised_is_refused() {
        let mut a = appeal();
        a.deadline = Some(NaiveDate::from_ymd_opt(2024, 10, 25).unwrap());
        let err = a.validate().unwrap_err();
        assert_eq!(err.code(), "deadline_before_raised");
        assert_eq!(err.field(), "deadline");
        // The same day, in the zone's calendar, is fine: 08:30 local is 00:30 UTC.
        a.deadline = Some(NaiveDate::from_ymd_opt(2024, 10, 26).unwrap());
        a.validate().unwrap();
    }

    #[test]
    fn blank_and_overlong_text_name_the_field() {
        let mut a = appeal();
        a.description = "   ".into();
        assert_eq!(
            a.validate().unwrap_err(),
            ValidationError::Required {
                field: "description"
            }
        );
        a.description = "长".repeat(TEXT_MAX + 1);
        assert_eq!(
            a.validate().unwrap_err(),
            ValidationError::TooLong {
                field: "description",
                max: TEXT_MAX,
                len: TEXT_MAX + 1
            }
        );
    }

    #[test]
    fn choices_parse_tokens_and_chinese_labels() {
        assert_eq!(
            AppealStatus::parse("status", "已派单").unwrap(),
            AppealStatus::Dispatched
        );
        assert_eq!(
            DeskType::parse("desk_types", "mediation").unwrap(),
            DeskType::Mediation
        );
        let err = Category::parse("category", "weather").unwrap_err();
        assert_eq!(err.field(), "category");
        assert!(err.to_string().contains("utilities"));
    }

    #[test]
    fn records_held_as_fields_are_checked_with_the_field_named() {
        let a = appeal();
        let mut fields = a.to_fields();
        let refs = check_fields(Entity::Appeal, a.id, &fields).unwrap();
        assert_eq!(refs, vec![("site_id", Entity::Site, a.site_id)]);
        fields.insert("category".into(), Value::from("weather"));
        assert_eq!(
            check_fields(Entity::Appeal, a.id, &fields)
                .unwrap_err()
                .field(),
            "category"
        );
        fields.insert("category".into(), Value::from("utilities"));
        fields.insert("description".into(), Value::from(""));
        assert_eq!(
            check_fields(Entity::Appeal, a.id, &fields)
                .unwrap_err()
                .field(),
            "description"
        );
    }

    #[test]
    fn satisfaction_is_one_to_five() {
        let mut a = appeal();
        a.satisfaction = Some(6);
        assert_eq!(a.validate().unwrap_err().field(), "satisfaction");
    }

    #[test]
    fn a_visit_from_before_receipts_reads_as_not_revoked() {
        let mut fields = Record::to_fields(&Visit {
            id: Uuid::now_v7(),
            session_id: None,
            site_id: Uuid::now_v7(),
            started_at: "2024-10-26T00:30:00Z".parse().unwrap(),
            ended_at: None,
            officials: vec![],
            enterprise_attendees: vec![],
            production_status: None,
            monthly_output_yuan: None,
            notes: None,
            receipt_hash: None,
            receipt_revoked: false,
            location: None,
            signature: None,
            void_reason: None,
        });
        fields.insert("receipt_revoked".into(), Value::Null);
        fields.insert("id".into(), Value::from(Uuid::now_v7().to_string()));
        let visit: Visit = serde_json::from_value(Value::Object(fields.clone())).unwrap();
        assert!(!visit.receipt_revoked);
        fields.remove("receipt_revoked");
        let visit: Visit = serde_json::from_value(Value::Object(fields)).unwrap();
        assert!(!visit.receipt_revoked);
    }

    #[test]
    fn time_slots_must_be_ordered() {
        let mut s = Stop {
            id: Uuid::now_v7(),
            session_id: Uuid::now_v7(),
            position: 1,
            site_id: Uuid::now_v7(),
            slot_start: Some("9:30".into()),
            slot_end: Some("08:30".into()),
            void_reason: None,
        };
        assert_eq!(s.validate().unwrap_err().field(), "slot_end");
        s.slot_end = Some("10:00".into());
        s.validate().unwrap();
        assert_eq!(s.slot_start.as_deref(), Some("09:30"));
    }
}
