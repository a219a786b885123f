//! `desk`: the device's store from the command line, over the same service layer as the app.

/// `println!` for what `desk` prints. When the reader has gone (`desk stats | head`), the
/// program ends quietly, as Unix tools do, instead of panicking on the broken pipe.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::line(format_args!($($arg)*))
    };
}

mod args;
mod output;
mod sync;

use std::process::ExitCode;

use chrono::{DateTime, NaiveDateTime, Utc};
use clap::Parser;
use desk_core::appeal::Action;
use desk_core::model::*;
use desk_core::{time, Entity, ValidationError};
use desk_export::{Kind, LedgerExport};
use desk_store::{AppealFilter, LedgerOrder, Store, StoreError};
use uuid::Uuid;

use args::*;
use output::Out;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Out { json: cli.json };
    match run(cli, &out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            out.error(&e);
            match e {
                StoreError::Invalid(_) | StoreError::Import(_) | StoreError::File { .. } => {
                    ExitCode::from(2)
                }
                _ => ExitCode::FAILURE,
            }
        }
    }
}

fn run(cli: Cli, out: &Out) -> Result<(), StoreError> {
    let mut store = Store::open_dir(&cli.data_dir)?;
    // Commands that talk to the server report failures in their own words.
    let remote = |r: Result<(), String>| r.map_err(StoreError::Remote);
    let s = &mut store;
    match cli.command {
        Command::Park(ParkCmd::Add { name }) => {
            let park = s.write(|w| {
                w.create(Park {
                    id: Uuid::now_v7(),
                    name,
                    void_reason: None,
                })
            })?;
            out.saved(Entity::Park, &park)
        }
        Command::Park(ParkCmd::List) => out.list(Entity::Park, s.list(Entity::Park)?),
        Command::Order(OrderCmd::List) => {
            let waiting = s
                .waiting_orders()?
                .into_iter()
                .map(|o| match serde_json::to_value(o) {
                    Ok(serde_json::Value::Object(m)) => m,
                    _ => serde_json::Map::new(),
                })
                .collect();
            out.list(Entity::Order, waiting)
        }
        Command::Order(OrderCmd::Dispatch { id, window, leader }) => {
            let id = id_arg("id", &id)?;
            let stop = s.write(|w| w.dispatch_order(id, window, &leader))?;
            out.saved(Entity::Stop, &stop)
        }
        Command::Department(DepartmentCmd::Add { name, level }) => {
            let level = DepartmentLevel::parse("level", &level)?;
            let d = s.write(|w| {
                w.create(Department {
                    id: Uuid::now_v7(),
                    name,
                    level,
                    void_reason: None,
                })
            })?;
            out.saved(Entity::Department, &d)
        }
        Command::Department(DepartmentCmd::List) => {
            out.list(Entity::Department, s.list(Entity::Department)?)
        }
        Command::Site(SiteCmd::Add(a)) => {
            let site = Site {
                id: Uuid::now_v7(),
                kind: SiteKind::parse("kind", &a.kind)?,
                name: a.name,
                credit_code: a.credit_code,
                park_id: a
                    .park
                    .map(|p| reference(s, Entity::Park, "park", &p))
                    .transpose()?,
                address: a.address,
                industry: a.industry,
                contact: a.contact,
                phone: a.phone,
                void_reason: None,
            };
            let site = s.write(|w| w.create(site))?;
            out.saved(Entity::Site, &site)
        }
        Command::Site(SiteCmd::Edit(e)) => {
            let id = reference(s, Entity::Site, "site", &e.site)?;
            let park = e
                .park
                .map(|p| reference(s, Entity::Park, "park", &p))
                .transpose()?;
            let site = s.write(|w| {
                w.update::<Site>(id, |x| {
                    if let Some(v) = e.name {
                        x.name = v;
                    }
                    if let Some(v) = e.credit_code {
                        x.credit_code = Some(v);
                    }
                    if let Some(p) = park {
                        x.park_id = Some(p);
                    }
                    for (field, value) in [
                        (&mut x.address, e.address),
                        (&mut x.industry, e.industry),
                        (&mut x.contact, e.contact),
                        (&mut x.phone, e.phone),
                    ] {
                        if let Some(v) = value {
                            *field = Some(v);
                        }
                    }
                })
            })?;
            out.saved(Entity::Site, &site)
        }
        Command::Site(SiteCmd::List) => out.list(Entity::Site, s.list(Entity::Site)?),
        Command::Session(SessionCmd::Add(a)) => {
            let session = Session {
                id: Uuid::now_v7(),
                date: parse_date("date", &a.date)?,
                leader: a.leader,
                participants: a.participant,
                desk_types: a
                    .desk_type
                    .iter()
                    .map(|d| DeskType::parse("desk_types", d))
                    .collect::<Result<_, _>>()?,
                origin: Origin::parse("origin", &a.origin)?,
                status: SessionStatus::Planned,
                summary: a.summary,
                void_reason: None,
            };
            let session = s.write(|w| w.create(session))?;
            out.saved(Entity::Session, &session)
        }
        Command::Session(SessionCmd::List) => out.list(Entity::Session, s.list(Entity::Session)?),
        Command::Stop(StopCmd::Add(a)) => {
            let stop = Stop {
                id: Uuid::now_v7(),
                session_id: id_arg("session", &a.session)?,
                position: a.position,
                site_id: reference(s, Entity::Site, "site", &a.site)?,
                slot_start: a.start,
                slot_end: a.end,
                void_reason: None,
            };
            let stop = s.write(|w| w.create(stop))?;
            out.saved(Entity::Stop, &stop)
        }
        Command::Stop(StopCmd::List) => out.list(Entity::Stop, s.list(Entity::Stop)?),
        Command::Visit(VisitCmd::Add(a)) => {
            let visit = Visit {
                id: Uuid::now_v7(),
                session_id: a
                    .session
                    .as_deref()
                    .map(|x| id_arg("session", x))
                    .transpose()?,
                site_id: reference(s, Entity::Site, "site", &a.site)?,
                started_at: at_arg(s, "at", a.at.as_deref())?,
                ended_at: a
                    .ended
                    .as_deref()
                    .map(|e| at_arg(s, "ended", Some(e)))
                    .transpose()?,
                officials: a.official,
                enterprise_attendees: a.attendee,
                production_status: a.production_status,
                monthly_output_yuan: a.monthly_output_yuan,
                notes: a.notes,
                receipt_hash: None,
                receipt_revoked: false,
                location: None,
                signature: None,
                void_reason: None,
            };
            let visit = s.write(|w| w.create(visit))?;
            out.saved(Entity::Visit, &visit)
        }
        Command::Visit(VisitCmd::List) => out.list(Entity::Visit, s.list(Entity::Visit)?),
        Command::Appeal(cmd) => appeal(s, cmd, out)?,
        Command::Resolution(ResolutionCmd::Add(a)) => {
            let resolution = Resolution {
                id: Uuid::now_v7(),
                appeal_id: id_arg("appeal", &a.appeal)?,
                action: a.action,
                lead_department_id: reference(s, Entity::Department, "lead", &a.lead)?,
                co_department_ids: a
                    .co
                    .iter()
                    .map(|c| reference(s, Entity::Department, "co", c))
                    .collect::<Result<_, _>>()?,
                deadline: parse_date("deadline", &a.deadline)?,
                commitment: a.commitment,
                void_reason: None,
            };
            let r = s.write(|w| w.create(resolution))?;
            out.saved(Entity::Resolution, &r)
        }
        Command::Resolution(ResolutionCmd::List) => {
            out.list(Entity::Resolution, s.list(Entity::Resolution)?)
        }
        Command::Progress(ProgressCmd::Add { appeal, note, by }) => {
            let appeal_id = id_arg("appeal", &appeal)?;
            let p = s.write(|w| {
                let at = w.now();
                w.create(Progress::note(appeal_id, at, &by, &note))
            })?;
            out.saved(Entity::Progress, &p)
        }
        Command::Progress(ProgressCmd::List { appeal }) => {
            let rows = s.progress_of(id_arg("appeal", &appeal)?)?;
            out.list(Entity::Progress, rows)
        }
        Command::Consultation(ConsultationCmd::Add(a)) => {
            let c = Consultation {
                id: Uuid::now_v7(),
                site_id: a
                    .site
                    .map(|x| reference(s, Entity::Site, "site", &x))
                    .transpose()?,
                visit_id: a.visit.as_deref().map(|x| id_arg("visit", x)).transpose()?,
                at: at_arg(s, "at", a.at.as_deref())?,
                topic: a.topic,
                question: a.question,
                answer: a.answer,
                void_reason: None,
            };
            let c = s.write(|w| w.create(c))?;
            out.saved(Entity::Consultation, &c)
        }
        Command::Consultation(ConsultationCmd::List) => {
            out.list(Entity::Consultation, s.list(Entity::Consultation)?)
        }
        Command::Suggestion(SuggestionCmd::Add(a)) => {
            let x = Suggestion {
                id: Uuid::now_v7(),
                site_id: a
                    .site
                    .map(|x| reference(s, Entity::Site, "site", &x))
                    .transpose()?,
                visit_id: a.visit.as_deref().map(|x| id_arg("visit", x)).transpose()?,
                at: at_arg(s, "at", a.at.as_deref())?,
                content: a.content,
                adopted: a.adopted,
                void_reason: None,
            };
            let x = s.write(|w| w.create(x))?;
            out.saved(Entity::Suggestion, &x)
        }
        Command::Suggestion(SuggestionCmd::List) => {
            out.list(Entity::Suggestion, s.list(Entity::Suggestion)?)
        }
        Command::Void { kind, id, reason } => {
            let entity = entity_arg(&kind)?;
            let id = id_arg("id", &id)?;
            s.write(|w| w.void(entity, id, &reason))?;
            out.done(&format!("已作废 (voided) {} {id}", entity.name_zh()))
        }
        Command::Search { query, limit } => out.search(&s.search(&query, limit)?),
        Command::Calendar(cmd) => {
            let calendar = s.calendar()?;
            let provisional = |p: bool| if p { "（暂定 provisional）" } else { "" };
            match cmd {
                CalendarCmd::AddWorkingDays { date, days } => {
                    let due = calendar.add_working_days(parse_date("date", &date)?, days);
                    out.value(
                        &serde_json::to_value(due).expect("json"),
                        &format!("{}{}", due.date, provisional(due.provisional)),
                    );
                }
                CalendarCmd::WorkingDays { from, to } => {
                    let (n, guessed) =
                        calendar.working_days(parse_date("from", &from)?, parse_date("to", &to)?);
                    out.value(
                        &serde_json::json!({ "working_days": n, "provisional": guessed }),
                        &format!("{n}{}", provisional(guessed)),
                    );
                }
            }
        }
        Command::Demo => {
            let report = s.load_demo()?;
            if report.loaded {
                out.done("已载入 2024年10月26日 流动办公桌演示数据 (demo session of 26 October 2024 loaded)")
            } else {
                out.done("演示数据已存在，未重复载入 (the demo is already loaded; nothing written)")
            }
        }
        Command::Stats => out.stats(&s.stats()?),
        Command::Export { what: None } => out.export(&s.export()?),
        Command::Export {
            what:
                Some(ExportCmd::Ledger {
                    xlsx,
                    csv,
                    filter,
                    search,
                    sort,
                    descending,
                }),
        } => {
            let order = LedgerOrder {
                by: serde_json::from_value(serde_json::Value::String(sort.clone())).map_err(
                    |_| ValidationError::Invalid {
                        field: "sort",
                        value: sort,
                        expected: "raised, deadline, status, urgency, satisfaction".into(),
                    },
                )?,
                descending,
            };
            // The command line as given says what the export holds.
            let filter_title = std::env::args().skip(1).collect::<Vec<_>>().join(" ");
            let filter = appeal_filter(s, &filter, search)?;
            let (kind, path) = match (xlsx, csv) {
                (Some(path), _) => (Kind::Xlsx, path),
                (None, Some(path)) => (Kind::Csv, path),
                (None, None) => unreachable!("clap requires --xlsx or --csv"),
            };
            let mut export = LedgerExport::to_file(kind, &path, &filter_title)?;
            let rows = s.export_ledger(&filter, order, &mut export)?;
            export.finish()?;
            out.done(&format!(
                "已导出 {rows} 条诉求到 {} (exported {rows} appeals)",
                path.display()
            ));
        }
        Command::Login {
            server,
            user,
            device_name,
            password_stdin,
        } => remote(sync::login(
            s,
            &cli.data_dir,
            &server,
            &user,
            device_name,
            password_stdin,
            out,
        ))?,
        Command::Sync { watch, interval } => {
            remote(sync::sync(&cli.data_dir, store, watch, interval, out))?
        }
        Command::Status { retention_days } => {
            if let Some(days) = retention_days {
                store.set_retention_days(days)?;
            }
            sync::status(&cli.data_dir, &store, out)?
        }
        Command::Conflicts { action } => sync::conflicts(&mut store, action, out)?,
        Command::Rejections { action } => sync::rejections(&cli.data_dir, &mut store, action, out)?,
        Command::Import(ImportCmd::Sites { file }) => {
            let n = desk_store::import_sites_csv(s, &file)?;
            out.done(&format!("已导入 {n} 家企业/项目 (imported {n} sites)"))
        }
    }
    Ok(())
}

