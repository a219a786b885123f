// The shapes the commands return (src-tauri/src/desk.rs). Kept beside ipc.ts, the one file
// that calls the Rust side.

export interface AppError {
  code: string
  field: string | null
  message: string
}

export type SyncStatus =
  | { state: 'idle' }
  | { state: 'offline'; reason: string; pending: number }
  | { state: 'syncing'; phase: 'bootstrap' | 'push' | 'pull'; done: number; total: number }
  | { state: 'up_to_date'; at: string }
  | { state: 'needs_attention'; reason: string }

export interface AppState {
  ready: boolean
  server: string | null
  user: string | null
  local: { device_id: string; pending: number; conflicts: number; rejections: number; last_sync_at: string | null }
  sync: SyncStatus
}

export interface Stop {
  id: string
  position: number
  site_name: string | null
  slot_start: string | null
  slot_end: string | null
}

export interface Session {
  id: string
  date: string
  leader: string
  desk_types: string[]
  status: string
  summary: string | null
  stops: Stop[]
}

export type AppealStatus = 'received' | 'dispatched' | 'in_progress' | 'resolved' | 'confirmed'

export interface Appeal {
  id: string
  site_id: string
  site_name?: string | null
  raised_at: string
  category: string
  description: string
  urgency: string
  status: AppealStatus
  deadline: string | null
  satisfaction: number | null
}

export interface ProgressEntry {
  id: string
  at: string
  author: string
  note: string
  from_status: AppealStatus | null
  to_status: AppealStatus | null
  reason: string | null
}

export interface AppealDetail {
  appeal: Appeal
  progress: ProgressEntry[]
}

export interface Stats {
  sessions: number
  visits: number
  consultations: number
  appeals: number
  appeals_resolved: number
  resolution_rate: number | null
  on_time_rate: number | null
  overdue_appeals: number
  suggestions: number
  suggestions_adopted: number
  satisfaction_average: number | null
}

export type AppealAction =
  | { action: 'start' }
  | { action: 'resolve' }
  | { action: 'confirm'; satisfaction: number }
  | { action: 'return'; reason: string }
  | { action: 'reopen'; reason: string }
