//! The protocol's three calls and a reachability probe, behind a trait so the engine runs the
//! same over HTTP and in the deterministic simulation.

use std::future::Future;
use std::time::Duration;

use desk_core::protocol::*;
use desk_core::{Entity, Op, Snapshot};
use uuid::Uuid;

#[derive(Debug, Clone, thiserror::Error)]
pub enum TransportError {
    /// The server could not be reached, or failed: try again later.
    #[error("无法连接服务器 (server unreachable): {0}")]
    Offline(String),
    /// The token is unknown or the device was revoked.
    #[error("设备未登录或已被停用，请重新登录 (signed out or revoked: sign in again)")]
    Unauthorized,
    /// The app is too old for the server.
    #[error("{0}")]
    UpgradeRequired(String),
    /// The server's certificate is not one this machine trusts (or not for this address).
    #[error("服务器的证书不受信任：请在本机安装本区的根证书，或核对服务器地址 (the server's certificate is not trusted: install the zone's CA certificate on this machine, or check the address): {0}")]
    Untrusted(String),
    /// An administrator marked this device lost: it hands over and erases itself.
    #[error("{0}")]
    DeviceLost(String),
    /// The server refused the request itself (not one operation): a bug or a limit.
    #[error("服务器拒绝了请求 (the server refused the request): {status} {message}")]
    Refused { status: u16, message: String },
}

impl TransportError {
    /// Worth retrying by itself, later.
    pub fn is_transient(&self) -> bool {
        matches!(self, TransportError::Offline(_))
    }
}

pub type Result<T> = std::result::Result<T, TransportError>;

/// A request that got no answer, with every cause in the chain (reqwest's own message names only
/// the URL): an untrusted certificate apart, since waiting does not cure it.
pub(crate) fn unanswered(e: reqwest::Error) -> TransportError {
    let mut why = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        why.push_str(": ");
        why.push_str(&cause.to_string());
        source = cause.source();
    }
    if why.contains("certificate") {
        TransportError::Untrusted(why)
    } else {
        TransportError::Offline(why)
    }
}

pub trait Transport: Send + Sync {
    fn push(&self, ops: Vec<Op>) -> impl Future<Output = Result<PushResponse>> + Send;
    /// A lost device's unpushed operations, kept by the server for review; how many it kept.
    fn hand_over(&self, ops: Vec<Op>) -> impl Future<Output = Result<usize>> + Send;
    fn pull(&self, query: PullQuery) -> impl Future<Output = Result<PullResponse>> + Send;
    fn bootstrap(
        &self,
        after: Option<String>,
        limit: i64,
    ) -> impl Future<Output = Result<BootstrapResponse>> + Send;
    /// One record as the server holds it; `None` if it has none (or none this device may see).
    fn record(
        &self,
        entity: Entity,
        id: Uuid,
    ) -> impl Future<Output = Result<Option<Snapshot>>> + Send;
    /// Cheap: does the server answer at all?
    fn probe(&self) -> impl Future<Output = bool> + Send;
    /// The server's live feed of its log's head; a transport without one says so.
    fn live(&self) -> impl Future<Output = Result<LiveFeed>> + Send {
        async {
            Err(TransportError::Refused {
                status: 404,
                message: "no live feed".into(),
            })
        }
    }
}

/// The cursors the server's log reaches, as they are reached, until the connection ends.
pub struct LiveFeed {
    heads: tokio::sync::mpsc::Receiver<i64>,
}

impl LiveFeed {
    pub fn new(heads: tokio::sync::mpsc::Receiver<i64>) -> LiveFeed {
        LiveFeed { heads }
    }

    /// The next head; `None` once the feed has ended.
    pub async fn next(&mut self) -> Option<i64> {
        self.heads.recv().await
    }
}

/// The cursor of a server-sent event's `data: {"cursor": N}` line.
fn head_of(line: &[u8]) -> Option<i64> {
    #[derive(serde::Deserialize)]
    struct Head {
        cursor: i64,
    }
    let data = line.strip_prefix(b"data:")?;
    serde_json::from_slice::<Head>(data).ok().map(|h| h.cursor)
}

/// The protocol over HTTP(S).
#[derive(Clone)]
pub struct HttpTransport {
    http: reqwest::Client,
    /// Without an overall timeout, for the live feed: a stream stays open for hours. The
    /// server's keep-alive every 15 s shows it is still there; silence past 45 s ends it.
    streaming: reqwest::Client,
    base: String,
    token: String,
}

impl HttpTransport {
    pub fn new(base: &str, token: &str) -> HttpTransport {
        HttpTransport {
            http: client(),
            streaming: reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(5))
                .read_timeout(Duration::from_secs(45))
                .build()
                .expect("HTTP client"),
            base: base.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
        }
    }

    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<T> {
        let resp = req
            .bearer_auth(&self.token)
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .send()
            .await
            .map_err(unanswered)?;
        read(resp).await
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(120))
        .build()
        .expect("HTTP client")
}

/// Bodies above this size go compressed (zstd); below it the saving does not pay for the work.
const COMPRESS_ABOVE: usize = 4 * 1024;

/// A request with `body`, compressed with zstd (`Content-Encoding: zstd`) when it is large: a
/// push of real records shrinks several times, which is what a weak link needs. Replies come
/// compressed the other way when the server offers it (reqwest asks, and decompresses).
fn compressed(req: reqwest::RequestBuilder, body: Vec<u8>) -> reqwest::RequestBuilder {
    if body.len() > COMPRESS_ABOVE {
        if let Ok(small) = zstd::encode_all(&body[..], 3) {
            return req
                .header(reqwest::header::CONTENT_ENCODING, "zstd")
                .body(small);
        }
    }
    req.body(body)
}

