//! The HTTP API: routes, extractors that turn every bad request into the uniform JSON error,
//! and the OpenAPI document generated from the handlers.

use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use desk_core::protocol::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use tower_http::compression::CompressionLayer;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use uuid::Uuid;

use crate::auth::{self, Throttle};
use crate::config::Config;
use crate::db::{Db, Sql};
use crate::error::{ApiError, ErrorBody};
use crate::live::{self, Live};
use crate::scope::{Caller, Role};
use crate::state::{self, IngestRules, LedgerQuery};
use desk_core::admin::DeviceInfo;
use desk_core::bulletin::Bulletin;
use desk_core::stats::Stats;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub(crate) throttle: Arc<Throttle>,
    permits: Arc<Semaphore>,
    pub live: Live,
}

impl AppState {
    pub fn new(db: Db, config: Config) -> AppState {
        AppState {
            db,
            permits: Arc::new(Semaphore::new(config.db_concurrency.max(1))),
            throttle: Arc::new(Throttle::new(auth::Limits {
                per_account: config.login_attempts_per_account.max(1),
                per_address: config.login_attempts_per_address.max(1),
                window: std::time::Duration::from_secs(config.login_window_secs.max(1)),
            })),
            config: Arc::new(config),
            live: Live::new(0),
        }
    }

    /// One database transaction, at most `db_concurrency` at once.
    pub(crate) async fn tx<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Sql) -> Result<T, ApiError> + Send + 'static,
    {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| ApiError::internal("shutting down"))?;
        self.db.tx(f).await
    }
}

/// Keeps [`Live`] at the database's log head, for the writes this process does not see made
/// (another replica, the admin command); `serve` ends it when the server stops.
pub async fn watch_log(state: AppState) {
    loop {
        match state.tx(state::head).await {
            Ok(head) => state.live.moved(head),
            Err(e) => tracing::warn!(error = %e.body.message, "reading the log head"),
        }
        tokio::time::sleep(live::POLL).await;
    }
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The decompression layer refuses an encoding it does not speak with a bare 415: say why.
async fn explain_unsupported_encoding(resp: Response) -> Response {
    if resp.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE
        && !resp
            .headers()
            .contains_key(axum::http::header::CONTENT_TYPE)
    {
        return ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_encoding",
            "Content-Encoding：服务器只接受以 gzip 或 zstd 压缩的请求 (the server takes request bodies compressed with gzip or zstd only)",
        )
        .field("Content-Encoding")
        .into_response();
    }
    resp
}

pub fn router(state: AppState) -> Router {
    crate::metrics::recorder();
    let sync = Router::new()
        .route("/v1/login", post(login))
        .route("/v1/push", post(push))
        .route("/v1/handover", post(hand_over))
        .route("/v1/pull", get(pull))
        .route("/v1/bootstrap", get(bootstrap))
        .route("/v1/live", get(live_changes))
        .layer(middleware::from_fn(check_protocol));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(crate::metrics::readyz))
        .route("/metrics", get(crate::metrics::metrics))
        .route("/v1/openapi.json", get(openapi))
        .route("/v1/appeals", get(appeals))
        .route("/v1/appeals.xlsx", get(appeals_xlsx))
        .route("/v1/appeals.csv", get(appeals_csv))
        .route("/v1/alerts", get(alerts))
        .route("/v1/stats", get(stats))
        .route("/v1/bulletin", get(bulletin))
        .route("/v1/devices", get(devices))
        .route("/v1/devices/{id}/revoke", post(revoke))
        .route("/v1/records/{entity}/{id}", get(record))
        .merge(sync)
        .merge(crate::portal::router())
        .merge(crate::open311::router())
        .merge(crate::admin_api::router())
        .route_layer(middleware::from_fn(crate::metrics::track))
        .fallback(|| async { ApiError::not_found("没有这个接口 (no such endpoint)") })
        .layer(axum::extract::DefaultBodyLimit::max(
            state.config.max_body_bytes,
        ))
        .layer(middleware::map_response(stamp_server_time))
        // Replies compressed for clients that take it (gzip or zstd; never the live stream),
        // and request bodies a device compressed (Content-Encoding), up to the body limit once
        // decompressed.
        .layer(CompressionLayer::new())
        .layer(RequestDecompressionLayer::new())
        .layer(middleware::map_response(explain_unsupported_encoding))
        // Every request gets an id (or keeps the one a proxy gave it), on each log line of its
        // span and on its response.
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
            let id = request
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            tracing::info_span!("request", method = %request.method(), uri = %loggable(request.uri()), request_id = %id)
        }))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// A request's address as the logs keep it: a receipt's token and an integration's key are
