// Dates and amounts as the zone reads them. Times are always shown in the zone's own time
// (Asia/Shanghai, UTC+8) so a tablet with a wrong or foreign timezone still shows the same
// dates as the central server and the printed ledger.

const ZONE = 'Asia/Shanghai'

// en-CA with explicit 2-digit parts gives stable numeric parts on every ICU build;
// we assemble them ourselves instead of relying on a locale's separators.
const parts = new Intl.DateTimeFormat('en-CA', {
  timeZone: ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
})

function zoneParts(iso: string | Date): Record<string, string> | null {
  const at = iso instanceof Date ? iso : new Date(iso)
  if (Number.isNaN(at.getTime())) return null
  return Object.fromEntries(parts.formatToParts(at).map((p) => [p.type, p.value]))
}

/** `YYYY-MM-DD` in zone time; an unparseable value is returned as given. */
export function date(iso: string | Date): string {
  const p = zoneParts(iso)
  return p ? `${p.year}-${p.month}-${p.day}` : String(iso)
}

/** `YYYY-MM-DD HH:mm` in zone time; an unparseable value is returned as given. */
export function dateTime(iso: string | Date): string {
  const p = zoneParts(iso)
  return p ? `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}` : String(iso)
}

/** Today's date in zone time, `YYYY-MM-DD`. */
export function today(now: Date = new Date()): string {
  return date(now)
}

/** Yuan as 万元 with at most two decimals, e.g. 1234500 → "123.45". */
export function yuanAsWan(yuan: number): string {
  return (yuan / 10000).toLocaleString('zh-CN', { maximumFractionDigits: 2 })
}

// A visit's location as numbers anyone can paste into a map: "31.69021, 113.38245".
export function coordinates(l: { latitude: number; longitude: number }): string {
  return `${l.latitude.toFixed(5)}, ${l.longitude.toFixed(5)}`
}

// A signature's strokes as SVG polyline points, a dot drawn as a line that starts where it
// ends so that it shows (as desk-core's Signature::svg draws them for the printed minutes).
export function polylines(strokes: [number, number][][]): string[] {
  return strokes.map((s) => (s.length === 1 ? [s[0], s[0]] : s).map(([x, y]) => `${x},${y}`).join(' '))
}
