//! One sync, in steps that each leave the store consistent: a bootstrap page, a push batch, a
//! pull page. Each step's outcome lands in the store in one transaction together with where
//! to continue (cursor, bootstrap page, acknowledgements), so a crash or a cancel between any
//! two steps resumes where it stopped, and repeating a step changes nothing more.

use std::sync::{Arc, Mutex, MutexGuard};

use chrono::Utc;
use desk_core::protocol::PullQuery;
use desk_store::{Store, StoreError};
use serde::Serialize;
use tokio::sync::watch;

use crate::status::{Phase, Status};
use crate::transport::{Transport, TransportError};

pub const PUSH_BATCH: usize = 500;
pub const PULL_PAGE: i64 = 1000;
pub const BOOTSTRAP_PAGE: i64 = 2000;
/// Rows of each table given to the search index per step: a step holds the store for a tenth
/// of a second or so.
pub const SEARCH_INDEX_STEP: i64 = 5000;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The device was marked lost and handed over what it had not pushed: its caller erases
    /// it ([`crate::erase`]).
    #[error("此设备已被管理员标记为丢失：{kept} 条未上传的修改已交给办公室核对，本机数据已清除 (this device was marked lost by an administrator: {kept} unpushed changes were handed to the office for review, and its data is erased)")]
    Lost { kept: usize },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SyncError {
    pub fn is_transient(&self) -> bool {
        matches!(self, SyncError::Transport(t) if t.is_transient())
    }
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS)]
pub struct SyncReport {
    pub bootstrapped: u64,
    /// Records that left this device because the account's scope shrank.
    pub left_scope: u64,
    /// How long the bootstrap took until the records were usable, and then the search index.
    pub bootstrap_ms: u64,
    pub search_index_ms: u64,
    pub pushed: u64,
    pub rejected: u64,
    pub pulled: u64,
    /// Said when the server's time showed this device's clock was wrong (and corrected it).
    pub clock_correction: Option<String>,
    /// The first broken link found in an appeal's ledger.
    pub ledger_broken: Option<String>,
}

pub struct Engine<T> {
    store: Arc<Mutex<Store>>,
    transport: T,
    status: watch::Sender<Status>,
    /// What the last correction of the device's clock said, until a sync reports it.
    corrected: Mutex<Option<String>>,
}

impl<T: Transport> Engine<T> {
    pub fn new(store: Arc<Mutex<Store>>, transport: T) -> Self {
        Engine {
            store,
            transport,
            status: watch::channel(Status::Idle).0,
            corrected: Mutex::new(None),
        }
    }

    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// Follows the status as it changes (the app shows it; the CLI prints it).
    pub fn status(&self) -> watch::Receiver<Status> {
        self.status.subscribe()
    }

    fn set(&self, status: Status) {
        self.status.send_replace(status);
    }

    /// A whole sync: bootstrap if this device never had one, push everything pending, pull
    /// everything new. The status says how it went.
    pub async fn sync(&self) -> Result<SyncReport, SyncError> {
        let result = match self.sync_inner().await {
            Err(SyncError::Transport(TransportError::DeviceLost(_))) => self.hand_over().await,
            other => other,
        };
        let pending = self.store().status().map(|s| s.pending).unwrap_or_default();
        self.set(match &result {
            Ok(_) => {
                let status = self.store().status().ok();
                let rejected = status.as_ref().map_or(0, |s| s.rejections);
                if let Some(broken) = status.and_then(|s| s.ledger_broken) {
                    Status::NeedsAttention { reason: broken }
                } else if rejected > 0 {
                    Status::NeedsAttention {
                        reason: format!("{rejected} 条修改被服务器拒绝，请查看 ({rejected} changes were rejected by the server: review them)"),
                    }
                } else {
                    Status::UpToDate { at: desk_core::time::display(Utc::now()) }
                }
            }
            Err(e) if e.is_transient() => Status::Offline { reason: e.to_string(), pending },
            Err(e) => Status::NeedsAttention { reason: e.to_string() },
        });
        result
    }

    /// Marked lost: hands the server every operation not yet acknowledged, for the office to
    /// review. Only once the server has them may the device be erased; until then it stays
    /// lost and tries again at its next sync.
    async fn hand_over(&self) -> Result<SyncReport, SyncError> {
        let ops = self.store().outbox()?;
        let kept = self.transport.hand_over(ops).await?;
        Err(SyncError::Lost { kept })
    }

