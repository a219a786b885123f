// Every message the screens ask for exists in both languages, and the two locales have the same
// keys: a missing one would show its key (e.g. "dateField.pick") on screen.
import { describe, expect, it } from 'vitest'
import zh from '../src/locales/zh-CN'
import en from '../src/locales/en'

type Messages = { [key: string]: string | Messages }

function keys(m: Messages, prefix = ''): string[] {
  return Object.entries(m).flatMap(([k, v]) => (typeof v === 'string' ? [prefix + k] : keys(v, `${prefix}${k}.`)))
}

// The UI's source text, as Vite reads it.
const sources = import.meta.glob<string>('../src/**/*.{vue,ts}', { query: '?raw', import: 'default', eager: true })

describe('locales', () => {
  it('have the same keys in Chinese and English', () => {
    expect(keys(en as Messages).sort()).toEqual(keys(zh as Messages).sort())
  })

  it('hold every literal key the screens use', () => {
    const known = new Set(keys(zh as Messages))
    const used = Object.entries(sources).flatMap(([file, text]) =>
      [...text.matchAll(/\bt\('([\w.]+)'/g)].map((m) => `${m[1]} (${file})`),
    )
    expect(used.length).toBeGreaterThan(50)
    expect(used.filter((u) => !known.has(u.split(' ')[0]))).toEqual([])
  })
})
