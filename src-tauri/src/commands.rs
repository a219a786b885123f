//! The UI's commands: thin and async, each a call into [`Desk`]; store work runs off the main
//! thread. Sync runs in the background and reports its status as `sync-status` events.

use std::time::Duration;

use desk_core::stats::Stats;
use desk_sync::SyncReport;
use serde_json::Value;
use tauri::{AppHandle, Emitter, Manager, State};
use uuid::Uuid;

use crate::desk::{AppError, AppState, AppealAction, Desk};

type Result<T> = std::result::Result<T, AppError>;

/// Runs store work on a blocking thread: commands never stall the window.
async fn blocking<T: Send + 'static>(
    app: AppHandle,
    f: impl FnOnce(&Desk) -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(move || f(&app.state::<Desk>()))
        .await
        .map_err(|e| AppError {
            code: "failed".into(),
            field: None,
            message: e.to_string(),
        })?
}

#[tauri::command]
pub async fn app_state(app: AppHandle) -> Result<AppState> {
    blocking(app, |d| d.state()).await
}

#[tauri::command]
pub async fn work_offline(app: AppHandle) -> Result<AppState> {
    blocking(app, |d| d.work_offline()).await
}

#[tauri::command]
pub async fn login(
    app: AppHandle,
    desk: State<'_, Desk>,
    server: String,
    user: String,
    password: String,
    device_name: String,
) -> Result<AppState> {
    let state = desk.login(&server, &user, &password, &device_name).await?;
    start_background_sync(app);
    Ok(state)
}

#[tauri::command]
pub async fn sessions(app: AppHandle) -> Result<Vec<Value>> {
    blocking(app, |d| d.sessions()).await
}

#[tauri::command]
pub async fn ledger(app: AppHandle, status: Option<String>, overdue: bool) -> Result<Vec<Value>> {
    blocking(app, move |d| d.ledger(status.as_deref(), overdue)).await
}

#[tauri::command]
pub async fn appeal(app: AppHandle, id: Uuid) -> Result<Value> {
    blocking(app, move |d| d.appeal(id)).await
}

#[tauri::command]
pub async fn act_on_appeal(
    app: AppHandle,
    id: Uuid,
    action: AppealAction,
    note: Option<String>,
) -> Result<Value> {
    blocking(app, move |d| d.act_on_appeal(id, action, note.as_deref())).await
}

#[tauri::command]
pub async fn add_progress(app: AppHandle, id: Uuid, note: String) -> Result<Value> {
    blocking(app, move |d| d.add_progress(id, &note)).await
}

#[tauri::command]
pub async fn stats(app: AppHandle) -> Result<Stats> {
    blocking(app, |d| d.stats()).await
}

#[tauri::command]
pub async fn sync_now(desk: State<'_, Desk>) -> Result<SyncReport> {
    desk.sync_now().await
}

/// Once signed in: keep syncing (after local writes, periodically, when the server is back)
/// and tell the window how it goes.
pub fn start_background_sync(app: AppHandle) {
    let Some(engine) = app.state::<Desk>().engine() else {
        return;
    };
    let mut status = engine.status();
    let events = app.clone();
    tauri::async_runtime::spawn(async move {
        while status.changed().await.is_ok() {
            let s = status.borrow_and_update().clone();
            let _ = events.emit("sync-status", s);
        }
    });
    tauri::async_runtime::spawn(async move {
        let opts = desk_sync::watch::WatchOptions {
            interval: Duration::from_secs(30),
            ..Default::default()
        };
        desk_sync::watch::watch(&engine, opts, std::future::pending()).await;
    });
}