/// secrets the server stores only hashed, and stay out of the logs too.
fn loggable(uri: &axum::http::Uri) -> String {
    let mut path = uri.path().to_owned();
    for secret_after in ["/v1/receipt/", "/portal/r/"] {
        if let Some(rest) = path.strip_prefix(secret_after) {
            let tail = rest.find('/').map_or("", |i| &rest[i..]);
            path = format!("{secret_after}…{tail}");
        }
    }
    match uri.query() {
        None => path,
        Some(query) => {
            let shown: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some(("api_key", _)) => "api_key=…".to_owned(),
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{path}?{}", shown.join("&"))
        }
    }
}

async fn stamp_server_time(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(SERVER_TIME_HEADER, HeaderValue::from(now_ms()));
    response
}

/// Clients state their protocol version: one too old is told to update (426); a request that
/// does not say is told which header is missing (400).
async fn check_protocol(request: Request, next: Next) -> Response {
    let Some(header) = request.headers().get(PROTOCOL_HEADER) else {
        return ApiError::bad_request(format!(
            "{PROTOCOL_HEADER}：缺少同步协议版本请求头，应为 {PROTOCOL_VERSION} (missing header {PROTOCOL_HEADER}: the sync protocol version, {PROTOCOL_VERSION})"
        ))
        .field(PROTOCOL_HEADER)
        .into_response();
    };
    let version = header
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse::<u32>().ok());
    match version {
        Some(v) if v == PROTOCOL_VERSION => next.run(request).await,
        Some(v) if v > PROTOCOL_VERSION => ApiError::new(
            StatusCode::BAD_REQUEST,
            "server_outdated",
            format!("服务器版本较旧（协议 {PROTOCOL_VERSION}），请联系管理员升级服务器 (the server speaks protocol {PROTOCOL_VERSION}, older than this app's {v}: ask the administrator to update it)"),
        )
        .into_response(),
        Some(_) => ApiError::new(
            StatusCode::UPGRADE_REQUIRED,
            "upgrade_required",
            format!("应用版本过旧，请更新后再同步 (this app is too old for the server, which speaks sync protocol {PROTOCOL_VERSION}: please update the app)"),
        )
        .field(PROTOCOL_HEADER)
        .into_response(),
        None => ApiError::bad_request(format!(
            "{PROTOCOL_HEADER}：“{}”不是协议版本号 (not a protocol version number)",
            header.to_str().unwrap_or("?")
        ))
        .field(PROTOCOL_HEADER)
        .into_response(),
    }
}

/// The address a request came from: the connection's, or the first `X-Forwarded-For` hop
/// when the server is configured to sit behind a proxy that sets it.
pub struct ClientAddr(pub String);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let forwarded = state
            .config
            .trust_forwarded_for
            .then(|| parts.headers.get("x-forwarded-for")?.to_str().ok())
            .flatten()
            .and_then(|v| v.split(',').next())
            .map(|v| v.trim().to_owned());
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        Ok(ClientAddr(
            forwarded.or(peer).unwrap_or_else(|| "unknown".into()),
        ))
    }
}

/// JSON bodies whose every failure is a uniform JSON error: 413 too large, 400 otherwise.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(r: JsonRejection) -> ApiError {
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::too_large(
            "请求体过大，请分批上传 (request body too large: send smaller batches)",
        );
    }
    with_field(ApiError::bad_request(format!(
        "请求内容无效 (invalid request body): {}",
        r.body_text()
    )))
}

