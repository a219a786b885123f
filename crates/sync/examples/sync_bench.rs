//! The sync client's benchmark (not a test): `cargo xtask bench`, which builds the release
//! `desk-server` first. The server as its own process on loopback (SQLite), real HTTP, real
//! device stores on disk. Prints Markdown for docs/BENCHMARKS.md.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use desk_core::model::{Site, SiteKind};
use desk_server::admin;
use desk_server::db::Db;
use desk_server::scope::Role;
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
    drop(db);
    let server = env!("CARGO_MANIFEST_DIR").to_owned() + "/../../target/release/desk-server";
    let mut process = std::process::Command::new(&server)
        .args(["--db", &url, "serve", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{server}: {e} (cargo build --release -p desk-server)"));
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(process.stdout.as_mut().unwrap()),
        &mut line,
    )
    .unwrap();
    let base = line.trim().trim_start_matches("listening on ").to_owned();
    println!("\n### Sync client (`desk-server` process on SQLite, loopback HTTP, device stores on disk)\n");

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

    // Changes from device A reaching device B, which runs as the app does (watching, its
    // periodic pull a minute apart, so only the live feed can bring them in time).
    let opts = WatchOptions {
        interval: Duration::from_secs(60),
        ..WatchOptions::default()
    };
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let b = Arc::new(b);
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
        let s = site(1_000_000 + i);
        let id = s.id;
        a.store().write(|w| w.create(s).map(drop)).unwrap();
        let start = Instant::now();
        a.sync().await.unwrap();
        while b.store().get::<Site>(id).unwrap().is_none() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        samples.push(start.elapsed());
    }
    let _ = stop_tx.send(());
    let _ = watching.await;
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "| a change on device A shown on device B, both running: from A's sync to B's store (live feed), 200 changes | p50 {:.0} ms, p99 {:.0} ms | p50 ≤ 50 ms, p99 ≤ 200 ms |",
        ms(samples[100]),
        ms(samples[197])
    );
    let _ = process.kill();
    let _ = process.wait();
}
