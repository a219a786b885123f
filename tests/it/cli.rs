//! `desk` as an office would use it: the demo, the figures, the ledger, errors and imports.

use crate::harness::{binary, Device};

#[test]
fn demo_then_stats_shows_the_session_of_26_october_2024() {
    let d = Device::new();
    d.run(&["demo"]).ok();
    let stats = d.run(&["stats", "--json"]).ok().json();
    assert_eq!(stats["sessions"], 1);
    assert_eq!(stats["visits"], 5);
    assert_eq!(stats["appeals"], 2);
    assert_eq!(stats["appeals_resolved"], 0);
    assert_eq!(stats["resolution_rate"], 0.0);
    assert_eq!(stats["consultations"], 0);
    assert_eq!(stats["suggestions"], 0);
    // Both deadlines (28 Oct and 31 Dec 2024) have passed and neither appeal is resolved.
    assert_eq!(stats["overdue_appeals"], 2);

    let sites = d.run(&["site", "list", "--json"]).ok().json();
    let names: Vec<_> = sites
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"湖北斯诺新材料有限公司"), "{names:?}");
    assert_eq!(names.len(), 5);
    assert_eq!(
        d.run(&["park", "list", "--json"])
            .ok()
            .json()
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        d.run(&["stop", "list", "--json"])
            .ok()
            .json()
            .as_array()
            .unwrap()
            .len(),
        5
    );
    let resolutions = d.run(&["resolution", "list", "--json"]).ok().json();
    let commitments: Vec<_> = resolutions
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["commitment"].as_str().unwrap())
        .collect();
    assert!(
        commitments.contains(&"电价降低不少于20%"),
        "{commitments:?}"
    );

    // Loading again writes nothing.
    let before = d.export();
    d.run(&["demo"]).ok();
    assert_eq!(d.export(), before);
}

#[test]
fn export_is_byte_identical_across_runs() {
    let d = Device::new();
    d.run(&["demo"]).ok();
    let a = d.export();
    let b = d.export();
    assert_eq!(a, b);
    assert!(a.contains("\"schema_version\""));
}

#[test]
fn the_ledger_follows_an_appeal_to_its_satisfied_end() {
    let d = Device::new();
    d.run(&["demo"]).ok();
    let appeals = d
        .run(&["appeal", "list", "--status", "已派单", "--json"])
        .ok()
        .json();
    let greening = appeals
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["category"] == "environment")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Confirming before resolving is not allowed, and says so in both languages.
    let r = d.run(&["appeal", "confirm", &greening, "--satisfaction", "5"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("已派单") && r.stderr.contains("cannot be confirmed"),
        "{}",
        r.stderr
    );

    d.run(&["appeal", "start", &greening]).ok();
    d.run(&[
        "progress",
        "add",
        "--appeal",
        &greening,
        "--note",
        "绿化方案已交付企业",
    ])
    .ok();
    d.run(&["appeal", "resolve", &greening, "--note", "方案已落实"])
        .ok();
    d.run(&[
        "appeal",
        "confirm",
        &greening,
        "--satisfaction",
        "5",
        "--by",
        "湖北斯诺新材料",
    ])
    .ok();

    let log = d
        .run(&["progress", "list", "--appeal", &greening, "--json"])
        .ok()
        .json();
    let notes: Vec<_> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["note"].as_str().unwrap())
        .collect();
    assert_eq!(notes.len(), 5, "{notes:?}");
    assert_eq!(notes[2], "绿化方案已交付企业");
    let stats = d.run(&["stats", "--json"]).ok().json();
    assert_eq!(stats["appeals_resolved"], 1);
    assert_eq!(stats["resolution_rate"], 50.0);
    assert_eq!(stats["satisfaction_average"], 5.0);
}

#[test]
fn a_bad_credit_code_is_named_and_nothing_is_saved() {
    let d = Device::new();
    d.run(&["demo"]).ok();
    let before = d.export();
    let r = d.run(&[
        "site",
        "add",
        "--name",
        "测试企业",
        "--credit-code",
        "91110000802100433C",
    ]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("credit_code") && r.stderr.contains("“B”"),
        "{}",
        r.stderr
    );
    let r = d.run(&[
        "--json",
        "site",
        "add",
        "--name",
        "测试企业",
        "--credit-code",
        "9111",
    ]);
    assert_eq!(r.code, 2);
    let body: serde_json::Value = serde_json::from_str(&r.stderr).unwrap();
    assert_eq!(body["error"]["code"], "credit_code_length");
    assert_eq!(body["error"]["field"], "credit_code");
    assert_eq!(d.export(), before);
}