    async fn sync_inner(&self) -> Result<SyncReport, SyncError> {
        let mut report = SyncReport::default();
        if !self.store().sync_state()?.bootstrapped {
            let start = std::time::Instant::now();
            report.bootstrapped += self.bootstrap_all().await?;
            report.bootstrap_ms = start.elapsed().as_millis() as u64;
        }
        report.search_index_ms += self.build_search_index().await?;
        self.push_all(&mut report).await?;
        loop {
            let (pulled, more) = self.pull_step().await?;
            report.pulled += pulled;
            if !more {
                break;
            }
        }
        report.search_index_ms += self.build_search_index().await?;
        if self.store().rescope_pending()? {
            // After a restore, what the server lacks goes back to it before the bootstrap, so
            // the bootstrap brings it back with everything else.
            self.push_all(&mut report).await?;
            report.left_scope += self.rescope().await?;
        }
        report.ledger_broken = self.store().verify_ledgers()?;
        report.clock_correction = self
            .corrected
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        self.store().mark_synced()?;
        Ok(report)
    }

    /// What a bootstrap or a large pull left out of the search index, built in steps (the
    /// store free between them; search scans until it is complete). How long it took, in ms.
    async fn build_search_index(&self) -> Result<u64, SyncError> {
        if !self.store().search_index_deferred()? {
            return Ok(0);
        }
        let start = std::time::Instant::now();
        while !self.store().build_search_index_step(SEARCH_INDEX_STEP)? {
            tokio::task::yield_now().await;
        }
        Ok(start.elapsed().as_millis() as u64)
    }

    /// The whole outbox, in batches.
    async fn push_all(&self, report: &mut SyncReport) -> Result<(), SyncError> {
        let outbox = self.store().status()?.pending as u64;
        let start = report.pushed;
        loop {
            let (pushed, rejected) = self.push_step(report.pushed - start, outbox).await?;
            if pushed == 0 {
                return Ok(());
            }
            report.pushed += pushed;
            report.rejected += rejected;
        }
    }

    /// Settles a change the server refused: `keep_mine` writes it again, to be pushed at the
    /// next sync; otherwise the record goes back to the server's version.
    pub async fn resolve_rejection(
        &self,
        op_id: uuid::Uuid,
        keep_mine: bool,
    ) -> Result<(), SyncError> {
        if keep_mine {
            return Ok(self.store().retry_rejected(op_id)?);
        }
        let r = self.store().rejection(op_id)?;
        let server = self.transport.record(r.entity, r.record_id).await?;
        // A refused action had moved its appeal here: the appeal goes back too.
        let appeal = match r
            .fields
            .get("appeal_id")
            .and_then(|a| a.as_str()?.parse().ok())
        {
            Some(id) if r.entity == desk_core::Entity::Progress => Some((
                id,
                self.transport.record(desk_core::Entity::Appeal, id).await?,
            )),
            _ => None,
        };
        self.store().revert_rejected(
            op_id,
            server.as_ref(),
            appeal.as_ref().map(|(id, s)| (*id, s.as_ref())),
        )?;
        Ok(())
    }

