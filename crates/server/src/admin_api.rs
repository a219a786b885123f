//! The administrator's routes (`/v1/admin/…`), for the app's administration screens: accounts
//! (create, role, parks and departments, password reset, disable), parks, departments and
//! integration keys. Devices are listed and revoked at `/v1/devices`. Only an admin account
//! reaches them (403 for the others); each change is written to the audit trail with the
//! administrator's name. The server CLI (`desk-server admin …`) does the same for scripts.

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::routing::{delete, get, patch, post};
use axum::{Json, Router};
use desk_core::model::DepartmentLevel;
use desk_core::Role;
use uuid::Uuid;

use crate::admin::{self, UserSpec};
use crate::api::{ApiJson, AppState};
use crate::db::Db;
use crate::error::{ApiError, ErrorBody};
use crate::scope::Caller;
use crate::state;
use desk_core::admin::{
    Account, AccountChange, Created, IssuedKey, KeyInfo, NewAccount, NewKey, NewPassword, NewPlace,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/admin/accounts", get(accounts).post(create_account))
        .route("/v1/admin/accounts/{id}", patch(change_account))
        .route("/v1/admin/accounts/{id}/password", post(reset_password))
        .route("/v1/admin/parks", post(create_park))
        .route("/v1/admin/departments", post(create_department))
        .route("/v1/admin/api-keys", get(api_keys).post(issue_api_key))
        .route("/v1/admin/api-keys/{name}", delete(revoke_api_key))
}

/// A caller with the admin role; anyone else is refused.
pub struct Admin(pub Caller);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        if caller.role != Role::Admin {
            return Err(ApiError::forbidden(
                "只有管理员可以管理账号、园区、责任单位和接口密钥 (only an administrator manages accounts, parks, departments and keys)",
            ));
        }
        Ok(Admin(caller))
    }
}

/// The synchronous admin functions (their own transactions, argon2) off the async runtime.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
}