fn appeal(s: &mut Store, cmd: AppealCmd, out: &Out) -> Result<(), StoreError> {
    let (id, action, by, note) = match cmd {
        AppealCmd::Add(a) => {
            let raised_at = at_arg(s, "at", a.at.as_deref())?;
            let appeal = Appeal {
                id: Uuid::now_v7(),
                site_id: reference(s, Entity::Site, "site", &a.site)?,
                visit_id: a.visit.as_deref().map(|x| id_arg("visit", x)).transpose()?,
                raised_at,
                channel: Channel::parse("channel", &a.channel)?,
                category: Category::parse("category", &a.category)?,
                description: a.description,
                urgency: Urgency::parse("urgency", &a.urgency)?,
                status: AppealStatus::Received,
                department_id: None,
                deadline: a
                    .deadline
                    .as_deref()
                    .map(|d| parse_date("deadline", d))
                    .transpose()?,
                resolved_at: None,
                satisfaction: None,
                ledger_head: None,
                policy_issue_id: None,
                void_reason: None,
            };
            let appeal = s.write(|w| w.create(appeal))?;
            out.saved(Entity::Appeal, &appeal);
            return Ok(());
        }
        AppealCmd::List(f) => {
            let filter = appeal_filter(s, &f, None)?;
            out.list(Entity::Appeal, s.appeals(&filter)?);
            return Ok(());
        }
        AppealCmd::Dispatch { id, department, by } => {
            let department_id = reference(s, Entity::Department, "department", &department)?;
            (id, Action::Dispatch { department_id }, by, None)
        }
        AppealCmd::Start { id, by, note } => (id, Action::Start, by, note),
        AppealCmd::Resolve { id, by, note } => (id, Action::Resolve, by, note),
        AppealCmd::Confirm {
            id,
            satisfaction,
            by,
        } => {
            let today = desk_core::time::local_date(s.now());
            (
                id,
                Action::rating(satisfaction, today, &s.calendar()?),
                by,
                None,
            )
        }
        AppealCmd::Rectify { id, by, note } => (id, Action::Rectify, by, note),
        AppealCmd::Return { id, reason, by } => (id, Action::Return { reason }, by, None),
        AppealCmd::Transfer {
            id,
            department,
            reason,
            by,
        } => {
            let department_id = reference(s, Entity::Department, "department", &department)?;
            (
                id,
                Action::Transfer {
                    department_id,
                    reason,
                },
                by,
                None,
            )
        }
        AppealCmd::Extend {
            id,
            deadline,
            reason,
            by,
        } => {
            let deadline = parse_date("deadline", &deadline)?;
            (id, Action::Extend { deadline, reason }, by, None)
        }
        AppealCmd::Reopen { id, reason, by } => (id, Action::Reopen { reason }, by, None),
    };
    let id = id_arg("id", &id)?;
    let appeal = s.write(|w| w.act_on_appeal(id, action, &by, note.as_deref()))?;
    out.saved(Entity::Appeal, &appeal);
    Ok(())
}

