//! The ledger (台账) as files an office opens in a spreadsheet: XLSX (a ledger sheet and a
//! figures sheet beside it) and CSV, with the same columns, Chinese headers and zone dates.
//!
//! Rows arrive one at a time ([`LedgerExport::push`]) and the XLSX is written in
//! `rust_xlsxwriter`'s constant-memory mode (rows stream to a temporary file), so an export of
//! 100,000 appeals holds what one of 10 does. The figures sheet is counted from the same rows,
//! through `desk_core::stats`, so it always describes what was exported.

pub mod print;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use desk_core::calendar::Calendar;
use desk_core::deadline;
use desk_core::model::{Appeal, AppealStatus, Category};
use desk_core::stats::{Counts, Stats};
use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Workbook, Worksheet, XlsxError};
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("无法写入表格文件：{0} (could not write the spreadsheet)")]
    Xlsx(#[from] XlsxError),
    #[error("无法写入 CSV 文件：{0} (could not write the CSV file)")]
    Csv(#[from] csv::Error),
    #[error("无法写入文件：{0} (could not write the file)")]
    Io(#[from] std::io::Error),
}

pub type Result<T> = std::result::Result<T, ExportError>;

/// One appeal as the ledger shows it: its own fields, the names it refers to, and what its
/// deadline means today.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub raised: NaiveDate,
    pub site_id: Uuid,
    pub site: String,
    pub park: String,
    pub category: Category,
    pub description: String,
    pub urgent: bool,
    pub status: AppealStatus,
    pub department: String,
    pub deadline: Option<NaiveDate>,
    /// Working days left (negative: late), for an open appeal with a deadline.
    pub days_left: Option<i64>,
    /// The count rests on a year whose holidays are not published yet (暂定).
    pub provisional: bool,
    pub resolved: Option<NaiveDate>,
    pub on_time: Option<bool>,
    pub satisfaction: Option<i64>,
    /// The policy issue (议题) the appeal is gathered in: its id and title.
    pub policy_issue: Option<(Uuid, String)>,
}

/// The names an appeal refers to, as the ledger shows them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Names<'a> {
    pub site: Option<&'a str>,
    pub park: Option<&'a str>,
    pub department: Option<&'a str>,
    pub policy_issue: Option<&'a str>,
}

/// Makes [`Line`]s as of one day on one calendar, remembering each deadline's count (a ledger
/// has far fewer deadlines than appeals).
pub struct Lines {
    today: NaiveDate,
    calendar: Calendar,
    counted: BTreeMap<NaiveDate, (i64, bool)>,
}

impl Lines {
    pub fn new(today: NaiveDate, calendar: Calendar) -> Lines {
        Lines {
            today,
            calendar,
            counted: BTreeMap::new(),
        }
    }

    pub fn line(&mut self, appeal: &Appeal, names: Names) -> Line {
        let left = appeal
            .deadline
            .filter(|_| !appeal.status.is_resolved())
            .map(|d| {
                *self.counted.entry(d).or_insert_with(|| {
                    deadline::working_days_left(appeal.status, Some(d), self.today, &self.calendar)
                        .expect("an open appeal with a deadline")
                })
            });
        Line {
            raised: desk_core::time::local_date(appeal.raised_at),
            site_id: appeal.site_id,
            site: names.site.unwrap_or_default().to_owned(),
            park: names.park.unwrap_or_default().to_owned(),
            category: appeal.category,
            description: appeal.description.clone(),
            urgent: appeal.urgency == desk_core::model::Urgency::Urgent,
            status: appeal.status,
            department: names.department.unwrap_or_default().to_owned(),
            deadline: appeal.deadline,
            days_left: left.map(|l| l.0),
            provisional: left.is_some_and(|l| l.1),
            resolved: appeal.resolved_at.map(desk_core::time::local_date),
            on_time: deadline::resolved_on_time(appeal.deadline, appeal.resolved_at),
            satisfaction: appeal.satisfaction,
            policy_issue: appeal
                .policy_issue_id
                .zip(names.policy_issue)
                .map(|(id, title)| (id, title.to_owned())),
        }
    }
}

