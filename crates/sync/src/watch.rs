//! Keeping a device in sync without anyone asking: shortly after local writes (debounced), as
//! soon as the server's live feed says its log moved past this device's cursor, periodically
//! (in case the feed is down), and as soon as the server answers again after being unreachable
//! — found by a cheap probe on an exponential backoff with jitter, never a busy loop. A failed
//! upload is retried on the same backoff, without waiting for the next local write; a dropped
//! live feed is reconnected on it.

use std::future::Future;
use std::time::Duration;

use rand::Rng;
use tokio::sync::Notify;

use crate::engine::{Engine, SyncError};
use crate::transport::Transport;

#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// Pull this often when nothing happens.
    pub interval: Duration,
    /// Wait this long after a local write for more before syncing.
    pub debounce: Duration,
    /// First retry delay after a failure; doubles up to `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            interval: Duration::from_secs(30),
            debounce: Duration::from_millis(800),
            backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
        }
    }
}

/// How often the store is looked at for new local writes.
const POLL: Duration = Duration::from_millis(250);

/// The delay before retry number `failures` (1, 2, …): exponential, capped, with ±25 % jitter
/// so that many devices coming back at once do not hammer the server in step.
pub fn backoff(opts: &WatchOptions, failures: u32) -> Duration {
    let exp = opts
        .backoff
        .saturating_mul(2u32.saturating_pow(failures.saturating_sub(1).min(16)));
    let base = exp.min(opts.max_backoff);
    let jitter = rand::thread_rng().gen_range(0.75..1.25);
    base.mul_f64(jitter)
}

/// Why [`watch`] stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// `shutdown` resolved.
    Shutdown,
    /// The device was marked lost and handed over `kept` changes: its caller erases it.
    Lost { kept: usize },
}

/// Syncs until `shutdown` resolves, or the device learns it was marked lost. Cancelling is
/// clean at any point: every step's outcome is in the store before the next begins.
pub async fn watch<T: Transport>(
    engine: &Engine<T>,
    opts: WatchOptions,
    shutdown: impl Future<Output = ()>,
) -> Stopped {
    let behind = Notify::new();
    tokio::select! {
        kept = keep_in_sync(engine, &opts, &behind) => Stopped::Lost { kept },
        _ = listen(engine, &opts, &behind) => Stopped::Shutdown,
        _ = shutdown => Stopped::Shutdown,
    }
}

/// Syncs for ever, unless the device was marked lost: then how many changes it handed over.
async fn keep_in_sync<T: Transport>(
    engine: &Engine<T>,
    opts: &WatchOptions,
    behind: &Notify,
) -> usize {
    let mut failures = 0u32;
    loop {
        match engine.sync().await {
            Err(SyncError::Lost { kept }) => return kept,
            Ok(_) => {
                failures = 0;
                wait_for_work(engine, opts, behind).await;
            }
            Err(e) if e.is_transient() => {
                // Unreachable: probe on a growing delay until the server answers.
                loop {
                    failures += 1;
                    tracing::info!(error = %e, failures, "server unreachable; probing");
                    tokio::time::sleep(backoff(opts, failures)).await;
                    if engine.transport().probe().await {
                        break;
                    }
                }
            }
            Err(e) => {
                // A person must act (sign in again, update); keep trying gently meanwhile.
                tracing::warn!(error = %e, "sync needs attention");
                wait_for_work(engine, opts, behind).await;
            }
        }
    }
}

/// Holds the server's live feed open, and wakes the sync when the log moves past this
/// device's cursor; reconnects on the backoff when the feed drops or cannot be had.
async fn listen<T: Transport>(engine: &Engine<T>, opts: &WatchOptions, behind: &Notify) {
    let mut failures = 0u32;
    loop {
        match engine.transport().live().await {
            Ok(mut feed) => {
                failures = 0;
                while let Some(head) = feed.next().await {
                    let cursor = engine.store().sync_state().map_or(0, |s| s.cursor);
                    if head > cursor {
                        behind.notify_one();
                    }
                }
                tracing::info!("live feed ended; reconnecting");
            }
            Err(e) => tracing::debug!(error = %e, "no live feed"),
        }
        failures += 1;
        tokio::time::sleep(backoff(opts, failures)).await;
    }
}

/// Returns when a sync is due: the server's log moved past this device, the interval has
/// passed, or local writes happened and then paused for the debounce time.
async fn wait_for_work<T: Transport>(engine: &Engine<T>, opts: &WatchOptions, behind: &Notify) {
    let mark = || engine.store().local_high_water().unwrap_or_default();
    let start = mark();
    let deadline = tokio::time::Instant::now() + opts.interval;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {},
            _ = behind.notified() => return,
        }
        if tokio::time::Instant::now() >= deadline {
            return;
        }
        if mark() != start {
            // Debounce: sync once the writing pauses.
            let mut last = mark();
            loop {
                tokio::time::sleep(opts.debounce).await;
                let now = mark();
                if now == last {
                    return;
                }
                last = now;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let o = WatchOptions::default();
        let first = backoff(&o, 1);
        assert!(first >= Duration::from_millis(750) && first <= Duration::from_millis(1250));
        let fifth = backoff(&o, 5);
        assert!(fifth >= Duration::from_secs(12) && fifth <= Duration::from_secs(20));
        for n in [10, 40, u32::MAX] {
            assert!(backoff(&o, n) <= o.max_backoff.mul_f64(1.25));
        }
        let draws: std::collections::HashSet<_> = (0..20).map(|_| backoff(&o, 3)).collect();
        assert!(draws.len() > 1, "jitter");
    }
}
