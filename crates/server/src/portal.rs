//! The enterprise portal: its API under `/v1/portal/`, for enterprises signed in with their
//! unified social credit code and the access code the office issued, and its pages under
//! `/portal/`, built from `ui/portal` and embedded in the binary so the office runs one program.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use desk_core::portal::{
    Board, BoardConsent, BoardPark, PortalAppeal, PortalAppealRequest, PortalAppeals, PortalOrder,
    PortalOrderRequest, PortalRating, PortalReceipt, PortalSession, PortalSignIn,
};
use uuid::Uuid;

use crate::api::{bearer_token_hash, throttled, ApiJson, AppState, ClientAddr};
use crate::auth;
use crate::error::{ApiError, ErrorBody};
use crate::state::portal as state;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/portal/sign-in", post(sign_in))
        .route("/v1/portal/sign-out", post(sign_out))
        .route("/v1/portal/appeals", get(appeals).post(raise_appeal))
        .route("/v1/portal/orders", post(place_order))
        .route("/v1/portal/appeals/{id}/rating", post(rate))
        .route("/v1/portal/board-consent", post(board_consent))
        .route("/v1/receipt/{token}", get(receipt))
        .route(
            "/v1/receipt/{token}/appeals/{id}/rating",
            post(rate_by_receipt),
        )
        .route("/v1/board", get(board_parks))
        .route("/v1/board/{park}", get(board))
        .route("/portal", get(|| async { page("index.html") }))
        .route("/portal/", get(|| async { page("index.html") }))
        .route(
            "/portal/{*path}",
            get(
                |axum::extract::Path(path): axum::extract::Path<String>| async move { page(&path) },
            ),
        )
}

/// The signed-in enterprise behind a portal request.
pub struct Enterprise {
    pub site_id: Uuid,
    pub site_name: String,
    token_hash: String,
}

impl FromRequestParts<AppState> for Enterprise {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let signed_out = || {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "请重新登录 (please sign in again)",
            )
        };
        let token_hash = bearer_token_hash(&parts.headers).ok_or_else(signed_out)?;
        let hash = token_hash.clone();
        let (site_id, site_name) = app
            .tx(move |sql| state::session_site(sql, &hash))
            .await?
            .ok_or_else(signed_out)?;
        Ok(Enterprise {
            site_id,
            site_name,
            token_hash,
        })
    }
}

/// Signs an enterprise in with its credit code and access code.
#[utoipa::path(
    post, path = "/v1/portal/sign-in", request_body = PortalSignIn,
    responses(
        (status = 200, body = PortalSession),
        (status = 400, body = ErrorBody, description = "Malformed body"),
        (status = 401, body = ErrorBody, description = "Wrong credit code or access code, or the code was revoked"),
        (status = 429, body = ErrorBody, description = "Too many failed attempts for this credit code or address; see Retry-After",
         headers(("Retry-After" = u64, description = "Seconds until another attempt is taken"))),
    )
)]
pub(crate) async fn sign_in(
    State(app): State<AppState>,
    ClientAddr(addr): ClientAddr,
    ApiJson(req): ApiJson<PortalSignIn>,
) -> Result<Json<PortalSession>, ApiError> {
    let credit_code = req.credit_code.trim().to_uppercase();
    let code = state::normalise_code(&req.access_code);
    for (field, value) in [("credit_code", &credit_code), ("access_code", &code)] {
        if value.is_empty() {
            return Err(desk_core::ValidationError::Required { field }.into());
        }
    }
    let attempt = app
        .throttle
        .begin(&format!("enterprise:{credit_code}"), &addr)
        .map_err(|wait| throttled(wait, "尝试次数过多", "too many failed attempts"))?;
    let candidates = {
        let credit_code = credit_code.clone();
        app.tx(move |sql| state::codes_for(sql, &credit_code))
            .await?
    };
    // An unknown credit code is checked against a decoy, so it costs as long as a wrong code
    // and does not tell which enterprises hold one.
    let found = tokio::task::spawn_blocking(move || {
        if candidates.is_empty() {
            auth::verify_password(&code, auth::decoy_hash());
            return None;
        }
        candidates
            .into_iter()
            .find(|(_, _, hash)| auth::verify_password(&code, hash))
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?;
    let Some((site, site_name, _)) = found else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "统一社会信用代码或访问码不正确 (wrong credit code or access code)",
        ));
    };
    app.throttle.succeeded(attempt);
    let (token, token_hash) = auth::new_token();
    let expires_at = app
        .tx(move |sql| state::create_session(sql, site, &token_hash))
        .await?;
    Ok(Json(PortalSession {
        token,
        site_name,
        expires_at,
    }))
}

