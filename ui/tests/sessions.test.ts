// The Today screen and a session's page against a mocked Rust side.
import { afterEach, describe, expect, it } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks'
import Today from '../src/screens/Today.vue'
import SessionEdit from '../src/screens/SessionEdit.vue'
import { nav } from '../src/lib/nav'
import type { DraftSummary, Session, SessionDetail } from '../src/lib/types'

afterEach(() => {
  clearMocks()
  nav.page = null
})

const stop = (i: number, site: string, start: string, end: string, visited = false) => ({
  id: `st${i}`, session_id: 'x1', position: i, site_id: `site${i}`, site_name: site,
  slot_start: start, slot_end: end, void_reason: null, visited,
})

const todaySession: Session = {
  id: 'x1', date: '2024-11-05', leader: '党工委书记', participants: ['百通岗'], desk_types: ['office', 'mediation'],
  origin: 'scheduled', status: 'planned', summary: null, void_reason: null, when: 'today',
  stops: [stop(1, '湖北斯诺新材料有限公司', '08:30', '09:30', true), stop(2, '污水处理厂二期', '10:00', '10:40')],
}
const recentSession: Session = {
  ...todaySession, id: 'x0', date: '2024-10-26', status: 'finished', when: 'recent', stops: [stop(1, '随创贸易', '15:00', '15:40')],
}
const draft: DraftSummary = { id: 'd1', site_name: '湖北交投物流园', started_at: '2024-11-05T01:00:00Z', appeals: 2 }

/** The commands Today calls, answering `new_visit` with `answer`, and recording every call. */
function mockToday(calls: [string, unknown][], answer: (args: unknown) => unknown = () => ({ id: 'new-draft' })) {
  mockIPC((cmd, args) => {
    calls.push([cmd, args])
    if (cmd === 'sessions') return [todaySession, recentSession]
    if (cmd === 'visit_drafts') return [draft]
    if (cmd === 'orders') return []
    if (cmd === 'new_visit') return answer(args)
  })
}

describe('today', () => {
  it('puts unfinished visits on top, then the sessions with their stops in order', async () => {
    mockToday([])
    const w = mount(Today)
    await flushPromises()
    expect(w.find('[data-test=draft]').text()).toContain('湖北交投物流园')
    expect(w.find('[data-test=draft]').text()).toContain('2 件诉求')
    const cards = w.findAll('[data-test=session-card]')
    expect(cards.map((c) => c.find('[data-test=session-when]').text())).toEqual(['今天', '近期'])
    expect(cards[0].text()).toContain('流动办公桌、流动调解桌')
    expect(cards[0].find('[data-test=session-status]').text()).toBe('计划中')
    const stops = cards[0].findAll('[data-test=stop]')
    expect(stops.map((s) => s.text())).toEqual([
      expect.stringMatching(/^1\. 湖北斯诺新材料有限公司.*08:30–09:30.*已走访/),
      expect.stringMatching(/^2\. 污水处理厂二期.*10:00–10:40/),
    ])
    expect(stops[1].find('[data-test=stop-visited]').exists()).toBe(false)
  })

  it('reads its lists again when a sync brings changes', async () => {
    const calls: [string, unknown][] = []
    mockToday(calls)
    const w = mount(Today)
    await flushPromises()
    calls.length = 0
    await flushPromises()
    expect(calls).toEqual([])
    nav.synced++
    await flushPromises()
    // (Screens mounted by the tests above listen too: at least this one reads again.)
    for (const cmd of ['sessions', 'visit_drafts', 'alerts']) expect(calls.map(([c]) => c)).toContain(cmd)
    w.unmount()
  })

  it('starts a visit on its own or at a stop, and opens it', async () => {
    const calls: [string, unknown][] = []
    mockToday(calls)
    const w = mount(Today)
    await flushPromises()
    await w.find('[data-test=new-visit]').trigger('click')
    await flushPromises()
    expect(calls.find(([c]) => c === 'new_visit')?.[1]).toEqual({ sessionId: null, siteId: null })
    expect(nav.page).toEqual({ name: 'visit', draftId: 'new-draft' })

    nav.page = null
    calls.length = 0
    await w.findAll('[data-test=stop-visit]')[1].trigger('click')
    await flushPromises()
    expect(calls).toEqual([['new_visit', { sessionId: 'x1', siteId: 'site2' }]])
    expect(nav.page).toEqual({ name: 'visit', draftId: 'new-draft' })
  })

  it('resumes a draft, plans a session and opens one', async () => {
    mockToday([])
    const w = mount(Today)
    await flushPromises()
    await w.find('[data-test=resume-visit]').trigger('click')
    expect(nav.page).toEqual({ name: 'visit', draftId: 'd1' })
    await w.find('[data-test=plan-session]').trigger('click')
    expect(nav.page).toEqual({ name: 'session', sessionId: null })
    await w.findAll('[data-test=session-open]')[1].trigger('click')
    expect(nav.page).toEqual({ name: 'session', sessionId: 'x0' })
  })

  it('says why a visit could not start and stays', async () => {
    mockToday([], () => {
      throw { code: 'failed', field: null, message: '无法保存草稿 (cannot save the draft)' }
    })
    const w = mount(Today)
    await flushPromises()
    await w.find('[data-test=new-visit]').trigger('click')
    await flushPromises()
    expect(w.find('[data-test=today-error]').text()).toContain('无法保存草稿')
    expect(nav.page).toBeNull()
  })
})

