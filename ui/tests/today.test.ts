// Today's "needs attention" list (需要关注): what is overdue and due soon, from the alerts command.
import { afterEach, describe, expect, it } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks'
import Today from '../src/screens/Today.vue'
import { nav } from '../src/lib/nav'
import type { Alerts, LedgerRow } from '../src/lib/types'

afterEach(() => clearMocks())

const limits = { id: 'l', response_days: 1, handling_days: 15, void_reason: null }
const empty = { rows: [], next: null, total: 0 }

const row = (id: string, description: string, days_left: number, provisional = false): LedgerRow => ({
  id, site_id: 's1', visit_id: null, raised_at: '2024-10-26T00:30:00Z', channel: 'on_site', category: 'utilities',
  description, urgency: 'normal', status: 'dispatched', department_id: 'd1', deadline: '2024-12-31', resolved_at: null,
  satisfaction: null, ledger_head: null, policy_issue_id: null, void_reason: null, site_name: '湖北斯诺新材料有限公司', park_name: null,
  department_name: '经济发展局', overdue: days_left < 0, days_left, provisional,
})

function mountToday(alerts: Alerts) {
  mockIPC((cmd) => {
    if (cmd === 'sessions' || cmd === 'visit_drafts') return []
    if (cmd === 'alerts') return alerts
  })
  return mount(Today)
}

describe('today', () => {
  it('lists what needs attention with working days late or left, and leads to the ledger', async () => {
    const w = mountToday({
      overdue: { rows: [row('a1', '厂区围墙破损', -2)], next: null, total: 1 },
      due_soon: { rows: [row('a2', '生产用电价格偏高', 1, true)], next: null, total: 1 },
      unanswered: empty,
      within: 3,
      limits,
    })
    await flushPromises()
    expect(w.find('[data-test=attention-counts]').text()).toBe('逾期未办结 1 件 · 3 个工作日内到期 1 件')
    const items = w.findAll('[data-test=attention-item]').map((i) => i.text())
    expect(items[0]).toContain('逾期 2 个工作日')
    expect(items[1]).toContain('剩 1 个工作日（暂定）')
    await w.find('[data-test=attention-ledger]').trigger('click')
    expect(nav.tab).toBe('ledger')
  })

  it('lists appeals left unanswered past the response limit', async () => {
    const waiting = { ...row('a3', '厂区门前道路破损', 0), status: 'received' as const, department_id: null, department_name: null }
    const w = mountToday({ overdue: empty, due_soon: empty, unanswered: { rows: [waiting], next: null, total: 1 }, within: 3, limits })
    await flushPromises()
    expect(w.find('[data-test=attention-unanswered]').text()).toContain('超过 1 个工作日未响应 1 件')
    const item = w.find('[data-test=attention-unanswered-item]').text()
    expect(item).toContain('厂区门前道路破损')
    expect(item).toContain('未响应')
  })

  it('says nothing when nothing needs attention', async () => {
    const w = mountToday({ overdue: empty, due_soon: empty, unanswered: empty, within: 3, limits })
    await flushPromises()
    expect(w.find('[data-test=attention]').exists()).toBe(false)
  })
})