/// Ends the portal session of the token sent.
#[utoipa::path(
    post, path = "/v1/portal/sign-out", security(("token" = [])),
    responses((status = 204), (status = 401, body = ErrorBody))
)]
pub(crate) async fn sign_out(
    State(app): State<AppState>,
    enterprise: Enterprise,
) -> Result<StatusCode, ApiError> {
    app.tx(move |sql| state::end_session(sql, &enterprise.token_hash))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in enterprise's appeals, newest first, with their progress.
#[utoipa::path(
    get, path = "/v1/portal/appeals", security(("token" = [])),
    responses((status = 200, body = PortalAppeals), (status = 401, body = ErrorBody))
)]
pub(crate) async fn appeals(
    State(app): State<AppState>,
    enterprise: Enterprise,
) -> Result<Json<PortalAppeals>, ApiError> {
    let today = desk_core::time::local_date(chrono::Utc::now());
    app.tx(move |sql| state::appeals(sql, enterprise.site_id, enterprise.site_name, today))
        .await
        .map(Json)
}

/// The enterprise rates one of its resolved appeals, once (好差评): 5 非常满意 to 1 非常不满意.
/// A rating of 2 or less does not close it: its department is to put it right (整改中) within
/// five working days, which the ledger and the figures show.
#[utoipa::path(
    post, path = "/v1/portal/appeals/{id}/rating", security(("token" = [])),
    params(("id" = Uuid, Path, description = "The appeal")),
    request_body = PortalRating,
    responses(
        (status = 200, body = PortalAppeal, description = "The appeal as it stands after the rating"),
        (status = 400, body = ErrorBody, description = "A rating outside 1–5, a comment too long, or a malformed body"),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "No such appeal of this enterprise"),
        (status = 409, body = ErrorBody, description = "Not resolved yet (`not_resolved`), or rated already (`already_rated`)"),
    )
)]
pub(crate) async fn rate(
    State(app): State<AppState>,
    enterprise: Enterprise,
    axum::extract::Path(id): axum::extract::Path<String>,
    ApiJson(rating): ApiJson<PortalRating>,
) -> Result<Json<PortalAppeal>, ApiError> {
    // An id that is no id is answered as an appeal that is not there.
    let id: Uuid = id.parse().map_err(|_| state::no_such_appeal())?;
    let now = chrono::Utc::now();
    app.tx(move |sql| {
        state::rate(
            sql,
            enterprise.site_id,
            enterprise.site_name,
            id,
            &rating,
            now,
        )
    })
    .await
    .map(Json)
}

/// The enterprise orders a visit of the desk (点单): topic, what it wants to raise, and one to
/// three time windows that suit it, today or later. The office's devices receive it through
/// sync and dispatch it to a stop of a session (派单), which the order then shows.
#[utoipa::path(
    post, path = "/v1/portal/orders", security(("token" = [])), request_body = PortalOrderRequest,
    responses(
        (status = 200, body = PortalOrder),
        (status = 400, body = ErrorBody, description = "A missing topic, no window or more than three, a window ending before it starts or in the past; the field is named"),
        (status = 401, body = ErrorBody),
    )
)]
pub(crate) async fn place_order(
    State(app): State<AppState>,
    enterprise: Enterprise,
    ApiJson(request): ApiJson<PortalOrderRequest>,
) -> Result<Json<PortalOrder>, ApiError> {
    let now = chrono::Utc::now();
    app.tx(move |sql| state::place_order(sql, enterprise.site_id, request, now))
        .await
        .map(Json)
}

/// The enterprise raises an appeal online (线上诉求): category and description. It reaches the
/// office's devices as a received appeal with the zone's handling limit as its deadline.
#[utoipa::path(
    post, path = "/v1/portal/appeals", security(("token" = [])), request_body = PortalAppealRequest,
    responses(
        (status = 200, body = PortalAppeal),
        (status = 400, body = ErrorBody, description = "An unknown category or an empty description; the field is named"),
        (status = 401, body = ErrorBody),
    )
)]
pub(crate) async fn raise_appeal(
    State(app): State<AppState>,
    enterprise: Enterprise,
    ApiJson(request): ApiJson<PortalAppealRequest>,
) -> Result<Json<PortalAppeal>, ApiError> {
    let now = chrono::Utc::now();
    app.tx(move |sql| {
        state::raise_appeal(sql, enterprise.site_id, enterprise.site_name, request, now)
    })
    .await
    .map(Json)
}

