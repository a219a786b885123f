// The Sites tab against a mocked Rust side: search as typed, a site's history, a new site.
import { afterEach, describe, expect, it } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks'
import Sites from '../src/screens/Sites.vue'
import { nav } from '../src/lib/nav'
import type { Site, SiteHistory } from '../src/lib/types'

afterEach(() => {
  clearMocks()
  nav.page = null
  document.body.innerHTML = ''
})

const site = (id: string, name: string, kind: 'enterprise' | 'project', park: string | null, code: string | null): Site => ({
  id, kind, name, credit_code: code, park_id: park ? `p-${id}` : null, park_name: park,
  address: '湖北省随州高新区', industry: null, contact: null, phone: null, void_reason: null,
})
const snow = site('s1', '湖北斯诺新材料有限公司', 'enterprise', '新材料产业园', '91421300MA49KQ7D3X')
const sewage = site('s2', '污水处理厂二期', 'project', null, null)

const history: SiteHistory = {
  site: snow,
  visits: [{
    id: 'v1', session_id: 'x1', site_id: 's1', started_at: '2024-10-26T00:30:00Z', ended_at: null,
    officials: ['党工委书记、管委会主任'], enterprise_attendees: [],
    production_status: '除高温碳化车间正在安装调试外，其余车间均满负荷生产', monthly_output_yuan: 12_000_000,
    notes: null, receipt_hash: null, receipt_revoked: false, void_reason: null,
    location: { latitude: 31.69021, longitude: 113.38245, accuracy_m: 18 }, signature: null,
  }],
  appeals: [{
    id: 'a1', site_id: 's1', visit_id: 'v1', raised_at: '2024-10-26T00:30:00Z', channel: 'on_site', category: 'environment',
    description: '厂区围墙外公共绿化', urgency: 'normal', status: 'dispatched', department_id: 'd1', deadline: '2024-10-28',
    resolved_at: null, satisfaction: null, ledger_head: null, policy_issue_id: null, void_reason: null, department_name: '自然资源和规划中心', overdue: true,
  }],
  consultations: [],
  suggestions: [{ id: 'g1', site_id: 's1', visit_id: 'v1', at: '2024-10-26T01:00:00Z', content: '建议开通园区公交', adopted: true, void_reason: null }],
}

/** find_sites as the Rust side answers it, by initials or name; records every call. */
function mockSites(calls: [string, unknown][], extra: (cmd: string, args: any) => unknown = () => undefined) {
  mockIPC((cmd, args: any) => {
    calls.push([cmd, args])
    if (cmd === 'find_sites') {
      const q = String(args.query).trim()
      return [snow, sewage].filter((s) => q === '' || (q === 'hbsn' && s === snow) || s.name.includes(q))
    }
    if (cmd === 'site_history') return history
    return extra(cmd, args)
  })
}