/// Names the field when serde's message does: "Failed to …: path.to.field: what went wrong".
fn with_field(err: ApiError) -> ApiError {
    let field = err
        .body
        .message
        .split(": ")
        .nth(2)
        .filter(|_| err.body.message.split(": ").count() > 3)
        .filter(|p| !p.contains(' '))
        .map(str::to_owned);
    match field {
        Some(f) => err.field(f),
        None => err,
    }
}

pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|r: QueryRejection| {
                with_field(ApiError::bad_request(format!(
                    "查询参数无效 (invalid query parameters): {}",
                    r.body_text()
                )))
            })
    }
}

/// The SHA-256 of the `Authorization: Bearer` token, as tokens are stored; devices and the
/// portal both send theirs so.
pub(crate) fn bearer_token_hash(headers: &axum::http::HeaderMap) -> Option<String> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?;
    Some(auth::token_hash(token.trim()))
}

/// The answer to an attempt the throttle refused: 429 with the wait, in seconds, in
/// `Retry-After` and in the message ("登录失败次数过多" / "too many failed sign-ins").
pub(crate) fn throttled(wait: std::time::Duration, what_zh: &str, what_en: &str) -> ApiError {
    let secs = wait.as_secs() + 1;
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
        format!("{what_zh}，请 {secs} 秒后再试 ({what_en}: try again in {secs} s)"),
    )
    .retry_after(secs)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let hash = bearer_token_hash(&parts.headers).ok_or_else(ApiError::unauthorized)?;
        state
            .tx(move |sql| {
                let caller =
                    state::caller_by_token(sql, &hash)?.ok_or_else(ApiError::unauthorized)?;
                if let Some(device) = caller.device_id {
                    state::touch_device(sql, device)?;
                }
                Ok(caller)
            })
            .await
    }
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    status: &'static str,
    backend: &'static str,
    server_time: i64,
}

/// Liveness and the database backend in use.
#[utoipa::path(get, path = "/healthz", responses((status = 200, body = Health)))]
async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state.tx(state::head).await?;
    Ok(Json(Health {
        status: "ok",
        backend: state.db.backend(),
        server_time: now_ms(),
    }))
}

/// This document.
#[utoipa::path(get, path = "/v1/openapi.json", responses((status = 200, description = "OpenAPI 3.1")))]
async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// Signs a device in: returns its token (shown once) and the user's scope.
#[utoipa::path(
    post, path = "/v1/login", request_body = LoginRequest,
    params(("x-desk-protocol" = u32, Header, description = "Sync protocol version")),
    responses(
        (status = 200, body = LoginResponse),
        (status = 400, body = ErrorBody, description = "Malformed body, or the protocol header missing"),
        (status = 401, body = ErrorBody, description = "Wrong user or password"),
        (status = 413, body = ErrorBody, description = "Body too large"),
        (status = 426, body = ErrorBody, description = "App too old"),
        (status = 429, body = ErrorBody, description = "Too many failed sign-ins for this account or address; see Retry-After",
         headers(("Retry-After" = u64, description = "Seconds until another attempt is taken"))),
    )
)]
async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    if let Some(field) = [
        ("user", &req.user),
        ("device_name", &req.device_name),
        ("password", &req.password),
    ]
    .into_iter()
    .find_map(|(f, v)| v.contains('\0').then_some(f))
    {
        return Err(ApiError::bad_request(format!(
            "{field}：含有无效字符 (contains a NUL character)"
        ))
        .field(field));
    }
    let name = req.user.trim().to_owned();
    let attempt = state
        .throttle
        .begin(&name, &addr)
        .map_err(|wait| throttled(wait, "登录失败次数过多", "too many failed sign-ins"))?;
    let (found, users) = {
        let name = name.clone();
        state
            .tx(move |sql| Ok((state::user_by_name(sql, &name)?, state::user_count(sql)?)))
            .await?
    };
    let hash = found
        .as_ref()
        .map_or(auth::decoy_hash().to_owned(), |l| l.password_hash.clone());
    let password = req.password.clone();
    let ok = tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let Some(state::Login { user, disabled, .. }) = found.filter(|_| ok) else {
        let hint = if users == 0 {
            "服务器还没有任何账号：请管理员先运行 desk-server admin create-admin (the server has no accounts yet: run desk-server admin create-admin first)"
        } else {
            "用户名或密码错误 (wrong user name or password)"
        };
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            hint,
        ));
    };
    state.throttle.succeeded(attempt);
    if disabled {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "disabled",
            "账号已停用，请联系管理员 (this account is disabled: ask the administrator)",
        ));
    }
    let (token, token_hash) = auth::new_token();
    let device_name = req.device_name.clone();
    let u = user.clone();
    let device_id = state
        .tx(move |sql| state::create_device(sql, &u, &device_name, &token_hash))
        .await?;
    Ok(Json(LoginResponse {
        token,
        device_id,
        user,
        server_time: now_ms(),
    }))
}

