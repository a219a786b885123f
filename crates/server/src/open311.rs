//! The Open311 GeoReport v2 intake at `/open311/v2/`, for the 12345 hotline and other systems:
//! the appeal categories as services, a request becoming an appeal of the hotline channel for
//! the enterprise its `attribute[credit_code]` names, and the requests a system made, followed
//! as the office handles them. Every call but the service list carries the system's `api_key`
//! (`desk-server admin api-key --name …`); errors are the specification's `[{code,
//! description}]`. JSON only.

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use desk_core::model::Category;
use serde::Serialize;
use uuid::Uuid;

use crate::api::{throttled, AppState, ClientAddr};
use crate::auth;
use crate::error::ApiError;
use crate::state::open311 as state;
use crate::state::open311::{RequestFilter, ServiceRequest};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/open311/v2/services.json", get(services))
        .route("/open311/v2/services/{file}", get(service))
        .route("/open311/v2/requests.json", get(requests).post(create))
        .route("/open311/v2/requests/{file}", get(request))
}

/// One error as the specification writes it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Open311Error {
    pub code: u16,
    pub description: String,
}

/// The specification's error answer: a list of one error, with its status.
pub struct Refused(StatusCode, String);

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let body = [Open311Error {
            code: self.0.as_u16(),
            description: self.1,
        }];
        (self.0, Json(body)).into_response()
    }
}

impl From<ApiError> for Refused {
    fn from(e: ApiError) -> Self {
        let what = match e.body.field {
            Some(field) => format!("{field}: {}", e.body.message),
            None => e.body.message,
        };
        Refused(e.status, what)
    }
}

fn bad(what: impl Into<String>) -> Refused {
    Refused(StatusCode::BAD_REQUEST, what.into())
}

/// A service: an appeal category.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Service {
    pub service_code: String,
    pub service_name: String,
    pub description: String,
    /// Always true: each service asks for the enterprise's credit code.
    pub metadata: bool,
    #[serde(rename = "type")]
    pub kind: String,
    pub keywords: String,
    pub group: String,
}

/// What a request for a service must carry besides its description.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ServiceDefinition {
    pub service_code: String,
    pub attributes: Vec<Attribute>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Attribute {
    pub variable: bool,
    pub code: String,
    pub datatype: String,
    pub required: bool,
    pub datatype_description: String,
    pub order: u32,
    pub description: String,
}

/// What a request made answers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Created {
    pub service_request_id: String,
    pub service_notice: String,
    pub account_id: Option<String>,
}

/// The path's name without `.json`; XML is not offered.
fn json_file(file: &str) -> Result<&str, Refused> {
    if let Some(name) = file.strip_suffix(".json") {
        return Ok(name);
    }
    if file.ends_with(".xml") {
        return Err(bad(
            "只提供 JSON 格式 (only the JSON format is offered: use .json)",
        ));
    }
    Err(Refused(
        StatusCode::NOT_FOUND,
        format!("{file}: 没有这个资源 (no such resource)"),
    ))
}

fn service_code(code: &str) -> Option<Category> {
    Category::ALL.iter().copied().find(|c| c.as_str() == code)
}

/// The calling system, by its `api_key`; guesses are throttled like sign-ins.
async fn system(
    app: &AppState,
    addr: &str,
    api_key: Option<&str>,
) -> Result<(Uuid, String), Refused> {
    let forbidden = |what: &str| Refused(StatusCode::FORBIDDEN, what.into());
    let key = api_key
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| forbidden("api_key：缺少 API 密钥 (an api_key is required)"))?;
    let attempt = app
        .throttle
        .begin_guess("open311", addr)
        .map_err(|wait| Refused::from(throttled(wait, "尝试次数过多", "too many attempts")))?;
    let hash = auth::token_hash(key);
    match app.tx(move |sql| state::key(sql, &hash)).await? {
        Some(system) => {
            app.throttle.succeeded(attempt);
            Ok(system)
        }
        None => Err(forbidden(
            "api_key：API 密钥无效或已停用 (the api_key is not valid)",
        )),
    }
}

/// The first value of the parameter `name`.
fn param(params: &[(String, String)], name: &str) -> Option<String> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

