// Today's "needs attention" list (需要关注): what is overdue and due soon, from the alerts command.
import { afterEach, describe, expect, it } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks'
import Today from '../src/screens/Today.vue'
import { nav } from '../src/lib/nav'
import type { Alerts, LedgerRow, OrderView } from '../src/lib/types'

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
    if (cmd === 'orders') return []
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

  it('lists the enterprises’ orders and dispatches one to the window tapped', async () => {
    const order: OrderView = {
      site_name: '湖北斯诺新材料有限公司',
      order: {
        id: 'o1', site_id: 's1', placed_at: '2024-10-26T11:00:00Z', topic: '二期厂房消防验收', wishes: '想请消防部门现场指导', stop_id: null, void_reason: null,
        windows: [{ date: '2024-11-05', start: '14:00', end: '17:00' }, { date: '2024-11-07', start: '09:00', end: '11:30' }],
      },
    }
    const calls: { cmd: string; args: unknown }[] = []
    mockIPC((cmd, args) => {
      calls.push({ cmd, args })
      if (cmd === 'sessions' || cmd === 'visit_drafts' || cmd === 'dispatch_order') return []
      if (cmd === 'alerts') return { overdue: empty, due_soon: empty, unanswered: empty, within: 3, limits }
      if (cmd === 'orders') return [order]
    })
    const w = mount(Today)
    await flushPromises()
    expect(w.text()).toContain('企业点单 · 待派单1 件')
    expect(w.find('[data-test=order]').text()).toContain('湖北斯诺新材料有限公司 · 二期厂房消防验收')
    expect(w.find('[data-test=dispatch-2]').text()).toBe('派到 2024-11-07 09:00–11:30')
    await w.find('[data-test=dispatch-2]').trigger('click')
    await flushPromises()
    expect(calls.find((c) => c.cmd === 'dispatch_order')?.args).toEqual({ id: 'o1', window: 2 })
    expect(w.find('[data-test=orders]').exists()).toBe(false)
  })
})
