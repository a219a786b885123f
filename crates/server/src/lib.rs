//! `desk-server`: the office's central sync server.
//!
//! - [`api`]: the HTTP API (axum), its extractors and OpenAPI document;
//! - [`state`]: accounts, devices, ingest, pull, bootstrap, the ledger, the figures — written
//!   once over [`db::Sql`];
//! - [`db`]: the two backends, SQLite (embedded default) and PostgreSQL, each with its
//!   migrations;
//! - [`scope`]: who may see and change what;
//! - [`live`]: the log's head, streamed to connected devices as it moves;
//! - [`portal`]: the enterprise portal, its API and its embedded pages;
//! - [`admin`]: what `desk-server admin` does.

pub mod admin;
pub mod api;
mod auth;
pub mod config;
pub mod db;
pub mod error;
pub mod live;
pub mod metrics;
pub mod open311;
pub mod portal;
pub mod scope;
pub mod state;

use std::future::Future;

pub use api::{router, AppState};

/// Serves on a listener it is handed (tests bind port 0) until `shutdown` resolves, then
/// ends the live streams and finishes the requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let live = state.live.clone();
    let watching = tokio::spawn(api::watch_log(state.clone()));
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            live.close();
        })
        .await;
    watching.abort();
    served
}