/// Every account, with its role, scope and whether it is disabled.
#[utoipa::path(get, path = "/v1/admin/accounts", security(("token" = [])),
    responses((status = 200, body = Vec<Account>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn accounts(State(state): State<AppState>, _: Admin) -> Result<Json<Vec<Account>>, ApiError> {
    Ok(Json(state.tx(state::list_accounts).await?))
}

/// Creates an account: an officer serves at least one park, a department account belongs to a
/// department, the password has at least 8 characters.
#[utoipa::path(post, path = "/v1/admin/accounts", request_body = NewAccount, security(("token" = [])),
    responses((status = 201, body = Account), (status = 400, body = ErrorBody, description = "A field is missing or wrong: the error names it"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn create_account(
    State(state): State<AppState>,
    Admin(by): Admin,
    ApiJson(new): ApiJson<NewAccount>,
) -> Result<(StatusCode, Json<Account>), ApiError> {
    let db = state.db.clone();
    let id = blocking(move || {
        let ids = |v: &[Uuid]| v.iter().map(Uuid::to_string).collect::<Vec<_>>();
        let (parks, departments) = (ids(&new.parks), ids(&new.departments));
        admin::create_user_by(
            &db,
            &UserSpec {
                name: &new.name,
                display_name: &new.display_name,
                role: new.role,
                password: &new.password,
                parks: &parks,
                departments: &departments,
            },
            Some(by.user_id),
        )
    })
    .await?;
    let account = state.tx(move |sql| state::account(sql, id)).await?;
    Ok((StatusCode::CREATED, Json(account)))
}

/// Changes an account's display name, role, parks, departments, or disables it (it cannot sign
/// in and its devices stop at once) or enables it again.
#[utoipa::path(patch, path = "/v1/admin/accounts/{id}", params(("id" = Uuid, Path)), request_body = AccountChange, security(("token" = [])),
    responses((status = 200, body = Account), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn change_account(
    State(state): State<AppState>,
    Admin(by): Admin,
    Path(id): Path<String>,
    ApiJson(change): ApiJson<AccountChange>,
) -> Result<Json<Account>, ApiError> {
    let id = account_id(&id)?;
    Ok(Json(
        state
            .tx(move |sql| state::change_account(sql, id, &change, &by))
            .await?,
    ))
}

/// Sets a new password for an account (one forgotten); its devices stay signed in.
#[utoipa::path(post, path = "/v1/admin/accounts/{id}/password", params(("id" = Uuid, Path)), request_body = NewPassword, security(("token" = [])),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn reset_password(
    State(state): State<AppState>,
    Admin(by): Admin,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewPassword>,
) -> Result<StatusCode, ApiError> {
    let id = account_id(&id)?;
    crate::auth::check_password(&body.password)?;
    let hash = blocking(move || Ok(crate::auth::hash_password(&body.password))).await?;
    state
        .tx(move |sql| state::set_password(sql, id, &hash, &by))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn account_id(text: &str) -> Result<Uuid, ApiError> {
    text.parse().map_err(|_| {
        ApiError::bad_request("id：不是有效的账号编号 (not an account id)").field("id")
    })
}

/// Creates a park (园区); every device takes it at its next sync.
#[utoipa::path(post, path = "/v1/admin/parks", request_body = NewPlace, security(("token" = [])),
    responses((status = 201, body = Created), (status = 400, body = ErrorBody, description = "No name, or one another park has"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn create_park(
    State(state): State<AppState>,
    Admin(by): Admin,
    ApiJson(park): ApiJson<NewPlace>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    if park.level.is_some() {
        return Err(ApiError::bad_request(
            "level：园区没有级别，级别只属于责任单位 (a park has no level; departments do)",
        )
        .field("level"));
    }
    made(&state, by, "create_park", park.name, admin::create_park).await
}

/// Creates a department (责任单位); every device takes it at its next sync.
#[utoipa::path(post, path = "/v1/admin/departments", request_body = NewPlace, security(("token" = [])),
    responses((status = 201, body = Created), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn create_department(
    State(state): State<AppState>,
    Admin(by): Admin,
    ApiJson(dept): ApiJson<NewPlace>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let level = DepartmentLevel::parse("level", dept.level.as_deref().unwrap_or("zone"))?;
    made(
        &state,
        by,
        "create_department",
        dept.name,
        move |db, name| admin::create_department(db, name, level),
    )
    .await
}

/// A park or department made by `make`, then written to the audit trail under `by`.
async fn made(
    app: &AppState,
    by: Caller,
    action: &'static str,
    name: String,
    make: impl FnOnce(&Db, &str) -> Result<Uuid, ApiError> + Send + 'static,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let db = app.db.clone();
    let id = blocking(move || {
        let id = make(&db, &name)?;
        db.tx_blocking(|sql| state::audit(sql, Some(by.user_id), by.device_id, action, &name))?;
        Ok(id)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// The integrating systems' Open311 keys: names and dates, never the keys.
#[utoipa::path(get, path = "/v1/admin/api-keys", security(("token" = [])),
    responses((status = 200, body = Vec<KeyInfo>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn api_keys(State(state): State<AppState>, _: Admin) -> Result<Json<Vec<KeyInfo>>, ApiError> {
    Ok(Json(state.tx(state::open311::list_keys).await?))
}

/// Issues a system its key (issuing again under the name replaces it).
#[utoipa::path(post, path = "/v1/admin/api-keys", request_body = NewKey, security(("token" = [])),
    responses((status = 201, body = IssuedKey), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn issue_api_key(
    State(state): State<AppState>,
    Admin(by): Admin,
    ApiJson(new): ApiJson<NewKey>,
) -> Result<(StatusCode, Json<IssuedKey>), ApiError> {
    let db = state.db.clone();
    let name = new.name.trim().to_owned();
    let key = {
        let name = name.clone();
        blocking(move || admin::issue_api_key(&db, &name, Some(by.user_id))).await?
    };
    Ok((StatusCode::CREATED, Json(IssuedKey { name, key })))
}

/// Withdraws a system's key.
#[utoipa::path(delete, path = "/v1/admin/api-keys/{name}", params(("name" = String, Path)), security(("token" = [])),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn revoke_api_key(
    State(state): State<AppState>,
    Admin(by): Admin,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    let db = state.db.clone();
    let had = {
        let name = name.clone();
        blocking(move || admin::revoke_api_key(&db, &name, Some(by.user_id))).await?
    };
    if had {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!(
            "没有名为“{name}”的有效密钥 (no live key named {name})"
        )))
    }
}