describe('sites', () => {
  it('lists every site, then narrows as the official types', async () => {
    const calls: [string, unknown][] = []
    mockSites(calls)
    const w = mount(Sites)
    await flushPromises()
    expect(w.findAll('[data-test=site-row]').map((r) => r.text())).toEqual([
      expect.stringMatching(/湖北斯诺新材料有限公司.*新材料产业园 · 91421300MA49KQ7D3X.*企业/),
      expect.stringMatching(/污水处理厂二期.*未分园区.*重点项目/),
    ])
    await w.find('[data-test=sites-search] input').setValue('hbsn')
    await flushPromises()
    expect(calls.filter(([c]) => c === 'find_sites').map(([, a]) => a)).toEqual([{ query: '' }, { query: 'hbsn' }])
    expect(w.findAll('[data-test=site-row]')).toHaveLength(1)
    await w.find('[data-test=sites-search] input').setValue('不存在')
    await flushPromises()
    expect(w.text()).toContain('没有找到企业或项目')
  })

  it('shows only the answer to the latest search', async () => {
    // The answer to "湖" arrives after the answer to "湖北斯诺".
    let releaseFirst: () => void = () => {}
    mockIPC((cmd, args: any) => {
      if (cmd !== 'find_sites') return undefined
      if (args.query === '湖') return new Promise((done) => (releaseFirst = () => done([snow, sewage])))
      return args.query === '' ? [] : [snow]
    })
    const w = mount(Sites)
    await flushPromises()
    await w.find('[data-test=sites-search] input').setValue('湖')
    await w.find('[data-test=sites-search] input').setValue('湖北斯诺')
    await flushPromises()
    releaseFirst()
    await flushPromises()
    expect(w.findAll('[data-test=site-row]').map((r) => r.text())).toEqual([expect.stringContaining('湖北斯诺')])
  })

  it("opens a site's history: visits with output, appeals with status and deadline, ideas", async () => {
    const calls: [string, unknown][] = []
    mockSites(calls, (cmd) => (cmd === 'new_visit' ? { id: 'draft-1' } : undefined))
    const w = mount(Sites, { attachTo: document.body })
    await flushPromises()
    await w.find('[data-test=site-row]').trigger('click')
    await flushPromises()
    expect(calls).toContainEqual(['site_history', { id: 's1' }])
    const page = document.querySelector('[data-test=site-history]')!
    const visit = page.querySelector('[data-test=history-visit]')!.textContent!
    expect(visit).toContain('满负荷生产')
    expect(visit).toContain('月产值 1,200 万元')
    expect(visit).toContain('党工委书记')
    expect(visit).toContain('走访地点：31.69021, 113.38245（误差约 18 米）')
    const appeal = page.querySelector('[data-test=history-appeal]')!.textContent!
    expect(appeal).toContain('已派单')
    expect(appeal).toContain('期限 2024-10-28')
    expect(appeal).toContain('自然资源和规划中心')
    expect(page.querySelector('[data-test=history-appeal] [data-test=overdue]')?.textContent).toBe('已超期')
    expect(page.querySelector('[data-test=history-idea]')?.textContent).toContain('已采纳')
    expect(page.textContent).toContain('没有咨询')

    ;(page.querySelector('[data-test=site-new-visit]') as HTMLElement).click()
    await flushPromises()
    expect(calls).toContainEqual(['new_visit', { sessionId: null, siteId: 's1' }])
    expect(nav.page).toEqual({ name: 'visit', draftId: 'draft-1' })
    w.unmount()
  })

  it('adds a site, and shows a refused credit code beside its field', async () => {
    const calls: [string, unknown][] = []
    const created = site('s3', '随州高新科技有限公司', 'enterprise', '现代物流园', null)
    let refuse = true
    mockSites(calls, (cmd) => {
      if (cmd === 'parks') return [{ id: 'p3', name: '现代物流园', void_reason: null }]
      if (cmd === 'create_site') {
        if (refuse) throw { code: 'credit_code_check', field: 'credit_code', message: 'credit_code：校验位应为“3”，实为“X” (check character should be 3, got X)' }
        return created
      }
    })
    const w = mount(Sites, { attachTo: document.body })
    await flushPromises()
    await w.find('[data-test=sites-search] input').setValue('随州高新')
    await flushPromises()
    await w.find('[data-test=new-site]').trigger('click')
    await flushPromises()
    const form = () => document.querySelector('[data-test=site-form]')!
    const name = form().querySelector('[data-test=site-name] input') as HTMLInputElement
    // The search text starts the name.
    expect(name.value).toBe('随州高新')
    name.value = '随州高新科技有限公司'
    name.dispatchEvent(new Event('input'))
    const code = form().querySelector('[data-test=site-credit-code] input') as HTMLInputElement
    code.value = '91421300MA49KQ7D3X'
    code.dispatchEvent(new Event('input'))
    ;(Array.from(form().querySelectorAll('[data-test=site-park] .van-radio')).find((r) => r.textContent === '现代物流园') as HTMLElement).click()
    ;(form().querySelector('[data-test=site-save]') as HTMLElement).click()
    await flushPromises()
    expect(calls).toContainEqual(['create_site', { input: { name: '随州高新科技有限公司', credit_code: '91421300MA49KQ7D3X', kind: 'enterprise', park_id: 'p3' } }])
    expect(form().querySelector('[data-test=site-credit-code]')!.textContent).toContain('校验位应为“3”')
    expect(form().querySelector('[data-test=site-name]')!.textContent).not.toContain('校验位')

    refuse = false
    ;(form().querySelector('[data-test=site-save]') as HTMLElement).click()
    await flushPromises()
    expect(form().querySelector('[data-test=site-credit-code]')!.textContent).not.toContain('校验位')
    // The new site's history opens.
    expect(calls.at(-1)).toEqual(['site_history', { id: 's3' }])
    w.unmount()
  })
})