/// Takes a batch of operations; each lands, is recognised as already landed, or is rejected
/// with a reason, on its own.
#[utoipa::path(
    post, path = "/v1/push", request_body = PushRequest,
    params(("x-desk-protocol" = u32, Header, description = "Sync protocol version")),
    security(("token" = [])),
    responses(
        (status = 200, body = PushResponse, description = "One result per operation: accepted (with the fields the server set otherwise), duplicate, or rejected with a code and a reason"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 413, body = ErrorBody, description = "Body or batch too large"),
        (status = 426, body = ErrorBody),
    )
)]
async fn push(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<PushRequest>,
) -> Result<Json<PushResponse>, ApiError> {
    let max = state.config.max_batch_ops;
    if req.ops.len() > max {
        return Err(ApiError::too_large(format!(
            "一次最多上传 {max} 条操作，本次 {} 条 (at most {max} operations per push, got {})",
            req.ops.len(),
            req.ops.len()
        ))
        .field("ops"));
    }
    let rules = IngestRules {
        now_ms: now_ms(),
        max_clock_ahead_ms: state.config.max_clock_ahead_secs * 1000,
    };
    let live = state.live.clone();
    let (results, head) = state
        .tx(move |sql| {
            let results = state::ingest(sql, &caller, &req.ops, rules)?;
            Ok((results, state::head(sql)?))
        })
        .await?;
    live.moved(head);
    let accepted = results
        .iter()
        .filter(|r| r.status == PushStatus::Accepted)
        .count();
    crate::metrics::pushed(results.len(), accepted);
    Ok(Json(PushResponse {
        results,
        server_time: now_ms(),
    }))
}

/// A device marked lost hands over the operations it had not pushed, before it erases itself:
/// they are kept for the office to review (`desk-server admin device handed-over ID`), never
/// applied as they come, since whoever holds a lost tablet may have written them.
#[utoipa::path(
    post, path = "/v1/handover", request_body = PushRequest,
    security(("token" = [])),
    responses(
        (status = 200, body = HandOverResponse, description = "How many operations were kept"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The device is not marked lost"),
        (status = 413, body = ErrorBody),
    )
)]
async fn hand_over(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    ApiJson(req): ApiJson<PushRequest>,
) -> Result<Json<HandOverResponse>, ApiError> {
    let hash = bearer_token_hash(&headers).ok_or_else(ApiError::unauthorized)?;
    let kept = state
        .tx(move |sql| state::hand_over(sql, &hash, &req.ops))
        .await?;
    Ok(Json(HandOverResponse { kept }))
}

/// Live changes: server-sent events, each `{"cursor": N}`, the log's head now and each time
/// it moves; a device whose cursor is behind pulls. The stream ends when the server stops.
#[utoipa::path(
    get, path = "/v1/live", params(("x-desk-protocol" = u32, Header, description = "Sync protocol version")),
    security(("token" = [])),
    responses((status = 200, content_type = "text/event-stream", description = "Events `head` with data `{\"cursor\": N}`"), (status = 401, body = ErrorBody), (status = 426, body = ErrorBody))
)]
async fn live_changes(State(state): State<AppState>, _caller: Caller) -> Response {
    // nginx would otherwise hold the events back in its buffer.
    ([("x-accel-buffering", "no")], state.live.stream()).into_response()
}

