// The Figures tab against a mocked Rust side: the zone's counters, the charts, the overdue list.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks'
import Figures from '../src/screens/Figures.vue'
import type { Bulletin, FigureBreakdown, Stats } from '../src/lib/types'

afterEach(() => clearMocks())

// jsdom lays nothing out and has no canvas: give the charts a size and a way to measure text, as
// a window would, so they draw what a user sees.
const size = { clientWidth: 600, clientHeight: 300 }
beforeAll(() => {
  for (const [key, value] of Object.entries(size)) {
    Object.defineProperty(HTMLElement.prototype, key, { configurable: true, get: () => value })
  }
  vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockImplementation(
    () => ({ font: '', measureText: (s: string) => ({ width: s.length * 14 }) }) as unknown as CanvasRenderingContext2D,
  )
})
afterAll(() => {
  for (const key of Object.keys(size)) delete (HTMLElement.prototype as unknown as Record<string, unknown>)[key]
  vi.restoreAllMocks()
})

// Since August, as the zone reported it (DOMAIN.md), with one appeal now overdue.
const stats: Stats = {
  sessions: 12, visits: 40, consultations: 220, appeals: 23, appeals_resolved: 22, resolution_rate: 95.7,
  on_time_rate: 90.9, overdue_appeals: 1, suggestions: 33, suggestions_adopted: 8, satisfaction_average: 4.6, policy_issues: 2, policy_enterprises: 7,
  satisfaction_rate: 91.7, dissatisfied: 1, follow_ups: 1, follow_ups_overdue: 1,
}
const breakdown: FigureBreakdown = {
  by_status: [
    { key: 'received', label: '受理', count: 0 }, { key: 'dispatched', label: '已派单', count: 1 },
    { key: 'in_progress', label: '办理中', count: 0 }, { key: 'resolved', label: '已办结', count: 10 },
    { key: 'confirmed', label: '已评价', count: 12 },
  ],
  by_category: [{ key: 'utilities', label: '要素保障', count: 15 }, { key: 'environment', label: '环境绿化', count: 8 }],
  by_park: [{ key: 'p1', label: '新材料产业园', count: 20 }, { key: 'none', label: '未分园区', count: 3 }],
  by_department: [{ id: 'd1', name: '自然资源和规划中心', open: 1, overdue: 1, resolved: 9 }, { id: null, name: '未派单', open: 0, overdue: 0, resolved: 13 }],
  by_month: [{ month: '2024-09', raised: 10, resolved: 8 }, { month: '2024-10', raised: 13, resolved: 14 }],
  overdue: [{ id: 'a1', description: '厂区围墙外公共绿化', site_name: '湖北斯诺新材料有限公司', department_name: '自然资源和规划中心', deadline: '2024-10-28', days_overdue: 4 }],
}

const weekly: Bulletin = {
  from: '2024-10-21', to: '2024-10-27',
  figures: { collected: 2, resolved: 1, open: 3, overdue: 1, follow_ups: 0 },
  text: '【流动办公桌工作通报】2024年10月21日至27日，流动办公桌收集企业诉求 2 件，办结 1 件；目前在办 3 件，其中超期 1 件。',
}

const empty: FigureBreakdown = {
  by_status: breakdown.by_status.map((s) => ({ ...s, count: 0 })), by_category: [], by_park: [], by_department: [], by_month: [], overdue: [],
}

function mockFigures(answer: FigureBreakdown | (() => never)) {
  mockIPC((cmd) => {
    if (cmd === 'stats') return stats
    if (cmd === 'bulletin') return weekly
    if (cmd === 'figures') return typeof answer === 'function' ? answer() : answer
  })
}