/// The ledger's filters as given on the command line, names resolved.
fn appeal_filter(
    s: &Store,
    f: &AppealList,
    search: Option<String>,
) -> Result<AppealFilter, StoreError> {
    Ok(AppealFilter {
        status: f
            .status
            .as_deref()
            .map(|x| AppealStatus::parse("status", x))
            .transpose()?,
        park_id: f
            .park
            .clone()
            .map(|x| reference(s, Entity::Park, "park", &x))
            .transpose()?,
        department_id: f
            .department
            .clone()
            .map(|x| reference(s, Entity::Department, "department", &x))
            .transpose()?,
        category: f
            .category
            .as_deref()
            .map(|x| Category::parse("category", x))
            .transpose()?,
        site_id: f
            .site
            .clone()
            .map(|x| reference(s, Entity::Site, "site", &x))
            .transpose()?,
        overdue_on: f.overdue.then(|| time::local_date(s.now())),
        due_between: None,
        unanswered_before: None,
        search,
    })
}

/// A record named by id or, for parks, departments and sites, by exact name.
fn reference(
    s: &Store,
    entity: Entity,
    field: &'static str,
    text: &str,
) -> Result<Uuid, StoreError> {
    s.resolve(entity, text)?.ok_or_else(|| {
        ValidationError::NotFound {
            field,
            entity: entity.name_en(),
            entity_zh: entity.name_zh(),
            id: text.to_owned(),
        }
        .into()
    })
}

fn id_arg(field: &'static str, text: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(text.trim()).map_err(|_| {
        ValidationError::Invalid {
            field,
            value: text.to_owned(),
            expected: "a record id (UUID)".into(),
        }
        .into()
    })
}

/// "2024-10-26 08:30" in the zone's time, or now.
fn at_arg(s: &Store, field: &'static str, text: Option<&str>) -> Result<DateTime<Utc>, StoreError> {
    let Some(text) = text else { return Ok(s.now()) };
    let local = NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M").map_err(|_| {
        ValidationError::Invalid {
            field,
            value: text.to_owned(),
            expected: "YYYY-MM-DD HH:MM".into(),
        }
    })?;
    Ok(time::from_local(local.date(), local.time()))
}

fn entity_arg(text: &str) -> Result<Entity, StoreError> {
    Entity::ALL
        .into_iter()
        .find(|e| e.name_en() == text || e.table() == text || e.name_zh() == text)
        .ok_or_else(|| {
            ValidationError::Invalid {
                field: "kind",
                value: text.to_owned(),
                expected: Entity::ALL
                    .iter()
                    .map(|e| e.name_en())
                    .collect::<Vec<_>>()
                    .join(", "),
            }
            .into()
        })
}
