// Argument enums are built once per process; boxing their variants would buy nothing.
#![allow(clippy::large_enum_variant)]

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// 流动办公桌 Mobile Desk: record desk sessions, visits and appeals on this device.
#[derive(Parser)]
#[command(name = "desk", version, about)]
pub struct Cli {
    /// Where this device keeps its data.
    #[arg(long, global = true, env = "DESK_DATA_DIR", default_value_os_t = default_data_dir())]
    pub data_dir: PathBuf,

    /// Print JSON (stable field names) instead of text.
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

fn default_data_dir() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("mobile-desk")
}

#[derive(Subcommand)]
pub enum Command {
    /// Parks (园区).
    #[command(subcommand)]
    Park(ParkCmd),
    /// Enterprises' orders for a visit (企业点单), and their dispatch (派单).
    #[command(subcommand)]
    Order(OrderCmd),
    /// Responsible departments (责任单位).
    #[command(subcommand)]
    Department(DepartmentCmd),
    /// Enterprises and key projects (企业 / 重点项目).
    #[command(subcommand)]
    Site(SiteCmd),
    /// Desk sessions (流动办公桌活动).
    #[command(subcommand)]
    Session(SessionCmd),
    /// Planned stops of a session, in order.
    #[command(subcommand)]
    Stop(StopCmd),
    /// Visit records (走访记录).
    #[command(subcommand)]
    Visit(VisitCmd),
    /// Appeals (诉求) and the ledger (台账).
    #[command(subcommand)]
    Appeal(AppealCmd),
    /// On-site resolutions (现场决议).
    #[command(subcommand)]
    Resolution(ResolutionCmd),
    /// Progress updates of an appeal (办理进展).
    #[command(subcommand)]
    Progress(ProgressCmd),
    /// Consultations answered (解答咨询).
    #[command(subcommand)]
    Consultation(ConsultationCmd),
    /// Golden ideas (金点子).
    #[command(subcommand)]
    Suggestion(SuggestionCmd),
    /// Void a record with a reason (作废); it is kept, marked, never erased.
    Void {
        /// site, appeal, visit, … (or the table name)
        kind: String,
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Search sites (name, pinyin initials, credit code) and appeals.
    Search {
        query: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Working days (工作日): the State Council's holidays and make-up days (调休), weekends
    /// otherwise.
    #[command(subcommand)]
    Calendar(CalendarCmd),
    /// Load the desk session of 26 October 2024 as demo data.
    Demo,
    /// The zone's figures.
    Stats,
    /// The whole local state as sorted JSON; `export ledger` writes the ledger as XLSX or CSV.
    Export {
        #[command(subcommand)]
        what: Option<ExportCmd>,
    },
    /// Bulk import.
    #[command(subcommand)]
    Import(ImportCmd),
    /// Sign this device in to the office's server.
    Login {
        /// e.g. http://192.168.1.10:8700
        #[arg(long)]
        server: String,
        #[arg(long)]
        user: String,
        /// Shown to the office in the device list; default: this machine's host name.
        #[arg(long)]
        device_name: Option<String>,
        /// Read the password from the first line of standard input instead of a prompt.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Sync with the server now; with --watch, keep syncing until stopped (Ctrl-C).
    Sync {
        #[arg(long)]
        watch: bool,
        /// With --watch: pull at least this often, in seconds.
        #[arg(long, default_value_t = 30)]
        interval: u64,
    },
    /// What waits to be synced, when it last was, conflicts and rejections.
    Status {
        /// Keep the operations the server acknowledged this many days, to hand back to a server
        /// restored from an older backup (default 30).
        #[arg(long)]
        retention_days: Option<i64>,
    },
    /// Values that lost a concurrent edit; settle them.
    Conflicts {
        #[command(subcommand)]
        action: Option<ConflictCmd>,
    },
    /// Changes the server refused, with its reasons.
    Rejections {
        #[command(subcommand)]
        action: Option<RejectionCmd>,
    },
}

#[derive(Subcommand)]
pub enum ConflictCmd {
    /// Keep one value: mine, theirs, or --value JSON.
    Resolve {
        id: i64,
        /// mine or theirs
        #[arg(long, conflicts_with = "value")]
        keep: Option<String>,
        /// A new value, as JSON ("\"0722-1234567\"", 5, null).
        #[arg(long)]
        value: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum RejectionCmd {
    /// Settle a rejected change: theirs (go back to the server's version) or mine (send it
    /// again, say once the device's clock is right).
    Resolve {
        op_id: String,
        #[arg(long)]
        keep: String,
    },
    /// Mark a rejected change as dealt with (after editing the record, say).
    Dismiss { op_id: String },
}

#[derive(Subcommand)]
pub enum OrderCmd {
    /// Orders waiting to be dispatched (待派单), oldest first.
    List,
    /// Make an order a stop of that day's session (a new one if there is none), in one of
    /// its time windows.
    Dispatch {
        id: String,
        /// Which of its time windows, from 1.
        #[arg(long, default_value_t = 1)]
        window: usize,
        /// Who leads a session made for it.
        #[arg(long, default_value = "本机用户")]
        leader: String,
    },
}

#[derive(Subcommand)]
pub enum ParkCmd {
    Add { name: String },
    List,
}

#[derive(Subcommand)]
pub enum DepartmentCmd {
    Add {
        name: String,
        /// zone, district, city or other
        #[arg(long, default_value = "zone")]
        level: String,
    },
    List,
}

#[derive(Subcommand)]
pub enum SiteCmd {
    Add(SiteAdd),
    /// Change some fields of a site; the others stay as they are.
    Edit(SiteEdit),
    List,
}

#[derive(Args)]
pub struct SiteEdit {
    /// Site id or name.
    pub site: String,
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub credit_code: Option<String>,
    /// Park id or name.
    #[arg(long)]
    pub park: Option<String>,
    #[arg(long)]
    pub address: Option<String>,
    #[arg(long)]
    pub industry: Option<String>,
    #[arg(long)]
    pub contact: Option<String>,
    #[arg(long)]
    pub phone: Option<String>,
}

#[derive(Args)]
pub struct SiteAdd {
    #[arg(long)]
    pub name: String,
    /// enterprise or project
    #[arg(long, default_value = "enterprise")]
    pub kind: String,
    /// Unified social credit code (统一社会信用代码), 18 characters.
    #[arg(long)]
    pub credit_code: Option<String>,
    /// Park id or name.
    #[arg(long)]
    pub park: Option<String>,
    #[arg(long)]
    pub address: Option<String>,
    #[arg(long)]
    pub industry: Option<String>,
    #[arg(long)]
    pub contact: Option<String>,
    #[arg(long)]
    pub phone: Option<String>,
}

#[derive(Subcommand)]
pub enum SessionCmd {
    Add(SessionAdd),
    List,
}

#[derive(Args)]
pub struct SessionAdd {
    /// YYYY-MM-DD
    #[arg(long)]
    pub date: String,
    #[arg(long)]
    pub leader: String,
    #[arg(long)]
    pub participant: Vec<String>,
    /// office, publicity, mediation, deliberation, reply (repeatable)
    #[arg(long, default_value = "office")]
    pub desk_type: Vec<String>,
    /// scheduled, ordered or reception_day
    #[arg(long, default_value = "scheduled")]
    pub origin: String,
    #[arg(long)]
    pub summary: Option<String>,
}

#[derive(Subcommand)]
pub enum StopCmd {
    Add(StopAdd),
    List,
}

#[derive(Args)]
pub struct StopAdd {
    #[arg(long)]
    pub session: String,
    /// Site id or name.
    #[arg(long)]
    pub site: String,
    #[arg(long)]
    pub position: i64,
    /// HH:MM
    #[arg(long)]
    pub start: Option<String>,
    /// HH:MM
    #[arg(long)]
    pub end: Option<String>,
}

#[derive(Subcommand)]
pub enum VisitCmd {
    Add(VisitAdd),
    List,
}

#[derive(Args)]
pub struct VisitAdd {
    /// Site id or name.
    #[arg(long)]
    pub site: String,
    #[arg(long)]
    pub session: Option<String>,
    /// "YYYY-MM-DD HH:MM", zone time; default now.
    #[arg(long)]
    pub at: Option<String>,
    #[arg(long)]
    pub ended: Option<String>,
    #[arg(long)]
    pub official: Vec<String>,
    #[arg(long)]
    pub attendee: Vec<String>,
    #[arg(long)]
    pub production_status: Option<String>,
    #[arg(long)]
    pub monthly_output_yuan: Option<i64>,
    #[arg(long)]
    pub notes: Option<String>,
}

#[derive(Subcommand)]
pub enum AppealCmd {
    Add(AppealAdd),
    /// The ledger, filtered.
    List(AppealList),
    /// 派单: send to the responsible department.
    Dispatch {
        id: String,
        #[arg(long)]
        department: String,
        #[arg(long, default_value = "本机用户")]
        by: String,
    },
    /// 开始办理.
    Start {
        id: String,
        #[arg(long, default_value = "本机用户")]
        by: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// 办结.
    Resolve {
        id: String,
        #[arg(long, default_value = "本机用户")]
        by: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// 整改完成: put right what a dissatisfied rating found.
    Rectify {
        id: String,
        #[arg(long, default_value = "本机用户")]
        by: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// 评价: the enterprise's satisfaction, 5 非常满意 to 1 非常不满意; 2 or less is followed
    /// up (整改中) within five working days.
    Confirm {
        id: String,
        #[arg(long)]
        satisfaction: i64,
        #[arg(long, default_value = "本机用户")]
        by: String,
    },
    /// 退回.
    Return {
        id: String,
        #[arg(long)]
        reason: String,
        #[arg(long, default_value = "本机用户")]
        by: String,
    },
    /// 转办.
    Transfer {
        id: String,
        #[arg(long)]
        department: String,
        #[arg(long)]
        reason: String,
        #[arg(long, default_value = "本机用户")]
        by: String,
    },
    /// 延期.
    Extend {
        id: String,
        #[arg(long)]
        deadline: String,
        #[arg(long)]
        reason: String,
        #[arg(long, default_value = "本机用户")]
        by: String,
    },
    /// 重新办理.
    Reopen {
        id: String,
        #[arg(long)]
        reason: String,
        #[arg(long, default_value = "本机用户")]
        by: String,
    },
}

#[derive(Args)]
pub struct AppealAdd {
    /// Site id or name.
    #[arg(long)]
    pub site: String,
    #[arg(long)]
    pub description: String,
    #[arg(long, default_value = "other")]
    pub category: String,
    #[arg(long, default_value = "normal")]
    pub urgency: String,
    #[arg(long, default_value = "on_site")]
    pub channel: String,
    #[arg(long)]
    pub visit: Option<String>,
    /// YYYY-MM-DD
    #[arg(long)]
    pub deadline: Option<String>,
    /// "YYYY-MM-DD HH:MM", zone time; default now.
    #[arg(long)]
    pub at: Option<String>,
}

#[derive(Subcommand)]
pub enum ExportCmd {
    /// The ledger (台账), filtered, as a spreadsheet with its figures sheet.
    Ledger {
        /// Write an XLSX workbook here.
        #[arg(long, conflicts_with = "csv", required_unless_present = "csv")]
        xlsx: Option<std::path::PathBuf>,
        /// Write CSV (UTF-8 with a byte-order mark) here.
        #[arg(long)]
        csv: Option<std::path::PathBuf>,
        #[command(flatten)]
        filter: AppealList,
        /// Words to find in the description or the site.
        #[arg(long)]
        search: Option<String>,
        /// raised, deadline, status, urgency or satisfaction.
        #[arg(long, default_value = "raised")]
        sort: String,
        #[arg(long)]
        descending: bool,
    },
}

#[derive(Args)]
pub struct AppealList {
    #[arg(long)]
    pub status: Option<String>,
    #[arg(long)]
    pub park: Option<String>,
    #[arg(long)]
    pub department: Option<String>,
    #[arg(long)]
    pub category: Option<String>,
    #[arg(long)]
    pub site: Option<String>,
    /// Only appeals past their deadline and not resolved.
    #[arg(long)]
    pub overdue: bool,
}

#[derive(Subcommand)]
pub enum ResolutionCmd {
    Add(ResolutionAdd),
    List,
}

#[derive(Args)]
pub struct ResolutionAdd {
    #[arg(long)]
    pub appeal: String,
    #[arg(long)]
    pub action: String,
    /// Lead department id or name.
    #[arg(long)]
    pub lead: String,
    /// Co-handling departments (repeatable).
    #[arg(long)]
    pub co: Vec<String>,
    /// YYYY-MM-DD
    #[arg(long)]
    pub deadline: String,
    /// The measurable promise, e.g. "电价降低不少于20%".
    #[arg(long)]
    pub commitment: Option<String>,
}

#[derive(Subcommand)]
pub enum ProgressCmd {
    Add {
        #[arg(long)]
        appeal: String,
        #[arg(long)]
        note: String,
        #[arg(long, default_value = "本机用户")]
        by: String,
    },
    List {
        #[arg(long)]
        appeal: String,
    },
}

#[derive(Subcommand)]
pub enum ConsultationCmd {
    Add(ConsultationAdd),
    List,
}

#[derive(Args)]
pub struct ConsultationAdd {
    #[arg(long)]
    pub topic: String,
    #[arg(long)]
    pub question: String,
    #[arg(long)]
    pub answer: Option<String>,
    #[arg(long)]
    pub site: Option<String>,
    #[arg(long)]
    pub visit: Option<String>,
    #[arg(long)]
    pub at: Option<String>,
}

#[derive(Subcommand)]
pub enum SuggestionCmd {
    Add(SuggestionAdd),
    List,
}

#[derive(Args)]
pub struct SuggestionAdd {
    #[arg(long)]
    pub content: String,
    #[arg(long)]
    pub adopted: bool,
    #[arg(long)]
    pub site: Option<String>,
    #[arg(long)]
    pub visit: Option<String>,
    #[arg(long)]
    pub at: Option<String>,
}

#[derive(Subcommand)]
pub enum ImportCmd {
    /// Enterprises and projects from CSV: name, kind, credit_code, park, address, industry,
    /// contact, phone (English or Chinese headers). All rows or none.
    Sites { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum CalendarCmd {
    /// The day DAYS working days after DATE, DATE not counted: `add-working-days 2026-02-13 5`
    /// prints 2026-02-27. Marked 暂定 (provisional) when it reaches into a year whose holidays
    /// are not published yet.
    AddWorkingDays { date: String, days: u32 },
    /// How many working days come after FROM up to and including TO.
    WorkingDays { from: String, to: String },
}
