//! The demo data: the desk session of Saturday 26 October 2024 in the Suizhou High-tech Zone, as
//! DOMAIN.md tells it, entered as real records through the ordinary write path.
//!
//! What the newspaper report does not give is filled in plausibly and marked so here: the names
//! of two of the three parks, the time slots after the first stop, the credit codes (made up,
//! with valid check characters), the lead department of the green-power resolution and its
//! deadline.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use desk_core::appeal::Action;
use desk_core::model::*;
use desk_core::{credit_code, time};
use serde::Serialize;
use uuid::{Builder, Uuid};

use crate::{Result, Store};

/// Demo records have fixed UUIDv7 ids, stamped 26 October 2024 08:30, so loading the demo is
/// recognisable and every device that loads it holds the same records.
fn demo_id(n: u8) -> Uuid {
    let mut random = [0x5a; 10];
    random[9] = n;
    Builder::from_unix_timestamp_millis(1_729_903_800_000, &random).into_uuid()
}

fn at(hour: u32, minute: u32) -> DateTime<Utc> {
    time::from_local(
        day(),
        NaiveTime::from_hms_opt(hour, minute, 0).expect("valid time"),
    )
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 10, 26).expect("valid date")
}

fn with_check(first17: &str) -> String {
    let check = credit_code::check_character(first17).expect("valid demo code");
    format!("{first17}{check}")
}

#[derive(Debug, Serialize)]
pub struct DemoReport {
    /// False when the demo was already in this store and nothing was written.
    pub loaded: bool,
    pub session_id: Uuid,
}

