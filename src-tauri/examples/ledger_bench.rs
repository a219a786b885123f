//! The desk's ledger at size (not a test): `cargo xtask bench`. Prints Markdown for
//! docs/BENCHMARKS.md.
//!
//! A device holding N appeals of real size (a ~200-character Chinese description each) over
//! 500 sites, written through the store's own writer; the fields only actions change
//! (status, deadline) are then spread over the ledger with one SQL update, as years of actions
//! would leave them.
//!
//! - pages of the ledger through the app's engine (`Desk::ledger`, as the window calls it):
//!   walking 200 pages deep in each order, filtered and searched;
//! - the XLSX export through the real `desk` binary (`desk export ledger --xlsx`), its time
//!   and its peak memory (VmHWM, read from /proc while it runs).
//!
//! `ledger_bench [N...] [--desk PATH]`; default 10000 100000.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use desk_core::model::*;
use desk_store::{LedgerOrder, LedgerSort, Store};
use mobile_desk_lib::desk::{Desk, LedgerFilter};
use uuid::Uuid;

const DESCRIPTION: &str = "企业反映园区主干道夜间照明严重不足，路灯损坏已有三个多月未修复，\
    员工下夜班步行回宿舍存在安全隐患，货车夜间进出厂区也多次发生剐蹭。企业曾向物业和社区反映，\
    至今没有答复。希望管委会协调城管、供电等部门尽快修复路灯，并在厂区出入口增设交通标志和减速带，\
    同时考虑延长园区公交末班车时间，方便员工通勤。企业表示愿意配合施工期间的交通管制安排，\
    并承担厂区门前路段的部分绿化养护费用。";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let desk_bin = args
        .iter()
        .position(|a| a == "--desk")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::env::current_exe()
                .unwrap()
                .parent()
                .and_then(Path::parent)
                .unwrap()
                .join("desk")
        });
    let sizes: Vec<usize> = args
        .iter()
        .take_while(|a| *a != "--desk")
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![10_000, 100_000]
    } else {
        sizes
    };
    println!("## The desk's ledger ({})\n", machine());
    println!(
        "Each description {} characters.\n",
        DESCRIPTION.chars().count()
    );
    for n in sizes {
        let dir = tempfile::tempdir().expect("temp dir");
        let t = Instant::now();
        fill(dir.path(), n);
        println!(
            "### {n} appeals (written in {:.1} s)\n",
            t.elapsed().as_secs_f64()
        );
        pages(dir.path());
        export(dir.path(), &desk_bin, n);
    }
}

fn fill(dir: &Path, n: usize) {
    let mut store = Store::open(&dir.join("desk.db")).expect("open");
    let sites: Vec<Uuid> = store
        .write(|w| {
            (0..500)
                .map(|i| {
                    w.create(Site {
                        id: Uuid::now_v7(),
                        kind: SiteKind::Enterprise,
                        name: format!("随州市第{i}号新材料科技有限公司"),
                        credit_code: None,
                        park_id: None,
                        address: None,
                        industry: None,
                        contact: None,
                        phone: None,
                        void_reason: None,
                    })
                    .map(|s| s.id)
                })
                .collect()
        })
        .expect("sites");
    for chunk in 0..n.div_ceil(10_000) {
        store
            .write(|w| {
                for i in chunk * 10_000..((chunk + 1) * 10_000).min(n) {
                    w.create(Appeal {
                        id: Uuid::now_v7(),
                        site_id: sites[i % sites.len()],
                        visit_id: None,
                        raised_at: chrono::Utc::now() - chrono::Duration::minutes(i as i64 * 7),
                        channel: Channel::OnSite,
                        category: Category::ALL[i % Category::ALL.len()],
                        description: format!("第{i}件：{DESCRIPTION}"),
                        urgency: if i % 9 == 0 {
                            Urgency::Urgent
                        } else {
                            Urgency::Normal
                        },
                        status: AppealStatus::Received,
                        department_id: None,
                        deadline: None,
                        resolved_at: None,
                        satisfaction: None,
                        ledger_head: None,
                        void_reason: None,
                    })?;
                }
                Ok(())
            })
            .expect("appeals");
    }
    drop(store);
    let conn = rusqlite::Connection::open(dir.join("desk.db")).expect("open");
    conn.execute_batch(
        "UPDATE appeals SET
           status = CASE rowid % 5 WHEN 0 THEN 'received' WHEN 1 THEN 'dispatched'
                    WHEN 2 THEN 'in_progress' WHEN 3 THEN 'resolved' ELSE 'confirmed' END,
           deadline = date('now', ((rowid * 7919) % 400 - 200) || ' days'),
           satisfaction = CASE WHEN rowid % 5 = 4 THEN 1 + rowid % 5 END;
         PRAGMA wal_checkpoint(TRUNCATE);",
    )
    .expect("spread the ledger");
}

