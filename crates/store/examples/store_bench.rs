//! The store's benchmark (not a test): `cargo xtask bench`. Prints Markdown for
//! docs/BENCHMARKS.md. Figures are wall-clock on whatever machine runs it; the machine is
//! printed with them.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use desk_core::model::*;
use desk_core::{Entity, Hlc, Op};
use desk_store::{Store, StoreKey};
use uuid::Uuid;

const PHRASES: &[&str] = &[
    "厂区围墙外公共绿化",
    "生产用电价格偏高",
    "招工难，缺少熟练技工",
    "道路破损影响货车通行",
    "天然气供应压力不足",
    "办理施工许可进度慢",
    "希望兑现技改补贴",
    "污水管网尚未接通",
    "融资担保额度不够",
    "厂房消防验收咨询",
    "员工子女入学",
    "物流园周边停车难",
];

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    println!("## Store ({})\n", machine());
    save_visit(&dir);
    encryption(&dir);
    overhead(&dir);
    search(&dir);
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

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn at() -> DateTime<Utc> {
    "2024-10-26T00:30:00Z".parse().unwrap()
}

fn site(name: String) -> Site {
    Site {
        id: Uuid::now_v7(),
        kind: SiteKind::Enterprise,
        name,
        credit_code: None,
        park_id: None,
        address: Some("湖北省随州高新区".into()),
        industry: Some("新材料".into()),
        contact: None,
        phone: None,
        void_reason: None,
    }
}

fn appeal(site_id: Uuid, visit_id: Option<Uuid>, n: usize) -> Appeal {
    Appeal {
        id: Uuid::now_v7(),
        site_id,
        visit_id,
        raised_at: at(),
        channel: Channel::OnSite,
        category: Category::Utilities,
        description: format!(
            "{}，{}（第{n}号）",
            PHRASES[n % PHRASES.len()],
            PHRASES[(n * 7 + 3) % PHRASES.len()]
        ),
        urgency: Urgency::Normal,
        status: AppealStatus::Received,
        department_id: None,
        deadline: Some("2024-10-28".parse().unwrap()),
        resolved_at: None,
        satisfaction: None,
        ledger_head: None,
        policy_issue_id: None,
        void_reason: None,
    }
}

/// One visit with 5 appeals and 5 resolutions, saved in one transaction, as the capture screen
/// does when an official finishes a visit, on an encrypted store as a device has it.
fn save_visit(dir: &tempfile::TempDir) {
    let key = StoreKey::random();
    let mut store = Store::open_encrypted(&dir.path().join("visit.db"), &key).unwrap();
    let mut samples = visit_saves(&mut store, 2_000);
    let max = *samples.iter().max().unwrap();
    println!(
        "| save a visit with 5 appeals and 5 resolutions (2,000 saves back to back on the encrypted store, WAL checkpoints running beside them; max {}) | p50 {} | p99 {} | target p99 ≤ 2 ms |",
        ms(max),
        ms(percentile(&mut samples, 0.5)),
        ms(percentile(&mut samples, 0.99))
    );
}

/// The time of each of `n` visit saves.
fn visit_saves(store: &mut Store, n: usize) -> Vec<Duration> {
    let (site_id, dept) = store
        .write(|w| {
            let s = w.create(site("湖北斯诺新材料有限公司".into()))?.id;
            let d = w
                .create(Department {
                    id: Uuid::now_v7(),
                    name: "经济发展局".into(),
                    level: DepartmentLevel::Zone,
                    void_reason: None,
                })?
                .id;
            Ok((s, d))
        })
        .unwrap();
    let mut samples = Vec::new();
    for i in 0..n {
        let start = Instant::now();
        store
            .write(|w| {
                let visit = w.create(Visit {
                    id: Uuid::now_v7(),
                    session_id: None,
                    site_id,
                    started_at: at(),
                    ended_at: None,
                    officials: vec!["党工委书记".into()],
                    enterprise_attendees: vec!["总经理".into()],
                    production_status: Some("满负荷生产".into()),
                    monthly_output_yuan: Some(12_000_000),
                    notes: None,
                    receipt_hash: None,
                    receipt_revoked: false,
                    location: None,
                    signature: None,
                    void_reason: None,
                })?;
                for n in 0..5 {
                    let a = w.create(appeal(site_id, Some(visit.id), i * 5 + n))?;
                    w.create(Resolution {
                        id: Uuid::now_v7(),
                        appeal_id: a.id,
                        action: "现场办公会决议".into(),
                        lead_department_id: dept,
                        co_department_ids: vec![],
                        deadline: "2024-10-28".parse().unwrap(),
                        commitment: Some("电价降低不少于20%".into()),
                        void_reason: None,
                    })?;
                }
                Ok(())
            })
            .unwrap();
        samples.push(start.elapsed());
    }
    samples
}

