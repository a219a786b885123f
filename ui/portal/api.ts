// The portal's calls to desk-server, on the same origin. Errors carry the server's message,
// which is bilingual, and the field it names.
import type { PortalAppeals } from '../src/bindings/PortalAppeals'
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
