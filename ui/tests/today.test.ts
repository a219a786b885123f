// Today's "needs attention" list (需要关注): what is overdue and due soon, from the alerts command.
import { afterEach, describe, expect, it } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks'
import Today from '../src/screens/Today.vue'
import { nav } from '../src/lib/nav'
import type { Alerts, LedgerRow } from '../src/lib/types'

afterEach(() => clearMocks())

const row = (id: string, description: string, days_left: number, provisional = false): LedgerRow => ({
  id, site_id: 's1', visit_id: null, raised_at: '2024-10-26T00:30:00Z', channel: 'on_site', category: 'utilities',
  description, urgency: 'normal', status: 'dispatched', department_id: 'd1', deadline: '2024-12-31', resolved_at: null,
  satisfaction: null, ledger_head: null, void_reason: null, site_name: '湖北斯诺新材料有限公司', park_name: null,
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
      within: 3,
    })
    await flushPromises()
    expect(w.find('[data-test=attention-counts]').text()).toBe('逾期未办结 1 件 · 3 个工作日内到期 1 件')
    const items = w.findAll('[data-test=attention-item]').map((i) => i.text())
    expect(items[0]).toContain('逾期 2 个工作日')
    expect(items[1]).toContain('剩 1 个工作日（暂定）')
    await w.find('[data-test=attention-ledger]').trigger('click')
    expect(nav.tab).toBe('ledger')
  })

  it('says nothing when nothing needs attention', async () => {
    const empty = { rows: [], next: null, total: 0 }
    const w = mountToday({ overdue: empty, due_soon: empty, within: 3 })
    await flushPromises()
    expect(w.find('[data-test=attention]').exists()).toBe(false)
  })
})
