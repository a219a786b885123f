// The ledger screen against a mocked Rust side: the filters it asks for, the actions it offers,
// and what it sends for each.
import { afterEach, describe, expect, it } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks'
import { media } from './setup'
import Ledger from '../src/screens/Ledger.vue'
import { nav } from '../src/lib/nav'
import type { ActionKind, AppealDetail, AppealStatus, LedgerRow } from '../src/lib/types'

afterEach(() => {
  media.desktop = false
  clearMocks()
  document.body.innerHTML = ''
})

const appeal = {
  id: 'a1', site_id: 's1', visit_id: null, raised_at: '2024-10-26T00:30:00Z', channel: 'on_site',
  category: 'environment', description: '厂区围墙外公共绿化', urgency: 'normal', status: 'dispatched',
  department_id: 'd1', deadline: '2024-10-28', resolved_at: null, satisfaction: null, ledger_head: null, policy_issue_id: null, void_reason: null,
} as const
const context = { site_name: '湖北斯诺新材料有限公司', park_name: '新材料产业园', department_name: '自然资源和规划中心', overdue: true, days_left: -3, provisional: false }
const row: LedgerRow = { ...appeal, ...context }
const progress = [{
  id: 'p1', appeal_id: 'a1', at: '2024-10-26T01:30:00Z', author: '党工委书记', note: '现场办公会决议：派单',
  from_status: 'received', to_status: 'dispatched', reason: null, action: 'dispatch', department_id: 'd1',
  deadline: null, satisfaction: null, rated_by: null, device_id: null, position: 1, prev_hash: null, hash: null,
}] as AppealDetail['progress']
const detail = (status: AppealStatus, allowed: ActionKind[]): AppealDetail => ({ appeal: { ...appeal, status }, ...context, allowed, progress })
const parks = [{ id: 'p-new', name: '新材料产业园', void_reason: null }]
const departments = [
  { id: 'd1', name: '自然资源和规划中心', level: 'zone', void_reason: null },
  { id: 'd2', name: '经济发展局', level: 'zone', void_reason: null },
]

type Call = { cmd: string, args: Record<string, unknown> }

/** Mounts the ledger with one appeal whose detail is `shown`; `onAct` answers act_on_appeal. */
async function mountLedger(shown: AppealDetail, onAct: (args: Record<string, unknown>) => unknown = () => shown) {
  const calls: Call[] = []
  mockIPC((cmd, args) => {
    calls.push({ cmd, args: args as Record<string, unknown> })
    if (cmd === 'ledger') {
      // Two pages: the first says where the second starts.
      const after = (args as { after: string | null }).after
      return after ? { rows: [{ ...row, id: 'a2', description: '第二页' }], next: null, total: null } : { rows: [row], next: 'c1', total: 2 }
    }
    if (cmd === 'export_ledger') return { path: '/home/u/台账-2024-11-15.xlsx', rows: 2 }
    if (cmd === 'parks') return parks
    if (cmd === 'departments') return departments
    if (cmd === 'appeal') return shown
    if (cmd === 'act_on_appeal') return onAct(args as Record<string, unknown>)
  })
  const w = mount(Ledger, { attachTo: document.body })
  await flushPromises()
  return { w, calls }
}

async function openDetail(w: ReturnType<typeof mount>) {
  await w.find('[data-test=appeal]').trigger('click')
  await flushPromises()
}

const q = (sel: string) => document.querySelector(sel) as HTMLElement | null
async function click(sel: string) {
  const el = q(sel)
  expect(el, sel).not.toBeNull()
  el!.click()
  await flushPromises()
}
async function type(sel: string, text: string) {
  const input = q(`${sel} input, ${sel} textarea`) as HTMLInputElement
  input.value = text
  input.dispatchEvent(new Event('input'))
  await flushPromises()
}
const actCalls = (calls: Call[]) => calls.filter((c) => c.cmd === 'act_on_appeal').map((c) => c.args.action)