#[test]
fn references_dates_and_choices_are_checked() {
    let d = Device::new();
    d.run(&["demo"]).ok();
    let before = d.export();
    let r = d.run(&[
        "appeal",
        "add",
        "--site",
        "不存在的企业",
        "--description",
        "x",
    ]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("site") && r.stderr.contains("不存在的企业"),
        "{}",
        r.stderr
    );
    let r = d.run(&[
        "appeal",
        "add",
        "--site",
        "随创贸易有限公司",
        "--description",
        "用工",
        "--category",
        "weather",
    ]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("category") && r.stderr.contains("labour"),
        "{}",
        r.stderr
    );
    let r = d.run(&[
        "appeal",
        "add",
        "--site",
        "随创贸易有限公司",
        "--description",
        "招工难",
        "--at",
        "2024-10-26 14:30",
        "--deadline",
        "2024-10-20",
    ]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("deadline") && r.stderr.contains("2024-10-26"),
        "{}",
        r.stderr
    );
    let r = d.run(&["session", "add", "--date", "26/10/2024", "--leader", "主任"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("date") && r.stderr.contains("YYYY-MM-DD"),
        "{}",
        r.stderr
    );
    assert_eq!(d.export(), before);
}

#[test]
fn importing_sites_is_all_or_nothing_and_names_every_bad_row() {
    let d = Device::new();
    d.run(&["demo"]).ok();
    let before = d.export();
    let bad = d.file(
        "bad.csv",
        "名称,类型,统一社会信用代码,园区,电话\n\
         好企业,企业,91110000802100433B,青春化工园,0722-1234567\n\
         ,企业,,,\n\
         错码企业,企业,91110000802100433C,,\n\
         未知园区企业,企业,,火星园,\n\
         怪类型,工厂,,,\n\
         重码企业,企业,91110000802100433B,,\n",
    );
    let r = d.run(&["import", "sites", &bad]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    for (line, field) in [
        (3, "name"),
        (4, "credit_code"),
        (5, "park"),
        (6, "kind"),
        (7, "credit_code"),
    ] {
        let row = r
            .stderr
            .lines()
            .find(|l| l.contains(&format!("(line {line})")))
            .unwrap_or_else(|| panic!("line {line} not reported:\n{}", r.stderr));
        assert!(row.contains(field), "{row}");
    }
    assert!(!r.stderr.contains("(line 2)"), "{}", r.stderr);
    assert_eq!(
        d.export(),
        before,
        "nothing may be imported from a bad file"
    );

    let good = d.file(
        "good.csv",
        "name,kind,credit_code,park,industry\n\
         华为技术有限公司,enterprise,914403001922038216,,通信设备\n\
         新厂房项目,project,,新材料产业园,建设\n",
    );
    let r = d.run(&["import", "sites", &good]).ok();
    assert!(r.stdout.contains('2'), "{}", r.stdout);
    let found = d
        .run(&["search", "914403001922038216", "--json"])
        .ok()
        .json();
    assert_eq!(found["sites"][0]["name"], "华为技术有限公司");

    // Importing the same codes again collides with what is stored: rejected whole.
    let r = d.run(&["import", "sites", &good]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("(line 2)") && r.stderr.contains("重复"),
        "{}",
        r.stderr
    );
}

#[test]
fn void_keeps_the_record_and_marks_it() {
    let d = Device::new();
    d.run(&["demo"]).ok();
    let sites = d.run(&["site", "list", "--json"]).ok().json();
    let trade = sites
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "随创贸易有限公司")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = d.run(&["void", "site", &trade, "--reason", " "]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("void_reason"), "{}", r.stderr);
    d.run(&["void", "site", &trade, "--reason", "重复录入"])
        .ok();
    let sites = d.run(&["site", "list", "--json"]).ok().json();
    let voided = sites
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == trade.as_str())
        .unwrap();
    assert_eq!(voided["void_reason"], "重复录入");
    let r = d.run(&["appeal", "add", "--site", &trade, "--description", "x"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("作废"), "{}", r.stderr);
}

#[test]
fn search_finds_sites_by_initials_and_appeals_by_chinese_words() {
    let d = Device::new();
    d.run(&["demo"]).ok();
    let hits = d.run(&["search", "jtwl", "--json"]).ok().json();
    assert_eq!(hits["sites"][0]["name"], "湖北交投物流园");
    let hits = d.run(&["search", "绿化", "--json"]).ok().json();
    assert_eq!(hits["appeals"].as_array().unwrap().len(), 1);
}

#[test]
fn a_reader_that_goes_away_ends_desk_quietly() {
    let d = Device::new();
    d.run(&["demo"]).ok();
    // `desk stats | head -0`: the pipe is closed before desk writes a line.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = std::process::Command::new(binary("desk"))
        .arg("--data-dir")
        .arg(d.dir.path())
        .arg("stats")
        .stdout(writer)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn working_days_follow_the_state_councils_calendar() {
    let d = Device::new();
    // The 2026 Spring Festival: 15–23 February off, 14 and 28 February working days.
    let due = d
        .run(&["calendar", "add-working-days", "2026-02-13", "5"])
        .ok();
    assert_eq!(due.stdout.trim(), "2026-02-27");
    let n = d
        .run(&["calendar", "working-days", "2026-02-13", "2026-02-27"])
        .ok();
    assert_eq!(n.stdout.trim(), "5");
    // Into a year whose holidays are not published yet: counted on weekends, and said so.
    let guess = d
        .run(&["--json", "calendar", "add-working-days", "2026-12-28", "5"])
        .ok()
        .json();
    assert_eq!(guess["provisional"], true, "{guess}");
    let bad = d.run(&["--json", "calendar", "add-working-days", "2026-02-30", "5"]);
    assert_eq!(bad.code, 2);
    let err: serde_json::Value = serde_json::from_str(&bad.stderr).unwrap();
    assert_eq!(err["error"]["field"], "date", "{err}");
}

#[test]
fn the_ledger_exports_as_filtered_to_xlsx_and_csv() {
    use calamine::{open_workbook, Reader, Xlsx};
    let d = Device::new();
    d.run(&["demo"]).ok();
    let out = tempfile::tempdir().unwrap();
    let xlsx = out.path().join("台账.xlsx");
    let done = d
        .run(&[
            "export",
            "ledger",
            "--xlsx",
            xlsx.to_str().unwrap(),
            "--category",
            "utilities",
        ])
        .ok();
    assert!(done.stdout.contains("已导出 1 条"), "{}", done.stdout);
    let mut book: Xlsx<_> = open_workbook(&xlsx).unwrap();
    let sheet = book.worksheet_range("台账").unwrap();
    assert_eq!(sheet.height(), 2, "the header and the one utilities appeal");
    let description = sheet.get_value((1, 4)).unwrap().to_string();
    assert!(description.starts_with("生产用电价格偏高"), "{description}");
    assert!(
        book.worksheet_range("统计").is_ok(),
        "the figures sheet is beside it"
    );

    let csv = out.path().join("ledger.csv");
    d.run(&[
        "export",
        "ledger",
        "--csv",
        csv.to_str().unwrap(),
        "--sort",
        "deadline",
    ])
    .ok();
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(text.starts_with('\u{feff}'));

    // A sort that is not one names the field, and writes nothing.
    let bad_path = out.path().join("bad.xlsx");
    let bad = d.run(&[
        "--json",
        "export",
        "ledger",
        "--xlsx",
        bad_path.to_str().unwrap(),
        "--sort",
        "sideways",
    ]);
    assert_eq!(bad.code, 2);
    let err: serde_json::Value = serde_json::from_str(&bad.stderr).unwrap();
    assert_eq!(err["error"]["field"], "sort", "{err}");
    assert!(!bad_path.exists());
}

/// A tablet left in a taxi gives nothing away: without its key the store is no database to
/// SQLite's own shell, a wrong key is refused with a message and the store left as it was,
/// and a store from before encryption is encrypted at first start, losing nothing.
#[test]
fn the_store_is_encrypted_and_a_wrong_key_is_refused_leaving_it_untouched() {
    let d = Device::new();
    d.run(&["demo"]).ok();
    let db = d.dir.path().join(desk_store::STORE_FILE);
    let key = d.dir.path().join(desk_store::KEY_FILE);
    let shell = std::process::Command::new("sqlite3")
        .arg(&db)
        .arg("SELECT count(*) FROM sites;")
        .output()
        .expect("sqlite3, SQLite's shell (apt-get install sqlite3)");
    let said = String::from_utf8_lossy(&shell.stderr);
    assert!(!shell.status.success(), "{said}");
    assert!(said.contains("file is not a database"), "{said}");
    let status = d.run(&["status"]).ok().stdout;
    assert!(status.contains(&key.display().to_string()), "{status}");
    assert!(status.contains("已加密"), "{status}");
    let before = d.export();

    let kept = std::fs::read(&key).unwrap();
    let stored = std::fs::read(&db).unwrap();
    std::fs::write(&key, "00".repeat(32)).unwrap();
    let refused = d.run(&["stats"]);
    assert_ne!(refused.code, 0);
    assert!(
        refused.stderr.contains("密钥打不开本机数据"),
        "{}",
        refused.stderr
    );
    assert!(
        std::fs::read(&db).unwrap() == stored,
        "the store was left as it was"
    );
    std::fs::write(&key, kept).unwrap();
    assert_eq!(
        d.export(),
        before,
        "the right key opens it again, all there"
    );

    // A store written before encryption.
    let old = Device::new();
    {
        let mut plain =
            desk_store::Store::open(&old.dir.path().join(desk_store::STORE_FILE)).unwrap();
        plain.load_demo().unwrap();
    }
    let plain_export = {
        let plain = desk_store::Store::open(&old.dir.path().join(desk_store::STORE_FILE)).unwrap();
        plain.export().unwrap()
    };
    let exported: serde_json::Value = serde_json::from_str(&old.export()).unwrap();
    assert_eq!(exported, plain_export, "nothing lost in the encryption");
    let shell = std::process::Command::new("sqlite3")
        .arg(old.dir.path().join(desk_store::STORE_FILE))
        .arg("SELECT count(*) FROM sites;")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&shell.stderr).contains("file is not a database"));
}