/// A cell before it is written: XLSX keeps dates and numbers as such, CSV writes them as text.
enum Cell<'a> {
    Text(&'a str),
    Owned(String),
    Date(NaiveDate),
    Number(i64),
    Empty,
}

/// The ledger's columns: header and width in characters.
const COLUMNS: [(&str, f64); 14] = [
    ("提出日期", 11.0),
    ("企业/项目", 28.0),
    ("园区", 14.0),
    ("类别", 10.0),
    ("诉求内容", 60.0),
    ("紧急", 6.0),
    ("状态", 8.0),
    ("承办部门", 20.0),
    ("办理期限", 11.0),
    ("剩余工作日", 11.0),
    ("办结日期", 11.0),
    ("按期办结", 9.0),
    ("满意度", 7.0),
    ("议题", 20.0),
];

impl Line {
    fn cells(&self) -> [Cell<'_>; 14] {
        let opt_date = |d: Option<NaiveDate>| d.map_or(Cell::Empty, Cell::Date);
        [
            Cell::Date(self.raised),
            Cell::Text(&self.site),
            Cell::Text(&self.park),
            Cell::Text(self.category.label_zh()),
            Cell::Text(&self.description),
            Cell::Text(if self.urgent { "紧急" } else { "" }),
            Cell::Text(self.status.label_zh()),
            Cell::Text(&self.department),
            opt_date(self.deadline),
            match self.days_left {
                // "逾期 3", so a filter on the column finds the late ones; 暂定 when provisional.
                Some(d) if d < 0 => Cell::Owned(format!("逾期 {}", -d)),
                Some(d) if self.provisional => Cell::Owned(format!("{d}（暂定）")),
                Some(d) => Cell::Number(d),
                None => Cell::Empty,
            },
            opt_date(self.resolved),
            match self.on_time {
                Some(true) => Cell::Text("是"),
                Some(false) => Cell::Text("否"),
                None => Cell::Empty,
            },
            self.satisfaction.map_or(Cell::Empty, Cell::Number),
            self.policy_issue
                .as_ref()
                .map_or(Cell::Empty, |(_, title)| Cell::Text(title)),
        ]
    }
}

/// The counts the figures sheet shows, kept as rows pass.
#[derive(Default)]
struct Tally {
    counts: Counts,
    by_category: BTreeMap<&'static str, Group>,
    by_department: BTreeMap<String, Group>,
    /// Each policy issue's title and its appeals' enterprises.
    by_policy_issue: BTreeMap<Uuid, (String, BTreeSet<Uuid>, Group)>,
}

#[derive(Default, Clone, Copy)]
struct Group {
    appeals: i64,
    resolved: i64,
    overdue: i64,
}

impl Tally {
    fn add(&mut self, line: &Line) {
        let c = &mut self.counts;
        let resolved = line.status.is_resolved();
        let overdue = line.days_left.is_some_and(|d| d < 0);
        c.appeals += 1;
        c.appeals_resolved += resolved as i64;
        c.resolved_with_deadline += (resolved && line.deadline.is_some()) as i64;
        c.resolved_on_time += (line.on_time == Some(true)) as i64;
        c.overdue_appeals += overdue as i64;
        if let Some(s) = line.satisfaction {
            c.satisfaction_ratings += 1;
            c.satisfaction_sum += s;
            c.satisfied += !desk_core::model::is_dissatisfied(s) as i64;
        }
        let follow_up = line.status == desk_core::model::AppealStatus::Rectifying;
        c.follow_ups += follow_up as i64;
        c.follow_ups_overdue += (follow_up && overdue) as i64;
        let mut issue = None;
        if let Some((id, title)) = &line.policy_issue {
            let (_, sites, group) = self
                .by_policy_issue
                .entry(*id)
                .or_insert_with(|| (title.clone(), BTreeSet::new(), Group::default()));
            sites.insert(line.site_id);
            issue = Some(group);
        }
        for group in [
            self.by_category
                .entry(line.category.label_zh())
                .or_default(),
            self.by_department
                .entry(if line.department.is_empty() {
                    "（未派单）".to_owned()
                } else {
                    line.department.clone()
                })
                .or_default(),
        ]
        .into_iter()
        .chain(issue)
        {
            group.appeals += 1;
            group.resolved += resolved as i64;
            group.overdue += overdue as i64;
        }
    }
}

