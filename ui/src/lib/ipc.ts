// The only module that talks to Rust. Every command the UI uses is a typed function here.
import { invoke } from '@tauri-apps/api/core'
import { listen, type UnlistenFn } from '@tauri-apps/api/event'
import type {
  Alerts, AppealAction, AppealDetail, AppState, Department, DraftSummary, Exported, LedgerFilter, LedgerOrder, LedgerPage, Session, Stats, SyncReport, SyncStatus, VisitDraft, VisitSummary, WorkingDate,
} from './types'
import type { SessionDetail, SessionPlan, Signature } from './types'
import type { NewPolicyIssue, PolicyIssueChange, PolicyIssueView, SuggestedGroup } from './types'
import type { Account, AccountChange, DeviceInfo, IssuedKey, KeyInfo, NewAccount, Place } from './types'
import type {
  Bulletin, ConflictItem, FigureBreakdown, KeepValue, OrderView, Park, RejectionItem, SettleRejection, Site, SiteHistory, SiteInput,
} from './types'

export const appState = () => invoke<AppState>('app_state')
export const workOffline = () => invoke<AppState>('work_offline')
export const login = (server: string, user: string, password: string, deviceName: string) =>
  invoke<AppState>('login', { server, user, password, deviceName })
export const sessions = () => invoke<Session[]>('sessions')
// A session's page: the whole plan saved at once; then start, and finish with a summary.
export const session = (id: string) => invoke<SessionDetail>('session', { id })
export const saveSession = (plan: SessionPlan) => invoke<SessionDetail>('save_session', { plan })
export const startSession = (id: string) => invoke<SessionDetail>('start_session', { id })
export const finishSession = (id: string, summary: string | null) => invoke<SessionDetail>('finish_session', { id, summary })
// The ledger a page at a time: `after` is the `next` of the page before (null for the first).
export const ledger = (filter: LedgerFilter, order: LedgerOrder, after: string | null = null) =>
  invoke<LedgerPage>('ledger', { filter, order, after })
// The visit minutes (走访纪要), an A4 HTML page to preview and print.
export const visitMinutes = (visitId: string) => invoke<string>('visit_minutes', { visitId })
// A session's summary (活动小结), an A4 HTML page to preview and print.
export const sessionSummary = (sessionId: string) => invoke<string>('session_summary', { sessionId })
// The month's report (工作月报), an A4 HTML page to preview and print.
export const monthReport = () => invoke<string>('month_report')
// What needs attention: overdue, and due within `within` working days (3 unless given).
export const alerts = (within: number | null = null) => invoke<Alerts>('alerts', { within })
// The ledger as shown, to a file the system's save dialog asks for; null when cancelled.
export const exportLedger = (filter: LedgerFilter, order: LedgerOrder, format: 'xlsx' | 'csv') =>
  invoke<Exported | null>('export_ledger', { filter, order, format })
export const appeal = (id: string) => invoke<AppealDetail>('appeal', { id })
export const actOnAppeal = (id: string, action: AppealAction, note?: string) =>
  invoke<AppealDetail>('act_on_appeal', { id, action, note: note ?? null })
