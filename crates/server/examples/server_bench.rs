//! The server's benchmark (not a test): `cargo xtask bench`. Push ingest, bootstrap of 100k
//! records, and 200 devices syncing at once, on SQLite and on PostgreSQL (when
//! `DESK_BENCH_PG` names a database to create a scratch database from). Prints Markdown for
//! docs/BENCHMARKS.md.

use std::time::{Duration, Instant};

use desk_core::model::{Record, Site, SiteKind};
use desk_core::protocol::*;
use desk_core::{Entity, Hlc, Op};
use desk_server::config::Config;
use desk_server::db::Db;
use desk_server::scope::Role;
use desk_server::{admin, AppState};
use uuid::Uuid;

const PASSWORD: &str = "bench-password";

#[tokio::main]
async fn main() {
    let mut backends = vec![("SQLite".to_owned(), None)];
    if let Ok(url) = std::env::var("DESK_BENCH_PG") {
        backends.push(("PostgreSQL".to_owned(), Some(url)));
    }
    for (name, pg) in backends {
        println!("\n### {name}\n");
        let dir = tempfile::tempdir().unwrap();
        let (url, scratch) = match &pg {
            None => (
                format!("sqlite://{}", dir.path().join("bench.db").display()),
                None,
            ),
            Some(admin_url) => {
                let db = format!("desk_bench_{}", Uuid::now_v7().simple());
                let (a, d) = (admin_url.clone(), db.clone());
                blocking(move || {
                    postgres::Client::connect(&a, postgres::NoTls)
                        .unwrap()
                        .batch_execute(&format!("CREATE DATABASE {d}"))
                        .unwrap()
                })
                .await;
                (
                    format!("{}/{db}", admin_url.rsplit_once('/').unwrap().0),
                    Some((admin_url.clone(), db)),
                )
            }
        };
        run(&url).await;
        if let Some((a, d)) = scratch {
            blocking(move || {
                let mut c = postgres::Client::connect(&a, postgres::NoTls).unwrap();
                c.batch_execute(&format!("DROP DATABASE IF EXISTS {d} WITH (FORCE)"))
                    .unwrap();
            })
            .await;
        }
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

fn site_op(node: Uuid, n: u64) -> Op {
    let site = Site {
        id: Uuid::now_v7(),
        kind: SiteKind::Enterprise,
        name: format!("基准企业{n}"),
        credit_code: None,
        park_id: None,
        address: Some("湖北省随州高新区".into()),
        industry: Some("新材料".into()),
        contact: None,
        phone: None,
        void_reason: None,
    };
    Op {
        id: Uuid::now_v7(),
        entity: Entity::Site,
        record_id: site.id,
        fields: site.to_fields(),
        hlc: Hlc {
            wall_ms: chrono::Utc::now().timestamp_millis() as u64,
            counter: n as u32,
            node,
        },
        prev: Default::default(),
    }
}

struct Device {
    http: reqwest::Client,
    base: String,
    token: String,
    node: Uuid,
}

impl Device {
    async fn login(base: &str) -> Device {
        let http = reqwest::Client::new();
        let r: LoginResponse = http
            .post(format!("{base}/v1/login"))
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .json(&LoginRequest {
                user: "bench".into(),
                password: PASSWORD.into(),
                device_name: "bench".into(),
            })
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Device {
            http,
            base: base.into(),
            token: r.token,
            node: Uuid::now_v7(),
        }
    }

    async fn push(&self, ops: Vec<Op>) -> Result<PushResponse, String> {
        let resp = self
            .http
            .post(format!("{}/v1/push", self.base))
            .bearer_auth(&self.token)
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .json(&PushRequest { ops })
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !resp.status().is_success() {
            return Err(resp.status().to_string());
        }
        resp.json().await.map_err(|e| e.to_string())
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, String> {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !resp.status().is_success() {
            return Err(resp.status().to_string());
        }
        resp.json().await.map_err(|e| e.to_string())
    }
}

fn pct(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

async fn run(url: &str) {
    let u = url.to_owned();
    let db = blocking(move || {
        let db = Db::open(&u).unwrap();
        admin::create_user(
            &db,
            &admin::UserSpec {
                name: "bench",
                display_name: "bench",
                role: Role::Leader,
                password: PASSWORD,
                parks: &[],
                departments: &[],
            },
        )
        .unwrap();
        db
    })
    .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = AppState::new(
        db,
        Config {
            db: url.into(),
            ..Config::default()
        },
    );
    tokio::spawn(desk_server::serve(listener, state, std::future::pending()));

    // Push ingest: 20,000 new records from one device, batches of 1,000.
    let device = Device::login(&base).await;
    let mut n = 0;
    let start = Instant::now();
    for _ in 0..20 {
        let ops: Vec<Op> = (0..1000)
            .map(|_| {
                n += 1;
                site_op(device.node, n)
            })
            .collect();
        device.push(ops).await.unwrap();
    }
    let ingest = 20_000.0 / start.elapsed().as_secs_f64();
    println!("| push ingest, 20,000 record changes in batches of 1,000 | {ingest:.0} changes/s | ≥ 50,000/s |");

    // Bring the store to 100k records, then bootstrap a new device.
    for _ in 0..80 {
        let ops: Vec<Op> = (0..1000)
            .map(|_| {
                n += 1;
                site_op(device.node, n)
            })
            .collect();
        device.push(ops).await.unwrap();
    }
    let newcomer = Device::login(&base).await;
    let mut store =
        desk_store::Store::open(&tempfile::tempdir().unwrap().keep().join("device.db")).unwrap();
    let start = Instant::now();
    let (mut after, mut records, mut fetch) = (None::<String>, 0usize, Duration::ZERO);
    loop {
        let q = after
            .as_ref()
            .map_or("/v1/bootstrap?limit=5000".to_owned(), |a| {
                format!("/v1/bootstrap?limit=5000&after={a}")
            });
        let t = Instant::now();
        let page: BootstrapResponse = newcomer.get(&q).await.unwrap();
        fetch += t.elapsed();
        records += page.records.len();
        store.apply_snapshots(&page.records).unwrap();
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let total = start.elapsed();
    println!(
        "| bootstrap a new device, {records} records over loopback HTTP, applied into its store (full-text index kept) | {:.0} records/s ({:.0} records/s fetched and decoded) | ≥ 100,000/s |",
        records as f64 / total.as_secs_f64(),
        records as f64 / fetch.as_secs_f64()
    );

    // 200 devices at once: each pushes 10 changes and pulls what is new.
    let mut devices = Vec::new();
    for _ in 0..200 {
        devices.push(Device::login(&base).await);
    }
    // Every device starts from the log's head, as after its last sync.
    let cursor = device
        .get::<BootstrapResponse>("/v1/bootstrap?limit=1")
        .await
        .unwrap()
        .cursor;
    let start = Instant::now();
    let tasks: Vec<_> = devices
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            tokio::spawn(async move {
                let t = Instant::now();
                let ops: Vec<Op> = (0..10)
                    .map(|k| site_op(d.node, 1_000_000 + (i * 10 + k) as u64))
                    .collect();
                let pushed = d.push(ops).await;
                let pulled = d
                    .get::<PullResponse>(&format!("/v1/pull?cursor={cursor}&limit=1000"))
                    .await;
                (t.elapsed(), pushed.is_ok() && pulled.is_ok())
            })
        })
        .collect();
    let mut samples = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (d, ok) = t.await.unwrap();
        samples.push(d);
        errors += usize::from(!ok);
    }
    let wall = start.elapsed();
    println!(
        "| 200 devices syncing at once (push 10 changes, then pull), all within {} | p50 {}, p99 {}, {errors} errors | all succeed, p99 ≤ 500 ms |",
        ms(wall),
        ms(pct(&mut samples, 0.5)),
        ms(pct(&mut samples, 0.99))
    );
}