describe('figures', () => {
  it('shows the counters the zone reports, each under its name', async () => {
    mockFigures(breakdown)
    const w = mount(Figures)
    await flushPromises()
    const value = (name: string) => w.find(`[data-test=figure-${name}] .value`).text()
    expect(value('consultations')).toBe('220')
    expect(value('appeals')).toBe('23')
    expect(value('resolved')).toBe('22')
    expect(value('resolution-rate')).toBe('95.7%')
    expect(value('on-time-rate')).toBe('90.9%')
    expect(value('overdue')).toBe('1')
    expect(value('ideas')).toBe('33')
    expect(w.find('[data-test=figure-ideas]').text()).toContain('已采纳 8')
    expect(value('policy')).toBe('2')
    expect(w.find('[data-test=figure-policy]').text()).toContain('涉及 7 家企业')
    expect(value('satisfaction')).toBe('91.7%')
    expect(w.find('[data-test=figure-satisfaction]').text()).toContain('满意度 4.6')
    expect(value('follow-ups')).toBe('1')
    expect(w.find('[data-test=figure-follow-ups]').text()).toContain('差评 1')
    expect(w.find('[data-test=figure-follow-ups]').text()).toContain('1 件整改逾期')
    expect(w.find('[data-test=figure-follow-ups]').classes()).toContain('alarm')
  })

  it('gives the week’s bulletin to copy into the enterprise groups', async () => {
    mockFigures(breakdown)
    const w = mount(Figures)
    await flushPromises()
    expect(w.find('[data-test=bulletin]').text()).toContain('2024-10-21 – 2024-10-27')
    expect(w.find('[data-test=bulletin-text]').text()).toBe(weekly.text)
    await w.find('[data-test=copy-bulletin]').trigger('click')
    await flushPromises()
    expect(w.find('[data-test=copy-bulletin]').text()).toBe('已复制')
  })

  it('draws a chart for each breakdown and lists the overdue appeals', async () => {
    mockFigures(breakdown)
    const w = mount(Figures, { attachTo: document.body })
    await flushPromises()
    // The charts load with the tab.
    await vi.dynamicImportSettled()
    await flushPromises()
    for (const name of ['status', 'category', 'park', 'department', 'month']) {
      const card = w.find(`[data-test=chart-${name}]`)
      expect(card.exists(), name).toBe(true)
      // ECharts drew into the card (SVG, so no canvas is needed).
      expect(card.find('svg').exists(), name).toBe(true)
    }
    expect(w.find('[data-test=chart-status] svg').text()).toContain('已评价')
    expect(w.find('[data-test=chart-park] svg').text()).toContain('未分园区')
    // The donut names each status with its count and share, and the total inside.
    const status = w.find('[data-test=chart-status] svg').text()
    expect(status).toContain('12 · 52.2%')
    expect(status).toContain('共 23 件')
    // Twelve months up to the latest reported, quiet ones too, the year under the first month.
    const month = w.find('[data-test=chart-month] svg').text()
    expect(month).toContain('2023')
    expect(month).toContain('8月')
    const rows = w.findAll('[data-test=overdue-row]')
    expect(rows).toHaveLength(1)
    expect(rows[0].text()).toContain('厂区围墙外公共绿化')
    expect(rows[0].text()).toContain('湖北斯诺新材料有限公司 · 自然资源和规划中心')
    expect(rows[0].text()).toContain('超期 4 天')
    w.unmount()
  })

  it('says there is nothing to chart yet instead of drawing empty charts', async () => {
    mockFigures(empty)
    const w = mount(Figures)
    await flushPromises()
    expect(w.find('[data-test=chart-category]').text()).toContain('暂无数据')
    expect(w.find('[data-test=chart-category] svg').exists()).toBe(false)
    expect(w.find('[data-test=overdue-list]').text()).toContain('没有超期诉求')
  })

  it('keeps the counters when the breakdown fails, and says why', async () => {
    mockFigures(() => {
      throw { code: 'failed', field: null, message: '数据库忙 (the database is busy)' }
    })
    const w = mount(Figures)
    await flushPromises()
    expect(w.find('[data-test=figures-error]').text()).toContain('数据库忙')
    expect(w.find('[data-test=figure-appeals] .value').text()).toBe('23')
    expect(w.find('[data-test=chart-status]').exists()).toBe(false)
  })
})
