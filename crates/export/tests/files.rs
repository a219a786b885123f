//! The files read back by a real XLSX reader (calamine) and a CSV reader.

use calamine::{open_workbook, Data, Reader, Xlsx};
use chrono::NaiveDate;
use desk_core::calendar::Calendar;
use desk_core::model::*;
use desk_export::{Kind, LedgerExport, Lines, Names};
use uuid::Uuid;

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn appeal(description: &str, status: AppealStatus, deadline: Option<&str>) -> Appeal {
    Appeal {
        id: Uuid::now_v7(),
        site_id: Uuid::now_v7(),
        visit_id: None,
        // 17:30 UTC on the 25th is the 26th in the zone.
        raised_at: "2026-02-25T17:30:00Z".parse().unwrap(),
        channel: Channel::OnSite,
        category: Category::Utilities,
        description: description.into(),
        urgency: Urgency::Urgent,
        status,
        department_id: None,
        deadline: deadline.map(day),
        resolved_at: status
            .is_resolved()
            .then(|| "2026-03-02T03:00:00Z".parse().unwrap()),
        satisfaction: (status == AppealStatus::Confirmed).then_some(5),
        ledger_head: None,
        policy_issue_id: None,
        void_reason: None,
    }
}

/// Three appeals of three enterprises as of Wednesday 4 March 2026: one due in two working
/// days, one late, one resolved on time and rated; the first and the last gathered in a policy
/// issue.
fn lines() -> Vec<desk_export::Line> {
    let mut lines = Lines::new(day("2026-03-04"), Calendar::built_in());
    let site = Some("湖北斯诺新材料有限公司");
    let issue = Uuid::now_v7();
    let in_issue = |mut a: Appeal| {
        a.policy_issue_id = Some(issue);
        a
    };
    vec![
        lines.line(
            &in_issue(appeal(
                "生产用电价格偏高",
                AppealStatus::Dispatched,
                Some("2026-03-06"),
            )),
            Names {
                site,
                park: Some("新材料产业园"),
                department: Some("国网随州供电公司"),
                policy_issue: Some("工业电价偏高"),
            },
        ),
        lines.line(
            &appeal("厂区围墙破损", AppealStatus::InProgress, Some("2026-02-27")),
            Names {
                site,
                department: Some("自然资源和规划中心"),
                ..Names::default()
            },
        ),
        lines.line(
            &in_issue(appeal(
                "电费太贵",
                AppealStatus::Confirmed,
                Some("2026-03-03"),
            )),
            Names {
                site,
                policy_issue: Some("工业电价偏高"),
                ..Names::default()
            },
        ),
    ]
}

fn text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::DateTime(dt) => dt.as_datetime().unwrap().date().to_string(),
        other => other.to_string(),
    }
}

#[test]
fn the_xlsx_holds_the_ledger_and_its_figures() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("台账.xlsx");
    let mut export = LedgerExport::to_file(Kind::Xlsx, &path, "全部诉求").unwrap();
    for line in lines() {
        export.push(&line).unwrap();
    }
    assert_eq!(export.rows(), 3);
    export.finish().unwrap();

    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    assert_eq!(book.sheet_names(), ["台账", "统计"]);
    let ledger = book.worksheet_range("台账").unwrap();
    let rows: Vec<Vec<String>> = ledger
        .rows()
        .map(|r| r.iter().map(text).collect())
        .collect();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0][0], "提出日期");
    assert_eq!(rows[0][9], "剩余工作日");
    assert_eq!(
        rows[1],
        [
            "2026-02-26", // the zone's date, not UTC's
            "湖北斯诺新材料有限公司",
            "新材料产业园",
            "要素保障",
            "生产用电价格偏高",
            "紧急",
            "已派单",
            "国网随州供电公司",
            "2026-03-06",
            "2",
            "",
            "",
            "",
            "工业电价偏高"
        ]
    );
    // 27 February to 4 March: Saturday the 28th is a make-up working day (调休), so four.
    assert_eq!(rows[2][9], "逾期 4");
    assert_eq!(
        &rows[3][6..],
        [
            "已评价",
            "",
            "2026-03-03",
            "",
            "2026-03-02",
            "是",
            "5",
            "工业电价偏高"
        ]
    );
    assert!(
        matches!(ledger.get_value((1, 8)), Some(Data::DateTime(_))),
        "dates are dates"
    );

    let figures = book.worksheet_range("统计").unwrap();
    let cell = |r: u32, c: u32| figures.get_value((r, c)).map(text).unwrap_or_default();
    assert_eq!(cell(1, 0), "全部诉求");
    let totals: Vec<(String, String)> = (3..15).map(|r| (cell(r, 0), cell(r, 1))).collect();
    assert_eq!(totals[0], ("诉求总数".into(), "3".into()));
    assert_eq!(totals[2], ("办结率".into(), "33.3%".into()));
    assert_eq!(totals[3], ("按期办结率".into(), "100%".into()));
    assert_eq!(totals[4], ("逾期未办结".into(), "1".into()));
    assert_eq!(totals[5].1, "5");
    assert_eq!(totals[6].1, "100%", "the one rating is 非常满意");
    assert_eq!(totals[7].1, "0");
    assert_eq!(totals[8], ("整改中".into(), "0".into()));
    assert_eq!(totals[9], ("整改逾期".into(), "0".into()));
    assert_eq!(totals[10], ("议题".into(), "1".into()));
    assert_eq!(totals[11], ("议题涉及企业".into(), "2".into()));
    let by_issue = (0..figures.height() as u32)
        .find(|r| cell(*r, 0) == "按议题")
        .expect("the policy issues' table");
    assert_eq!(
        (1..4).map(|c| cell(by_issue + 1, c)).collect::<Vec<_>>(),
        ["2", "1", "0"]
    );
    assert_eq!(cell(by_issue + 1, 0), "工业电价偏高（2 家企业）");
}

#[test]
fn the_csv_has_the_same_columns_and_a_byte_order_mark() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.csv");
    let mut export = LedgerExport::to_file(Kind::Csv, &path, "").unwrap();
    for line in lines() {
        export.push(&line).unwrap();
    }
    export.finish().unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.starts_with("\u{feff}".as_bytes()));
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    assert_eq!(reader.headers().unwrap().get(4), Some("诉求内容"));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].get(8), Some("2026-03-06"));
    assert_eq!(rows[1].get(9), Some("逾期 4"));
}

#[test]
fn a_deadline_in_an_unpublished_year_is_marked_provisional() {
    let mut lines = Lines::new(day("2030-12-30"), Calendar::built_in());
    let line = lines.line(
        &appeal("x", AppealStatus::Dispatched, Some("2031-01-06")),
        Names::default(),
    );
    assert!(line.provisional);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.xlsx");
    let mut export = LedgerExport::to_file(Kind::Xlsx, &path, "").unwrap();
    export.push(&line).unwrap();
    export.finish().unwrap();
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    let ledger = book.worksheet_range("台账").unwrap();
    assert_eq!(text(ledger.get_value((1, 9)).unwrap()), "5（暂定）");
}
