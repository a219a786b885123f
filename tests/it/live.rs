//! Sync at full speed (issue 12): no index work the sync need not do, progress that counts,
//! and changes that reach running devices the moment the server has them, over links that drop.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use desk_core::appeal::Action;
use desk_core::model::*;
use desk_sync::watch::{watch, WatchOptions};

use crate::server_harness::*;
use desk_testbed::link::Proxy;

/// Waits up to `secs` for `check`, which a periodic pull (every minute here) could not meet.
async fn within(secs: u64, what: &str, mut check: impl FnMut() -> bool) {
    let end = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !check() {
        assert!(
            tokio::time::Instant::now() < end,
            "{what}: not within {secs} s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Options under which only the live feed can bring a change in time: the periodic pull waits
/// a minute; a dropped feed is reconnected after about 200 ms.
fn live_only() -> WatchOptions {
    WatchOptions {
        interval: Duration::from_secs(60),
        backoff: Duration::from_millis(200),
        ..WatchOptions::default()
    }
}

/// Issue 12: a sync that brings back records as they already are here (the push's own
/// operations, the server's moves of the appeals' ledgers) gives the search index nothing to
/// do; an edit of indexed text re-indexes that text once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sync_indexes_only_text_that_changed() {
    for backend in backends() {
        let s = Server::start(&backend).await;
        let zone = seed(&s.db.url);
        let leader = Tablet::sign_in(&s.url, "leader").await;
        leader.sync().await;
        let site_id = leader
            .write(|w| w.create(site("随创贸易", Some(zone.park1))))
            .id;
        let mut ids = Vec::new();
        for i in 0..20 {
            let mut a = appeal_at(site_id, Utc::now());
            a.description = format!("第{i}件：厂区门前道路破损，大货车进出颠簸");
            let id = leader.write(|w| w.create(a)).id;
            leader.write(|w| {
                w.act_on_appeal(
                    id,
                    Action::Dispatch {
                        department_id: zone.dept1,
                    },
                    "领导",
                    None,
                )
            });
            ids.push(id);
        }
        let written = leader.engine.store().texts_indexed();
        assert_eq!(
            written,
            5 + 20,
            "a site's five fields and each appeal's description"
        );

        let report = leader.sync().await;
        assert_eq!(report.rejected, 0, "{backend:?} {report:?}");
        assert!(report.pushed >= 41 && report.pulled > 0, "{report:?}");
        let sealed = leader.has::<Appeal>(ids[0]).unwrap();
        assert!(sealed.ledger_head.is_some(), "the pull rewrote the appeals");
        assert_eq!(
            leader.engine.store().texts_indexed(),
            written,
            "{backend:?}"
        );

        leader.write(|w| {
            w.update::<Appeal>(ids[3], |a| {
                a.description = "厂区路灯不亮，夜班员工出行不便".into()
            })
        });
        leader.sync().await;
        assert_eq!(leader.engine.store().texts_indexed(), written + 1);
        let hits = leader.engine.store().search("路灯", 10).unwrap();
        assert_eq!(hits.appeals.len(), 1, "{hits:?}");
        assert_eq!(
            leader
                .engine
                .store()
                .search("破损", 50)
                .unwrap()
                .appeals
                .len(),
            19
        );
        s.stop().await;
    }
}

/// Issue 12: the push's progress counts what is done, out of what there is to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_push_progress_counts_what_is_done() {
    let s = Server::start(&backends()[0]).await;
    let zone = seed(&s.db.url);
    let leader = Tablet::sign_in(&s.url, "leader").await;
    leader.sync().await;
    leader.write(|w| {
        for i in 0..1200 {
            w.create(site(&format!("随州第{i}号企业"), Some(zone.park1)))?;
        }
        Ok(())
    });
    let mut status = leader.engine.status();
    let watching = tokio::spawn(async move {
        let mut seen = Vec::new();
        while status.changed().await.is_ok() {
            match status.borrow_and_update().clone() {
                desk_sync::Status::Syncing {
                    phase: desk_sync::Phase::Push,
                    done,
                    total,
                } => seen.push((done, total)),
                desk_sync::Status::UpToDate { .. } => break,
                _ => {}
            }
        }
        seen
    });
    let report = leader.sync().await;
    assert_eq!(report.pushed, 1200);
    let seen = watching.await.unwrap();
    assert!(seen.iter().all(|(_, total)| *total == 1200), "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0), "{seen:?}");
    assert!(seen.iter().any(|(done, _)| *done >= 500), "{seen:?}");
    s.stop().await;
}

/// Device B, running, hears of device A's change through the live feed (not its minute-long
/// interval), also after its link is cut and the feed reconnects.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_change_reaches_a_running_device_at_once_and_after_its_link_drops() {
    for backend in backends() {
        let s = Server::start(&backend).await;
        let zone = seed(&s.db.url);
        let a = Tablet::sign_in(&s.url, "leader").await;
        a.sync().await;
        let proxy = Proxy::start(&s.url).await;
        let b = Arc::new(Tablet::sign_in_through(&s.url, &proxy.url, "officer1").await);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let running_b = b.clone();
        let running = tokio::spawn(async move {
            watch(&running_b.engine, live_only(), async {
                let _ = stopped.await;
            })
            .await
        });
        within(10, "b's first sync", || {
            b.engine.store().sync_state().unwrap().bootstrapped
        })
        .await;

        let first = a.write(|w| w.create(site("随创贸易", Some(zone.park1)))).id;
        a.sync().await;
        within(10, "the first change on b", || {
            b.has::<Site>(first).is_some()
        })
        .await;

        proxy.cut();
        // The cut is seen, the feed reconnects; a change made after reaches b through it.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let second = a.write(|w| w.create(site("楚风食品", Some(zone.park1)))).id;
        a.sync().await;
        within(10, "a change after the link dropped", || {
            b.has::<Site>(second).is_some()
        })
        .await;

        let _ = stop.send(());
        running.await.unwrap();
        s.stop().await;
    }
}

/// The live feed is for signed-in devices, says what it is, and starts with the log's head.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_feed_is_an_event_stream_for_signed_in_devices() {
    use desk_core::protocol::{PROTOCOL_HEADER, PROTOCOL_VERSION};
    let s = Server::start(&backends()[0]).await;
    seed(&s.db.url);
    let (status, body) = raw(&s.url, reqwest::Method::GET, "/v1/live", None, None).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["code"], "unauthorized");

    let leader = Client::login(&s.url, "leader").await;
    let mut resp = reqwest::Client::new()
        .get(format!("{}/v1/live", s.url))
        .bearer_auth(&leader.token)
        .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    assert_eq!(resp.headers()["x-accel-buffering"], "no");
    let first = String::from_utf8(resp.chunk().await.unwrap().unwrap().to_vec()).unwrap();
    assert!(
        first.starts_with("event: head\ndata: {\"cursor\":"),
        "{first}"
    );
    drop(resp);
    s.stop().await;
}

/// A large pull (a device back after days away) leaves the index to one pass after it; the
/// sync ends with the index complete and every record found.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_pull_is_indexed_once_by_the_end_of_the_sync() {
    let s = Server::start(&backends()[0]).await;
    let zone = seed(&s.db.url);
    let office = Tablet::sign_in(&s.url, "leader").await;
    let away = Tablet::sign_in(&s.url, "leader").await;
    office.sync().await;
    away.sync().await;
    let n = desk_store::LARGE_PULL + 50;
    office.write(|w| {
        (0..n).try_for_each(|i| {
            w.create(site(&format!("久别企业{i:03}"), Some(zone.park1)))
                .map(drop)
        })
    });
    office.sync().await;

    let before = away.engine.store().texts_indexed();
    let report = away.sync().await;
    assert!(report.pulled as usize >= n, "{report:?}");
    {
        let store = away.engine.store();
        assert!(!store.search_index_deferred().unwrap());
        assert_eq!(store.search("久别企业", 1000).unwrap().sites.len(), n);
        assert_eq!(
            store.texts_indexed() - before,
            n as u64 * 5,
            "each site's five texts, once"
        );
    }
    s.stop().await;
}
