//! The sync benchmark (not a test): `cargo xtask bench`, which builds the release `desk` and
//! `desk-server` first and installs the peer. Everything goes through the paths users run:
//! the app's engine (`desk-store` and `desk-sync`, in this process) or the `desk` binary on the
//! device side, `desk-server` as its own process over loopback HTTP on SQLite and on
//! PostgreSQL, device stores on disk. The records are appeal-shaped (a ~200-character Chinese
//! description under a ~20-character subject, category, status, deadline) at their real size,
//! and PouchDB replicates the same records in the same run (`examples/pouchdb`). Prints
//! Markdown for docs/BENCHMARKS.md.
//!
//! `--records N` (default 100,000); `DESK_BENCH_PG` names a PostgreSQL database to create the
//! benchmark's databases from (without it the PostgreSQL column is skipped).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{Duration as Days, Utc};
use desk_core::model::{Appeal, Category, Site, SiteKind};
use desk_server::admin;
use desk_server::db::Db;
use desk_server::scope::Role;
use desk_store::Store;
use desk_sync::watch::WatchOptions;
use desk_sync::{Engine, HttpTransport};
use desk_testbed::balancer::Balancer;
use desk_testbed::link::{Link, Proxy, Way};
use desk_testbed::server::ServerProcess;
use futures_util::future::join_all;
use rand::prelude::*;
use serde_json::Value;
use uuid::Uuid;

const PASSWORD: &str = "bench-password";
const SITES: usize = 1000;
const DEVICES: usize = 200;
const ROUNDS: usize = 5;
const WEAK_APPEALS: usize = 2000;

fn main() {
    let records = std::env::args()
        .skip_while(|a| a != "--records")
        .nth(1)
        .map_or(100_000, |n| n.parse().expect("--records N"));
    let pg = std::env::var("DESK_BENCH_PG")
        .ok()
        .filter(|u| !u.is_empty());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/release");
    let bins = Bins {
        desk: target.join("desk"),
        server: target.join("desk-server"),
    };
    let zone = Zone::generate(records);
    println!(
        "\n### Sync on real records: {records} appeals (~{} bytes each as JSON), 2-core loopback\n",
        zone.average_json_bytes()
    );

    // Capture, once: the device works offline. Each server then gets a copy of that device.
    let captured = dir.path().join("captured.db");
    let capture = [
        capture(&dir.path().join("kept.db"), &zone, false),
        capture(&captured, &zone, true),
    ];
    let mut ours: Vec<(String, Backend)> = vec![("SQLite".into(), Backend::Sqlite)];
    if let Some(pg) = &pg {
        ours.push(("PostgreSQL".into(), Backend::postgres(pg)));
    }
    let mut columns = Vec::new();
    for (name, backend) in &ours {
        eprintln!("==> {name}: push, bootstrap");
        let url = backend.fresh(dir.path(), "transfer");
        columns.push(rt.block_on(transfer(&bins, &url, &captured, dir.path(), &zone)));
    }
    eprintln!("==> a change from device A to device B");
    let live = {
        let server = ServerProcess::start(&bins.server, &ours[0].1.fresh(dir.path(), "live"), &[]);
        rt.block_on(live_changes(&server.url, dir.path()))
    };
    let mut crowds = Vec::new();
    for (name, backend) in &ours {
        eprintln!("==> {DEVICES} devices at once on {name}");
        let url = backend.fresh(dir.path(), "crowd");
        parks_and_officers(&url);
        let replicas: Vec<ServerProcess> = if backend.is_postgres() {
            vec![
                ServerProcess::start(&bins.server, &url, &[]),
                ServerProcess::start(&bins.server, &url, &[]),
            ]
        } else {
            vec![ServerProcess::start(&bins.server, &url, &[])]
        };
        let nginx = (replicas.len() > 1).then(|| {
            let urls: Vec<&str> = replicas.iter().map(|r| r.url.as_str()).collect();
            Balancer::start(&urls).expect("nginx in front of the replicas")
        });
        let front = nginx.as_ref().map_or(&replicas[0].url, |n| &n.url);
        crowds.push(rt.block_on(crowd(front)));
    }
    eprintln!("==> {WEAK_APPEALS} appeals over a weak link, cut mid-transfer");
    let weak = {
        let server = ServerProcess::start(&bins.server, &ours[0].1.fresh(dir.path(), "weak"), &[]);
        rt.block_on(weak_link(&server.url))
    };
    eprintln!("==> the peer: PouchDB on the same records");
    let peer = pouchdb(&zone, dir.path());

    print_table(records, &capture, &columns, &live, &crowds, &weak, &peer);
}