fn pages(dir: &Path) {
    let desk = Desk::open(dir).expect("open the desk");
    let search = |q: &str| LedgerFilter {
        search: Some(q.into()),
        ..LedgerFilter::default()
    };
    let cases: [(&str, LedgerFilter, LedgerOrder); 6] = [
        (
            "newest first",
            LedgerFilter::default(),
            order(LedgerSort::Raised, true),
        ),
        (
            "by deadline",
            LedgerFilter::default(),
            order(LedgerSort::Deadline, false),
        ),
        (
            "by status, descending",
            LedgerFilter::default(),
            order(LedgerSort::Status, true),
        ),
        (
            "dispatched only, by deadline",
            LedgerFilter {
                status: Some(AppealStatus::Dispatched),
                ..LedgerFilter::default()
            },
            order(LedgerSort::Deadline, false),
        ),
        (
            "searched for one enterprise (\"第7号\"), newest first",
            search("第7号"),
            order(LedgerSort::Raised, true),
        ),
        (
            "searched for a word in every appeal (\"路灯\"), newest first",
            search("路灯"),
            order(LedgerSort::Raised, true),
        ),
    ];
    println!(
        "Pages of 50 through the app's engine, walking up to 200 pages deep (the first page also \
         counts the matches):\n"
    );
    println!("| order | first page | p50 | p99 | max | pages |");
    println!("|---|---|---|---|---|---|");
    for (name, filter, order) in cases {
        let mut times = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..200 {
            let t = Instant::now();
            let page = desk.ledger(&filter, order, after.as_deref()).expect("page");
            times.push(t.elapsed());
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        let first = times[0];
        times.sort();
        let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
        println!(
            "| {name} | {} | {} | {} | {} | {} |",
            ms(first),
            ms(at(0.5)),
            ms(at(0.99)),
            ms(*times.last().unwrap()),
            times.len()
        );
    }
    println!();
}

fn order(by: LedgerSort, descending: bool) -> LedgerOrder {
    LedgerOrder { by, descending }
}

/// The real `desk` binary exporting the whole ledger; its time and its peak resident memory.
fn export(dir: &Path, desk_bin: &Path, n: usize) {
    let out = dir.join("ledger.xlsx");
    let t = Instant::now();
    let mut child = Command::new(desk_bin)
        .arg("--data-dir")
        .arg(dir)
        .args(["export", "ledger", "--xlsx"])
        .arg(&out)
        .spawn()
        .expect("run desk");
    let status = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status) {
            if let Some(kb) = text
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
            {
                peak_kb = peak_kb.max(kb);
            }
        }
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let elapsed = t.elapsed();
    let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    println!("`desk export ledger --xlsx` of all {n} appeals:\n");
    println!("| time | peak RSS | file |");
    println!("|---|---|---|");
    println!(
        "| {:.2} s | {:.1} MiB | {:.1} MiB |\n",
        elapsed.as_secs_f64(),
        peak_kb as f64 / 1024.0,
        size as f64 / 1_048_576.0
    );
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpu}, {cores} cores, release build")
}