/// 20,000 appeals written in one bulk transaction, the search index built right after, as an
/// import writes.
fn bulk_write(store: &mut Store) -> Duration {
    let site_id = store
        .write(|w| Ok(w.create(site("随创贸易有限公司".into()))?.id))
        .unwrap();
    let appeals: Vec<Appeal> = (0..20_000).map(|n| appeal(site_id, None, n)).collect();
    let start = Instant::now();
    store
        .write_bulk(|w| appeals.into_iter().try_for_each(|a| w.create(a).map(drop)))
        .unwrap();
    start.elapsed()
}

/// SQLCipher's cost: the same saves and the same bulk write on an encrypted store and on a
/// plain one, in the same run, taking turns so that neither has the machine's quieter moments.
fn encryption(dir: &tempfile::TempDir) {
    let key = StoreKey::random();
    let open = |name: &str, encrypted: bool| {
        let path = dir.path().join(name);
        if encrypted {
            Store::open_encrypted(&path, &key).unwrap()
        } else {
            Store::open(&path).unwrap()
        }
    };
    let (mut saves, mut bulk) = ([Vec::new(), Vec::new()], [Duration::ZERO; 2]);
    for round in 0..3 {
        for (i, encrypted) in [true, false].into_iter().enumerate() {
            let mut store = open(&format!("saves-{round}-{i}.db"), encrypted);
            saves[i].extend(visit_saves(&mut store, 1_000));
            let mut store = open(&format!("bulk-{round}-{i}.db"), encrypted);
            bulk[i] += bulk_write(&mut store);
        }
    }
    let [mut enc, mut plain] = saves;
    let (p99_enc, p99_plain) = (percentile(&mut enc, 0.99), percentile(&mut plain, 0.99));
    println!(
        "| SQLCipher's cost: save a visit, encrypted vs plain store (3 × 1,000 saves each, taking turns) | p50 {} vs {}, p99 {} vs {} | {:.2}× at p99 | |",
        ms(percentile(&mut enc, 0.5)),
        ms(percentile(&mut plain, 0.5)),
        ms(p99_enc),
        ms(p99_plain),
        p99_enc.as_secs_f64() / p99_plain.as_secs_f64()
    );
    let rate = |d: Duration| format!("{:.0} appeals/s", 60_000.0 / d.as_secs_f64());
    println!(
        "| SQLCipher's cost: bulk write of 20,000 appeals (index built after), encrypted vs plain store (3 runs each) | {} vs {} | {:.2}× the time | |",
        rate(bulk[0]),
        rate(bulk[1]),
        bulk[0].as_secs_f64() / bulk[1].as_secs_f64()
    );
}

