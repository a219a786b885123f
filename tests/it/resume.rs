//! Sync over a weak link (300 ms round trip, 1 Mbit/s) cut mid-transfer: the next sync goes on
//! from what the device already holds, and sends nothing the server acknowledged.

use desk_core::model::Site;
use desk_testbed::link::{Link, Proxy, Way};
use uuid::Uuid;

use crate::server_harness::*;

/// `n` sites written on `tablet` (in one transaction), their ids.
fn write_sites(tablet: &Tablet, park: Uuid, n: usize) -> Vec<Uuid> {
    tablet.write(|w| {
        (0..n)
            .map(|i| Ok(w.create(site(&format!("随州弱网企业{i}"), Some(park)))?.id))
            .collect()
    })
}

/// The bytes a sync of `tablet` carries through `proxy`, `way`.
async fn carried(tablet: &Tablet, proxy: &Proxy, way: Way) -> (desk_sync::SyncReport, u64) {
    let before = proxy.carried(way);
    let report = tablet.sync().await;
    (report, proxy.carried(way) - before)
}

/// A push cut halfway resumes with the batches the server had not acknowledged, and the server
/// ends up with every record once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_push_cut_mid_transfer_resumes_without_resending_what_was_acknowledged() {
    const SITES: usize = 3000; // six batches
    for backend in backends() {
        let s = Server::start(&backend).await;
        let zone = seed(&s.db.url);
        let proxy = Proxy::start_with(&s.url, Link::FIELD).await;

        // How many bytes such a push sends up this link, measured on a twin device (what it
        // pulls back after is not counted: the cut must fall within the push).
        let twin = Tablet::sign_in_through(&s.url, &proxy.url, "leader").await;
        twin.sync().await;
        write_sites(&twin, zone.park1, SITES);
        let (report, whole) = carried(&twin, &proxy, Way::Up).await;
        assert_eq!(report.pushed, SITES as u64);

        let a = Tablet::sign_in_through(&s.url, &proxy.url, "leader").await;
        a.sync().await;
        let ids = write_sites(&a, zone.park1, SITES);
        proxy.cut_after(Way::Up, whole / 2);
        let cut = a.engine.sync().await;
        assert!(cut.is_err(), "the cut push must fail: {cut:?}");
        let left = a.engine.store().status().unwrap().pending as u64;
        assert!(
            0 < left && left < SITES as u64,
            "{left} of {SITES} operations left after the cut"
        );

        let resumed = a.sync().await;
        assert_eq!(
            resumed.pushed, left,
            "only what was not acknowledged is sent"
        );
        assert_eq!(a.engine.store().status().unwrap().pending, 0);

        let office = Tablet::sign_in(&s.url, "leader").await;
        office.sync().await;
        let missing = ids
            .iter()
            .filter(|id| office.has::<Site>(**id).is_none())
            .count();
        assert_eq!(missing, 0, "every site reached the server");
        s.stop().await;
    }
}

/// A bootstrap cut after its first pages goes on from the last page stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_bootstrap_cut_mid_transfer_resumes_from_the_last_page_stored() {
    const SITES: usize = 5000; // three pages
    for backend in backends() {
        let s = Server::start(&backend).await;
        let zone = seed(&s.db.url);
        let office = Tablet::sign_in(&s.url, "leader").await;
        office.sync().await;
        let ids = write_sites(&office, zone.park1, SITES);
        office.sync().await;

        let proxy = Proxy::start_with(&s.url, Link::FIELD).await;
        let twin = Tablet::sign_in_through(&s.url, &proxy.url, "leader").await;
        let (whole, bytes) = carried(&twin, &proxy, Way::Down).await;
        assert!(whole.bootstrapped as usize > SITES, "{whole:?}");

        let b = Tablet::sign_in_through(&s.url, &proxy.url, "leader").await;
        proxy.cut_after(Way::Down, bytes * 6 / 10);
        let cut = b.engine.sync().await;
        assert!(cut.is_err(), "the cut bootstrap must fail: {cut:?}");
        let stored = ids
            .iter()
            .filter(|id| b.has::<Site>(**id).is_some())
            .count() as u64;
        assert!(
            0 < stored && stored < SITES as u64,
            "{stored} of {SITES} sites stored before the cut"
        );

        let resumed = b.sync().await;
        assert!(
            resumed.bootstrapped + stored <= whole.bootstrapped,
            "the pages stored are not fetched again: {} fetched after {stored} stored, of {}",
            resumed.bootstrapped,
            whole.bootstrapped
        );
        let missing = ids
            .iter()
            .filter(|id| b.has::<Site>(**id).is_none())
            .count();
        assert_eq!(
            missing, 0,
            "every site is on the device after the resumed bootstrap"
        );
        s.stop().await;
    }
}