struct Bins {
    desk: PathBuf,
    server: PathBuf,
}

/// The records: sites with 20-character names, appeals with realistic descriptions.
struct Zone {
    sites: Vec<Site>,
    appeals: Vec<Appeal>,
}

const SUBJECTS: &[&str] = &[
    "关于厂区道路破损影响货车通行的诉求",
    "关于申请新增变压器容量的诉求反映",
    "关于员工子女就近入学安排的咨询",
    "关于高新技术企业认定材料的咨询",
    "关于园区污水管网接入问题的反映",
];
const PHRASES: &[&str] = &[
    "企业反映厂区门前道路破损严重，雨天积水，影响大型货车进出，",
    "目前二期厂房已完成主体施工，预计明年三月投产，",
    "希望有关部门尽快协调维修，并明确责任单位和完成时限。",
    "现有用电容量不足以支撑新生产线满负荷运行，",
    "企业已向供电公司提交增容申请，但审批进度较慢，",
    "部分外地员工子女入学需要办理居住证明，手续较为繁琐，",
    "希望园区统筹解决，并提供政策解读和办理指引。",
    "污水管网尚未接通，企业临时采用槽车转运，成本较高，",
    "建议将企业纳入下一批管网改造计划，",
    "企业负责人表示愿意配合做好相关工作，",
];

/// An enterprise with a 20-character name.
fn site(i: usize) -> Site {
    Site {
        id: Uuid::now_v7(),
        kind: SiteKind::Enterprise,
        name: format!("湖北随州高新区第{i:04}号新材料科技有限公司"),
        credit_code: None,
        park_id: None,
        address: Some("湖北省随州市曾都区交通大道1001号".into()),
        industry: Some("新材料".into()),
        contact: Some("王经理".into()),
        phone: Some("13800000000".into()),
        void_reason: None,
    }
}

impl Zone {
    fn generate(appeals: usize) -> Zone {
        let mut rng = StdRng::seed_from_u64(12);
        let sites: Vec<Site> = (0..SITES).map(site).collect();
        let now = Utc::now();
        let appeals = (0..appeals)
            .map(|i| {
                let mut text = format!("{}：", SUBJECTS[i % SUBJECTS.len()]);
                while text.chars().count() < 200 {
                    text.push_str(PHRASES.choose(&mut rng).unwrap());
                }
                let raised = now - Days::minutes(i as i64);
                Appeal {
                    deadline: Some(raised.date_naive() + Days::days(15)),
                    ..Appeal::raised(
                        sites[i % SITES].id,
                        raised,
                        Category::ALL[i % Category::ALL.len()],
                        text,
                    )
                }
            })
            .collect();
        Zone { sites, appeals }
    }

    fn average_json_bytes(&self) -> usize {
        let sample = &self.appeals[..self.appeals.len().min(1000)];
        let total: usize = sample
            .iter()
            .map(|a| serde_json::to_string(a).unwrap().len())
            .sum();
        total / sample.len().max(1)
    }

    fn records(&self) -> usize {
        self.sites.len() + self.appeals.len()
    }
}

/// Where a server keeps its data: SQLite files in the benchmark's directory, or databases
/// created from `DESK_BENCH_PG` (and dropped at the end).
enum Backend {
    Sqlite,
    Postgres(String, Mutex<Vec<String>>),
}

