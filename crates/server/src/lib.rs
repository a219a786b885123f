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
//! - [`admin`]: what `desk-server admin` does; [`admin_api`]: the administrator's routes for
//!   the app; [`backup`]: backups and restores;
//! - [`tls`]: HTTPS of its own, its certificate reloaded on SIGHUP.

pub mod admin;
pub mod admin_api;
pub mod api;
mod auth;
pub mod backup;
pub mod config;
pub mod db;
pub mod error;
pub mod live;
pub mod metrics;
pub mod open311;
pub mod portal;
pub mod scope;
pub mod state;
pub mod tls;

use std::future::Future;

pub use api::{router, AppState};

/// Serves plain HTTP on a listener it is handed (tests bind port 0) until `shutdown` resolves,
/// then lets requests in flight finish and ends the live streams.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    run(listener, None, state, shutdown).await
}

/// As [`serve`], over HTTPS: `tls` holds the certificate, and can be given a new one while
/// serving ([`tls::reload`]).
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    tls: axum_server::tls_rustls::RustlsConfig,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    run(listener, Some(tls), state, shutdown).await
}

async fn run(
    listener: tokio::net::TcpListener,
    tls: Option<axum_server::tls_rustls::RustlsConfig>,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let live = state.live.clone();
    let watching = tokio::spawn(api::watch_log(state.clone()));
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let stopping = async move {
        shutdown.await;
        live.close();
    };
    let served = match tls {
        None => {
            axum::serve(listener, app)
                .with_graceful_shutdown(stopping)
                .await
        }
        Some(tls) => {
            let handle = axum_server::Handle::new();
            let stop = handle.clone();
            tokio::spawn(async move {
                stopping.await;
                // As long as a device may take to finish a push of the largest batch.
                stop.graceful_shutdown(Some(std::time::Duration::from_secs(60)));
            });
            axum_server::from_tcp_rustls(listener.into_std()?, tls)?
                .handle(handle)
                .serve(app)
                .await
        }
    };
    watching.abort();
    served
}
