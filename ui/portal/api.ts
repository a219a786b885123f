// The portal's calls to desk-server, on the same origin. Errors carry the server's message,
// which is bilingual, and the field it names.
import type { Board } from '../src/bindings/Board'
import type { BoardPark } from '../src/bindings/BoardPark'
import type { PortalAppeal } from '../src/bindings/PortalAppeal'
import type { PortalAppeals } from '../src/bindings/PortalAppeals'
import type { PortalOrder } from '../src/bindings/PortalOrder'
import type { PortalReceipt } from '../src/bindings/PortalReceipt'
import type { TimeWindow } from '../src/bindings/TimeWindow'
import type { PortalSession } from '../src/bindings/PortalSession'

const TOKEN = 'desk-portal-session'

export class PortalError extends Error {
  constructor(
    message: string,
    public status: number,
    public field: string | null,
    public retryAfter: number | null,
  ) {
    super(message)
  }
}

export function savedSession(): PortalSession | null {
  const saved = localStorage.getItem(TOKEN)
  if (!saved) return null
  const session = JSON.parse(saved) as PortalSession
  return session.expires_at > Date.now() ? session : null
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const session = savedSession()
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (session) headers.authorization = `Bearer ${session.token}`
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  if (response.status === 204) return undefined as T
  const json = await response.json().catch(() => null)
  if (!response.ok) {
    if (response.status === 401 && session) localStorage.removeItem(TOKEN)
    const retry = Number(response.headers.get('retry-after'))
    throw new PortalError(json?.message ?? response.statusText, response.status, json?.field ?? null, retry || null)
  }
  return json as T
}

export async function signIn(creditCode: string, accessCode: string): Promise<PortalSession> {
  const session = await call<PortalSession>('POST', '/v1/portal/sign-in', {
    credit_code: creditCode,
    access_code: accessCode,
  })
  localStorage.setItem(TOKEN, JSON.stringify(session))
  return session
}

export async function signOut(): Promise<void> {
  await call('POST', '/v1/portal/sign-out').catch(() => undefined)
  localStorage.removeItem(TOKEN)
}

export const appeals = () => call<PortalAppeals>('GET', '/v1/portal/appeals')

/** 点单: orders a visit in one to three time windows. */
export const order = (topic: string, wishes: string, windows: TimeWindow[]) =>
  call<PortalOrder>('POST', '/v1/portal/orders', { topic: topic.trim(), wishes: wishes.trim() || null, windows })

/** Raises an appeal online. */
export const raiseAppeal = (category: string, description: string) =>
  call<PortalAppeal>('POST', '/v1/portal/appeals', { category, description: description.trim() })

/** A visit receipt's page (no sign-in), and a rating given through it. */
export const receipt = (token: string) => call<PortalReceipt>('GET', `/v1/receipt/${encodeURIComponent(token)}`)
export const rateByReceipt = (token: string, id: string, satisfaction: number, comment: string) =>
  call<PortalAppeal>('POST', `/v1/receipt/${encodeURIComponent(token)}/appeals/${id}/rating`, {
    satisfaction,
    comment: comment.trim() || null,
  })

/** Whether the enterprise is named on its park's public board. */
export const setBoardConsent = (named: boolean) => call<void>('POST', '/v1/portal/board-consent', { public: named })

/** The public board: the parks, and one park's appeals (no sign-in). */
export const boardParks = () => call<BoardPark[]>('GET', '/v1/board')
export const board = (park: string) => call<Board>('GET', `/v1/board/${encodeURIComponent(park)}`)

/** Rates a resolved appeal once (好差评); answers the appeal as it stands after. */
export const rate = (id: string, satisfaction: number, comment: string) =>
  call<PortalAppeal>('POST', `/v1/portal/appeals/${id}/rating`, { satisfaction, comment: comment.trim() || null })