export const addProgress = (id: string, note: string) => invoke<AppealDetail>('add_progress', { id, note })
// Visit capture: a draft saved as the official types, written as records when finished.
export const newVisit = (sessionId: string | null, siteId: string | null) => invoke<VisitDraft>('new_visit', { sessionId, siteId })
export const visitDrafts = () => invoke<DraftSummary[]>('visit_drafts')
export const visitDraft = (id: string) => invoke<VisitDraft>('visit_draft', { id })
export const saveVisitDraft = (draft: VisitDraft) => invoke<void>('save_visit_draft', { draft })
export const discardVisitDraft = (id: string) => invoke<void>('discard_visit_draft', { id })
export const finishVisit = (id: string) => invoke<VisitSummary>('finish_visit', { id })
export const departments = () => invoke<Department[]>('departments')
// A deadline in working days (5 个工作日), in the State Council's calendar.
export const addWorkingDays = (from: string, days: number) => invoke<WorkingDate>('add_working_days', { from, days })
export const createDepartment = (name: string) => invoke<Department>('create_department', { name })
export const stats = () => invoke<Stats>('stats')
// Sites: search (name, pinyin initials, credit code), create, and a site's history.
export const findSites = (query: string) => invoke<Site[]>('find_sites', { query })
export const createSite = (input: SiteInput) => invoke<Site>('create_site', { input })
export const siteHistory = (id: string) => invoke<SiteHistory>('site_history', { id })
export const parks = () => invoke<Park[]>('parks')
export const figures = () => invoke<FigureBreakdown>('figures')
export const bulletin = () => invoke<Bulletin>('bulletin')
// Enterprises' orders waiting for dispatch (待派单); dispatching one in its n-th window (from 1).
export const orders = () => invoke<OrderView[]>('orders')
// A visit's receipt (走访回执), and taking it back.
export const revokeReceipt = (visitId: string) => invoke<void>('revoke_receipt', { visitId })
// The enterprise representative's signature under the read-back minutes: strokes of [x, y] on the pad.
export const signVisit = (visitId: string, signer: string, strokes: [number, number][][]) =>
  invoke<Signature>('sign_visit', { visitId, signer, strokes })
export const dispatchOrder = (id: string, window: number) => invoke<OrderView[]>('dispatch_order', { id, window })
// The deliberation desk: suggested groups of alike appeals, and the policy issues taken up.
export const policySuggestions = () => invoke<SuggestedGroup[]>('policy_suggestions')
export const policyIssues = () => invoke<PolicyIssueView[]>('policy_issues')
export const createPolicyIssue = (issue: NewPolicyIssue) => invoke<PolicyIssueView>('create_policy_issue', { issue })
export const changePolicyIssue = (change: PolicyIssueChange) => invoke<PolicyIssueView>('change_policy_issue', { change })
export const unlinkAppeal = (appealId: string) => invoke<void>('unlink_appeal', { appealId })
// Sync review: each returns the app's state, so the counts shown follow.
export const conflicts = () => invoke<ConflictItem[]>('conflicts')
export const resolveConflict = (id: number, keep: KeepValue) => invoke<AppState>('resolve_conflict', { id, keep })
export const rejections = () => invoke<RejectionItem[]>('rejections')
export const settleRejection = (opId: string, how: SettleRejection) => invoke<AppState>('settle_rejection', { opId, how })
export const syncNow = () => invoke<SyncReport>('sync_now')
// Administration, through the server (an administrator's account only).
export const accounts = () => invoke<Account[]>('accounts')
export const createAccount = (account: NewAccount) => invoke<Account>('create_account', { account })
export const changeAccount = (id: string, change: AccountChange) => invoke<Account>('change_account', { id, change })
export const resetPassword = (id: string, password: string) => invoke<void>('reset_password', { id, password })
export const devices = () => invoke<DeviceInfo[]>('devices')
export const revokeDevice = (id: string) => invoke<void>('revoke_device', { id })
// A park or department made on the server, synced here at once.
export const createPlace = (kind: Place, name: string, level: string | null = null) => invoke<void>('create_place', { kind, name, level })
// Integrating systems' Open311 keys: a new key is shown once.
export const apiKeys = () => invoke<KeyInfo[]>('api_keys')
export const issueApiKey = (name: string) => invoke<IssuedKey>('issue_api_key', { name })
export const revokeApiKey = (name: string) => invoke<void>('revoke_api_key', { name })
export const onSyncStatus = (f: (s: SyncStatus) => void): Promise<UnlistenFn> =>
  listen<SyncStatus>('sync-status', (e) => f(e.payload))
// The device was marked lost by an administrator: it handed over and erased itself.
export const onDeviceLost = (f: (message: string) => void): Promise<UnlistenFn> =>
  listen<string>('device-lost', (e) => f(e.payload))
