//! The app: a Tauri v2 shell over the same store and sync engine as the `desk` CLI.
//!
//! `desk.rs` holds what the app does (no Tauri in it, so it is tested like any library);
//! `commands.rs` exposes it to the web UI as thin async commands; sync runs in the background
//! and reports its status to the UI as `sync-status` events.

mod commands;
pub mod desk;

use std::path::PathBuf;

use tauri::Manager;

/// Where the store lives: `DESK_DATA_DIR` if set (tests), else the app's data directory.
fn data_dir(app: &tauri::AppHandle) -> PathBuf {
    std::env::var_os("DESK_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| app.path().app_data_dir().expect("an app data directory"))
}

#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    tauri::Builder::default()
        .setup(|app| {
            let desk = desk::Desk::open(&data_dir(app.handle()))?;
            app.manage(desk);
            commands::start_background_sync(app.handle().clone());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_state,
            commands::work_offline,
            commands::login,
            commands::sessions,
            commands::ledger,
            commands::appeal,
            commands::act_on_appeal,
            commands::add_progress,
            commands::stats,
            commands::sync_now,
        ])
        .run(tauri::generate_context!())
        .expect("the app failed to start");
}
