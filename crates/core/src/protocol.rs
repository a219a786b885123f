//! The sync protocol's messages, shared by the server and its clients. Version
//! [`PROTOCOL_VERSION`], sent by clients in the [`PROTOCOL_HEADER`] header; every reply states
//! the server's time in [`SERVER_TIME_HEADER`] (milliseconds since the Unix epoch), and sync
//! replies also in their body, so clients can correct their clock offset.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Op, Snapshot};

/// 2: the server sets who wrote a ledger entry and where it stands in its chain (`amended`),
/// derives appeals' statuses from their actions, and tells devices what left their scope.
pub const PROTOCOL_VERSION: u32 = 2;
pub const PROTOCOL_HEADER: &str = "x-desk-protocol";
pub const SERVER_TIME_HEADER: &str = "x-desk-server-time";

#[cfg(feature = "openapi")]
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub user: String,
    pub password: String,
    /// Shown to admins in the device list, e.g. "张三的平板".
    pub device_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct LoginResponse {
    /// Sent as `Authorization: Bearer <token>`; shown once, stored by the server only hashed.
    pub token: String,
    pub device_id: Uuid,
    pub user: UserInfo,
    pub server_time: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UserInfo {
    pub id: Uuid,
    pub name: String,
    pub display_name: String,
    pub role: crate::Role,
    pub parks: Vec<Uuid>,
    pub departments: Vec<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    pub ops: Vec<Op>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PushStatus {
    /// Landed now.
    Accepted,
    /// Landed before (same operation id): nothing more was done.
    Duplicate,
    /// Did not land, for `code` and `reason`.
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PushResult {
    pub op_id: Uuid,
    pub status: PushStatus,
    /// For rejections: `validation`, `illegal_transition`, `not_permitted`, `derived_field`,
    /// `forbidden`, `clock_ahead`, `unknown_record`, `unknown_reference`, `immutable`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For accepted operations (and duplicates of them): the fields the server set otherwise
    /// than sent, such as a ledger entry's author, device, statuses and place in its chain.
    /// The device takes them, so its copy of the operation is the server's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub amended: Option<serde_json::Map<String, serde_json::Value>>,
}

impl PushResult {
    pub fn accepted(op_id: Uuid) -> PushResult {
        PushResult {
            op_id,
            status: PushStatus::Accepted,
            code: None,
            field: None,
            reason: None,
            amended: None,
        }
    }

    pub fn rejected(op_id: Uuid, code: &str, field: Option<&str>, reason: String) -> PushResult {
        PushResult {
            op_id,
            status: PushStatus::Rejected,
            code: Some(code.into()),
            field: field.map(str::to_owned),
            reason: Some(reason),
            amended: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PushResponse {
    /// One per operation pushed, in the same order.
    pub results: Vec<PushResult>,
    pub server_time: i64,
}

/// A lost device's hand-over: how many of the operations it had not pushed the server kept
/// for the office to review.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct HandOverResponse {
    pub kept: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
#[serde(deny_unknown_fields)]
pub struct PullQuery {
    /// The `cursor` of the previous reply; 0 at first (after a bootstrap, the bootstrap's).
    #[serde(default)]
    pub cursor: i64,
    /// The `log` of the reply the cursor came from. A server restored from a backup has
    /// another, and answers 409: the cursor names a place in a log it no longer holds.
    pub log: Option<String>,
    /// At most this many changes (1 to 5,000; default 1,000).
    pub limit: Option<i64>,
}

/// One entry of the sync log, as one device sees it: an operation (pushed by a device, or
/// written by the server, such as an appeal's status following an action), a record sent whole
/// because it entered this device's scope, or a record that left it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Change {
    pub seq: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op: Option<Op>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<Snapshot>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left: Option<Left>,
}

/// A record this device may no longer see (transferred to another department, a site moved to
/// another park): the device lets go of it, unless it still has changes to it to push or settle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Left {
    pub entity: crate::Entity,
    pub record_id: Uuid,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PullResponse {
    pub changes: Vec<Change>,
    /// Where the next pull continues.
    pub cursor: i64,
    pub has_more: bool,
    pub server_time: i64,
    /// Names what the account may see (role, parks, departments). When it changes, the device
    /// bootstraps again to let go of what left its scope and take in what entered it.
    #[serde(default)]
    pub scope: String,
    /// Which log the cursor counts in: chosen when the database's log began, and chosen anew
    /// when a backup is restored into it.
    #[serde(default)]
    pub log: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
#[serde(deny_unknown_fields)]
pub struct BootstrapQuery {
    /// The `next` of the previous page; absent for the first.
    pub after: Option<String>,
    /// At most this many records (1 to 5,000; default 1,000).
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct BootstrapResponse {
    pub records: Vec<Snapshot>,
    /// The `after` of the next page; absent on the last.
    pub next: Option<String>,
    /// The log position this page is at least as new as. Keep the first page's, and pull from
    /// it once the last page is in.
    pub cursor: i64,
    pub server_time: i64,
    /// As in [`PullResponse::scope`].
    #[serde(default)]
    pub scope: String,
    /// As in [`PullResponse::log`].
    #[serde(default)]
    pub log: String,
}
