//! The UI's commands: thin and async, each a call into [`Desk`]; store work runs off the main
//! thread. Sync runs in the background and reports its status as `sync-status` events.

use std::time::Duration;

use desk_core::admin::{Account, AccountChange, DeviceInfo, IssuedKey, KeyInfo, NewAccount};
use desk_core::model::{Department, Park};
use desk_core::stats::Stats;
use desk_sync::SyncReport;
use tauri::{AppHandle, Emitter, Manager, Runtime, State};
use uuid::Uuid;

use desk_app::visit::{DraftSummary, VisitDraft, VisitSummary};
use desk_app::{
    Alerts, AppError, AppState, AppealAction, AppealDetail, Desk, Exported, LedgerFilter,
    LedgerPage,
};
use desk_app::{
    ConflictItem, FigureBreakdown, KeepValue, RejectionItem, SettleRejection, SiteHistory,
    SiteInput, SiteRow,
};
use desk_app::{NewPolicyIssue, PolicyIssueChange, PolicyIssueView, SuggestedGroup};
use desk_app::{OrderView, Place};
use desk_app::{SessionDetail, SessionPlan, SessionView};
use desk_store::LedgerOrder;

type Result<T> = std::result::Result<T, AppError>;

/// Runs store work on a blocking thread: commands never stall the window.
async fn blocking<R: Runtime, T: Send + 'static>(
    app: AppHandle<R>,
    f: impl FnOnce(&Desk) -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(move || f(&app.state::<Desk>()))
        .await
        .map_err(|e| AppError {
            code: "failed".into(),
            params: Default::default(),
            field: None,
            message: e.to_string(),
        })?
}

#[tauri::command]
pub async fn app_state<R: Runtime>(app: AppHandle<R>) -> Result<AppState> {
    // The window asks this before it draws its first screen: the moment cold start is timed to.
    static FIRST: std::sync::Once = std::sync::Once::new();
    FIRST.call_once(|| tracing::info!("first screen requested"));
    blocking(app, |d| d.state()).await
}

#[tauri::command]
pub async fn work_offline<R: Runtime>(app: AppHandle<R>) -> Result<AppState> {
    blocking(app, |d| d.work_offline()).await
}

