//! Health and metrics for the people who run the server: `/readyz` (the database answers;
//! `/healthz` only says the process lives), and Prometheus metrics at `/metrics` through the
//! `metrics` facade and its Prometheus exporter: requests by route, method and status with
//! their latency, operations pushed and changes pulled, and, read when scraped, the log's head,
//! the live streams open and the PostgreSQL pool's connections.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::api::AppState;
use crate::error::ApiError;

const REQUEST_SECONDS: &str = "desk_http_request_duration_seconds";

/// The process's recorder, installed once (when the first router is built) and shared by every
/// server the process runs.
pub(crate) fn recorder() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full(REQUEST_SECONDS.into()),
                &[
                    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                ],
            )
            .expect("bucket bounds")
            .install_recorder()
            .expect("the metrics recorder is installed once per process")
    })
}

/// Counts each routed request by its route (the pattern, not the path: ids stay out of the
/// labels), method and status, and records how long it took.
pub async fn track(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("desk_http_requests_total", "route" => route.clone(), "method" => method, "status" => status)
        .increment(1);
    metrics::histogram!(REQUEST_SECONDS, "route" => route).record(started.elapsed().as_secs_f64());
    response
}

/// Operations a device pushed, and how many the server took.
pub fn pushed(ops: usize, accepted: usize) {
    metrics::counter!("desk_sync_ops_pushed_total").increment(ops as u64);
    metrics::counter!("desk_sync_ops_accepted_total").increment(accepted as u64);
}

/// Changes a device pulled, and records it bootstrapped.
pub fn pulled(changes: usize) {
    metrics::counter!("desk_sync_changes_pulled_total").increment(changes as u64);
}

pub fn bootstrapped(records: usize) {
    metrics::counter!("desk_sync_records_bootstrapped_total").increment(records as u64);
}

/// The metrics in Prometheus's text format.
#[utoipa::path(get, path = "/metrics", responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub(crate) async fn metrics(State(app): State<AppState>) -> Response {
    let handle = recorder();
    if let Some(head) = app.live.head() {
        metrics::gauge!("desk_log_head").set(head as f64);
    }
    metrics::gauge!("desk_live_streams").set(app.live.streams() as f64);
    if let Some((connections, idle)) = app.db.pool_state() {
        metrics::gauge!("desk_db_pool_connections").set(f64::from(connections));
        metrics::gauge!("desk_db_pool_idle").set(f64::from(idle));
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
        .into_response()
}

/// Ready to serve: the database answers. (`/healthz` says only that the process lives.)
#[utoipa::path(get, path = "/readyz", responses(
    (status = 200, description = "The database answers"),
    (status = 503, body = crate::error::ErrorBody, description = "The database does not answer")))]
pub(crate) async fn readyz(
    State(app): State<AppState>,
) -> Result<Json<serde_json::Value>, ApiError> {
    match app.tx(|sql| Ok(sql.row("SELECT 1 AS one", &[])?)).await {
        Ok(_) => Ok(Json(serde_json::json!({ "status": "ready" }))),
        Err(e) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            format!(
                "数据库无响应 (the database does not answer): {}",
                e.body.message
            ),
        )),
    }
}
