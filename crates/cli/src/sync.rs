//! `desk login`, `desk sync [--watch]`, `desk status`, `desk conflicts`, `desk rejections`.
//!
//! The device token is kept in `credentials.json` in the data directory, readable by its owner
//! only (mode 0600).

use std::io::BufRead;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use desk_core::ValidationError;
use desk_store::{Keep, Store, StoreError};
use desk_sync::credentials::{self, Credentials};
use desk_sync::watch::WatchOptions;
use desk_sync::{Engine, HttpTransport};

use crate::output::Out;

fn load_credentials(data_dir: &Path) -> Result<Credentials, String> {
    credentials::load(data_dir)?.ok_or_else(|| {
        "本设备尚未登录，请先运行 desk login (this device is not signed in: run desk login first)".to_owned()
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn password(from_stdin: bool) -> Result<String, String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    } else {
        rpassword::prompt_password("密码 (password): ").map_err(|e| e.to_string())
    }
}

pub fn login(
    store: &mut Store,
    data_dir: &Path,
    server: &str,
    user: &str,
    device_name: Option<String>,
    from_stdin: bool,
    out: &Out,
) -> Result<(), String> {
    let password = password(from_stdin)?;
    let name = device_name.unwrap_or_else(|| {
        std::fs::read_to_string("/etc/hostname")
            .map(|h| h.trim().to_owned())
            .unwrap_or_else(|_| "desk".into())
    });
    let reply = runtime()
        .block_on(desk_sync::transport::login(server, user, &password, &name))
        .map_err(|e| e.to_string())?;
    credentials::save(
        data_dir,
        &Credentials {
            server: server.trim_end_matches('/').to_owned(),
            token: reply.token,
            device_id: reply.device_id,
            user: reply.user.name.clone(),
        },
    )
    .map_err(|e| e.to_string())?;
    // Local actions are checked as the server will check them, for this account's role.
    store
        .set_account_role(reply.user.role)
        .map_err(|e| e.to_string())?;
    out.done(&format!(
        "已登录 (signed in) {} @ {server}，角色 (role) {}（{}）",
        reply.user.display_name,
        reply.user.role.label_zh(),
        reply.user.role.as_str()
    ));
    Ok(())
}

pub fn sync(
    data_dir: &Path,
    store: Store,
    watch: bool,
    interval: u64,
    out: &Out,
) -> Result<(), String> {
    let creds = load_credentials(data_dir)?;
    let engine = Engine::new(
        Arc::new(Mutex::new(store)),
        HttpTransport::new(&creds.server, &creds.token),
    );
    let rt = runtime();
    if watch {
        let opts = WatchOptions {
            interval: Duration::from_secs(interval.max(1)),
            ..WatchOptions::default()
        };
        let mut status = engine.status();
        let stopped = rt.block_on(async {
            let printing = async {
                while status.changed().await.is_ok() {
                    let s = status.borrow_and_update().clone();
                    if !matches!(s, desk_sync::Status::Syncing { .. }) {
                        eprintln!("{}", s.describe());
                    }
                }
            };
            tokio::select! {
                stopped = desk_sync::watch::watch(&engine, opts, async { let _ = tokio::signal::ctrl_c().await; }) => stopped,
                _ = printing => desk_sync::watch::Stopped::Shutdown,
            }
        });
        return match stopped {
            desk_sync::watch::Stopped::Lost { kept } => {
                drop(engine);
                Err(erase(data_dir, desk_sync::SyncError::Lost { kept }))
            }
            desk_sync::watch::Stopped::Shutdown => Ok(()),
        };
    }
    // Progress on stderr while it works; the outcome on stdout.
    let mut progress = engine.status();
    let report = rt.block_on(async {
        let printing = async {
            while progress.changed().await.is_ok() {
                let s = progress.borrow_and_update().clone();
                if matches!(s, desk_sync::Status::Syncing { .. }) {
                    eprintln!("{}", s.describe());
                }
            }
        };
        tokio::select! {
            r = engine.sync() => r,
            _ = printing => unreachable!("the status outlives the sync"),
        }
    });
    let status = engine.status().borrow().clone();
    match report {
        Ok(r) => {
            if out.json {
                out!(
                    "{}",
                    serde_json::to_string_pretty(
                        &serde_json::json!({"report": r, "status": status})
                    )
                    .expect("json")
                );
            } else {
                out!(
                    "上传 (pushed) {}，被拒 (rejected) {}，下载 (pulled) {}，首次下载 (bootstrapped) {}",
                    r.pushed, r.rejected, r.pulled, r.bootstrapped
                );
                for said in r.clock_correction.iter().chain(&r.ledger_broken) {
                    out!("{said}");
                }
                out!("{}", status.describe());
            }
            Ok(())
        }
        Err(lost @ desk_sync::SyncError::Lost { .. }) => {
            drop(engine);
            Err(erase(data_dir, lost))
        }
        Err(e) => Err(status_or(&status, &e.to_string())),
    }
}

/// A device marked lost that has handed over: its store, key and sign-in go; what is said is
/// what happened.
fn erase(data_dir: &Path, lost: desk_sync::SyncError) -> String {
    match desk_sync::erase(data_dir) {
        Ok(()) => lost.to_string(),
        Err(e) => format!(
            "此设备已被标记为丢失，但清除本机数据失败 (this device was marked lost, but erasing its data failed): {e}"
        ),
    }
}

fn status_or(status: &desk_sync::Status, fallback: &str) -> String {
    match status {
        desk_sync::Status::Idle => fallback.to_owned(),
        s => s.describe(),
    }
}

pub fn status(data_dir: &Path, store: &Store, out: &Out) -> Result<(), StoreError> {
    let s = store.status()?;
    let creds = load_credentials(data_dir).ok();
    if out.json {
        let mut v = serde_json::to_value(&s).expect("json");
        v["server"] = creds.as_ref().map(|c| c.server.clone()).into();
        v["user"] = creds.as_ref().map(|c| c.user.clone()).into();
        out!("{}", serde_json::to_string_pretty(&v).expect("json"));
        return Ok(());
    }
    match &creds {
        Some(c) => out!("服务器 (server)       {} （{}）", c.server, c.user),
        None => out!("服务器 (server)       未登录 (not signed in): 数据只保存在本设备 (records stay on this device)"),
    }
    out!("本设备 (device)       {}", s.device_id);
    if let Some(place) = &s.key_place {
        out!("加密 (encryption)     {place}");
    }
    out!("待上传 (pending)      {}", s.pending);
    out!(
        "上次同步 (last sync)  {}",
        s.sync.last_sync_at.as_deref().unwrap_or("—")
    );
    out!("同步位置 (cursor)     {}", s.sync.cursor);
    out!(
        "保留已确认 (kept)     {} 天，供从备份恢复的服务器补传 (days of acknowledged changes, for a server restored from a backup)",
        s.retention_days
    );
    out!("冲突 (conflicts)      {}", s.conflicts);
    out!("被拒绝 (rejections)   {}", s.rejections);
    out!(
        "时钟偏差 (clock)      {} ms（服务器时间减本机时间 / server minus device）",
        s.sync.clock_offset_ms
    );
    if let Some(c) = &s.clock_correction {
        out!("时钟校正 (corrected) {} · {}", c.message, c.at);
    }
    if let Some(b) = &s.ledger_broken {
        out!("台账校验 (ledger)     {b}");
    }
    Ok(())
}

pub fn conflicts(
    store: &mut Store,
    action: Option<crate::args::ConflictCmd>,
    out: &Out,
) -> Result<(), StoreError> {
    match action {
        None => {
            let list = store.conflicts()?;
            if out.json {
                out!("{}", serde_json::to_string_pretty(&list).expect("json"));
                return Ok(());
            }
            if list.is_empty() {
                out!("（没有冲突 / no conflicts）");
            }
            for c in list {
                let who = |mine: bool| {
                    if mine {
                        "本设备 mine"
                    } else {
                        "其他设备 theirs"
                    }
                };
                out!(
                    "#{}  {} {}  {}：保留 (kept) {} [{}]，落选 (lost) {} [{}]",
                    c.id,
                    c.entity.name_zh(),
                    c.record_id,
                    c.field,
                    c.kept_value,
                    who(c.kept_by_this_device),
                    c.lost_value,
                    who(c.lost_by_this_device)
                );
            }
            Ok(())
        }
        Some(crate::args::ConflictCmd::Resolve { id, keep, value }) => {
            let keep =
                match (keep.as_deref(), value) {
                    (_, Some(v)) => Keep::Value(serde_json::from_str(&v).map_err(|_| {
                        ValidationError::Invalid {
                            field: "value",
                            value: v.clone(),
                            expected: "JSON, e.g. \"text\", 5, null".into(),
                        }
                    })?),
                    (Some("mine"), None) => Keep::Mine,
                    (Some("theirs"), None) => Keep::Theirs,
                    (other, None) => {
                        return Err(ValidationError::Invalid {
                            field: "keep",
                            value: other.unwrap_or_default().into(),
                            expected: "mine, theirs, or --value".into(),
                        }
                        .into())
                    }
                };
            store.resolve_conflict(id, keep)?;
            out.done(&format!("冲突 #{id} 已处理 (conflict settled)"));
            Ok(())
        }
    }
}

pub fn rejections(
    data_dir: &Path,
    store: &mut Store,
    action: Option<crate::args::RejectionCmd>,
    out: &Out,
) -> Result<(), StoreError> {
    match action {
        None => {
            let list = store.rejections()?;
            if out.json {
                out!("{}", serde_json::to_string_pretty(&list).expect("json"));
                return Ok(());
            }
            if list.is_empty() {
                out!("（没有被拒绝的修改 / no rejected changes）");
            }
            for r in list {
                out!(
                    "{}  {} {}  [{}] {}\n    → {}",
                    r.op_id,
                    r.entity.name_zh(),
                    r.record_id,
                    r.code,
                    r.reason,
                    r.hint
                );
            }
            Ok(())
        }
        Some(crate::args::RejectionCmd::Resolve { op_id, keep }) => {
            let id = op_id.parse().map_err(|_| ValidationError::Invalid {
                field: "op_id",
                value: op_id.clone(),
                expected: "an operation id (UUID)".into(),
            })?;
            let keep_mine = match keep.as_str() {
                "mine" => true,
                "theirs" => false,
                other => {
                    return Err(ValidationError::Invalid {
                        field: "keep",
                        value: other.into(),
                        expected: "mine or theirs".into(),
                    }
                    .into())
                }
            };
            let creds = load_credentials(data_dir).map_err(StoreError::Remote)?;
            let store = std::mem::replace(store, Store::open_in_memory()?);
            let engine = Engine::new(
                Arc::new(Mutex::new(store)),
                HttpTransport::new(&creds.server, &creds.token),
            );
            runtime()
                .block_on(engine.resolve_rejection(id, keep_mine))
                .map_err(|e| match e {
                    desk_sync::SyncError::Store(s) => s,
                    other => StoreError::Remote(other.to_string()),
                })?;
            out.done(if keep_mine {
                "已重新提交，下次同步时上传 (sent again at the next sync)"
            } else {
                "已恢复为服务器上的版本 (back to the server's version)"
            });
            Ok(())
        }
        Some(crate::args::RejectionCmd::Dismiss { op_id }) => {
            let id = op_id.parse().map_err(|_| ValidationError::Invalid {
                field: "op_id",
                value: op_id.clone(),
                expected: "an operation id (UUID)".into(),
            })?;
            store.dismiss_rejection(id)?;
            out.done("已标记为已处理 (dismissed)");
            Ok(())
        }
    }
}
