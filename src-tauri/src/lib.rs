//! The app: a Tauri v2 shell over the same store and sync engine as the `desk` CLI.
//!
//! What the app does is the `desk-app` crate (no Tauri in it, so it is built and tested like
//! any library); `commands.rs` exposes it to the web UI as thin async commands; sync runs in
//! the background and reports its status to the UI as `sync-status` events.

mod commands;

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
    with_commands(tauri::Builder::default())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .setup(|app| {
            let desk = desk_app::Desk::open(&data_dir(app.handle()))?;
            app.manage(desk);
            commands::start_background_sync(app.handle().clone());
            #[cfg(desktop)]
            commands::start_daily_reminder(app.handle().clone());
            Ok(())
        })
        .run(tauri::generate_context!())
        .expect("the app failed to start");
}

/// The commands the UI may call, on any runtime: the real one in [`run`], Tauri's mock runtime
/// in the command tests.
fn with_commands<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        commands::app_state,
        commands::work_offline,
        commands::login,
        commands::sessions,
        commands::session,
        commands::save_session,
        commands::start_session,
        commands::finish_session,
        commands::ledger,
        commands::alerts,
        commands::visit_minutes,
        commands::month_report,
        commands::session_summary,
        commands::export_ledger,
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
        commands::add_working_days,
        commands::create_department,
        commands::stats,
        commands::find_sites,
        commands::create_site,
        commands::site_history,
        commands::parks,
        commands::figures,
        commands::bulletin,
        commands::orders,
        commands::visit_receipt,
        commands::revoke_receipt,
        commands::sign_visit,
        commands::dispatch_order,
        commands::policy_suggestions,
        commands::policy_issues,
        commands::create_policy_issue,
        commands::change_policy_issue,
        commands::unlink_appeal,
        commands::conflicts,
        commands::resolve_conflict,
        commands::rejections,
        commands::settle_rejection,
        commands::sync_now,
        commands::accounts,
        commands::create_account,
        commands::change_account,
        commands::reset_password,
        commands::devices,
        commands::revoke_device,
        commands::create_place,
        commands::api_keys,
        commands::issue_api_key,
        commands::revoke_api_key,
    ])
}

/// The commands as the window calls them, on Tauri's mock runtime: argument names and shapes,
/// results and errors as JSON, the way `ui/src/lib/ipc.ts` sends and reads them.
#[cfg(test)]
mod tests {
    use serde_json::{json, Value};
    use tauri::ipc::{CallbackFn, InvokeBody};
    use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, MockRuntime};
    use tauri::webview::InvokeRequest;
    use tauri::{Manager, WebviewWindow};

    use super::*;

    fn window(dir: &std::path::Path) -> WebviewWindow<MockRuntime> {
        let app = with_commands(mock_builder())
            .build(mock_context(noop_assets()))
            .expect("the mock app");
        app.manage(desk_app::Desk::open(dir).expect("a store"));
        tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("a window")
    }

    fn invoke(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
        get_ipc_response(
            window,
            InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: InvokeBody::Json(args),
                headers: Default::default(),
                invoke_key: tauri::test::INVOKE_KEY.to_string(),
            },
        )
        .map(|body| body.deserialize().expect("a JSON result"))
    }

    #[test]
    fn a_visit_goes_from_first_run_to_the_ledger_through_the_commands() {
        let dir = tempfile::tempdir().unwrap();
        let w = window(dir.path());
        assert_eq!(invoke(&w, "app_state", json!({})).unwrap()["ready"], false);
        assert_eq!(
            invoke(&w, "work_offline", json!({})).unwrap()["ready"],
            true
        );

        let site = invoke(
            &w,
            "create_site",
            json!({ "input": { "name": "湖北斯诺新材料有限公司", "credit_code": null, "kind": "enterprise", "park_id": null } }),
        )
        .unwrap();
        let dept = invoke(
            &w,
            "create_department",
            json!({ "name": "自然资源和规划中心" }),
        )
        .unwrap();
        let mut draft = invoke(
            &w,
            "new_visit",
            json!({ "sessionId": null, "siteId": site["id"] }),
        )
        .unwrap();
        assert_eq!(draft["site_name"], "湖北斯诺新材料有限公司");
        draft["started_at"] = json!("2024-10-26T00:30:00Z");
        draft["appeals"] = json!([{
            "id": uuid::Uuid::now_v7(), "category": "environment", "urgency": "normal",
            "description": "厂区围墙外公共绿化",
            "resolution": { "action": "制定绿化方案", "lead_department_id": dept["id"],
                            "co_department_ids": [], "deadline": "2024-10-28", "commitment": "" },
        }]);
        invoke(&w, "save_visit_draft", json!({ "draft": draft })).unwrap();
        let listed = invoke(&w, "visit_drafts", json!({})).unwrap();
        assert_eq!(listed[0]["appeals"], 1);

        let summary = invoke(&w, "finish_visit", json!({ "id": draft["id"] })).unwrap();
        assert!(summary["text"].as_str().unwrap().contains("2024年10月26日"));
        let ledger = invoke(
            &w,
            "ledger",
            json!({
                "filter": { "status": "dispatched", "overdue": false, "search": "绿化" },
                "order": { "by": "deadline", "descending": false },
                "after": null,
            }),
        )
        .unwrap();
        assert_eq!(ledger["total"], 1);
        assert_eq!(ledger["rows"][0]["description"], "厂区围墙外公共绿化");
        assert_eq!(ledger["rows"][0]["deadline"], "2024-10-28");
        let alerts = invoke(&w, "alerts", json!({ "within": null })).unwrap();
        assert_eq!(alerts["within"], 3);
        assert_eq!(alerts["overdue"]["total"], 1, "{alerts}");
        assert_eq!(invoke(&w, "stats", json!({})).unwrap()["appeals"], 1);
    }

    #[test]
    fn errors_reach_the_window_naming_the_field() {
        let dir = tempfile::tempdir().unwrap();
        let w = window(dir.path());
        let err = invoke(&w, "create_department", json!({ "name": " " })).unwrap_err();
        assert_eq!(err["field"], "name");
        assert!(err["message"].as_str().unwrap().contains("必填"), "{err}");
        let err = invoke(&w, "finish_visit", json!({ "id": uuid::Uuid::now_v7() })).unwrap_err();
        assert_eq!(err["field"], "id");
        // A malformed call is refused before it reaches the store.
        let err = invoke(&w, "save_visit_draft", json!({ "draft": { "notes": "x" } })).unwrap_err();
        assert!(err.as_str().unwrap_or_default().contains("draft"), "{err}");
        let err = invoke(&w, "sync_now", json!({})).unwrap_err();
        assert_eq!(err["code"], "not_signed_in");
    }
}
