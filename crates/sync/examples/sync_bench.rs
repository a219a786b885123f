//! The sync client's benchmark (not a test): `cargo xtask bench`. A server in this process on
//! loopback (SQLite), real HTTP, real device stores on disk. Prints Markdown for
//! docs/BENCHMARKS.md.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use desk_core::model::{Site, SiteKind};
use desk_server::config::Config;
use desk_server::db::Db;
use desk_server::scope::Role;
use desk_server::{admin, AppState};
use desk_store::Store;
use desk_sync::watch::WatchOptions;
use desk_sync::{Engine, HttpTransport};
use uuid::Uuid;

const PASSWORD: &str = "bench-password";

fn site(n: usize) -> Site {
    Site {
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
    }
}

async fn device(base: &str, dir: &std::path::Path, name: &str) -> Engine<HttpTransport> {
    let login = desk_sync::transport::login(base, "bench", PASSWORD, name)
        .await
        .unwrap();
    let store = Store::open(&dir.join(format!("{name}.db"))).unwrap();
    Engine::new(
        Arc::new(Mutex::new(store)),
        HttpTransport::new(base, &login.token),
    )
}

fn write_sites(engine: &Engine<HttpTransport>, from: usize, n: usize) {
    let mut store = engine.store();
    for chunk in (from..from + n).collect::<Vec<_>>().chunks(1000) {
        store
            .write(|w| {
                for i in chunk {
                    w.create(site(*i))?;
                }
                Ok(())
            })
            .unwrap();
    }
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("server.db").display());
    let db = {
        let url = url.clone();
        tokio::task::spawn_blocking(move || {
            let db = Db::open(&url).unwrap();
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
        .await
        .unwrap()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(desk_server::serve(
        listener,
        AppState::new(
            db,
            Config {
                db: url,
                ..Config::default()
            },
        ),
        std::future::pending(),
    ));
    println!("\n### Sync client (server on SQLite, loopback HTTP, device stores on disk)\n");

    // Push 10k operations from one device.
    let a = device(&base, dir.path(), "a").await;
    a.sync().await.unwrap();
    write_sites(&a, 0, 10_000);
    let start = Instant::now();
    let report = a.sync().await.unwrap();
    let push = start.elapsed();
    assert_eq!(report.pushed, 10_000);
    println!(
        "| push 10,000 operations (batches of 500) | {:.0} ops/s ({:.2} s) | |",
        10_000.0 / push.as_secs_f64(),
        push.as_secs_f64()
    );

    // Grow the server to 100k records, then bootstrap a new device.
    write_sites(&a, 10_000, 90_000);
    a.sync().await.unwrap();
    let b = device(&base, dir.path(), "b").await;
    let report = b.sync().await.unwrap();
    let records = report.bootstrapped;
    let usable = Duration::from_millis(report.bootstrap_ms);
    let index = Duration::from_millis(report.search_index_ms);
    println!(
        "| bootstrap a new device: {records} records over loopback HTTP into its store, usable (listed, opened, synced) | {:.0} records/s ({:.1} s) | ≥ 100,000 records/s |",
        records as f64 / usable.as_secs_f64(),
        usable.as_secs_f64()
    );
    println!(
        "| … then its full-text index, built in one pass | {:.1} s | (measured apart) |",
        index.as_secs_f64()
    );

    // One change from device A to device B, both watching (B pulls every second).
    let opts = WatchOptions {
        interval: Duration::from_secs(1),
        debounce: Duration::from_millis(200),
        ..WatchOptions::default()
    };
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let a = Arc::new(a);
    let b = Arc::new(b);
    let wa = {
        let (a, o, s) = (a.clone(), opts.clone(), stopped(stop_rx.clone()));
        tokio::spawn(async move { desk_sync::watch::watch(&a, o, s).await })
    };
    let wb = {
        let (b, o, s) = (b.clone(), opts.clone(), stopped(stop_rx.clone()));
        tokio::spawn(async move { desk_sync::watch::watch(&b, o, s).await })
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut samples = Vec::new();
    for i in 0..10 {
        let s = site(1_000_000 + i);
        let id = s.id;
        let start = Instant::now();
        a.store().write(|w| w.create(s).map(drop)).unwrap();
        loop {
            tokio::time::sleep(Duration::from_millis(20)).await;
            if b.store().get::<Site>(id).unwrap().is_some() {
                break;
            }
        }
        samples.push(start.elapsed());
    }
    let _ = stop_tx.send(true);
    let _ = (wa.await, wb.await);
    samples.sort();
    println!(
        "| one change from device A to device B, both watching (debounce 0.2 s, B pulls every 1 s), 10 changes | p50 {:.2} s, max {:.2} s | |",
        samples[5].as_secs_f64(),
        samples[9].as_secs_f64()
    );
}
