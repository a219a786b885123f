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

/// Diagnostics on stderr when `DESK_LOG` names a filter (`DESK_LOG=info`); silent otherwise.
fn init_logging() {
    if let Ok(filter) = std::env::var("DESK_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .try_init();
    }
}

#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    init_logging();
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
            commands::session,
            commands::save_session,
            commands::start_session,
            commands::finish_session,
            commands::ledger,
            commands::appeal,
            commands::act_on_appeal,
            commands::add_progress,
            commands::new_visit,
            commands::visit_drafts,
            commands::visit_draft,
            commands::save_visit_draft,
            commands::discard_visit_draft,
            commands::finish_visit,
            commands::departments,
            commands::create_department,
            commands::stats,
            commands::find_sites,
            commands::create_site,
            commands::site_history,
            commands::parks,
            commands::figures,
            commands::conflicts,
            commands::resolve_conflict,
            commands::rejections,
            commands::settle_rejection,
            commands::sync_now,
        ])
        .run(tauri::generate_context!())
        .expect("the app failed to start");
}
