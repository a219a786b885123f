//! Live changes: connected devices hear that the log moved the moment it does, and pull at
//! once instead of at their next interval.
//!
//! One value per server process, the log's head, watched by every open stream
//! (`GET /v1/live`, server-sent events). A push moves it when it commits; a poll of the
//! database every [`POLL`] moves it for writes this process did not make (another replica on
//! the same PostgreSQL, `desk-server admin`). Streams end when the server stops, so a
//! graceful shutdown does not wait on them.

use std::convert::Infallible;
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use tokio::sync::watch;

/// How often the database's log head is read, for writes made elsewhere.
pub const POLL: Duration = Duration::from_secs(1);

/// The log's head as this process last saw it; `None` once the server is stopping.
#[derive(Clone)]
pub struct Live {
    head: watch::Sender<Option<i64>>,
}

impl Live {
    pub fn new(head: i64) -> Live {
        Live {
            head: watch::Sender::new(Some(head)),
        }
    }

    /// The log reached `head`; streams hear of it if it moved on.
    pub fn moved(&self, head: i64) {
        self.head.send_if_modified(|seen| match seen {
            Some(s) if *s < head => {
                *s = head;
                true
            }
            _ => false,
        });
    }

    /// The server is stopping: every stream ends.
    pub fn close(&self) {
        self.head.send_replace(None);
    }

    /// The log's head as last seen.
    pub fn head(&self) -> Option<i64> {
        *self.head.borrow()
    }

    /// The live streams open now.
    pub fn streams(&self) -> usize {
        self.head.receiver_count()
    }

    /// The events of one device's stream: the head now, then each time it moves, as
    /// `{"cursor": N}`; a comment every 15 s keeps proxies from closing a quiet stream.
    pub fn stream(&self) -> Sse<impl Stream<Item = Result<Event, Infallible>> + use<>> {
        let mut rx = self.head.subscribe();
        rx.mark_changed();
        let events = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.changed().await.ok()?;
            let head = (*rx.borrow_and_update())?;
            let event = Event::default()
                .event("head")
                .data(format!("{{\"cursor\":{head}}}"));
            Some((Ok(event), rx))
        });
        Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
    }
}