#[tauri::command]
pub async fn login<R: Runtime>(
    app: AppHandle<R>,
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

// The administrator's screens, through the server.

#[tauri::command]
pub async fn accounts(desk: State<'_, Desk>) -> Result<Vec<Account>> {
    desk.accounts().await
}

#[tauri::command]
pub async fn create_account(desk: State<'_, Desk>, account: NewAccount) -> Result<Account> {
    desk.create_account(account).await
}

#[tauri::command]
pub async fn change_account(
    desk: State<'_, Desk>,
    id: Uuid,
    change: AccountChange,
) -> Result<Account> {
    desk.change_account(id, change).await
}

#[tauri::command]
pub async fn reset_password(desk: State<'_, Desk>, id: Uuid, password: String) -> Result<()> {
    desk.reset_password(id, password).await
}

#[tauri::command]
pub async fn devices(desk: State<'_, Desk>) -> Result<Vec<DeviceInfo>> {
    desk.devices().await
}

#[tauri::command]
pub async fn revoke_device(desk: State<'_, Desk>, id: Uuid) -> Result<()> {
    desk.revoke_device(id).await
}

#[tauri::command]
pub async fn create_place(
    desk: State<'_, Desk>,
    kind: Place,
    name: String,
    level: Option<String>,
) -> Result<()> {
    desk.create_place(kind, name, level).await
}

#[tauri::command]
pub async fn api_keys(desk: State<'_, Desk>) -> Result<Vec<KeyInfo>> {
    desk.api_keys().await
}

#[tauri::command]
pub async fn issue_api_key(desk: State<'_, Desk>, name: String) -> Result<IssuedKey> {
    desk.issue_api_key(name).await
}

#[tauri::command]
pub async fn revoke_api_key(desk: State<'_, Desk>, name: String) -> Result<()> {
    desk.revoke_api_key(name).await
}

#[tauri::command]
pub async fn sessions<R: Runtime>(app: AppHandle<R>) -> Result<Vec<SessionView>> {
    blocking(app, |d| d.sessions()).await
}

#[tauri::command]
pub async fn session<R: Runtime>(app: AppHandle<R>, id: Uuid) -> Result<SessionDetail> {
    blocking(app, move |d| d.session(id)).await
}

#[tauri::command]
pub async fn save_session<R: Runtime>(
    app: AppHandle<R>,
    plan: SessionPlan,
) -> Result<SessionDetail> {
    blocking(app, move |d| d.save_session(plan)).await
}

#[tauri::command]
pub async fn start_session<R: Runtime>(app: AppHandle<R>, id: Uuid) -> Result<SessionDetail> {
    blocking(app, move |d| d.start_session(id)).await
}

#[tauri::command]
pub async fn finish_session<R: Runtime>(
    app: AppHandle<R>,
    id: Uuid,
    summary: Option<String>,
) -> Result<SessionDetail> {
    blocking(app, move |d| d.finish_session(id, summary)).await
}

#[tauri::command]
pub async fn ledger<R: Runtime>(
    app: AppHandle<R>,
    filter: LedgerFilter,
    order: LedgerOrder,
    after: Option<String>,
) -> Result<LedgerPage> {
    blocking(app, move |d| d.ledger(&filter, order, after.as_deref())).await
}

/// The visit minutes (走访纪要) as an A4 page, for the window to preview and print.
#[tauri::command]
pub async fn visit_minutes<R: Runtime>(app: AppHandle<R>, visit_id: Uuid) -> Result<String> {
    blocking(app, move |d| d.visit_minutes(visit_id)).await
}

/// A session's summary (活动小结) as an A4 page, for the window to preview and print.
#[tauri::command]
pub async fn session_summary<R: Runtime>(app: AppHandle<R>, session_id: Uuid) -> Result<String> {
    blocking(app, move |d| d.session_summary(session_id)).await
}

/// The month's report (工作月报) as an A4 page, for the window to preview and print.
#[tauri::command]
pub async fn month_report<R: Runtime>(app: AppHandle<R>) -> Result<String> {
    blocking(app, |d| d.month_report()).await
}

#[tauri::command]
pub async fn alerts<R: Runtime>(app: AppHandle<R>, within: Option<u32>) -> Result<Alerts> {
    let within = within.unwrap_or(desk_core::deadline::DUE_SOON_WITHIN);
    blocking(app, move |d| d.alerts(within)).await
}

/// Asks where to save (the system's save dialog; `DESK_SAVE_DIR`, when set, answers instead,
/// for the end-to-end tests, which cannot reach a native dialog), then writes the ledger as
/// filtered and ordered. `None` when the dialog was cancelled.
#[tauri::command]
pub async fn export_ledger<R: Runtime>(
    app: AppHandle<R>,
    filter: LedgerFilter,
    order: LedgerOrder,
    format: String,
) -> Result<Option<Exported>> {
    let extension = if format == "csv" { "csv" } else { "xlsx" };
    let today = desk_core::time::local_date(chrono::Utc::now());
    let name = format!("台账-{today}.{extension}");
    let dialog = app.clone();
    // One blocking thread for both: the dialog waits for the user, the export for the disk.
    blocking(app, move |d| {
        let path = match std::env::var_os("DESK_SAVE_DIR") {
            Some(dir) => Some(std::path::PathBuf::from(dir).join(&name)),
            None => {
                use tauri_plugin_dialog::DialogExt;
                dialog
                    .dialog()
                    .file()
                    .set_file_name(&name)
                    .add_filter(extension.to_uppercase(), &[extension])
                    .blocking_save_file()
                    .and_then(|p| p.into_path().ok())
            }
        };
        let Some(path) = path else { return Ok(None) };
        let rows = d.export_ledger(&filter, order, &path)?;
        Ok(Some(Exported {
            path: path.display().to_string(),
            rows,
        }))
    })
    .await
}

#[tauri::command]
pub async fn appeal<R: Runtime>(app: AppHandle<R>, id: Uuid) -> Result<AppealDetail> {
    blocking(app, move |d| d.appeal(id)).await
}

#[tauri::command]
pub async fn act_on_appeal<R: Runtime>(
    app: AppHandle<R>,
    id: Uuid,
    action: AppealAction,
    note: Option<String>,
) -> Result<AppealDetail> {
    blocking(app, move |d| d.act_on_appeal(id, action, note.as_deref())).await
}

#[tauri::command]
pub async fn add_progress<R: Runtime>(
    app: AppHandle<R>,
    id: Uuid,
    note: String,
) -> Result<AppealDetail> {
    blocking(app, move |d| d.add_progress(id, &note)).await
}

#[tauri::command]
pub async fn add_working_days<R: Runtime>(
    app: AppHandle<R>,
    from: String,
    days: u32,
) -> Result<desk_core::calendar::WorkingDate> {
    blocking(app, move |d| d.add_working_days(&from, days)).await
}

#[tauri::command]
pub async fn new_visit<R: Runtime>(
    app: AppHandle<R>,
    session_id: Option<Uuid>,
    site_id: Option<Uuid>,
) -> Result<VisitDraft> {
    blocking(app, move |d| d.new_visit(session_id, site_id)).await
}

#[tauri::command]
pub async fn visit_drafts<R: Runtime>(app: AppHandle<R>) -> Result<Vec<DraftSummary>> {
    blocking(app, |d| d.visit_drafts()).await
}

#[tauri::command]
pub async fn visit_draft<R: Runtime>(app: AppHandle<R>, id: Uuid) -> Result<VisitDraft> {
    blocking(app, move |d| d.visit_draft(id)).await
}

#[tauri::command]
pub async fn save_visit_draft<R: Runtime>(app: AppHandle<R>, draft: VisitDraft) -> Result<()> {
    blocking(app, move |d| d.save_visit_draft(&draft)).await
}

#[tauri::command]
pub async fn discard_visit_draft<R: Runtime>(app: AppHandle<R>, id: Uuid) -> Result<()> {
    blocking(app, move |d| d.discard_visit_draft(id)).await
}

#[tauri::command]
pub async fn finish_visit<R: Runtime>(app: AppHandle<R>, id: Uuid) -> Result<VisitSummary> {
    // The background sync notices the new records on its own (it watches the outbox).
    blocking(app, move |d| d.finish_visit(id)).await
}

#[tauri::command]
pub async fn departments<R: Runtime>(app: AppHandle<R>) -> Result<Vec<Department>> {
    blocking(app, |d| d.departments()).await
}

#[tauri::command]
pub async fn create_department<R: Runtime>(app: AppHandle<R>, name: String) -> Result<Department> {
    blocking(app, move |d| d.create_department(&name)).await
}

#[tauri::command]
pub async fn stats<R: Runtime>(app: AppHandle<R>) -> Result<Stats> {
    blocking(app, |d| d.stats()).await
}

#[tauri::command]
pub async fn policy_suggestions<R: Runtime>(app: AppHandle<R>) -> Result<Vec<SuggestedGroup>> {
    blocking(app, |d| d.policy_suggestions()).await
}

#[tauri::command]
pub async fn policy_issues<R: Runtime>(app: AppHandle<R>) -> Result<Vec<PolicyIssueView>> {
    blocking(app, |d| d.policy_issues()).await
}

#[tauri::command]
pub async fn create_policy_issue<R: Runtime>(
    app: AppHandle<R>,
    issue: NewPolicyIssue,
) -> Result<PolicyIssueView> {
    blocking(app, move |d| d.create_policy_issue(issue)).await
}

#[tauri::command]
pub async fn change_policy_issue<R: Runtime>(
    app: AppHandle<R>,
    change: PolicyIssueChange,
) -> Result<PolicyIssueView> {
    blocking(app, move |d| d.change_policy_issue(change)).await
}

#[tauri::command]
pub async fn unlink_appeal<R: Runtime>(app: AppHandle<R>, appeal_id: Uuid) -> Result<()> {
    blocking(app, move |d| d.unlink_appeal(appeal_id)).await
}

#[tauri::command]
pub async fn find_sites<R: Runtime>(app: AppHandle<R>, query: String) -> Result<Vec<SiteRow>> {
    blocking(app, move |d| d.find_sites(&query)).await
}

#[tauri::command]
pub async fn create_site<R: Runtime>(app: AppHandle<R>, input: SiteInput) -> Result<SiteRow> {
    blocking(app, move |d| d.create_site(input)).await
}

#[tauri::command]
pub async fn site_history<R: Runtime>(app: AppHandle<R>, id: Uuid) -> Result<SiteHistory> {
    blocking(app, move |d| d.site_history(id)).await
}

#[tauri::command]
pub async fn parks<R: Runtime>(app: AppHandle<R>) -> Result<Vec<Park>> {
    blocking(app, |d| d.parks()).await
}

#[tauri::command]
pub async fn visit_receipt<R: Runtime>(
    app: AppHandle<R>,
    visit_id: Uuid,
) -> Result<Option<desk_app::visit::Receipt>> {
    blocking(app, move |d| d.receipt(visit_id)).await
}

#[tauri::command]
pub async fn revoke_receipt<R: Runtime>(app: AppHandle<R>, visit_id: Uuid) -> Result<()> {
    blocking(app, move |d| d.revoke_receipt(visit_id)).await
}

#[tauri::command]
pub async fn sign_visit<R: Runtime>(
    app: AppHandle<R>,
    visit_id: Uuid,
    signer: String,
    strokes: Vec<Vec<[u16; 2]>>,
) -> Result<desk_core::model::Signature> {
    blocking(app, move |d| d.sign_visit(visit_id, signer, strokes)).await
}

#[tauri::command]
pub async fn orders<R: Runtime>(app: AppHandle<R>) -> Result<Vec<OrderView>> {
    blocking(app, |d| d.orders()).await
}

#[tauri::command]
pub async fn dispatch_order<R: Runtime>(
    app: AppHandle<R>,
    id: Uuid,
    window: usize,
) -> Result<Vec<OrderView>> {
    blocking(app, move |d| d.dispatch_order(id, window)).await
}

#[tauri::command]
pub async fn bulletin<R: Runtime>(app: AppHandle<R>) -> Result<desk_core::bulletin::Bulletin> {
    blocking(app, |d| d.bulletin()).await
}

#[tauri::command]
pub async fn figures<R: Runtime>(app: AppHandle<R>) -> Result<FigureBreakdown> {
    blocking(app, |d| d.figures()).await
}

#[tauri::command]
pub async fn conflicts<R: Runtime>(app: AppHandle<R>) -> Result<Vec<ConflictItem>> {
    blocking(app, |d| d.conflicts()).await
}

#[tauri::command]
pub async fn resolve_conflict<R: Runtime>(
    app: AppHandle<R>,
    id: i64,
    keep: KeepValue,
) -> Result<AppState> {
    let state = blocking(app.clone(), move |d| d.resolve_conflict(id, keep)).await?;
    sync_soon(app);
    Ok(state)
}

#[tauri::command]
pub async fn rejections<R: Runtime>(app: AppHandle<R>) -> Result<Vec<RejectionItem>> {
    blocking(app, |d| d.rejections()).await
}

#[tauri::command]
pub async fn settle_rejection<R: Runtime>(
    app: AppHandle<R>,
    desk: State<'_, Desk>,
    op_id: Uuid,
    how: SettleRejection,
) -> Result<AppState> {
    let state = desk.settle_rejection(op_id, how).await?;
    sync_soon(app);
    Ok(state)
}

/// After a conflict or a refused change is settled: sync, so what was written again goes out
/// and the status shown says what is left (when signed in; otherwise nothing to do).
fn sync_soon<R: Runtime>(app: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        let _ = app.state::<Desk>().sync_now().await;
    });
}

