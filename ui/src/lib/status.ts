// One colour per appeal status, used by the status tags and by every chart, so a status reads
// the same everywhere. Each has at least 4.5:1 contrast against white (WCAG AA) both ways: as
// text on the light page and as the ground of a tag's white text, so it stays legible outdoors.
import type { Alerts, AppealStatus, LedgerRow } from './types'

export const statusColor: Record<AppealStatus, string> = {
  received: '#4e5969', // grey: not yet with anyone
  dispatched: '#165dff', // blue: with a department
  in_progress: '#b45309', // amber: being worked on
  resolved: '#047857', // green: done
  rectifying: '#c2410c', // orange: rated dissatisfied, being put right
  confirmed: '#7c3aed', // violet: done and rated by the enterprise
}

/** Overdue is an alarm whatever the status. */
export const overdueColor = '#cb2634'

/** "剩 3 个工作日" / "今天到期" / "逾期 2 个工作日", 暂定 when the year's holidays are not published;
 * nothing for an appeal without a deadline or already resolved. */
export function daysLeft(
  t: (key: string, named?: Record<string, unknown>) => string,
  a: Pick<LedgerRow, 'days_left' | 'provisional'>,
): string {
  if (a.days_left === null) return ''
  const n = a.days_left
  const text = n < 0 ? t('ledger.late', { n: -n }) : n === 0 ? t('ledger.dueToday') : t('ledger.left', { n })
  return a.provisional ? `${text}（${t('ledger.provisional')}）` : text
}

/** How many appeals need attention: overdue, due soon and unanswered (the ledger tab's badge). */
export function attentionCount(a: Alerts): number {
  return (a.overdue.total ?? 0) + (a.due_soon.total ?? 0) + (a.unanswered.total ?? 0)
}