impl Backend {
    fn postgres(url: &str) -> Backend {
        Backend::Postgres(url.to_owned(), Mutex::new(Vec::new()))
    }

    fn is_postgres(&self) -> bool {
        matches!(self, Backend::Postgres(..))
    }

    /// A new, empty server database with the benchmark's account, its URL.
    fn fresh(&self, dir: &Path, name: &str) -> String {
        let url = match self {
            Backend::Sqlite => {
                format!(
                    "sqlite://{}",
                    dir.join(format!("{name}-server.db")).display()
                )
            }
            Backend::Postgres(admin_url, made) => {
                let db = format!("desk_bench_{name}_{}", Uuid::now_v7().simple());
                pg_exec(admin_url, &format!("CREATE DATABASE {db}"));
                made.lock().unwrap().push(db.clone());
                format!("{}/{db}", admin_url.rsplit_once('/').unwrap().0)
            }
        };
        let db = Db::open(&url).unwrap();
        admin::create_user(
            &db,
            &admin::UserSpec {
                name: "bench",
                display_name: "基准",
                role: Role::Leader,
                password: PASSWORD,
                parks: &[],
                departments: &[],
            },
        )
        .unwrap();
        url
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        if let Backend::Postgres(admin_url, made) = self {
            for db in made.get_mut().unwrap().iter() {
                pg_exec(
                    admin_url,
                    &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
                );
            }
        }
    }
}

fn pg_exec(url: &str, sql: &str) {
    let (url, sql) = (url.to_owned(), sql.to_owned());
    std::thread::spawn(move || {
        postgres::Client::connect(&url, postgres::NoTls)
            .and_then(|mut c| c.batch_execute(&sql))
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    })
    .join()
    .unwrap();
}

async fn engine(base: &str, store: Store, name: &str) -> Engine<HttpTransport> {
    engine_through(base, base, "bench", store, name).await
}

/// Signed in at `base` as `user`, syncing through `through`.
async fn engine_through(
    base: &str,
    through: &str,
    user: &str,
    store: Store,
    name: &str,
) -> Engine<HttpTransport> {
    let login = desk_sync::transport::login(base, user, PASSWORD, name)
        .await
        .unwrap();
    Engine::new(
        Arc::new(Mutex::new(store)),
        HttpTransport::new(through, &login.token),
    )
}

struct Timed {
    records: usize,
    took: Duration,
}

impl Timed {
    fn rate(&self) -> f64 {
        self.records as f64 / self.took.as_secs_f64()
    }

    fn cell(&self) -> String {
        format!("{:.1} s ({:.0}/s)", self.took.as_secs_f64(), self.rate())
    }
}

/// A device's store on disk, encrypted as the app's and the `desk` binary's are (one key for
/// the run, so a copy opens too).
fn device_store(path: &Path) -> Store {
    static KEY: std::sync::LazyLock<desk_store::StoreKey> =
        std::sync::LazyLock::new(desk_store::StoreKey::random);
    Store::open_encrypted(path, &KEY).unwrap()
}

/// The whole zone written on a device offline, as the app's engine writes captures, in
/// transactions of 1,000, the search index kept row by row; or (`bulk`) as an import writes,
/// in one transaction, the index built in one pass right after ([`Store::write_bulk`]).
fn capture(path: &Path, zone: &Zone, bulk: bool) -> Timed {
    let mut store = device_store(path);
    let start = Instant::now();
    let records = zone
        .sites
        .iter()
        .map(|s| Record::Site(s.clone()))
        .chain(zone.appeals.iter().map(|a| Record::Appeal(a.clone())));
    let write = |w: &mut desk_store::Writer, r: Record| match r {
        Record::Site(s) => w.create(s).map(drop),
        Record::Appeal(a) => w.create(a).map(drop),
    };
    if bulk {
        store
            .write_bulk(|w| records.into_iter().try_for_each(|r| write(w, r)))
            .unwrap();
    } else {
        let records: Vec<Record> = records.collect();
        for chunk in records.chunks(1000) {
            store
                .write(|w| chunk.iter().cloned().try_for_each(|r| write(w, r)))
                .unwrap();
        }
    }
    let took = start.elapsed();
    assert!(!store.search_index_deferred().unwrap());
    drop(store);
    Timed {
        records: zone.records(),
        took,
    }
}