impl Store {
    pub fn load_demo(&mut self) -> Result<DemoReport> {
        let session_id = demo_id(20);
        if self.get::<Session>(session_id)?.is_some() {
            return Ok(DemoReport {
                loaded: false,
                session_id,
            });
        }
        let leader = "党工委书记、管委会主任";
        self.write_at(at(9, 30), |w| {
            let park = |n, name: &str| Park {
                id: demo_id(n),
                name: name.into(),
                void_reason: None,
            };
            let new_materials = w.create(park(1, "新材料产业园"))?.id;
            let chemical = w.create(park(2, "青春化工园"))?.id;
            let logistics = w.create(park(3, "现代物流园"))?.id;

            let dept = |n, name: &str, level| Department {
                id: demo_id(n),
                name: name.into(),
                level,
                void_reason: None,
            };
            let planning = w
                .create(dept(10, "自然资源和规划中心", DepartmentLevel::Zone))?
                .id;
            let economy = w.create(dept(11, "经济发展局", DepartmentLevel::Zone))?.id;
            let power = w
                .create(dept(12, "国网随州供电公司", DepartmentLevel::Other))?
                .id;

            let site =
                |n, kind, name: &str, park: Option<Uuid>, code: Option<&str>, industry: &str| {
                    Site {
                        id: demo_id(n),
                        kind,
                        name: name.into(),
                        credit_code: code.map(with_check),
                        park_id: park,
                        address: Some("湖北省随州高新区".into()),
                        industry: Some(industry.into()),
                        contact: None,
                        phone: None,
                        void_reason: None,
                    }
                };
            let snow = w.create(Site {
                contact: Some("企业负责人".into()),
                ..site(
                    30,
                    SiteKind::Enterprise,
                    "湖北斯诺新材料有限公司",
                    Some(new_materials),
                    Some("91421300MA49KQ7D3"),
                    "新材料（碳材料）",
                )
            })?;
            let sewage = w.create(site(
                31,
                SiteKind::Project,
                "污水处理厂二期",
                None,
                None,
                "市政环保",
            ))?;
            let pipe = w.create(site(
                32,
                SiteKind::Project,
                "青春化工园“一企一管”",
                Some(chemical),
                None,
                "化工园区基础设施",
            ))?;
            let logistics_park = w.create(site(
                33,
                SiteKind::Project,
                "湖北交投物流园",
                Some(logistics),
                None,
                "现代物流",
            ))?;
            let trade = w.create(site(
                34,
                SiteKind::Enterprise,
                "随创贸易有限公司",
                Some(logistics),
                Some("91421300MA4A2R5W0"),
                "商贸",
            ))?;

            w.create(Session {
                id: session_id,
                date: day(),
                leader: leader.into(),
                participants: vec![
                    "园区办公室百通岗".into(),
                    "自然资源和规划中心".into(),
                    "经济发展局".into(),
                ],
                desk_types: vec![DeskType::Office],
                origin: Origin::Scheduled,
                status: SessionStatus::Finished,
                summary: Some("周六错时走访五个站点，督促加快项目建设，现场解决企业诉求。".into()),
                void_reason: None,
            })?;

            // The report gives 08:30 for the first stop; the later slots are planned guesses.
            let stops = [
                (&snow, "08:30", "09:30"),
                (&sewage, "09:45", "10:15"),
                (&pipe, "10:30", "11:00"),
                (&logistics_park, "11:15", "11:45"),
                (&trade, "14:30", "15:00"),
            ];
            for (i, (site, start, end)) in stops.iter().enumerate() {
                w.create(Stop {
                    id: demo_id(40 + i as u8),
                    session_id,
                    position: i as i64 + 1,
                    site_id: site.id,
                    slot_start: Some((*start).into()),
                    slot_end: Some((*end).into()),
                    void_reason: None,
                })?;
                let (h, m) = start.split_once(':').expect("HH:MM");
                let started = at(h.parse().expect("hour"), m.parse().expect("minute"));
                let first = i == 0;
                w.create(Visit {
                    id: demo_id(50 + i as u8),
                    session_id: Some(session_id),
                    site_id: site.id,
                    started_at: started,
                    ended_at: None,
                    officials: vec![leader.into()],
                    enterprise_attendees: vec![],
                    production_status: first.then(|| {
                        "除高温碳化车间正在安装调试外，其余车间均满负荷生产；边建设边生产。".into()
                    }),
                    monthly_output_yuan: first.then_some(12_000_000),
                    notes: Some(if first {
                        "月产值超过1200万元。".into()
                    } else {
                        "督促加快建设进度，现场解决所提问题。".into()
                    }),
                    receipt_hash: None,
                    receipt_revoked: false,
                    location: None,
                    signature: None,
                    void_reason: None,
                })?;
            }
            let visit = demo_id(50);

            let appeal = |n, category, description: &str, deadline| Appeal {
                id: demo_id(n),
                site_id: snow.id,
                visit_id: Some(visit),
                raised_at: at(8, 30),
                channel: Channel::OnSite,
                category,
                description: description.into(),
                urgency: Urgency::Normal,
                status: AppealStatus::Received,
                department_id: None,
                deadline: Some(deadline),
                resolved_at: None,
                satisfaction: None,
                ledger_head: None,
                policy_issue_id: None,
                void_reason: None,
            };
            let greening_deadline = NaiveDate::from_ymd_opt(2024, 10, 28).expect("valid date");
            let power_deadline = NaiveDate::from_ymd_opt(2024, 12, 31).expect("valid date");
            let greening = w
                .create(appeal(
                    60,
                    Category::Environment,
                    "厂区围墙外公共绿化，希望提升厂区周边形象。",
                    greening_deadline,
                ))?
                .id;
            let price = w
                .create(appeal(
                    61,
                    Category::Utilities,
                    "生产用电价格偏高，希望降低用电成本。",
                    power_deadline,
                ))?
                .id;

            w.create(Resolution {
                id: demo_id(70),
                appeal_id: greening,
                action: "由自然资源和规划中心制定厂区外公共绿化方案，提升厂区形象。".into(),
                lead_department_id: planning,
                co_department_ids: vec![],
                deadline: greening_deadline,
                commitment: Some("10月28日前交付绿化方案".into()),
                void_reason: None,
            })?;
            w.create(Resolution {
                id: demo_id(71),
                appeal_id: price,
                action: "利用微风发电为企业供应绿电。".into(),
                lead_department_id: economy,
                co_department_ids: vec![power],
                deadline: power_deadline,
                commitment: Some("电价降低不少于20%".into()),
                void_reason: None,
            })?;
            w.act_on_appeal(
                greening,
                Action::Dispatch {
                    department_id: planning,
                },
                leader,
                Some("现场办公会决议：派自然资源和规划中心办理"),
            )?;
            // An order placed on the portal the evening after, waiting to be dispatched.
            w.create(Order {
                id: demo_id(80),
                site_id: snow.id,
                placed_at: at(19, 0),
                topic: "二期厂房消防验收".into(),
                wishes: Some("二期厂房即将完工，想请消防和住建部门到现场指导验收准备。".into()),
                windows: vec![
                    TimeWindow {
                        date: NaiveDate::from_ymd_opt(2024, 11, 5).expect("valid date"),
                        start: "14:00".into(),
                        end: "17:00".into(),
                    },
                    TimeWindow {
                        date: NaiveDate::from_ymd_opt(2024, 11, 7).expect("valid date"),
                        start: "09:00".into(),
                        end: "11:30".into(),
                    },
                ],
                stop_id: None,
                void_reason: None,
            })?;
            w.act_on_appeal(
                price,
                Action::Dispatch {
                    department_id: economy,
                },
                leader,
                Some("现场办公会决议：派经济发展局会同供电公司办理"),
            )?;
            Ok(())
        })?;
        Ok(DemoReport {
            loaded: true,
            session_id,
        })
    }
}
