//! The sync client, shared by the app and the `desk` CLI.
//!
//! - [`transport`]: how the client reaches the server ([`HttpTransport`] over HTTPS with
//!   rustls, or anything else that speaks the protocol, such as the simulation's);
//! - [`engine`]: one sync — bootstrap if needed, push the outbox, pull the log — resumable at
//!   every step because each step's result lands in the store together with its progress;
//! - [`watch`]: when to sync — on demand, shortly after local writes, periodically, and as soon
//!   as the server answers again — with exponential backoff and jitter;
//! - [`status`]: what to tell the user;
//! - [`admin`]: the administrator's routes, for the app's administration screens.

pub mod admin;
pub mod credentials;
pub mod engine;
pub mod status;
pub mod transport;
pub mod watch;

pub use engine::{Engine, SyncError, SyncReport};

/// Erases what a device keeps in `data_dir`: its store with the store's key, and its sign-in.
/// For a device marked lost, once it has handed over ([`SyncError::Lost`]); the store must be
/// closed first (its engine dropped).
pub fn erase(data_dir: &std::path::Path) -> std::io::Result<()> {
    desk_store::erase_dir(data_dir)?;
    match std::fs::remove_file(credentials::path(data_dir)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}
pub use status::{Phase, Status};
pub use transport::{HttpTransport, LiveFeed, Transport, TransportError};