/// The services: the appeal categories.
#[utoipa::path(get, path = "/open311/v2/services.json", tag = "open311",
    responses((status = 200, body = Vec<Service>)))]
pub(crate) async fn services() -> Json<Vec<Service>> {
    Json(
        Category::ALL
            .iter()
            .map(|c| Service {
                service_code: c.as_str().into(),
                service_name: c.label_zh().into(),
                description: format!("企业诉求：{}", c.label_zh()),
                metadata: true,
                kind: "realtime".into(),
                keywords: String::new(),
                group: "企业诉求".into(),
            })
            .collect(),
    )
}

/// A service's definition: the enterprise's unified social credit code is required.
#[utoipa::path(get, path = "/open311/v2/services/{file}", tag = "open311",
    params(("file" = String, Path, description = "The service code followed by .json, e.g. utilities.json")),
    responses((status = 200, body = ServiceDefinition), (status = 404, body = Vec<Open311Error>, description = "No such service")))]
pub(crate) async fn service(Path(file): Path<String>) -> Result<Json<ServiceDefinition>, Refused> {
    let code = json_file(&file)?;
    let category = service_code(code).ok_or_else(|| {
        Refused(
            StatusCode::NOT_FOUND,
            format!("service_code：没有服务 {code} (no such service)"),
        )
    })?;
    Ok(Json(ServiceDefinition {
        service_code: category.as_str().into(),
        attributes: vec![Attribute {
            variable: true,
            code: "credit_code".into(),
            datatype: "string".into(),
            required: true,
            datatype_description: "18 位统一社会信用代码 (18 characters)".into(),
            order: 1,
            description:
                "提出诉求的企业的统一社会信用代码 (the enterprise's unified social credit code)"
                    .into(),
        }],
    }))
}

/// Makes a request (form-encoded, as the specification says): `api_key`, `service_code`,
/// `description`, `attribute[credit_code]`, and optionally who called (`first_name`,
/// `last_name`, `phone`). It becomes an appeal of the hotline channel, received, with the
/// zone's handling limit as its deadline.
#[utoipa::path(post, path = "/open311/v2/requests.json", tag = "open311",
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, body = Vec<Created>),
        (status = 400, body = Vec<Open311Error>, description = "A malformed body, an unknown service_code, no description, or no enterprise with that credit code"),
        (status = 403, body = Vec<Open311Error>, description = "No api_key, or not a valid one"),
    ))]
pub(crate) async fn create(
    State(app): State<AppState>,
    ClientAddr(addr): ClientAddr,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Json<Vec<Created>>, Refused> {
    let Form(params) = form.map_err(|e| bad(format!("请求格式错误 (malformed request): {e}")))?;
    let (key, system_name) = system(&app, &addr, param(&params, "api_key").as_deref()).await?;
    let code = param(&params, "service_code").unwrap_or_default();
    let category = service_code(code.trim())
        .ok_or_else(|| bad(format!("service_code：没有服务“{code}” (no such service)")))?;
    let mut description = param(&params, "description")
        .unwrap_or_default()
        .trim()
        .to_owned();
    if description.is_empty() {
        return Err(bad(
            "description：请填写诉求内容 (a description is required)",
        ));
    }
    let caller: Vec<String> = ["last_name", "first_name", "phone"]
        .iter()
        .filter_map(|k| {
            param(&params, k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        })
        .collect();
    description += &format!("（{system_name}转办");
    if !caller.is_empty() {
        description += &format!("；来电人：{}", caller.join(" "));
    }
    description += "）";
    let credit = param(&params, "attribute[credit_code]")
        .unwrap_or_default()
        .trim()
        .to_uppercase();
    if credit.is_empty() {
        return Err(bad("attribute[credit_code]：请提供企业的统一社会信用代码 (the enterprise's credit code is required)"));
    }
    let now = chrono::Utc::now();
    let appeal = app
        .tx(move |sql| {
            let site = state::site_by_credit_code(sql, &credit)?.ok_or_else(|| {
                ApiError::bad_request(format!(
                    "园区内没有统一社会信用代码为 {credit} 的企业 (no enterprise with this credit code in the zone)"
                ))
                .field("attribute[credit_code]")
            })?;
            state::raise(sql, key, site, category, description, now)
        })
        .await?;
    let due = appeal.deadline.map(|d| d.to_string()).unwrap_or_default();
    Ok(Json(vec![Created {
        service_request_id: appeal.id.to_string(),
        service_notice: format!("已转园区流动办公桌受理，办理期限 {due} (received; due {due})"),
        account_id: None,
    }]))
}

/// The requests this system made, newest first (at most 1000): filtered by
/// `service_request_id` (comma-separated), `service_code`, `status` (open, closed) and
/// `start_date` / `end_date` (ISO 8601).
#[utoipa::path(get, path = "/open311/v2/requests.json", tag = "open311",
    params(("api_key" = String, Query, description = "The system's key")),
    responses(
        (status = 200, body = Vec<ServiceRequest>),
        (status = 400, body = Vec<Open311Error>, description = "A filter that cannot be read"),
        (status = 403, body = Vec<Open311Error>),
    ))]
