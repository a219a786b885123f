//! WAL checkpoints off the write path.
//!
//! Left to SQLite, the commit that crosses the WAL threshold also copies the WAL into the
//! database and syncs it: a save that usually takes half a millisecond would now and then take
//! a hundred. Instead, a thread with its own connection checkpoints (PASSIVE: it never blocks a
//! writer) shortly after writes stop. It ends when the store is dropped.

use std::path::Path;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::time::Duration;

use rusqlite::Connection;

use crate::{Result, StoreKey};

/// How long writes must pause before a checkpoint runs.
const QUIET: Duration = Duration::from_millis(250);
/// Under sustained writing (a bootstrap, an import), checkpoint anyway after this many writes,
/// so the WAL stays bounded.
const MAX_WRITES_BETWEEN: u32 = 200;

pub struct Checkpointer {
    nudge: Option<SyncSender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    pub fn start(path: &Path, key: Option<&StoreKey>) -> Result<Checkpointer> {
        let conn = Connection::open(path)?;
        if let Some(key) = key {
            key.unlock(&conn, path)?;
        }
        conn.busy_timeout(Duration::from_secs(5))?;
        let (nudge, nudged) = mpsc::sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("desk-checkpoint".into())
            .spawn(move || run(conn, nudged))
            .map_err(|_| crate::StoreError::Corrupt("checkpoint thread"))?;
        Ok(Checkpointer {
            nudge: Some(nudge),
            thread: Some(thread),
        })
    }

    /// Says a write happened; never blocks.
    pub fn nudge(&self) {
        if let Some(nudge) = &self.nudge {
            let _ = nudge.try_send(());
        }
    }
}

impl Drop for Checkpointer {
    /// Waits for the thread's connection to close (the last one, which folds the WAL into the
    /// file), so a store dropped is a file at rest.
    fn drop(&mut self) {
        drop(self.nudge.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(conn: Connection, nudged: Receiver<()>) {
    // Wait for a write, then for a quiet moment (or many more writes), then checkpoint.
    while nudged.recv().is_ok() {
        let mut writes = 1;
        while writes < MAX_WRITES_BETWEEN {
            match nudged.recv_timeout(QUIET) {
                Ok(()) => writes += 1,
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        // A failed checkpoint leaves the WAL longer, never data lost; the next one retries.
        let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
    }
}