/// What a visit receipt's link opens, without signing in (走访回执): the visit's appeals as they
/// stand once the tablet has uploaded it, or that it has not yet (`uploaded` false), or that
/// the office took it back. Links that open nothing are counted per address like failed
/// sign-ins, so guessing one is throttled.
#[utoipa::path(
    get, path = "/v1/receipt/{token}",
    params(("token" = String, Path, description = "The receipt's token, from its QR code")),
    responses(
        (status = 200, body = PortalReceipt),
        (status = 429, body = ErrorBody, description = "Too many links that opened nothing from this address; see Retry-After"),
    )
)]
pub(crate) async fn receipt(
    State(app): State<AppState>,
    ClientAddr(addr): ClientAddr,
    axum::extract::Path(token): axum::extract::Path<String>,
) -> Result<Json<PortalReceipt>, ApiError> {
    let attempt = app
        .throttle
        .begin_guess("receipt", &addr)
        .map_err(|wait| throttled(wait, "尝试次数过多", "too many attempts"))?;
    let today = desk_core::time::local_date(chrono::Utc::now());
    let shown = app
        .tx(move |sql| state::receipt(sql, &token, today))
        .await?;
    if shown.uploaded {
        app.throttle.succeeded(attempt);
    }
    Ok(Json(shown))
}

/// A rating given through a visit receipt: of one of that visit's resolved appeals, once, as
/// on the portal.
#[utoipa::path(
    post, path = "/v1/receipt/{token}/appeals/{id}/rating", request_body = PortalRating,
    params(("token" = String, Path, description = "The receipt's token"), ("id" = Uuid, Path, description = "The appeal")),
    responses(
        (status = 200, body = PortalAppeal),
        (status = 400, body = ErrorBody, description = "A rating outside 1–5, a comment too long, or a malformed body"),
        (status = 404, body = ErrorBody, description = "No such receipt, a revoked one, or no such appeal of its visit"),
        (status = 409, body = ErrorBody, description = "Not resolved yet, or rated already"),
    )
)]
pub(crate) async fn rate_by_receipt(
    State(app): State<AppState>,
    axum::extract::Path((token, id)): axum::extract::Path<(String, String)>,
    ApiJson(rating): ApiJson<PortalRating>,
) -> Result<Json<PortalAppeal>, ApiError> {
    let id: Uuid = id.parse().map_err(|_| state::no_such_appeal())?;
    let now = chrono::Utc::now();
    app.tx(move |sql| state::rate_by_receipt(sql, &token, id, &rating, now))
        .await
        .map(Json)
}

/// Whether the signed-in enterprise agrees to be named, with its appeals' descriptions, on its
/// park's public board.
#[utoipa::path(
    post, path = "/v1/portal/board-consent", security(("token" = [])), request_body = BoardConsent,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody))
)]
pub(crate) async fn board_consent(
    State(app): State<AppState>,
    enterprise: Enterprise,
    ApiJson(consent): ApiJson<BoardConsent>,
) -> Result<StatusCode, ApiError> {
    app.tx(move |sql| state::set_board_consent(sql, enterprise.site_id, consent.public))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The parks with a public board (群众监督), open to anyone.
#[utoipa::path(get, path = "/v1/board", responses((status = 200, body = Vec<BoardPark>)))]
pub(crate) async fn board_parks(
    State(app): State<AppState>,
) -> Result<Json<Vec<BoardPark>>, ApiError> {
    app.tx(state::board_parks).await.map(Json)
}

/// A park's public board, open to anyone: its appeals (the newest 200) by category, status,
/// department, deadline and working days taken; enterprises named only if they agreed.
#[utoipa::path(
    get, path = "/v1/board/{park}",
    params(("park" = Uuid, Path, description = "The park")),
    responses((status = 200, body = Board), (status = 404, body = ErrorBody, description = "No such park"))
)]
pub(crate) async fn board(
    State(app): State<AppState>,
    axum::extract::Path(park): axum::extract::Path<String>,
) -> Result<Json<Board>, ApiError> {
    let missing = || ApiError::not_found("没有这个园区 (no such park)");
    let park: Uuid = park.parse().map_err(|_| missing())?;
    let today = desk_core::time::local_date(chrono::Utc::now());
    app.tx(move |sql| state::board(sql, park, today))
        .await?
        .map(Json)
        .ok_or_else(missing)
}

/// The portal's built pages (`npm run build:portal` in `ui/`). A build without them still
/// runs; the portal then says how to build it.
#[derive(rust_embed::Embed)]
#[folder = "../../ui/dist-portal/"]
#[allow_missing = true]
struct Pages;

/// A file of the portal, or its page for any path that is not a file (the page routes
/// itself).
fn page(path: &str) -> Response {
    let (path, file) = match Pages::get(path) {
        Some(file) => (path, file),
        None => match Pages::get("index.html") {
            Some(file) => ("index.html", file),
            None => {
                return (
                    StatusCode::NOT_FOUND,
                    [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                    "企业端页面未构建：请在 ui/ 下运行 npm run build:portal 后重新构建 desk-server \
                     (the portal is not built: run npm run build:portal in ui/, then rebuild desk-server)",
                )
                    .into_response()
            }
        },
    };
    // Built assets carry their hash in their name and never change; the page itself may.
    let cache = if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    (
        [
            (header::CONTENT_TYPE, file.metadata.mimetype().to_owned()),
            (header::CACHE_CONTROL, cache.to_owned()),
        ],
        file.data,
    )
        .into_response()
}
