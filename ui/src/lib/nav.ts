// Where the app is: a tab of the bottom bar, and over it at most one full-screen page (visit
// capture, a session being planned, the deliberation desk, administration). Screens open pages through these functions.
import { reactive } from 'vue'

export type Tab = 'today' | 'ledger' | 'sites' | 'figures' | 'sync'
export type Page =
  | { name: 'visit'; draftId: string }
  | { name: 'session'; sessionId: string | null }
  | { name: 'policy' }
  | { name: 'admin' }

// `synced` counts the syncs that brought the device up to date: screens showing records read
// them again when it moves, so a change made elsewhere appears without anyone asking.
export const nav = reactive<{ tab: Tab; page: Page | null; synced: number }>({ tab: 'today', page: null, synced: 0 })

export function openPage(page: Page) {
  nav.page = page
}

export function closePage() {
  nav.page = null
}