    /// The account now sees something else: take in everything in the new scope, as a
    /// bootstrap does, then let go of what is no longer in it. Returns how many records left.
    async fn rescope(&self) -> Result<u64, SyncError> {
        let mut keep = std::collections::HashSet::new();
        let (mut after, mut cursor, mut log) = (None, None, None);
        loop {
            let page = self
                .transport
                .bootstrap(after.take(), BOOTSTRAP_PAGE)
                .await?;
            cursor.get_or_insert(page.cursor);
            log.get_or_insert_with(|| page.log.clone());
            keep.extend(page.records.iter().map(|r| (r.entity, r.record_id)));
            self.store().apply_snapshots(&page.records)?;
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        let left = self.store().reconcile_scope(
            &keep,
            cursor.unwrap_or_default(),
            &log.unwrap_or_default(),
        )?;
        Ok(left as u64)
    }

    /// The whole bootstrap, fetching each page while the previous one is being stored.
    async fn bootstrap_all(&self) -> Result<u64, SyncError> {
        let mut records = 0;
        let after = self.store().sync_state()?.bootstrap_after;
        let sent = self.device_clock();
        let mut page = self.transport.bootstrap(after, BOOTSTRAP_PAGE).await?;
        self.learn_clock(page.server_time, sent)?;
        self.store().note_scope(&page.scope)?;
        loop {
            records += page.records.len() as u64;
            self.set(Status::Syncing {
                phase: Phase::Bootstrap,
                done: records,
                total: 0,
            });
            let store = self.store.clone();
            let next = page.next.clone();
            let applying = tokio::task::spawn_blocking(move || {
                store
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .apply_bootstrap_page(
                        &page.records,
                        page.next.as_deref(),
                        page.cursor,
                        &page.log,
                    )
            });
            let Some(after) = next else {
                applying
                    .await
                    .map_err(|e| SyncError::Store(StoreError::Remote(e.to_string())))??;
                return Ok(records);
            };
            let (applied, fetched) = tokio::join!(
                applying,
                self.transport.bootstrap(Some(after), BOOTSTRAP_PAGE)
            );
            applied.map_err(|e| SyncError::Store(StoreError::Remote(e.to_string())))??;
            page = fetched?;
        }
    }

    /// One bootstrap page. Returns the records it brought.
    pub async fn bootstrap_step(&self) -> Result<u64, SyncError> {
        let after = self.store().sync_state()?.bootstrap_after;
        let done = self.store().status()?.sync.cursor;
        self.set(Status::Syncing {
            phase: Phase::Bootstrap,
            done: done as u64,
            total: 0,
        });
        let sent = self.device_clock();
        let page = self.transport.bootstrap(after, BOOTSTRAP_PAGE).await?;
        self.learn_clock(page.server_time, sent)?;
        let n = page.records.len() as u64;
        self.store().apply_bootstrap_page(
            &page.records,
            page.next.as_deref(),
            page.cursor,
            &page.log,
        )?;
        Ok(n)
    }

    /// One batch of the outbox, `done` of `total` having been pushed before it in this sync
    /// (what the progress shows). Returns (operations pushed, of which rejected).
    pub async fn push_step(&self, done: u64, total: u64) -> Result<(u64, u64), SyncError> {
        let batch = self.store().outbox_batch(PUSH_BATCH)?;
        if batch.is_empty() {
            return Ok((0, 0));
        }
        // Writes made while the sync runs join the outbox: the total grows with them.
        let total = total.max(done + batch.len() as u64);
        self.set(Status::Syncing {
            phase: Phase::Push,
            done,
            total,
        });
        let sent = self.device_clock();
        let reply = self.transport.push(batch.clone()).await?;
        // Operations refused only for a stamp in the future wait: once the device has learnt
        // the server's time they are stamped again and pushed again, unless nothing changed.
        let (ahead, settled): (Vec<_>, Vec<_>) = reply
            .results
            .iter()
            .cloned()
            .partition(|r| r.code.as_deref() == Some("clock_ahead"));
        self.store().settle_push(&batch, &settled)?;
        let restamped = self.learn_clock(reply.server_time, sent)?;
        if !restamped {
            self.store().settle_push(&batch, &ahead)?;
        }
        let rejected = reply
            .results
            .iter()
            .filter(|r| r.status == desk_core::protocol::PushStatus::Rejected)
            .count();
        self.set(Status::Syncing {
            phase: Phase::Push,
            done: done + batch.len() as u64,
            total,
        });
        Ok((batch.len() as u64, rejected as u64))
    }

    /// One page of the log. Returns (changes applied, whether more wait).
    pub async fn pull_step(&self) -> Result<(u64, bool), SyncError> {
        let state = self.store().sync_state()?;
        self.set(Status::Syncing {
            phase: Phase::Pull,
            done: state.cursor as u64,
            total: 0,
        });
        let sent = self.device_clock();
        let query = PullQuery {
            cursor: state.cursor,
            log: state.log,
            limit: Some(PULL_PAGE),
        };
        let page = match self.transport.pull(query).await {
            Err(TransportError::Refused { status: 409, .. }) => {
                // The server was restored from a backup: its log is not the one our cursor
                // counts in.
                let back = self.store().server_restored()?;
                tracing::warn!(
                    back,
                    "the server was restored from a backup: handing back what it lacks"
                );
                return Ok((0, false));
            }
            other => other?,
        };
        self.learn_clock(page.server_time, sent)?;
        self.store().note_scope(&page.scope)?;
        self.store()
            .apply_pull(&page.changes, page.cursor, &page.log)?;
        Ok((page.changes.len() as u64, page.has_more))
    }

    fn device_clock(&self) -> desk_store::Reading {
        self.store().reading()
    }

    /// The server's time, against the device's readings when the request left and when the
    /// reply came, gives the device's error; a real one is corrected and said. Returns whether
    /// operations waiting to be pushed were stamped again.
    fn learn_clock(&self, server_time: i64, sent: desk_store::Reading) -> Result<bool, SyncError> {
        let received = self.device_clock();
        let correction = self.store().learn_time(server_time, &sent, &received)?;
        let Some(c) = correction else {
            return Ok(false);
        };
        tracing::warn!(
            ahead_ms = c.ahead_ms,
            restamped = c.restamped,
            "{}",
            c.message
        );
        *self.corrected.lock().unwrap_or_else(|p| p.into_inner()) = Some(c.message);
        Ok(c.restamped > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HttpTransport;

    fn runs_anywhere<T: Send>(_: &T) {}

    /// The app runs sync on its async runtime's worker threads: nothing may hold the store's
    /// lock across an await.
    #[test]
    fn sync_futures_are_send() {
        let store = Arc::new(Mutex::new(Store::open_in_memory().unwrap()));
        let engine = Engine::new(store, HttpTransport::new("http://127.0.0.1:9", "token"));
        runs_anywhere(&engine.sync());
        runs_anywhere(&engine.push_step(0, 0));
        runs_anywhere(&engine.pull_step());
        runs_anywhere(&engine.bootstrap_step());
        runs_anywhere(&crate::watch::watch(
            &engine,
            Default::default(),
            std::future::pending::<()>(),
        ));
    }
}