#[tauri::command]
pub async fn sync_now(desk: State<'_, Desk>) -> Result<SyncReport> {
    desk.sync_now().await
}

/// On the office's desktops: once a day, a system notification of what needs attention
/// (overdue and due soon), permission asked first where the system asks for one.
#[cfg(desktop)]
pub fn start_daily_reminder<R: Runtime>(app: AppHandle<R>) {
    use tauri_plugin_notification::{NotificationExt, PermissionState};
    tauri::async_runtime::spawn(async move {
        loop {
            let reminder = blocking(app.clone(), |d| d.daily_reminder()).await;
            if let Ok(Some(text)) = reminder {
                let n = app.notification();
                let allowed = match n.permission_state() {
                    Ok(PermissionState::Granted) => true,
                    Ok(PermissionState::Denied) => false,
                    _ => matches!(n.request_permission(), Ok(PermissionState::Granted)),
                };
                if allowed {
                    let _ = n.builder().title("流动办公桌 · 需要关注").body(text).show();
                }
            }
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    });
}

/// Once signed in: keep syncing (after local writes, periodically, when the server is back)
/// and tell the window how it goes.
pub fn start_background_sync<R: Runtime>(app: AppHandle<R>) {
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
        let stopped = desk_sync::watch::watch(&engine, opts, std::future::pending()).await;
        if let desk_sync::watch::Stopped::Lost { kept } = stopped {
            drop(engine);
            let said = app
                .state::<Desk>()
                .erase_lost(&desk_sync::SyncError::Lost { kept });
            let _ = app.emit("device-lost", said.message);
        }
    });
}
