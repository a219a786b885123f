//! The administrator's routes (`/v1/admin/…`, `/v1/devices`), for the app's administration
//! screens: called with the device's own token; the server checks the role and answers anyone
//! else 403.

use desk_core::admin::{
    Account, AccountChange, Created, DeviceInfo, IssuedKey, KeyInfo, NewAccount, NewKey,
    NewPassword, NewPlace,
};
use desk_core::protocol::{PROTOCOL_HEADER, PROTOCOL_VERSION};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::transport::{client, unanswered};

/// Why the server did not do it: its code, the field it names and its message (Chinese first,
/// English second); `offline` when it could not be reached.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub code: String,
    pub field: Option<String>,
    pub message: String,
}

impl Refusal {
    fn failed(message: impl Into<String>) -> Refusal {
        Refusal {
            code: "failed".into(),
            field: None,
            message: message.into(),
        }
    }
}

pub type Result<T> = std::result::Result<T, Refusal>;

pub struct AdminClient {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl AdminClient {
    pub fn new(base: &str, token: &str) -> AdminClient {
        AdminClient {
            http: client(),
            base: base.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
        }
    }

    pub async fn accounts(&self) -> Result<Vec<Account>> {
        self.json(self.http.get(self.url("/v1/admin/accounts")))
            .await
    }

    pub async fn create_account(&self, new: &NewAccount) -> Result<Account> {
        self.json(self.http.post(self.url("/v1/admin/accounts")).json(new))
            .await
    }

    pub async fn change_account(&self, id: Uuid, change: &AccountChange) -> Result<Account> {
        self.json(
            self.http
                .patch(self.url(&format!("/v1/admin/accounts/{id}")))
                .json(change),
        )
        .await
    }

    pub async fn reset_password(&self, id: Uuid, password: &str) -> Result<()> {
        let body = NewPassword {
            password: password.to_owned(),
        };
        self.empty(
            self.http
                .post(self.url(&format!("/v1/admin/accounts/{id}/password")))
                .json(&body),
        )
        .await
    }

    /// Every device, for an administrator.
    pub async fn devices(&self) -> Result<Vec<DeviceInfo>> {
        self.json(self.http.get(self.url("/v1/devices"))).await
    }

    pub async fn revoke_device(&self, id: Uuid) -> Result<()> {
        self.empty(
            self.http
                .post(self.url(&format!("/v1/devices/{id}/revoke"))),
        )
        .await
    }

    pub async fn create_park(&self, name: &str) -> Result<Created> {
        let body = NewPlace {
            name: name.to_owned(),
            level: None,
        };
        self.json(self.http.post(self.url("/v1/admin/parks")).json(&body))
            .await
    }

    pub async fn create_department(&self, name: &str, level: &str) -> Result<Created> {
        let body = NewPlace {
            name: name.to_owned(),
            level: Some(level.to_owned()),
        };
        self.json(
            self.http
                .post(self.url("/v1/admin/departments"))
                .json(&body),
        )
        .await
    }

    pub async fn api_keys(&self) -> Result<Vec<KeyInfo>> {
        self.json(self.http.get(self.url("/v1/admin/api-keys")))
            .await
    }

    pub async fn issue_api_key(&self, name: &str) -> Result<IssuedKey> {
        let body = NewKey {
            name: name.to_owned(),
        };
        self.json(self.http.post(self.url("/v1/admin/api-keys")).json(&body))
            .await
    }

    pub async fn revoke_api_key(&self, name: &str) -> Result<()> {
        let mut url = reqwest::Url::parse(&self.url("/v1/admin/api-keys/"))
            .map_err(|e| Refusal::failed(e.to_string()))?;
        url.path_segments_mut()
            .map_err(|()| Refusal::failed("bad server address"))?
            .pop_if_empty()
            .push(name);
        self.empty(self.http.delete(url)).await
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<reqwest::Response> {
        let resp = req
            .bearer_auth(&self.token)
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .send()
            .await
            .map_err(|e| Refusal {
                code: "offline".into(),
                field: None,
                message: unanswered(e).to_string(),
            })?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        let status = resp.status().as_u16();
        let body: serde_json::Value = resp.json().await.unwrap_or_default();
        Err(Refusal {
            code: body["code"].as_str().unwrap_or("failed").to_owned(),
            field: body["field"].as_str().map(str::to_owned),
            message: body["message"].as_str().map_or_else(
                || format!("服务器错误 (server error) {status}"),
                str::to_owned,
            ),
        })
    }

    async fn json<T: DeserializeOwned>(&self, req: reqwest::RequestBuilder) -> Result<T> {
        self.send(req)
            .await?
            .json()
            .await
            .map_err(|e| Refusal::failed(format!("服务器答复无法读取 (bad reply): {e}")))
    }

    async fn empty(&self, req: reqwest::RequestBuilder) -> Result<()> {
        self.send(req).await.map(drop)
    }
}