/// The file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Xlsx,
    Csv,
}

type Out = Box<dyn Write + Send>;

enum Sink {
    /// The workbook streams its rows to a temporary file, and is written to `Out` at the end.
    Xlsx(Box<Workbook>, Out),
    Csv(Box<csv::Writer<Out>>),
}

/// An export being written: create, push every line in order, finish.
pub struct LedgerExport {
    sink: Sink,
    row: u32,
    tally: Tally,
    title: String,
    date: Format,
}

fn excel_date(d: NaiveDate) -> std::result::Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
}

impl LedgerExport {
    /// An export to a new file at `path`.
    pub fn to_file(kind: Kind, path: &Path, title: &str) -> Result<LedgerExport> {
        let file = std::io::BufWriter::new(std::fs::File::create(path)?);
        LedgerExport::new(kind, Box::new(file), title)
    }

    /// An export to `out`; `title` says what was exported (the filters), on the figures sheet.
    pub fn new(kind: Kind, out: Out, title: &str) -> Result<LedgerExport> {
        match kind {
            Kind::Xlsx => LedgerExport::xlsx(out, title),
            Kind::Csv => LedgerExport::csv(out),
        }
    }

    fn xlsx(out: Out, title: &str) -> Result<LedgerExport> {
        let mut workbook = Workbook::new();
        let header = Format::new()
            .set_bold()
            .set_background_color("#E8EEF7")
            .set_align(FormatAlign::Center);
        let sheet = workbook.add_worksheet_with_constant_memory()?;
        sheet.set_name("台账")?;
        // Widths and the frozen header come before the rows in the file.
        for (i, (name, width)) in COLUMNS.iter().enumerate() {
            sheet.set_column_width(i as u16, *width)?;
            sheet.write_string_with_format(0, i as u16, *name, &header)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        Ok(LedgerExport {
            sink: Sink::Xlsx(Box::new(workbook), out),
            row: 0,
            tally: Tally::default(),
            title: title.to_owned(),
            date: Format::new().set_num_format("yyyy-mm-dd"),
        })
    }

    /// CSV in UTF-8 with a byte-order mark, so spreadsheets read the Chinese.
    fn csv(mut out: Out) -> Result<LedgerExport> {
        out.write_all("\u{feff}".as_bytes())?;
        let mut w = csv::Writer::from_writer(out);
        w.write_record(COLUMNS.iter().map(|c| c.0))?;
        Ok(LedgerExport {
            sink: Sink::Csv(Box::new(w)),
            row: 0,
            tally: Tally::default(),
            title: String::new(),
            date: Format::new(),
        })
    }

    pub fn push(&mut self, line: &Line) -> Result<()> {
        self.row += 1;
        self.tally.add(line);
        let cells = line.cells();
        match &mut self.sink {
            Sink::Xlsx(workbook, _) => {
                let sheet = workbook.worksheet_from_index(0)?;
                for (col, cell) in cells.iter().enumerate() {
                    let col = col as u16;
                    match cell {
                        Cell::Text(s) => sheet.write_string(self.row, col, *s).map(drop)?,
                        Cell::Owned(s) => sheet.write_string(self.row, col, s).map(drop)?,
                        Cell::Date(d) => sheet
                            .write_datetime_with_format(self.row, col, excel_date(*d)?, &self.date)
                            .map(drop)?,
                        Cell::Number(n) => {
                            sheet.write_number(self.row, col, *n as f64).map(drop)?
                        }
                        Cell::Empty => {}
                    }
                }
            }
            Sink::Csv(w) => {
                let text: Vec<String> = cells
                    .into_iter()
                    .map(|c| match c {
                        Cell::Text(s) => s.to_owned(),
                        Cell::Owned(s) => s,
                        Cell::Date(d) => d.to_string(),
                        Cell::Number(n) => n.to_string(),
                        Cell::Empty => String::new(),
                    })
                    .collect();
                w.write_record(&text)?;
            }
        }
        Ok(())
    }

    /// How many lines were pushed.
    pub fn rows(&self) -> u32 {
        self.row
    }

    /// Writes the rest (the filter over the header, the figures sheet) and closes the file.
    pub fn finish(self) -> Result<()> {
        match self.sink {
            Sink::Xlsx(mut workbook, mut out) => {
                let last = COLUMNS.len() as u16 - 1;
                workbook
                    .worksheet_from_index(0)?
                    .autofilter(0, 0, self.row, last)?;
                figures(workbook.add_worksheet(), &self.title, &self.tally)?;
                workbook.save_to_writer(&mut out)?;
                out.flush()?;
            }
            Sink::Csv(mut w) => w.flush()?,
        }
        Ok(())
    }
}

/// The figures sheet (统计): the totals and rates of `desk_core::stats`, then the appeals by
/// category, by department and by policy issue (with the enterprises each covers).
fn figures(sheet: &mut Worksheet, title: &str, tally: &Tally) -> Result<()> {
    sheet.set_name("统计")?;
    let bold = Format::new().set_bold();
    sheet.set_column_width(0, 24)?;
    for col in 1..4 {
        sheet.set_column_width(col, 12)?;
    }
    sheet.write_string_with_format(0, 0, "台账统计", &bold)?;
    sheet.write_string(1, 0, title)?;
    let covered: BTreeSet<Uuid> = tally
        .by_policy_issue
        .values()
        .flat_map(|(_, sites, _)| sites.iter().copied())
        .collect();
    let stats = Stats::from(Counts {
        policy_issues: tally.by_policy_issue.len() as i64,
        policy_enterprises: covered.len() as i64,
        ..tally.counts
    });
    let rate = |r: Option<f64>| r.map_or(String::new(), |r| format!("{r}%"));
    let rows: [(&str, String); 12] = [
        ("诉求总数", stats.appeals.to_string()),
        ("已办结", stats.appeals_resolved.to_string()),
        ("办结率", rate(stats.resolution_rate)),
        ("按期办结率", rate(stats.on_time_rate)),
        ("逾期未办结", stats.overdue_appeals.to_string()),
        (
            "平均满意度（1–5）",
            stats
                .satisfaction_average
                .map_or(String::new(), |s| s.to_string()),
        ),
        ("满意率（基本满意及以上）", rate(stats.satisfaction_rate)),
        ("差评（不满意、非常不满意）", stats.dissatisfied.to_string()),
        ("整改中", stats.follow_ups.to_string()),
        ("整改逾期", stats.follow_ups_overdue.to_string()),
        ("议题", stats.policy_issues.to_string()),
        ("议题涉及企业", stats.policy_enterprises.to_string()),
    ];
    let mut row = 3;
    for (name, value) in rows {
        sheet.write_string(row, 0, name)?;
        sheet.write_string(row, 1, value)?;
        row += 1;
    }
    for (heading, groups) in [
        (
            "按类别",
            tally
                .by_category
                .iter()
                .map(|(k, g)| (k.to_string(), *g))
                .collect::<Vec<_>>(),
        ),
        (
            "按承办部门",
            tally
                .by_department
                .iter()
                .map(|(k, g)| (k.clone(), *g))
                .collect(),
        ),
        (
            "按议题",
            tally
                .by_policy_issue
                .values()
                .map(|(title, sites, g)| (format!("{title}（{} 家企业）", sites.len()), *g))
                .collect(),
        ),
    ] {
        if groups.is_empty() {
            continue;
        }
        row += 1;
        for (col, h) in [heading, "诉求", "已办结", "逾期"].iter().enumerate() {
            sheet.write_string_with_format(row, col as u16, *h, &bold)?;
        }
        for (name, g) in groups {
            row += 1;
            sheet.write_string(row, 0, &name)?;
            sheet.write_number(row, 1, g.appeals as f64)?;
            sheet.write_number(row, 2, g.resolved as f64)?;
            sheet.write_number(row, 3, g.overdue as f64)?;
        }
        row += 1;
    }
    Ok(())
}
