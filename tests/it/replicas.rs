//! Two `desk-server` replicas on one PostgreSQL database behind nginx, round robin, devices
//! writing and syncing at once through it: one gapless log, every device converges, no errors.

use desk_core::model::Site;
use desk_testbed::balancer::Balancer;
use futures_util::future::join_all;
use uuid::Uuid;

use crate::server_harness::*;

const DEVICES: usize = 4;
const ROUNDS: usize = 4;
const PER_ROUND: usize = 50;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn devices_spread_over_two_replicas_behind_nginx_converge_on_one_gapless_log() {
    let Some(Backend::Postgres(pg)) = backends().into_iter().nth(1) else {
        eprintln!("skipped: replicas share a PostgreSQL database (set DESK_TEST_PG)");
        return;
    };
    let db = TestDb::new(&Backend::Postgres(pg));
    let zone = seed(&db.url);
    let replicas = [start_server(&db.url), start_server(&db.url)];
    let nginx = Balancer::start(&[&replicas[0].url, &replicas[1].url]).expect("nginx");

    let mut devices = Vec::new();
    for _ in 0..DEVICES {
        let device = Tablet::sign_in(&nginx.url, "leader").await;
        device.sync().await; // the zone's parks
        devices.push(device);
    }
    let mut written: Vec<Uuid> = Vec::new();
    for round in 0..ROUNDS {
        for (d, device) in devices.iter().enumerate() {
            written.extend(device.write(|w| {
                (0..PER_ROUND)
                    .map(|i| {
                        let name = format!("双副本企业{round}-{d}-{i}");
                        Ok(w.create(site(&name, Some(zone.park1)))?.id)
                    })
                    .collect::<desk_store::Result<Vec<_>>>()
            }));
        }
        // Every device syncs at once: pushes from several devices land on both replicas together.
        let syncs = devices.iter().map(|d| d.engine.sync());
        for result in join_all(syncs).await {
            result.expect("a sync through the balancer");
        }
    }
    for device in &devices {
        device.sync().await; // the others' last round
    }

    for (d, device) in devices.iter().enumerate() {
        let missing = written
            .iter()
            .filter(|id| device.has::<Site>(**id).is_none())
            .count();
        assert_eq!(
            missing,
            0,
            "device {d} lacks {missing} of {} sites",
            written.len()
        );
        let status = device.engine.store().status().unwrap();
        assert_eq!((status.pending, status.rejections), (0, 0), "device {d}");
    }

    let seqs = log_seqs(&db.url);
    assert!(!seqs.is_empty());
    let gaps: Vec<_> = seqs.windows(2).filter(|w| w[1] != w[0] + 1).collect();
    assert!(gaps.is_empty(), "the log has gaps: {gaps:?}");
    assert_eq!(seqs[0], 1);

    let used = nginx.upstreams_used();
    for replica in &replicas {
        let addr = replica.url.trim_start_matches("http://");
        let served = used.iter().filter(|u| u.as_str() == addr).count();
        assert!(served > 0, "{addr} served no request: {used:?}");
    }
}

/// The log's sequence numbers, in order.
fn log_seqs(url: &str) -> Vec<i64> {
    let url = url.to_owned();
    std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        c.query("SELECT seq FROM log ORDER BY seq", &[])
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    })
    .join()
    .unwrap()
}
