import { describe, expect, it } from 'vitest'
import { date, dateTime, today, yuanAsWan } from '../src/lib/format'

describe('format', () => {
  it('shows dates in zone time (UTC+8), not UTC', () => {
    // 18:04 UTC on the 27th is already 02:04 on the 28th in the zone.
    expect(dateTime('2026-11-27T18:04:00Z')).toBe('2026-11-28 02:04')
    expect(date('2026-11-27T18:04:00Z')).toBe('2026-11-28')
    expect(dateTime('2024-10-26T09:30:00+08:00')).toBe('2024-10-26 09:30')
  })

  it('pads month, day, hour and minute and uses a 24-hour clock', () => {
    expect(dateTime('2024-01-02T00:05:00+08:00')).toBe('2024-01-02 00:05')
    expect(dateTime('2024-01-02T15:05:00+08:00')).toBe('2024-01-02 15:05')
  })

  it('returns an unparseable value unchanged rather than "Invalid Date"', () => {
    expect(date('not a date')).toBe('not a date')
    expect(dateTime('')).toBe('')
  })

  it('gives today in zone time', () => {
    expect(today(new Date('2024-10-25T17:00:00Z'))).toBe('2024-10-26')
  })

  it('shows yuan as 万元 with at most two decimals', () => {
    expect(yuanAsWan(1234500)).toBe('123.45')
    expect(yuanAsWan(50000)).toBe('5')
    expect(yuanAsWan(123456789)).toBe('12,345.68')
  })
})
