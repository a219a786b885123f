// The shapes the commands take and return. Kept beside ipc.ts, the one file that calls the Rust
// side. Generated from the Rust types into ../bindings (crates/app/src/bindings.rs; refresh
// with `cargo xtask bindings`); the hand-written ones below are to be generated as their Rust
// side derives `TS`.
import type { Appeal } from '../bindings/Appeal'

export type { AppError } from '../bindings/AppError'
export type { AppState } from '../bindings/AppState'
export type { LocalStatus } from '../bindings/LocalStatus'
export type { SyncStatus } from '../bindings/SyncStatus'
export type { SyncReport } from '../bindings/SyncReport'
export type { WorkingDate } from '../bindings/WorkingDate'
export type { Appeal } from '../bindings/Appeal'
export type { AppealStatus } from '../bindings/AppealStatus'
export type { Category } from '../bindings/Category'
export type { Urgency } from '../bindings/Urgency'
export type { LedgerRow } from '../bindings/LedgerRow'
export type { Progress as ProgressEntry } from '../bindings/Progress'
export type { AppealDetail } from '../bindings/AppealDetail'
export type { AppealAction } from '../bindings/AppealAction'
export type { ActionKind } from '../bindings/ActionKind'
export type { LedgerFilter } from '../bindings/LedgerFilter'
export type { LedgerOrder } from '../bindings/LedgerOrder'
export type { LedgerSort } from '../bindings/LedgerSort'
export type { LedgerPage } from '../bindings/LedgerPage'
export type { Alerts } from '../bindings/Alerts'
export type { Exported } from '../bindings/Exported'
export type { Stats } from '../bindings/Stats'
export type { Bulletin } from '../bindings/Bulletin'
export type { OrderView } from '../bindings/OrderView'
export type { TimeWindow } from '../bindings/TimeWindow'

// Desk sessions (crates/app/src/sessions.rs).
export type { SessionView as Session } from '../bindings/SessionView'
export type { StopView } from '../bindings/StopView'
export type { SessionDetail } from '../bindings/SessionDetail'
export type { SessionPlan } from '../bindings/SessionPlan'
export type { StopPlan } from '../bindings/StopPlan'
export type { SessionStatus } from '../bindings/SessionStatus'
export type { DeskType } from '../bindings/DeskType'

export type { Department } from '../bindings/Department'
export type { VisitDraft } from '../bindings/VisitDraft'
export type { AppealDraft } from '../bindings/AppealDraft'
export type { ResolutionDraft } from '../bindings/ResolutionDraft'
export type { ConsultationDraft } from '../bindings/ConsultationDraft'
export type { IdeaDraft } from '../bindings/IdeaDraft'
export type { DraftSummary } from '../bindings/DraftSummary'
export type { VisitSummary } from '../bindings/VisitSummary'

// Sites (企业 / 重点项目) and what happened at them (crates/app/src/sites.rs).
export type { SiteRow as Site } from '../bindings/SiteRow'
export type { SiteKind } from '../bindings/SiteKind'
export type { SiteInput } from '../bindings/SiteInput'
export type { SiteAppeal } from '../bindings/SiteAppeal'
export type { SiteHistory } from '../bindings/SiteHistory'
export type { Park } from '../bindings/Park'
export type { Visit } from '../bindings/Visit'
export type { Signature } from '../bindings/Signature'
export type { Location } from '../bindings/Location'
export type { Consultation } from '../bindings/Consultation'
export type { Suggestion } from '../bindings/Suggestion'

// The deliberation desk (crates/app/src/policy.rs).
export type { SuggestedGroup } from '../bindings/SuggestedGroup'
export type { PolicyAppeal } from '../bindings/PolicyAppeal'
export type { PolicyIssue } from '../bindings/PolicyIssue'
export type { PolicyIssueStatus } from '../bindings/PolicyIssueStatus'
export type { PolicyIssueView } from '../bindings/PolicyIssueView'
export type { NewPolicyIssue } from '../bindings/NewPolicyIssue'
export type { PolicyIssueChange } from '../bindings/PolicyIssueChange'
export type { TimeLimits } from '../bindings/TimeLimits'

// The zone's figures beyond Stats, for the charts (crates/app/src/figures.rs).
export type { FigureBreakdown } from '../bindings/FigureBreakdown'
export type { FigureSlice } from '../bindings/FigureSlice'
export type { DepartmentLoad } from '../bindings/DepartmentLoad'
export type { MonthFigures } from '../bindings/MonthFigures'
export type { OverdueAppeal } from '../bindings/OverdueAppeal'

// Sync review (crates/app/src/review.rs): values that lost a concurrent edit, and changes
// the server refused.
export type { ConflictItem } from '../bindings/ConflictItem'
export type { RejectionItem } from '../bindings/RejectionItem'
export type { KeepValue } from '../bindings/KeepValue'
export type { SettleRejection } from '../bindings/SettleRejection'
export type { Entity } from '../bindings/Entity'

// Administration (crates/app/src/admin.rs, desk-core's admin.rs).
export type { Account } from '../bindings/Account'
export type { NewAccount } from '../bindings/NewAccount'
export type { AccountChange } from '../bindings/AccountChange'
export type { DeviceInfo } from '../bindings/DeviceInfo'
export type { Role } from '../bindings/Role'
export type { KeyInfo } from '../bindings/KeyInfo'
export type { IssuedKey } from '../bindings/IssuedKey'
export type { Place } from '../bindings/Place'
