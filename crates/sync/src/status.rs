//! What the device tells its user about sync, in plain words.

use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "SyncPhase")]
pub enum Phase {
    Bootstrap,
    Push,
    Pull,
}

// `SyncStatus` in TypeScript, after the app's `sync-status` event.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
#[ts(rename = "SyncStatus")]
pub enum Status {
    /// Never synced, or not signed in.
    Idle,
    /// The server cannot be reached; changes wait on the device.
    Offline { reason: String, pending: i64 },
    /// Working: `done` of `total` (total 0 when unknown).
    Syncing { phase: Phase, done: u64, total: u64 },
    /// Everything written here is on the server and everything there is here.
    UpToDate { at: String },
    /// Something a person must do: sign in again, update the app, look at rejected changes.
    NeedsAttention { reason: String },
}

impl Status {
    /// One line, Chinese first.
    pub fn describe(&self) -> String {
        match self {
            Status::Idle => "尚未同步 (not synced yet)".into(),
            Status::Offline { reason, pending } => {
                format!(
                    "离线，{pending} 条修改待上传 (offline, {pending} changes waiting): {reason}"
                )
            }
            Status::Syncing { phase, done, total } => {
                let what = match phase {
                    Phase::Bootstrap => "首次下载 (first download)",
                    Phase::Push => "上传 (uploading)",
                    Phase::Pull => "下载 (downloading)",
                };
                if *total > 0 {
                    format!("同步中 (syncing)：{what} {done}/{total}")
                } else {
                    format!("同步中 (syncing)：{what} {done}")
                }
            }
            Status::UpToDate { at } => format!("已是最新 (up to date), {at}"),
            Status::NeedsAttention { reason } => format!("需要处理 (needs attention): {reason}"),
        }
    }
}