/// Appeals written through the store (validated, referenced, stamped, recorded in the oplog,
/// merged) against the same rows inserted with plain SQL into the same table (same indexes and
/// full-text triggers), both in transactions of 100.
fn overhead(dir: &tempfile::TempDir) {
    const N: usize = 20_000;
    let mut store = Store::open(&dir.path().join("overhead.db")).unwrap();
    let site_id = store
        .write(|w| Ok(w.create(site("随创贸易有限公司".into()))?.id))
        .unwrap();
    let appeals: Vec<Appeal> = (0..N).map(|n| appeal(site_id, None, n)).collect();

    let start = Instant::now();
    for chunk in appeals.chunks(100) {
        store
            .write(|w| {
                for a in chunk {
                    w.create(a.clone())?;
                }
                Ok(())
            })
            .unwrap();
    }
    let recorded = start.elapsed();

    // The same schema, written around the store.
    drop(Store::open(&dir.path().join("plain.db")).unwrap());
    let mut conn = rusqlite::Connection::open(dir.path().join("plain.db")).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "NORMAL").unwrap();
    desk_store::register_functions(&conn).unwrap(); // the full-text triggers call them
    let start = Instant::now();
    for chunk in appeals.chunks(100) {
        let tx = conn.transaction().unwrap();
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO appeals (id, site_id, visit_id, raised_at, channel, category, description, urgency, status, department_id, deadline, resolved_at, satisfaction, void_reason, _hlc)
                     VALUES (?1, ?2, NULL, ?3, ?4, ?5, ?6, ?7, ?8, NULL, ?9, NULL, NULL, NULL, '')",
                )
                .unwrap();
            for a in chunk {
                stmt.execute(rusqlite::params![
                    a.id.to_string(),
                    a.site_id.to_string(),
                    a.raised_at.to_rfc3339(),
                    a.channel.as_str(),
                    a.category.as_str(),
                    a.description,
                    a.urgency.as_str(),
                    a.status.as_str(),
                    a.deadline.map(|d| d.to_string()),
                ])
                .unwrap();
            }
        }
        tx.commit().unwrap();
    }
    let plain = start.elapsed();
    let rate = |d: Duration| format!("{:.0} appeals/s", N as f64 / d.as_secs_f64());
    println!(
        "| write through the store with operations vs plain INSERT ({N} appeals) | {} vs {} | {:.2}× | target ≤ 1.5× |",
        rate(recorded),
        rate(plain),
        recorded.as_secs_f64() / plain.as_secs_f64()
    );
}

/// 100k appeals loaded as received operations (as a pull would), then searched.
fn search(dir: &tempfile::TempDir) {
    const N: usize = 100_000;
    let mut store = Store::open(&dir.path().join("search.db")).unwrap();
    let site_id = store
        .write(|w| Ok(w.create(site("湖北交投物流园".into()))?.id))
        .unwrap();
    let node = Uuid::now_v7();
    let ops: Vec<Op> = (0..N)
        .map(|n| {
            let a = appeal(site_id, None, n);
            Op {
                id: Uuid::now_v7(),
                entity: Entity::Appeal,
                record_id: a.id,
                fields: desk_core::model::Record::to_fields(&a),
                hlc: Hlc {
                    wall_ms: 1_729_903_800_000 + n as u64,
                    counter: 0,
                    node,
                },
                prev: Default::default(),
            }
        })
        .collect();
    let start = Instant::now();
    for chunk in ops.chunks(1_000) {
        store.apply_remote(chunk).unwrap();
    }
    let load = start.elapsed();
    println!("| apply 100k received appeal operations (batches of 1,000, full-text index kept) | {:.0} records/s | | |", N as f64 / load.as_secs_f64());

    for (label, query) in [
        (
            "full-text search, 100k appeals, 4+ characters (“用电价格”)",
            "用电价格",
        ),
        (
            "full-text search, 100k appeals, two words (“停车难 物流园”)",
            "停车难 物流园",
        ),
        (
            "full-text search, 100k appeals, 2 characters (“绿化”)",
            "绿化",
        ),
        (
            "full-text search, 100k appeals, rare term (“第99999号”)",
            "第99999号",
        ),
        (
            "full-text search, 100k appeals, 2 characters matching nothing (“电费”)",
            "电费",
        ),
        ("search, 100k appeals, 1 character, by scan (“绿”)", "绿"),
        (
            "search, 100k appeals, 1 character matching nothing, full scan (“鑫”)",
            "鑫",
        ),
    ] {
        let mut samples = Vec::new();
        let mut hits = 0;
        for _ in 0..50 {
            let start = Instant::now();
            hits = store.search(query, 20).unwrap().appeals.len();
            samples.push(start.elapsed());
        }
        println!("| {label} (first 20 of the matches, {hits} shown) | p50 {} | p99 {} | target ≤ 10 ms |", ms(percentile(&mut samples, 0.5)), ms(percentile(&mut samples, 0.99)));
    }
}