/// The log after a cursor, within the device's scope, in pages.
#[utoipa::path(
    get, path = "/v1/pull", params(PullQuery, ("x-desk-protocol" = u32, Header, description = "Sync protocol version")),
    security(("token" = [])),
    responses((status = 200, body = PullResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody, description = "The server was restored from a backup (`log_restored`, or `cursor_ahead` past its log): push again what was acknowledged since, then bootstrap again"), (status = 426, body = ErrorBody))
)]
async fn pull(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PullQuery>,
) -> Result<Json<PullResponse>, ApiError> {
    let limit = state::page_limit(q.limit)?;
    if q.cursor < 0 {
        return Err(
            ApiError::bad_request("cursor：不能为负数 (must not be negative)").field("cursor"),
        );
    }
    let scope = caller.scope_fingerprint();
    let page = state
        .tx(move |sql| state::pull(sql, &caller, q.cursor, q.log.as_deref(), limit))
        .await?;
    crate::metrics::pulled(page.changes.len());
    Ok(Json(PullResponse {
        changes: page.changes,
        cursor: page.cursor,
        has_more: page.has_more,
        server_time: now_ms(),
        scope,
        log: page.log,
    }))
}

/// A new device's first sync: the records in its scope as they stand, in pages, and the cursor
/// to pull from afterwards.
#[utoipa::path(
    get, path = "/v1/bootstrap", params(BootstrapQuery, ("x-desk-protocol" = u32, Header, description = "Sync protocol version")),
    security(("token" = [])),
    responses((status = 200, body = BootstrapResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 426, body = ErrorBody))
)]
async fn bootstrap(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<BootstrapQuery>,
) -> Result<Json<BootstrapResponse>, ApiError> {
    let limit = state::page_limit(q.limit)?;
    let scope = caller.scope_fingerprint();
    let (records, next, cursor, log) = state
        .tx(move |sql| {
            let (records, next, cursor) =
                state::bootstrap(sql, &caller, q.after.as_deref(), limit)?;
            Ok::<_, ApiError>((records, next, cursor, state::log_id(sql)?))
        })
        .await?;
    crate::metrics::bootstrapped(records.len());
    Ok(Json(BootstrapResponse {
        records,
        next,
        cursor,
        server_time: now_ms(),
        scope,
        log,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct LedgerResponse {
    #[schema(value_type = Vec<Object>)]
    appeals: Vec<serde_json::Map<String, serde_json::Value>>,
    server_time: i64,
}

/// The appeals ledger (台账) within the caller's scope.
#[utoipa::path(
    get, path = "/v1/appeals", params(LedgerQuery), security(("token" = [])),
    responses((status = 200, body = LedgerResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody))
)]
async fn appeals(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<LedgerQuery>,
) -> Result<Json<LedgerResponse>, ApiError> {
    let today = desk_core::time::local_date(chrono::Utc::now());
    let appeals = state
        .tx(move |sql| state::ledger(sql, &caller, &q, today))
        .await?;
    Ok(Json(LedgerResponse {
        appeals,
        server_time: now_ms(),
    }))
}

/// The ledger within the caller's scope, filtered as `/v1/appeals`, as an XLSX workbook: a
/// ledger sheet (台账) and a figures sheet (统计).
#[utoipa::path(
    get, path = "/v1/appeals.xlsx", params(LedgerQuery), security(("token" = [])),
    responses(
        (status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)
    )
)]
async fn appeals_xlsx(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<LedgerQuery>,
) -> Result<Response, ApiError> {
    ledger_file(state, caller, q, desk_export::Kind::Xlsx).await
}

/// The same ledger as CSV (UTF-8 with a byte-order mark).
#[utoipa::path(
    get, path = "/v1/appeals.csv", params(LedgerQuery), security(("token" = [])),
    responses(
        (status = 200, content_type = "text/csv", body = String),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)
    )
)]
async fn appeals_csv(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<LedgerQuery>,
) -> Result<Response, ApiError> {
    ledger_file(state, caller, q, desk_export::Kind::Csv).await
}