describe('ledger', () => {
  it('on a desk, shows a table that sorts and pages by the cursor it was given', async () => {
    media.desktop = true
    const { w, calls } = await mountLedger(detail('dispatched', []))
    const ledgerCalls = () => calls.filter((c) => c.cmd === 'ledger').map((c) => c.args)
    expect(w.find('[data-test=ledger-table]').exists()).toBe(true)
    expect(w.find('[data-test=days-left]').text()).toBe('逾期 3 个工作日')
    expect(w.find('[data-test=ledger-total]').text()).toBe('共 2 件')
    expect(ledgerCalls()[0]).toEqual({ filter: { overdue: false }, order: { by: 'raised', descending: true }, after: null })
    await w.find('[data-test=sort-deadline]').trigger('click')
    await flushPromises()
    expect(ledgerCalls().at(-1)!.order).toEqual({ by: 'deadline', descending: false })
    await w.find('[data-test=sort-deadline]').trigger('click')
    await flushPromises()
    expect(ledgerCalls().at(-1)!.order).toEqual({ by: 'deadline', descending: true })
    await w.find('[data-test=page-next]').trigger('click')
    await flushPromises()
    expect(ledgerCalls().at(-1)!.after).toBe('c1')
    expect(w.find('[data-test=ledger-table]').text()).toContain('第二页')
    expect(w.find('[data-test=page-number]').text()).toBe('第 2 页')
    await w.find('[data-test=page-previous]').trigger('click')
    await flushPromises()
    expect(ledgerCalls().at(-1)!.after).toBe(null)
    w.unmount()
  })

  it('searches as typed and exports what is shown', async () => {
    const { w, calls } = await mountLedger(detail('dispatched', []))
    await type('[data-test=ledger-search]', '围墙')
    await new Promise((r) => setTimeout(r, 300))
    await flushPromises()
    const last = calls.filter((c) => c.cmd === 'ledger').at(-1)!.args
    expect(last.filter).toEqual({ overdue: false, search: '围墙' })
    await w.find('[data-test=export-open]').trigger('click')
    await flushPromises()
    await click('[data-test=export-csv] .van-radio__icon')
    await click('[data-test=export-save]')
    const exported = calls.find((c) => c.cmd === 'export_ledger')!.args
    expect(exported).toEqual({ filter: { overdue: false, search: '围墙' }, order: { by: 'raised', descending: true }, format: 'csv' })
    expect(q('[data-test=export-done]')?.textContent).toContain('已导出 2 件到 /home/u/台账-2024-11-15.xlsx')
    w.unmount()
  })

  it('on a tablet, adds the next page below when the list is scrolled to its end', async () => {
    const { w } = await mountLedger(detail('dispatched', []))
    expect(w.find('[data-test=ledger-table]').exists()).toBe(false)
    expect(w.findAll('[data-test=appeal]').length).toBe(1)
    await (w.vm as unknown as { $: { setupState: { more: () => Promise<void> } } }).$.setupState.more()
    await flushPromises()
    expect(w.findAll('[data-test=appeal]').length).toBe(2)
    w.unmount()
  })

  it('reads its page again when a sync brings changes, keeping the page, but not a list scrolled down', async () => {
    media.desktop = true
    const { w, calls } = await mountLedger(detail('dispatched', []))
    const afters = () => calls.filter((c) => c.cmd === 'ledger').map((c) => c.args.after)
    await w.find('[data-test=page-next]').trigger('click')
    await flushPromises()
    nav.synced++
    await flushPromises()
    expect(afters()).toEqual([null, 'c1', 'c1'])
    expect(w.find('[data-test=page-number]').text()).toBe('第 2 页')
    w.unmount()

    media.desktop = false
    const touch = await mountLedger(detail('dispatched', []))
    nav.synced++
    await flushPromises()
    const touchAfters = () => touch.calls.filter((c) => c.cmd === 'ledger').map((c) => c.args.after)
    expect(touchAfters()).toEqual([null, null])
    await (touch.w.vm as unknown as { $: { setupState: { more: () => Promise<void> } } }).$.setupState.more()
    await flushPromises()
    nav.synced++
    await flushPromises()
    expect(touchAfters()).toEqual([null, null, 'c1'])
    expect(touch.w.findAll('[data-test=appeal]').length).toBe(2)
    touch.w.unmount()
  })

  it('lists appeals with their site, deadline, status and an overdue mark', async () => {
    const { w } = await mountLedger(detail('dispatched', ['start']))
    const text = w.find('[data-test=appeal]').text()
    expect(text).toContain('厂区围墙外公共绿化')
    expect(text).toContain('湖北斯诺新材料有限公司 · 期限 2024-10-28 逾期 3 个工作日')
    expect(text).toContain('已派单')
    expect(w.find('[data-test=appeal] [data-test=overdue]').text()).toBe('超期')
    w.unmount()
  })

  it('asks for the ledger with each filter chosen', async () => {
    const { w, calls } = await mountLedger(detail('dispatched', []))
    const filters = () => calls.filter((c) => c.cmd === 'ledger').map((c) => c.args.filter)
    expect(filters()).toEqual([{ overdue: false }])
    w.findAll('.van-tab')[2].trigger('click')
    await flushPromises()
    expect(filters().at(-1)).toEqual({ overdue: false, status: 'dispatched' })
    // Each picker is a Vant dropdown item: open it, tap an option.
    const choose = async (picker: string, option: string) => {
      const items = w.findAll('.van-dropdown-menu__item')
      await items[['filter-park', 'filter-department', 'filter-category', 'filter-overdue'].indexOf(picker)].trigger('click')
      await flushPromises()
      const cell = w.findAll(`[data-test=${picker}] .van-dropdown-item__option`).find((c) => c.text() === option)
      expect(cell, option).toBeDefined()
      await cell!.trigger('click')
      await flushPromises()
    }
    await choose('filter-park', '新材料产业园')
    await choose('filter-department', '经济发展局')
    await choose('filter-category', '环境绿化')
    await choose('filter-overdue', '仅超期')
    expect(filters().at(-1)).toEqual({ overdue: true, status: 'dispatched', park_id: 'p-new', department_id: 'd2', category: 'environment' })
    w.unmount()
  })

  it('offers the park and department pickers from the device’s lists', async () => {
    const { w } = await mountLedger(detail('dispatched', []))
    const items = w.findAll('.van-dropdown-menu__item')
    expect(items.length).toBe(4)
    await items[1].trigger('click')
    await flushPromises()
    expect(document.body.textContent).toContain('经济发展局')
    w.unmount()
  })

  it('shows only the actions the status allows, and starts at one tap', async () => {
    const started = detail('in_progress', ['resolve', 'return', 'transfer', 'extend'])
    const { w, calls } = await mountLedger(detail('dispatched', ['start', 'resolve', 'return', 'transfer', 'extend']), () => started)
    await openDetail(w)
    expect(q('[data-test=act-start]')).not.toBeNull()
    expect(q('[data-test=act-confirm]')).toBeNull()
    expect(q('[data-test=act-dispatch]')).toBeNull()
    expect(q('[data-test=act-reopen]')).toBeNull()
    await click('[data-test=act-start]')
    expect(actCalls(calls)).toEqual([{ action: 'start' }])
    expect(q('[data-test=act-start]')).toBeNull()
    expect(q('[data-test=appeal-detail]')?.textContent).toContain('办理中')
    w.unmount()
  })

  it('asks for a reason before returning, and shows the refusal beside it', async () => {
    const { w, calls } = await mountLedger(detail('dispatched', ['start', 'return']), (args) => {
      const action = args.action as { reason: string }
      if (!action.reason.trim()) throw { code: 'required', field: 'reason', message: 'reason：必填 (required)' }
      return detail('received', ['dispatch'])
    })
    await openDetail(w)
    await click('[data-test=act-return]')
    expect(actCalls(calls)).toEqual([])
    expect(q('[data-test=reason]')).not.toBeNull()
    await click('[data-test=act-submit]')
    expect(q('[data-test=reason]')?.textContent).toContain('必填')
    expect(q('[data-test=error]')).toBeNull()
    await type('[data-test=reason]', '不属本单位职责')
    await click('[data-test=act-submit]')
    expect(actCalls(calls)).toEqual([{ action: 'return', reason: '' }, { action: 'return', reason: '不属本单位职责' }])
    expect(q('[data-test=act-form]')).toBeNull()
    w.unmount()
  })

  it('dispatches to the department picked', async () => {
    const { w, calls } = await mountLedger(detail('received', ['dispatch', 'resolve', 'extend']), () => detail('dispatched', ['start']))
    await openDetail(w)
    expect(q('[data-test=reason]')).toBeNull()
    await click('[data-test=act-dispatch]')
    expect(q('[data-test=reason]')).toBeNull()
    await click('[data-test=department]')
    const option = Array.from(document.querySelectorAll('.van-action-sheet__item')).find((b) => b.textContent?.includes('经济发展局')) as HTMLElement
    option.click()
    await flushPromises()
    expect((q('[data-test=department] input') as HTMLInputElement).value).toBe('经济发展局')
    await click('[data-test=act-submit]')
    expect(actCalls(calls)).toEqual([{ action: 'dispatch', department_id: 'd2' }])
    w.unmount()
  })

  it('records the enterprise’s rating on the five national levels only when confirmed', async () => {
    const { w, calls } = await mountLedger(detail('resolved', ['confirm', 'reopen']), () => detail('confirmed', ['reopen']))
    await openDetail(w)
    await click('[data-test=act-confirm]')
    expect(actCalls(calls)).toEqual([])
    const levels = Array.from(document.querySelectorAll('[data-test=satisfaction] button')).map((b) => b.textContent?.trim())
    expect(levels).toEqual(['非常满意', '满意', '基本满意', '不满意', '非常不满意'])
    await click('[data-test=rate-4]')
    expect(q('[data-test=follow-up-note]')).toBeNull()
    expect(actCalls(calls)).toEqual([])
    await click('[data-test=act-submit]')
    expect(actCalls(calls)).toEqual([{ action: 'confirm', satisfaction: 4 }])
    w.unmount()
  })

  it('says before it is sent that a dissatisfied rating becomes a follow-up', async () => {
    const { w, calls } = await mountLedger(detail('resolved', ['confirm', 'reopen']), () => detail('rectifying', ['extend', 'reopen', 'rectify']))
    await openDetail(w)
    await click('[data-test=act-confirm]')
    await click('[data-test=rate-2]')
    expect(q('[data-test=follow-up-note]')?.textContent).toContain('5 个工作日内整改')
    await click('[data-test=act-submit]')
    expect(actCalls(calls)).toEqual([{ action: 'confirm', satisfaction: 2 }])
    expect(q('[data-test=appeal-detail]')?.textContent).toContain('整改中')
    expect(q('[data-test=act-rectify]')?.textContent).toContain('整改完成')
    w.unmount()
  })

  it('shows the timeline in the zone’s time and explains a refused action', async () => {
    const { w } = await mountLedger(detail('dispatched', ['resolve']), () => {
      throw { code: 'illegal_transition', field: 'status', message: 'status：诉求不能从“已派单”办结' }
    })
    await openDetail(w)
    expect(q('[data-test=appeal-detail]')?.textContent).toContain('现场办公会决议')
    expect(q('[data-test=appeal-detail]')?.textContent).toContain('2024-10-26 09:30')
    await click('[data-test=act-resolve]')
    expect(q('[data-test=error]')?.textContent).toContain('不能从“已派单”办结')
    w.unmount()
  })
})