/// A reply as the protocol's outcome.
pub async fn read<T: serde::de::DeserializeOwned>(resp: reqwest::Response) -> Result<T> {
    let status = resp.status().as_u16();
    if (200..300).contains(&status) {
        return resp
            .json()
            .await
            .map_err(|e| TransportError::Offline(format!("bad reply: {e}")));
    }
    let body: serde_json::Value = resp.json().await.unwrap_or_default();
    let message = body["message"].as_str().unwrap_or_default().to_owned();
    Err(match status {
        401 => TransportError::Unauthorized,
        410 if body["code"] == "device_lost" => TransportError::DeviceLost(message),
        426 => TransportError::UpgradeRequired(message),
        500.. => TransportError::Offline(format!("server error {status}: {message}")),
        _ => TransportError::Refused { status, message },
    })
}

impl Transport for HttpTransport {
    async fn push(&self, ops: Vec<Op>) -> Result<PushResponse> {
        let json = serde_json::to_vec(&PushRequest { ops }).expect("operations serialise");
        self.send(
            compressed(self.http.post(format!("{}/v1/push", self.base)), json)
                .header(reqwest::header::CONTENT_TYPE, "application/json"),
        )
        .await
    }

    async fn hand_over(&self, ops: Vec<Op>) -> Result<usize> {
        let json = serde_json::to_vec(&PushRequest { ops }).expect("operations serialise");
        let reply: HandOverResponse = self
            .send(
                compressed(self.http.post(format!("{}/v1/handover", self.base)), json)
                    .header(reqwest::header::CONTENT_TYPE, "application/json"),
            )
            .await?;
        Ok(reply.kept)
    }

    async fn pull(&self, query: PullQuery) -> Result<PullResponse> {
        self.send(
            self.http
                .get(format!("{}/v1/pull", self.base))
                .query(&query),
        )
        .await
    }

    async fn bootstrap(&self, after: Option<String>, limit: i64) -> Result<BootstrapResponse> {
        let mut req = self
            .http
            .get(format!("{}/v1/bootstrap", self.base))
            .query(&[("limit", limit.to_string())]);
        if let Some(a) = after {
            req = req.query(&[("after", a)]);
        }
        self.send(req).await
    }

    async fn record(&self, entity: Entity, id: Uuid) -> Result<Option<Snapshot>> {
        let url = format!(
            "{}/v1/records/{}/{id}",
            self.base,
            serde_json::to_value(entity)
                .expect("entity")
                .as_str()
                .expect("text")
        );
        match self.send(self.http.get(url)).await {
            Ok(s) => Ok(Some(s)),
            Err(TransportError::Refused { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn probe(&self) -> bool {
        self.http
            .get(format!("{}/healthz", self.base))
            .timeout(Duration::from_secs(3))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    }

    async fn live(&self) -> Result<LiveFeed> {
        let mut resp = self
            .streaming
            .get(format!("{}/v1/live", self.base))
            .bearer_auth(&self.token)
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .send()
            .await
            .map_err(unanswered)?;
        if !resp.status().is_success() {
            return Err(read::<serde_json::Value>(resp)
                .await
                .err()
                .unwrap_or(TransportError::Offline("no live feed".into())));
        }
        let (tx, rx) = tokio::sync::mpsc::channel(16);
        tokio::spawn(async move {
            let mut pending: Vec<u8> = Vec::new();
            while let Ok(Some(chunk)) = resp.chunk().await {
                pending.extend_from_slice(&chunk);
                while let Some(end) = pending.iter().position(|b| *b == b'\n') {
                    let line: Vec<u8> = pending.drain(..=end).collect();
                    if let Some(head) = head_of(line.trim_ascii()) {
                        if tx.send(head).await.is_err() {
                            return; // no one listens any more
                        }
                    }
                }
            }
        });
        Ok(LiveFeed::new(rx))
    }
}

/// Signs a device in; the token it returns is for [`HttpTransport::new`].
pub async fn login(
    base: &str,
    user: &str,
    password: &str,
    device_name: &str,
) -> Result<LoginResponse> {
    let resp = client()
        .post(format!("{}/v1/login", base.trim_end_matches('/')))
        .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
        .json(&LoginRequest {
            user: user.into(),
            password: password.into(),
            device_name: device_name.into(),
        })
        .send()
        .await
        .map_err(unanswered)?;
    if resp.status().as_u16() == 401 {
        let body: serde_json::Value = resp.json().await.unwrap_or_default();
        return Err(TransportError::Refused {
            status: 401,
            message: body["message"]
                .as_str()
                .unwrap_or("用户名或密码错误 (wrong user name or password)")
                .to_owned(),
        });
    }
    read(resp).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_head_is_read_from_its_event_line_and_nothing_else_is() {
        assert_eq!(super::head_of(b"data:{\"cursor\":42}"), Some(42));
        assert_eq!(super::head_of(b"data: {\"cursor\": 7}"), Some(7));
        assert_eq!(super::head_of(b"event: head"), None);
        assert_eq!(super::head_of(b": keep-alive"), None);
        assert_eq!(super::head_of(b"data: {\"cursor\": \"x\"}"), None);
    }
}