#[derive(Clone)]
enum Record {
    Site(Site),
    Appeal(Appeal),
}

struct Transfer {
    push: Timed,
    /// Until the records are usable (listed, opened), as the engine reports it.
    bootstrap: Timed,
    search_index: Duration,
    /// The `desk` process's peak resident memory during its bootstrap.
    peak_rss_mb: f64,
}

/// The captured device pushes everything to a new server; then a new device (the `desk`
/// binary) bootstraps from it.
async fn transfer(bins: &Bins, url: &str, captured: &Path, dir: &Path, zone: &Zone) -> Transfer {
    let server = ServerProcess::start(&bins.server, url, &[]);
    let copy = dir.join(format!("device-{}.db", Uuid::now_v7().simple()));
    std::fs::copy(captured, &copy).unwrap();
    let device = engine(&server.url, device_store(&copy), "capture").await;
    let start = Instant::now();
    let report = device.sync().await.unwrap();
    let push = Timed {
        records: report.pushed as usize,
        took: start.elapsed(),
    };
    assert_eq!(push.records, zone.records(), "every captured record pushed");

    let data = dir.join(format!("desk-{}", Uuid::now_v7().simple()));
    let login = Command::new(&bins.desk)
        .arg("--data-dir")
        .arg(&data)
        .args([
            "login",
            "--server",
            &server.url,
            "--user",
            "bench",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            writeln!(c.stdin.take().unwrap(), "{PASSWORD}")?;
            c.wait()
        })
        .unwrap_or_else(|e| panic!("{}: {e}", bins.desk.display()));
    assert!(login.success(), "desk login");
    let mut sync = Command::new(&bins.desk)
        .arg("--data-dir")
        .arg(&data)
        .args(["--json", "sync"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let peak = peak_rss(&mut sync);
    let out = sync.wait_with_output().unwrap();
    assert!(out.status.success(), "desk sync");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let report = &report["report"];
    let bootstrap = Timed {
        records: report["bootstrapped"].as_u64().unwrap() as usize,
        took: Duration::from_millis(report["bootstrap_ms"].as_u64().unwrap()),
    };
    assert!(
        bootstrap.records >= zone.records(),
        "every record bootstrapped"
    );
    Transfer {
        push,
        bootstrap,
        search_index: Duration::from_millis(report["search_index_ms"].as_u64().unwrap()),
        peak_rss_mb: peak as f64 / 1024.0,
    }
}

/// The process's peak resident set (VmHWM, KiB), read until it exits.
fn peak_rss(child: &mut Child) -> u64 {
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    while child.try_wait().unwrap().is_none() {
        if let Ok(text) = std::fs::read_to_string(&status) {
            if let Some(kb) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            {
                peak = kb;
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    peak
}

/// Device B runs as the app does (watching, its periodic pull a minute apart, so only the live
/// feed brings changes in time); device A writes an appeal and syncs, 200 times. Timed from A's
/// sync to the appeal in B's store.
async fn live_changes(url: &str, dir: &Path) -> Vec<Duration> {
    let a = engine(url, device_store(&dir.join("live-a.db")), "a").await;
    let site = site(0);
    let site_id = site.id;
    a.store().write(|w| w.create(site).map(drop)).unwrap();
    a.sync().await.unwrap();
    let b = Arc::new(engine(url, device_store(&dir.join("live-b.db")), "b").await);
    b.sync().await.unwrap();
    let opts = WatchOptions {
        interval: Duration::from_secs(60),
        ..WatchOptions::default()
    };
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let watching = {
        let b = b.clone();
        tokio::spawn(async move {
            desk_sync::watch::watch(&b, opts, async {
                let _ = stop_rx.await;
            })
            .await
        })
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut samples = Vec::new();
    for i in 0..200 {
        let appeal = Appeal::raised(
            site_id,
            Utc::now(),
            Category::Utilities,
            format!("用电问题{i}"),
        );
        let id = appeal.id;
        a.store().write(|w| w.create(appeal).map(drop)).unwrap();
        let start = Instant::now();
        a.sync().await.unwrap();
        while b.store().get::<Appeal>(id).unwrap().is_none() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        samples.push(start.elapsed());
    }
    let _ = stop_tx.send(());
    let _ = watching.await;
    samples.sort();
    samples
}

struct Crowd {
    syncs: Vec<Duration>,
    errors: usize,
}

/// A park's officers: one account per park, its tablets sharing it.
const PARKS: usize = 10;

/// Parks `园区0`… and their officers `officer0`… on the server of `url`.
fn parks_and_officers(url: &str) {
    let db = Db::open(url).unwrap();
    for p in 0..PARKS {
        let park = format!("园区{p}");
        admin::create_park(&db, &park).unwrap();
        admin::create_user(
            &db,
            &admin::UserSpec {
                name: &format!("officer{p}"),
                display_name: &format!("园区{p}专员"),
                role: Role::Officer,
                password: PASSWORD,
                parks: &[park],
                departments: &[],
            },
        )
        .unwrap();
    }
}

/// 200 tablets, twenty to a park (an officer's account each park), each in the field with its
/// own enterprise, write appeals and sync all at once, five times over. Each sync pushes its
/// own and pulls its park's. Every sync is timed; the devices run in this process, on the
/// same two cores as the server.
async fn crowd(url: &str) -> Crowd {
    let mut devices = Vec::new();
    for d in 0..DEVICES {
        let officer = format!("officer{}", d % PARKS);
        let store = Store::open_in_memory().unwrap();
        let device = engine_through(url, url, &officer, store, &format!("tablet-{d}")).await;
        device.sync().await.unwrap();
        devices.push(device);
    }
    let sites: Vec<Uuid> = devices
        .iter()
        .enumerate()
        .map(|(d, device)| {
            let mut site = site(d);
            site.name = format!("湖北随州高新区第{d:04}号精密制造有限公司");
            let mut store = device.store();
            let parks = store.list(desk_core::Entity::Park).unwrap();
            site.park_id = Some(parks[0]["id"].as_str().unwrap().parse().unwrap());
            store.write(|w| Ok(w.create(site)?.id)).unwrap()
        })
        .collect();
    let mut crowd = Crowd {
        syncs: Vec::new(),
        errors: 0,
    };
    for round in 0..ROUNDS {
        for (device, site) in devices.iter().zip(&sites) {
            device
                .store()
                .write(|w| {
                    (0..5).try_for_each(|i| {
                        let text = format!("第{round}轮诉求{i}：{}", PHRASES[i % PHRASES.len()]);
                        w.create(Appeal::raised(*site, Utc::now(), Category::Approval, text))
                            .map(drop)
                    })
                })
                .unwrap();
        }
        let timed = devices.iter().map(|d| async move {
            let start = Instant::now();
            let ok = d.sync().await.is_ok();
            (start.elapsed(), ok)
        });
        for (took, ok) in join_all(timed).await {
            crowd.syncs.push(took);
            crowd.errors += usize::from(!ok);
        }
    }
    crowd.syncs.sort();
    crowd
}

struct Weak {
    took: Duration,
    left_after_cut: u64,
    sent_after_cut: u64,
}

/// A device on a 300 ms, 1 Mbit/s link pushes 2,000 appeals; the link is cut two thirds of the
/// way through and the device syncs again at once. Timed from the first sync to the last ack.
async fn weak_link(url: &str) -> Weak {
    let proxy = Proxy::start_with(url, Link::FIELD).await;
    let device = engine_through(
        url,
        &proxy.url,
        "bench",
        Store::open_in_memory().unwrap(),
        "weak",
    )
    .await;
    device.sync().await.unwrap();
    let zone = Zone::generate(WEAK_APPEALS);
    device
        .store()
        .write(|w| {
            w.create(zone.sites[0].clone())?;
            zone.appeals.iter().try_for_each(|a| {
                w.create(Appeal {
                    site_id: zone.sites[0].id,
                    ..a.clone()
                })
                .map(drop)
            })
        })
        .unwrap();
    // Two thirds of the way through what the pushes carry, compressed as the device sends them.
    let json = serde_json::to_vec(&zone.appeals).unwrap();
    let compressed = zstd::encode_all(json.as_slice(), 0).unwrap().len() as u64;
    proxy.cut_after(Way::Up, compressed * 2 / 3);
    let start = Instant::now();
    let cut = device.sync().await;
    assert!(cut.is_err(), "the link was cut mid-push");
    let left = device.store().status().unwrap().pending as u64;
    let report = device.sync().await.unwrap();
    Weak {
        took: start.elapsed(),
        left_after_cut: left,
        sent_after_cut: report.pushed,
    }
}

/// PouchDB replicating the same appeals (`examples/pouchdb/peer.mjs`), its JSON report.
fn pouchdb(zone: &Zone, dir: &Path) -> Option<Value> {
    let file = dir.join("appeals.ndjson");
    let mut lines = String::new();
    for a in &zone.appeals {
        lines.push_str(&serde_json::to_string(a).unwrap());
        lines.push('\n');
    }
    std::fs::write(&file, lines).unwrap();
    let peer = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/pouchdb");
    let out = Command::new("node")
        .arg(peer.join("peer.mjs"))
        .arg("--records")
        .arg(&file)
        .current_dir(&peer)
        .stderr(Stdio::inherit())
        .output();
    match out {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout)
            .lines()
            .last()
            .and_then(|l| serde_json::from_str(l).ok()),
        Ok(o) => {
            eprintln!(
                "the peer failed ({}): npm ci in {}",
                o.status,
                peer.display()
            );
            None
        }
        Err(e) => {
            eprintln!("the peer could not start (node): {e}");
            None
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Nearest rank.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn print_table(
    records: usize,
    capture: &[Timed; 2],
    columns: &[Transfer],
    live: &[Duration],
    crowds: &[Crowd],
    weak: &Weak,
    peer: &Option<Value>,
) {
    let peer_s = |key: &str| peer.as_ref().and_then(|p| p[key].as_f64());
    let peer_cell = |key: &str| {
        peer_s(key).map_or("not run".into(), |s| {
            format!("{s:.1} s ({:.0}/s)", records as f64 / s)
        })
    };
    // How many times faster than the peer, for the same number of records.
    let ratio = |ours: &Timed, key: &str| {
        peer_s(key).map_or(String::new(), |s| {
            format!(", {:.1}× PouchDB", ours.rate() / (records as f64 / s))
        })
    };
    let col = |i: usize, f: &dyn Fn(&Transfer) -> String| {
        columns
            .get(i)
            .map_or("not run (no DESK_BENCH_PG)".into(), f)
    };
    let peer_name = peer
        .as_ref()
        .and_then(|p| p["peer"].as_str())
        .unwrap_or("PouchDB");
    println!("| {records} appeals, loopback | {peer_name} | Mobile Desk, SQLite server | Mobile Desk, PostgreSQL server | goal |");
    println!("|---|---|---|---|---|");
    println!(
        "| local bulk write (`Store::write_bulk`, as `desk import` writes: one transaction, the search index built in one pass right after) | {} | {}{} | | ≥ 50,000/s |",
        peer_cell("insert_s"),
        capture[1].cell(),
        ratio(&capture[1], "insert_s"),
    );
    println!(
        "| local capture (as the app saves: 1,000 per transaction, the search index kept row by row) | | {}{} | | |",
        capture[0].cell(),
        ratio(&capture[0], "insert_s"),
    );
    println!(
        "| push to the server (app's engine → `desk-server`) | {} | {} | {} | ≥ 50,000/s each, ≥ 7× PouchDB |",
        peer_cell("push_s"),
        col(0, &|t| t.push.cell() + &ratio(&t.push, "push_s")),
        col(1, &|t| t.push.cell() + &ratio(&t.push, "push_s")),
    );
    println!(
        "| bootstrap of a new device (`desk sync`): records usable | {} | {} | {} | ≥ 100,000/s |",
        peer_cell("bootstrap_s"),
        col(0, &|t| t.bootstrap.cell()
            + &ratio(&t.bootstrap, "bootstrap_s")),
        col(1, &|t| t.bootstrap.cell()
            + &ratio(&t.bootstrap, "bootstrap_s")),
    );
    println!(
        "| … then the full-text index complete | (no full-text search) | {} | {} | ≤ 5 s later |",
        col(0, &|t| format!("{:.1} s", t.search_index.as_secs_f64())),
        col(1, &|t| format!("{:.1} s", t.search_index.as_secs_f64())),
    );
    println!(
        "| device memory during the bootstrap (`desk` peak RSS) | | {} | {} | ≤ 200 MB |",
        col(0, &|t| format!("{:.0} MB", t.peak_rss_mb)),
        col(1, &|t| format!("{:.0} MB", t.peak_rss_mb)),
    );
    println!(
        "| a change on device A shown on running device B | {} | p50 {:.0} ms, p99 {:.0} ms (200 changes, live feed) | | p50 ≤ 50 ms, p99 ≤ 200 ms |",
        peer.as_ref().map_or("not run".into(), |p| format!(
            "p50 {:.0} ms, p99 {:.0} ms ({} edits, live replication)",
            p["live_p50_ms"].as_f64().unwrap_or(f64::NAN),
            p["live_p99_ms"].as_f64().unwrap_or(f64::NAN),
            p["edits"]
        )),
        ms(percentile(live, 50.0)),
        ms(percentile(live, 99.0)),
    );
    let crowd_cell = |c: &Crowd| {
        format!(
            "p50 {:.0} ms, p99 {:.0} ms, {} errors ({} syncs)",
            ms(percentile(&c.syncs, 50.0)),
            ms(percentile(&c.syncs, 99.0)),
            c.errors,
            c.syncs.len()
        )
    };
    println!(
        "| {DEVICES} devices syncing at once ({PARKS} parks, 20 tablets each), each writing 5 appeals a round, {ROUNDS} rounds | | {} (one process) | {} (two replicas behind nginx) | p99 ≤ 500 ms, 0 errors |",
        crowd_cell(&crowds[0]),
        crowds.get(1).map_or("not run (no DESK_BENCH_PG)".into(), crowd_cell),
    );
    println!(
        "| {WEAK_APPEALS} appeals pushed over a weak link (300 ms round trip, 1 Mbit/s), cut mid-transfer and resumed | | {:.1} s in all; {} operations left at the cut, {} sent after it | | ≤ 15 s, nothing acknowledged sent again |",
        weak.took.as_secs_f64(),
        weak.left_after_cut,
        weak.sent_after_cut,
    );
    if let Some(p) = peer {
        println!(
            "\nThe peer: {peer_name}, {} local adapter, express-pouchdb as its own process, batch_size 1000, documents of {} bytes on average; Mobile Desk's devices keep {} records (1,000 sites and the appeals).",
            p["local_adapter"].as_str().unwrap_or("?"),
            p["avg_doc_bytes"],
            records + SITES
        );
    }
}
