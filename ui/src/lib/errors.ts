// Errors in the app's language. The Rust side sends each error as a code, the field it concerns
// and the values its message is made of (AppError); the errors known here are worded in the
// language chosen, the others show the message the Rust side wrote, in Chinese and English.
import { i18n } from '../i18n'
import type { AppError } from './types'

function isAppError(e: unknown): e is AppError {
  return typeof e === 'object' && e !== null && 'code' in e && 'message' in e
}

/** What to show for an error. `beside`: shown next to its field, so without the field's name. */
export function errorText(e: unknown, beside = false): string {
  if (!isAppError(e)) return String(e)
  const { t, te, tm, locale } = i18n.global
  const key = `errors.${e.code}`
  const asSent = beside ? e.message.replace(/^[\w.]+：/, '') : e.message
  if (!te(key)) return asSent
  // A value given in both languages (`action_zh`, `action_en`) is passed as the one chosen.
  const lang = locale.value === 'en' ? '_en' : '_zh'
  const params: Record<string, string> = {}
  for (const [name, value] of Object.entries(e.params ?? {})) {
    if (name.endsWith('_zh') || name.endsWith('_en')) {
      if (name.endsWith(lang)) params[name.slice(0, -3)] = value
    } else params[name] = value
  }
  // Worded here only with every value it names; otherwise as the Rust side wrote it.
  const needs = [...String(tm(key)).matchAll(/\{(\w+)\}/g)].map((m) => m[1])
  if (needs.some((n) => !(n in params))) return asSent
  const text = t(key, params)
  if (beside || !e.field) return text
  const label = te(`fields.${e.field}`) ? t(`fields.${e.field}`) : e.field
  return locale.value === 'en' ? `${label}: ${text}` : `${label}：${text}`
}