const detail = (over: Partial<SessionDetail> = {}): SessionDetail => ({
  ...todaySession, draft_summary: '2024-11-05，党工委书记带队开展流动办公桌，计划走访 2 个站点，已走访 1 个', ...over,
})

describe('session page', () => {
  it('plans a new session with its stops and saves it whole', async () => {
    const plans: unknown[] = []
    const searches: unknown[] = []
    mockIPC((cmd, args) => {
      if (cmd === 'find_sites') {
        searches.push(args)
        return [{ id: 'snow', name: '湖北斯诺新材料有限公司', credit_code: null }]
      }
      if (cmd === 'save_session') {
        plans.push((args as { plan: unknown }).plan)
        return detail()
      }
    })
    const w = mount(SessionEdit, { props: { sessionId: null } })
    await flushPromises()
    await w.find('[data-test=session-date] input').setValue('2024-11-06')
    await w.find('[data-test=session-leader] input').setValue('党工委书记')
    await w.find('[data-test=session-participants] input').setValue('百通岗、 经济发展局,自然资源和规划中心')
    await w.find('[data-test=desk-type-office]').trigger('click') // was on: now off
    await w.find('[data-test=desk-type-mediation]').trigger('click')
    await w.find('[data-test=add-stop]').trigger('click')
    await w.find('[data-test=site-search] input').setValue('hbsn')
    await flushPromises()
    expect(searches).toEqual([{ query: 'hbsn' }])
    await w.find('[data-test=site-option]').trigger('click')
    const row = w.find('[data-test=stop-row]')
    expect((row.find('[data-test=stop-site] input').element as HTMLInputElement).value).toBe('湖北斯诺新材料有限公司')
    await row.find('[data-test=stop-start] input').setValue('08:30')
    await row.find('[data-test=stop-end] input').setValue('09:30')
    await w.find('[data-test=session-save]').trigger('click')
    await flushPromises()
    expect(plans).toEqual([{
      id: null, date: '2024-11-06', leader: '党工委书记', participants: ['百通岗', '经济发展局', '自然资源和规划中心'],
      desk_types: ['mediation'], origin: 'scheduled', summary: null,
      stops: [{ id: null, site_id: 'snow', slot_start: '08:30', slot_end: '09:30' }],
    }])
    expect(w.emitted('close')).toHaveLength(1)
  })

  it('shows a refused field beside it, a stop’s beside that stop, and stays open', async () => {
    let refusal = { code: 'invalid', field: 'stops.1.slot_end', message: 'slot_end：“09:00”无效，应为 a time after 10:00' }
    mockIPC((cmd) => {
      if (cmd === 'session') return detail()
      if (cmd === 'save_session') throw refusal
    })
    const w = mount(SessionEdit, { props: { sessionId: 'x1' } })
    await flushPromises()
    await w.find('[data-test=session-save]').trigger('click')
    await flushPromises()
    const rows = w.findAll('[data-test=stop-row]')
    expect(rows[1].find('[data-test=stop-end]').text()).toContain('a time after 10:00')
    expect(rows[0].find('[data-test=stop-end]').text()).not.toContain('a time after')
    expect(w.emitted('close')).toBeUndefined()

    refusal = { code: 'required', field: 'leader', message: 'leader：必填 (required)' }
    await w.find('[data-test=session-save]').trigger('click')
    await flushPromises()
    expect(w.find('[data-test=session-leader]').text()).toContain('必填')
    expect(w.find('[data-test=stop-row] [data-test=stop-end]').text()).not.toContain('a time after')
  })

  it('edits the order of the stops, then starts and finishes the session', async () => {
    const calls: [string, unknown][] = []
    let current = detail()
    mockIPC((cmd, args) => {
      calls.push([cmd, args])
      if (cmd === 'session' || cmd === 'save_session') return current
      if (cmd === 'start_session') return (current = detail({ status: 'in_progress' }))
      if (cmd === 'finish_session') return (current = detail({ status: 'finished', summary: current.draft_summary }))
    })
    const w = mount(SessionEdit, { props: { sessionId: 'x1' } })
    await flushPromises()
    expect((w.find('[data-test=session-leader] input').element as HTMLInputElement).value).toBe('党工委书记')
    expect(w.find('[data-test=session-summary]').exists()).toBe(false)
    expect(w.find('[data-test=session-finish]').exists()).toBe(false)

    await w.findAll('[data-test=stop-down]')[0].trigger('click')
    await w.find('[data-test=session-start]').trigger('click')
    await flushPromises()
    const saved = calls.find(([c]) => c === 'save_session')?.[1] as { plan: { id: string; stops: { id: string }[] } }
    expect(saved.plan.id).toBe('x1')
    expect(saved.plan.stops.map((s) => s.id)).toEqual(['st2', 'st1'])
    expect(calls.map(([c]) => c)).toEqual(['session', 'save_session', 'start_session'])
    expect(w.find('[data-test=session-status]').text()).toBe('进行中')
    expect(w.find('[data-test=session-start]').exists()).toBe(false)

    // Finishing with the summary left empty lets the device draw it from the visits.
    const summary = w.find('[data-test=session-summary] textarea')
    expect(summary.attributes('placeholder')).toContain('已走访 1 个')
    await w.find('[data-test=session-finish]').trigger('click')
    await flushPromises()
    expect(calls.at(-1)).toEqual(['finish_session', { id: 'x1', summary: null }])
    expect(w.find('[data-test=session-status]').text()).toBe('已结束')
    expect((w.find('[data-test=session-summary] textarea').element as HTMLTextAreaElement).value).toContain('已走访 1 个')
  })

  it('previews a saved session’s summary as it will print', async () => {
    const calls: [string, unknown][] = []
    mockIPC((cmd, args) => {
      calls.push([cmd, args])
      if (cmd === 'session') return detail()
      if (cmd === 'session_summary') return '<!DOCTYPE html><html><body><h1>活动小结</h1></body></html>'
    })
    const w = mount(SessionEdit, { props: { sessionId: 'x1' }, attachTo: document.body })
    await flushPromises()
    await w.find('[data-test=print-session]').trigger('click')
    await flushPromises()
    expect(calls.at(-1)).toEqual(['session_summary', { sessionId: 'x1' }])
    const page = document.querySelector('[data-test=print-page]') as HTMLIFrameElement
    expect(page.getAttribute('srcdoc')).toContain('<h1>活动小结</h1>')
    w.unmount()
    document.body.innerHTML = ''
  })

  it('has nothing to print before the session is saved', async () => {
    mockIPC(() => undefined)
    const w = mount(SessionEdit, { props: { sessionId: null } })
    await flushPromises()
    expect(w.find('[data-test=print-session]').exists()).toBe(false)
  })

  it('removes a stop from the plan', async () => {
    const plans: { stops: { id: string }[] }[] = []
    mockIPC((cmd, args) => {
      if (cmd === 'session') return detail()
      if (cmd === 'save_session') {
        plans.push((args as { plan: { stops: { id: string }[] } }).plan)
        return detail()
      }
    })
    const w = mount(SessionEdit, { props: { sessionId: 'x1' } })
    await flushPromises()
    await w.findAll('[data-test=stop-remove]')[0].trigger('click')
    expect(w.findAll('[data-test=stop-row]')).toHaveLength(1)
    await w.find('[data-test=session-save]').trigger('click')
    await flushPromises()
    expect(plans[0].stops.map((s) => s.id)).toEqual(['st2'])
  })

  it('shows a refused start at the top, and a retry does not plan the session twice', async () => {
    const saved: (string | null)[] = []
    mockIPC((cmd, args) => {
      if (cmd === 'save_session') {
        saved.push((args as { plan: { id: string | null } }).plan.id)
        return detail()
      }
      if (cmd === 'start_session') {
        throw { code: 'illegal_transition', field: 'status', message: 'status：活动“已结束”，不能改为“进行中”' }
      }
    })
    const w = mount(SessionEdit, { props: { sessionId: null } })
    await flushPromises()
    await w.find('[data-test=session-start]').trigger('click')
    await flushPromises()
    expect(w.find('[data-test=session-error]').text()).toContain('不能改为“进行中”')
    expect(w.find('[data-test=session-status]').text()).toBe('计划中')
    await w.find('[data-test=session-start]').trigger('click')
    await flushPromises()
    expect(saved).toEqual([null, 'x1'])
  })
})