pub(crate) async fn requests(
    State(app): State<AppState>,
    ClientAddr(addr): ClientAddr,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Json<Vec<ServiceRequest>>, Refused> {
    let Query(params) = query.map_err(|e| bad(format!("查询参数错误 (malformed query): {e}")))?;
    let (key, _) = system(&app, &addr, param(&params, "api_key").as_deref()).await?;
    let date = |name: &str| -> Result<Option<chrono::DateTime<chrono::Utc>>, Refused> {
        param(&params, name)
            .map(|v| {
                chrono::DateTime::parse_from_rfc3339(v.trim())
                    .map(|d| d.to_utc())
                    .map_err(|_| {
                        bad(format!(
                            "{name}：“{v}”不是 ISO 8601 时间 (not an ISO 8601 date-time)"
                        ))
                    })
            })
            .transpose()
    };
    let filter = RequestFilter {
        ids: param(&params, "service_request_id").map(|ids| {
            ids.split(',')
                .filter_map(|i| i.trim().parse().ok())
                .collect()
        }),
        service_code: match param(&params, "service_code") {
            None => None,
            Some(c) => Some(
                service_code(c.trim())
                    .ok_or_else(|| bad(format!("service_code：没有服务“{c}” (no such service)")))?,
            ),
        },
        open: match param(&params, "status").as_deref().map(str::trim) {
            None | Some("") => None,
            Some("open") => Some(true),
            Some("closed") => Some(false),
            Some(other) => {
                return Err(bad(format!(
                    "status：“{other}”应为 open 或 closed (open or closed)"
                )))
            }
        },
        start: date("start_date")?,
        end: date("end_date")?,
    };
    Ok(Json(
        app.tx(move |sql| state::requests(sql, key, &filter))
            .await?,
    ))
}

/// One request this system made.
#[utoipa::path(get, path = "/open311/v2/requests/{file}", tag = "open311",
    params(("file" = String, Path, description = "The service_request_id followed by .json"),
           ("api_key" = String, Query, description = "The system's key")),
    responses(
        (status = 200, body = Vec<ServiceRequest>),
        (status = 403, body = Vec<Open311Error>),
        (status = 404, body = Vec<Open311Error>, description = "No such request of this system"),
    ))]
pub(crate) async fn request(
    State(app): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Path(file): Path<String>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Json<Vec<ServiceRequest>>, Refused> {
    let Query(params) = query.map_err(|e| bad(format!("查询参数错误 (malformed query): {e}")))?;
    let id = json_file(&file)?.to_owned();
    let (key, _) = system(&app, &addr, param(&params, "api_key").as_deref()).await?;
    let missing = || {
        Refused(
            StatusCode::NOT_FOUND,
            format!("service_request_id：没有请求 {id} (no such request)"),
        )
    };
    let parsed: Uuid = id.parse().map_err(|_| missing())?;
    let filter = RequestFilter {
        ids: Some(vec![parsed]),
        ..Default::default()
    };
    let found = app
        .tx(move |sql| state::requests(sql, key, &filter))
        .await?;
    if found.is_empty() {
        return Err(missing());
    }
    Ok(Json(found))
}