/// Writes the export to an unnamed temporary file (rows read in batches, the workbook in
/// constant memory), then streams the file: the server's memory does not grow with the ledger.
async fn ledger_file(
    state: AppState,
    caller: Caller,
    q: LedgerQuery,
    kind: desk_export::Kind,
) -> Result<Response, ApiError> {
    use axum::http::header;
    use std::io::Seek;
    let today = desk_core::time::local_date(chrono::Utc::now());
    let failed = |e: std::io::Error| ApiError::internal(format!("export: {e}"));
    let mut file = tempfile::tempfile().map_err(failed)?;
    let out = std::io::BufWriter::new(file.try_clone().map_err(failed)?);
    let title = format!("台账导出 {today}（{}）", caller.user_name);
    let export = state
        .tx(move |sql| {
            let mut export = desk_export::LedgerExport::new(kind, Box::new(out), &title)
                .map_err(|e| ApiError::internal(e.to_string()))?;
            state::export_ledger(sql, &caller, &q, today, &mut export)?;
            Ok(export)
        })
        .await?;
    let file = tokio::task::spawn_blocking(move || {
        export
            .finish()
            .map_err(|e| ApiError::internal(e.to_string()))?;
        file.rewind().map_err(failed)?;
        Ok::<_, ApiError>(file)
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))??;
    let (content_type, name) = match kind {
        desk_export::Kind::Xlsx => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "ledger.xlsx",
        ),
        desk_export::Kind::Csv => ("text/csv; charset=utf-8", "ledger.csv"),
    };
    let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(
        tokio::fs::File::from_std(file),
    ));
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\"; filename*=UTF-8''{today}-{name}"),
            ),
        ],
        body,
    )
        .into_response())
}

/// What needs attention (需要关注) within the caller's scope: open appeals past their deadline,
/// and those due within `within` working days, per department if asked.
#[utoipa::path(
    get, path = "/v1/alerts", params(state::AlertsQuery), security(("token" = [])),
    responses((status = 200, body = state::Alerts), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody))
)]
async fn alerts(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<state::AlertsQuery>,
) -> Result<Json<state::Alerts>, ApiError> {
    let today = desk_core::time::local_date(chrono::Utc::now());
    Ok(Json(
        state
            .tx(move |sql| state::alerts(sql, &caller, &q, today))
            .await?,
    ))
}

