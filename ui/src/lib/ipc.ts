// The only module that talks to Rust. Every command the UI uses is a typed function here.
import { invoke } from '@tauri-apps/api/core'
import { listen, type UnlistenFn } from '@tauri-apps/api/event'
import type { AppealAction, AppealDetail, AppState, Appeal, Session, Stats, SyncStatus } from './types'

export const appState = () => invoke<AppState>('app_state')
export const workOffline = () => invoke<AppState>('work_offline')
export const login = (server: string, user: string, password: string, deviceName: string) =>
  invoke<AppState>('login', { server, user, password, deviceName })
export const sessions = () => invoke<Session[]>('sessions')
export const ledger = (status: string | null, overdue: boolean) => invoke<Appeal[]>('ledger', { status, overdue })
export const appeal = (id: string) => invoke<AppealDetail>('appeal', { id })
export const actOnAppeal = (id: string, action: AppealAction, note?: string) =>
  invoke<AppealDetail>('act_on_appeal', { id, action, note: note ?? null })
export const addProgress = (id: string, note: string) => invoke<AppealDetail>('add_progress', { id, note })
export const stats = () => invoke<Stats>('stats')
export const syncNow = () => invoke<unknown>('sync_now')
export const onSyncStatus = (f: (s: SyncStatus) => void): Promise<UnlistenFn> =>
  listen<SyncStatus>('sync-status', (e) => f(e.payload))
