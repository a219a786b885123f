//! The app's benchmark (not a test): `cargo xtask bench`. Prints Markdown for
//! docs/BENCHMARKS.md.
//!
//! - saving a visit draft as the official types (flushed to disk each time);
//! - "save" to the ledger: finishing a visit with 5 appeals and 5 resolutions, then the ledger
//!   query that shows them, on a device already holding thousands of appeals;
//! - with `--app <binary>` and a display: cold start of the real app to its first screen (the
//!   window's first command, logged by the app when `DESK_LOG` is set) and its memory once idle.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use desk_app::visit::{AppealDraft, IdeaDraft, ResolutionDraft};
use desk_app::{Desk, LedgerFilter, SiteInput};
use uuid::Uuid;

const VISITS: usize = 2_000;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let app = args
        .iter()
        .position(|a| a == "--app")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from);
    println!("## App ({})\n", machine());
    capture();
    if let Some(app) = app {
        window(&app);
    }
}

fn capture() {
    let dir = tempfile::tempdir().expect("temp dir");
    let desk = Desk::open(dir.path()).expect("open");
    let lead = desk
        .create_department("自然资源和规划中心")
        .expect("dept")
        .id;
    let site = new_site(&desk);

    let mut drafts = Vec::new();
    let mut finish = Vec::new();
    let mut to_ledger = Vec::new();
    for n in 0..VISITS {
        let mut draft = desk.new_visit(None, Some(site)).expect("draft");
        // Typed a field at a time: each change is a save.
        draft.production_status = "除高温碳化车间外满负荷生产".into();
        let t = Instant::now();
        desk.save_visit_draft(&draft).expect("save");
        drafts.push(t.elapsed());
        let deadline = desk_core::time::local_date(draft.started_at) + chrono::Days::new(7);
        for i in 0..5 {
            draft.appeals.push(AppealDraft {
                id: Uuid::now_v7(),
                category: "utilities".into(),
                urgency: "normal".into(),
                description: format!("第{n}次走访的第{i}项诉求：生产用电价格偏高"),
                resolution: ResolutionDraft {
                    action: "利用微风发电为企业供应绿电".into(),
                    lead_department_id: Some(lead),
                    co_department_ids: vec![],
                    deadline: deadline.to_string(),
                    commitment: "电价降低不少于20%".into(),
                },
            });
        }
        draft.ideas.push(IdeaDraft {
            id: Uuid::now_v7(),
            content: "建设园区共享仓储".into(),
        });
        let t = Instant::now();
        desk.save_visit_draft(&draft).expect("save");
        drafts.push(t.elapsed());

        let t = Instant::now();
        desk.finish_visit(draft.id).expect("finish");
        finish.push(t.elapsed());
        let dispatched = LedgerFilter {
            status: Some(desk_core::model::AppealStatus::Dispatched),
            ..LedgerFilter::default()
        };
        let newest = desk_store::LedgerOrder {
            by: desk_store::LedgerSort::Raised,
            descending: true,
        };
        let page = desk.ledger(&dispatched, newest, None).expect("ledger");
        assert!(page.rows.iter().any(|r| r.appeal.id == draft.appeals[4].id));
        to_ledger.push(t.elapsed());
    }
    let appeals = VISITS * 5;
    println!("| what | p50 | p99 | samples |");
    println!("|---|---|---|---|");
    row("save a visit draft (synchronous=FULL)", &mut drafts);
    row(
        "finish a visit: 5 appeals + 5 resolutions + dispatch",
        &mut finish,
    );
    row(
        &format!("finish → ledger query showing it (up to {appeals} appeals)"),
        &mut to_ledger,
    );
    println!();
}

fn new_site(desk: &Desk) -> Uuid {
    let input = SiteInput {
        name: "湖北斯诺新材料有限公司".into(),
        credit_code: None,
        kind: "enterprise".into(),
        park_id: None,
    };
    desk.create_site(input).expect("site").site.id
}

/// Starts the app, times it to its first screen, then measures its memory once idle.
fn window(app: &Path) {
    if std::env::var_os("DISPLAY").is_none() {
        println!("(no DISPLAY: cold start and memory not measured)\n");
        return;
    }
    println!("| what | value | runs |\n|---|---|---|");
    let mut starts = Vec::new();
    let mut idle_kib = 0;
    for run in 0..5 {
        let dir = tempfile::tempdir().expect("temp dir");
        let started = Instant::now();
        let mut child = Command::new(app)
            .env("DESK_DATA_DIR", dir.path())
            .env("DESK_LOG", "mobile_desk_lib=info")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("start the app");
        let stderr = BufReader::new(child.stderr.take().expect("stderr"));
        let mut ready = None;
        let mut said = Vec::new();
        for line in stderr.lines() {
            let line = line.unwrap_or_default();
            said.push(line.clone());
            if line.contains("first screen requested") {
                ready = Some(started.elapsed());
                break;
            }
        }
        let Some(ready) = ready else {
            let _ = child.kill();
            let _ = child.wait();
            eprintln!("{}", said.join("\n"));
            println!("| the app exited before its first screen (run {run}) | | |");
            return;
        };
        starts.push(ready);
        if run == 0 {
            std::thread::sleep(Duration::from_secs(10));
            idle_kib = tree_pss_kib(child.id());
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    starts.sort();
    println!(
        "| cold start to first screen (release, median) | {} | {} |",
        ms(starts[starts.len() / 2]),
        starts.len()
    );
    println!(
        "| memory after 10 s idle (PSS of the app and its WebKit processes) | {:.0} MiB | 1 |",
        idle_kib as f64 / 1024.0
    );
    println!();
}

/// Proportional set size of a process and its descendants (WebKit runs the page in children).
fn tree_pss_kib(root: u32) -> u64 {
    let mut total = 0;
    let mut stack = vec![root];
    while let Some(pid) = stack.pop() {
        total += std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("Pss:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            })
            .unwrap_or(0);
        let children =
            std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
        stack.extend(
            children
                .split_whitespace()
                .filter_map(|c| c.parse::<u32>().ok()),
        );
    }
    total
}

fn row(what: &str, samples: &mut [Duration]) {
    samples.sort();
    let p = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "| {what} | {} | {} | {} |",
        ms(p(0.5)),
        ms(p(0.99)),
        samples.len()
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
    format!("{cpu}, {cores} cores, release build, on-disk SQLite in WAL mode")
}