/// The zone's figures within the caller's scope.
#[utoipa::path(get, path = "/v1/stats", security(("token" = [])), responses((status = 200, body = Stats), (status = 401, body = ErrorBody)))]
async fn stats(State(state): State<AppState>, caller: Caller) -> Result<Json<Stats>, ApiError> {
    let today = desk_core::time::local_date(chrono::Utc::now());
    Ok(Json(
        state
            .tx(move |sql| state::stats(sql, &caller, today))
            .await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
struct BulletinQuery {
    /// Any day of the week (YYYY-MM-DD); this week when absent.
    week: Option<String>,
}

/// The week's bulletin for the enterprises' groups (工作通报): appeals collected and resolved
/// that week, open and overdue now, over the caller's scope, and the paragraph to post.
#[utoipa::path(get, path = "/v1/bulletin", security(("token" = [])), params(BulletinQuery),
    responses((status = 200, body = Bulletin), (status = 400, body = ErrorBody, description = "`week` is not a date"), (status = 401, body = ErrorBody)))]
async fn bulletin(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<BulletinQuery>,
) -> Result<Json<Bulletin>, ApiError> {
    let today = desk_core::time::local_date(chrono::Utc::now());
    let day = match q.week.as_deref().map(str::trim) {
        None | Some("") => today,
        Some(text) => desk_core::model::parse_date("week", text)?,
    };
    let week = desk_core::bulletin::Week::of(day);
    Ok(Json(
        state
            .tx(move |sql| state::bulletin(sql, &caller, week, today))
            .await?,
    ))
}

/// The caller's devices; every device, for an admin.
#[utoipa::path(get, path = "/v1/devices", security(("token" = [])), responses((status = 200, body = Vec<DeviceInfo>), (status = 401, body = ErrorBody)))]
async fn devices(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<DeviceInfo>>, ApiError> {
    let owner = (caller.role != Role::Admin).then_some(caller.user_id);
    Ok(Json(
        state.tx(move |sql| state::list_devices(sql, owner)).await?,
    ))
}

/// Revokes a device (one's own; any, for an admin). Its token stops working at once.
#[utoipa::path(
    post, path = "/v1/devices/{id}/revoke", params(("id" = Uuid, Path)), security(("token" = [])),
    responses((status = 204), (status = 400, body = ErrorBody, description = "Not a device id"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: Uuid = id.parse().map_err(|_| {
        ApiError::bad_request("id：不是有效的设备编号 (not a device id)").field("id")
    })?;
    let owner = (caller.role != Role::Admin).then_some(caller.user_id);
    state
        .tx(move |sql| state::revoke_device(sql, id, owner, Some(caller.user_id)))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One record as the server holds it, with the stamps of its fields: a device whose change was
/// rejected goes back to it.
#[utoipa::path(
    get, path = "/v1/records/{entity}/{id}",
    params(("entity" = String, Path, description = "site, appeal, visit, …"), ("id" = Uuid, Path)),
    security(("token" = [])),
    responses((status = 200, body = desk_core::Snapshot), (status = 400, body = ErrorBody, description = "Not a record kind or not a record id"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody, description = "No such record, or not the caller's to see: the same answer for both"))
)]
async fn record(
    State(state): State<AppState>,
    caller: Caller,
    Path((entity, id)): Path<(String, String)>,
) -> Result<Json<desk_core::Snapshot>, ApiError> {
    let entity: desk_core::Entity =
        serde_json::from_value(serde_json::Value::String(entity.clone())).map_err(|_| {
            ApiError::bad_request(format!(
                "entity：“{entity}”不是记录类型 (not a record kind)"
            ))
            .field("entity")
        })?;
    let id: Uuid = id.parse().map_err(|_| {
        ApiError::bad_request("id：不是有效的记录编号 (not a record id)").field("id")
    })?;
    state
        .tx(move |sql| state::record_for(sql, &caller, entity, id))
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("服务器上没有这条记录，或无权查看 (no such record on the server, or not yours to see)"))
}

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        api.components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "token",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Mobile Desk sync server", description = "流动办公桌 central server: accounts, devices, sync protocol, appeals ledger."),
    paths(healthz, crate::metrics::readyz, crate::metrics::metrics, openapi, login, push, hand_over, pull, bootstrap, live_changes, record, appeals, appeals_xlsx, appeals_csv, alerts, stats, bulletin, devices, revoke,
        crate::portal::sign_in, crate::portal::sign_out, crate::portal::appeals, crate::portal::rate, crate::portal::place_order, crate::portal::raise_appeal,
        crate::portal::board_consent, crate::portal::board_parks, crate::portal::board, crate::portal::receipt, crate::portal::rate_by_receipt,
        crate::open311::services, crate::open311::service, crate::open311::create, crate::open311::requests, crate::open311::request,
        crate::admin_api::accounts, crate::admin_api::create_account, crate::admin_api::change_account, crate::admin_api::reset_password,
        crate::admin_api::create_park, crate::admin_api::create_department, crate::admin_api::api_keys, crate::admin_api::issue_api_key, crate::admin_api::revoke_api_key),
    modifiers(&BearerToken)
)]
pub struct ApiDoc;

#[cfg(test)]
mod tests {
    #[test]
    fn secrets_stay_out_of_the_logs() {
        let uri = |s: &str| s.parse::<axum::http::Uri>().unwrap();
        let token = "ab".repeat(32);
        assert_eq!(
            super::loggable(&uri(&format!("/v1/receipt/{token}/appeals/9/rating"))),
            "/v1/receipt/…/appeals/9/rating"
        );
        assert_eq!(
            super::loggable(&uri(&format!("/portal/r/{token}"))),
            "/portal/r/…"
        );
        assert_eq!(
            super::loggable(&uri("/open311/v2/requests.json?api_key=desk_x&status=open")),
            "/open311/v2/requests.json?api_key=…&status=open"
        );
        assert_eq!(
            super::loggable(&uri("/v1/pull?cursor=3")),
            "/v1/pull?cursor=3"
        );
    }
}
