// Visit capture against a mocked Rust side: saved as typed, errors beside their fields, a
// summary to read back.
import { afterEach, describe, expect, it } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks'
import Visit from '../src/screens/Visit.vue'
import type { VisitDraft } from '../src/lib/types'

afterEach(() => clearMocks())

const blank: VisitDraft = {
  id: 'v1', session_id: null, site_id: null, site_name: null, started_at: '2024-10-26T00:30:00Z',
  enterprise_attendees: '', production_status: '', monthly_output_wan: '', notes: '',
  appeals: [], consultations: [], ideas: [], location: null,
}
const snow = { id: 's1', kind: 'enterprise', name: '湖北斯诺新材料有限公司', credit_code: null, park_id: null, address: null, industry: null, contact: null, phone: null, void_reason: null }
const planning = { id: 'd1', name: '自然资源和规划中心', level: 'zone', void_reason: null }

/** A Rust side that keeps the last saved draft, as the store does. */
function backend(finish?: (d: VisitDraft) => unknown) {
  const saved: VisitDraft[] = []
  mockIPC((cmd, args) => {
    const a = args as Record<string, unknown>
    switch (cmd) {
      case 'visit_draft': return structuredClone(saved.at(-1) ?? blank) // as IPC would: a copy
      case 'departments': return [planning]
      case 'find_sites': return String(a.query).startsWith('hbsn') ? [snow] : []
      case 'save_visit_draft': saved.push(a.draft as VisitDraft); return null
      case 'finish_visit': return finish?.(saved.at(-1)!)
      case 'add_working_days':
        // The calendar the Rust side keeps: 5 working days from the visit skip a weekend.
        expect(a.from).toBe('2024-10-26')
        return { date: a.days === 5 ? '2024-11-01' : '2025-01-06', provisional: a.days !== 5 }
    }
  })
  return saved
}

/** A device that can tell where it is (`fix`), or cannot (`undefined`: the request fails). */
function geolocation(fix?: { latitude: number; longitude: number; accuracy: number }) {
  const asked: unknown[] = []
  Object.defineProperty(navigator, 'geolocation', {
    configurable: true,
    value: {
      getCurrentPosition(ok: PositionCallback, fail: PositionErrorCallback, options: unknown) {
        asked.push(options)
        setTimeout(() => (fix
          ? ok({ coords: fix, timestamp: Date.now() } as unknown as GeolocationPosition)
          : fail({ code: 2, message: 'position unavailable' } as GeolocationPositionError)))
      },
    },
  })
  return asked
}

describe('where a visit is made', () => {
  it('is saved with the draft once the device can tell, and read back', async () => {
    geolocation({ latitude: 31.690214, longitude: 113.382451, accuracy: 17.6 })
    const saved = backend()
    const w = mount(Visit, { props: { draftId: 'v1' } })
    await flushPromises()
    await new Promise((r) => setTimeout(r, 10))
    await flushPromises()
    expect(saved.at(-1)?.location).toEqual({ latitude: 31.690214, longitude: 113.382451, accuracy_m: 17.6 })
    const shown = w.find('[data-test=visit-location]').text()
    expect(shown).toContain('31.69021, 113.38245')
    expect(shown).toContain('误差约 18 米')
  })

  it('never holds up capture when the device cannot tell', async () => {
    const asked = geolocation()
    const saved = backend()
    const w = mount(Visit, { props: { draftId: 'v1' } })
    await flushPromises()
    await new Promise((r) => setTimeout(r, 10))
    await flushPromises()
    expect(w.find('[data-test=visit-location]').text()).toContain('未能定位，不影响记录')
    await w.find('[data-test=production-status] textarea').setValue('满负荷生产')
    await flushPromises()
    expect(saved.at(-1)).toMatchObject({ production_status: '满负荷生产', location: null })
    // Asked again on request.
    await w.find('[data-test=visit-locate]').trigger('click')
    expect(asked).toHaveLength(2)
  })
})

describe('visit capture', () => {
  it('saves what is typed, as it is typed', async () => {
    const saved = backend()
    const w = mount(Visit, { props: { draftId: 'v1' } })
    await flushPromises()
    await w.find('[data-test=site-search] input').setValue('hbsn')
    await flushPromises()
    await w.find('[data-test=site-option]').trigger('click')
    await w.find('[data-test=production-status] textarea').setValue('满负荷生产')
    await w.find('[data-test=add-appeal]').trigger('click')
    await flushPromises()
    await w.find('[data-test=category-environment]').trigger('click')
    await w.find('[data-test=appeal-description] textarea').setValue('厂区围墙外公共绿化')
    await w.find('[data-test=resolution-department]').trigger('click')
    await flushPromises()
    await w.find('[data-test=department-option]').trigger('click')
    await flushPromises()
    const last = saved.at(-1)!
    expect(last.site_id).toBe('s1')
    expect(last.production_status).toBe('满负荷生产')
    expect(last.appeals).toHaveLength(1)
    expect(last.appeals[0]).toMatchObject({ category: 'environment', description: '厂区围墙外公共绿化' })
    expect(last.appeals[0].resolution.lead_department_id).toBe('d1')
    expect(w.find('[data-test=saved-at]').text()).toContain('已保存')
  })

  it('takes the time of a visit written up afterwards, in the zone’s time', async () => {
    const saved = backend()
    const w = mount(Visit, { props: { draftId: 'v1' } })
    await flushPromises()
    expect((w.find('[data-test=visit-date] input').element as HTMLInputElement).value).toBe('2024-10-26 08:30')
    await w.find('[data-test=visit-date] input').setValue('10月26日')
    await flushPromises()
    expect(w.find('[data-test=visit-date]').text()).toContain('YYYY-MM-DD HH:mm')
    await w.find('[data-test=visit-date] input').setValue('2024-10-25 14:05')
    await flushPromises()
    expect(w.find('[data-test=visit-date]').text()).not.toContain('YYYY-MM-DD HH:mm，')
    expect(saved.at(-1)!.started_at).toBe('2024-10-25T06:05:00.000Z')
  })

  it('sets a deadline in working days, with its date, and says when the date is provisional', async () => {
    const saved = backend()
    const w = mount(Visit, { props: { draftId: 'v1' } })
    await flushPromises()
    await w.find('[data-test=add-appeal]').trigger('click')
    await flushPromises()
    expect(w.findAll('.quick .van-button').slice(0, 4).map((b) => b.text())).toEqual(['3个工作日', '5个工作日', '10个工作日', '15个工作日'])
    await w.find('[data-test=deadline-5]').trigger('click')
    await flushPromises()
    expect((w.find('[data-test=resolution-deadline] input').element as HTMLInputElement).value).toBe('2024-11-01')
    expect(w.find('[data-test=deadline-note]').text()).toBe('5个工作日')
    expect(saved.at(-1)!.appeals[0].resolution.deadline).toBe('2024-11-01')
    await w.find('[data-test=deadline-15]').trigger('click')
    await flushPromises()
    expect(w.find('[data-test=deadline-note]').text()).toContain('暂定')
    // Typed over, the date no longer claims to be counted in working days.
    await w.find('[data-test=resolution-deadline] input').setValue('2024-11-30')
    await flushPromises()
    expect(w.find('[data-test=deadline-note]').exists()).toBe(false)
  })

  it('shows a mistake beside its field and keeps the draft', async () => {
    backend(() => {
      throw { code: 'invalid', field: 'appeals.0.resolution.deadline', message: 'deadline：“10月28日”无效，应为 YYYY-MM-DD (invalid value, expected YYYY-MM-DD)' }
    })
    const w = mount(Visit, { props: { draftId: 'v1' } })
    await flushPromises()
    await w.find('[data-test=add-appeal]').trigger('click')
    await w.find('[data-test=resolution-deadline] input').setValue('10月28日')
    await w.find('[data-test=finish-visit]').trigger('click')
    await flushPromises()
    const field = w.find('[data-test=resolution-deadline]').text()
    expect(field).toContain('应为 YYYY-MM-DD')
    expect(field).not.toContain('deadline：')
    expect(w.find('[data-test=visit-error]').exists()).toBe(true)
    expect(w.find('[data-test=visit-summary]').exists()).toBe(false)
    expect((w.find('[data-test=resolution-deadline] input').element as HTMLInputElement).value).toBe('10月28日')
  })

  it('shows the visit receipt’s QR code with the summary, and takes it back', async () => {
    const receipt = { link: 'http://office:8700/portal/r/' + 'ab'.repeat(32), qr_svg: '<svg xmlns="http://www.w3.org/2000/svg" data-test="qr-svg"><rect width="4" height="4"/></svg>' }
    backend(() => ({ visit_id: 'v1', site_name: '湖北斯诺新材料有限公司', text: '走访纪要', receipt }))
    const revoked: unknown[] = []
    const w = mount(Visit, { props: { draftId: 'v1' } })
    await flushPromises()
    await w.find('[data-test=finish-visit]').trigger('click')
    await flushPromises()
    expect(w.find('[data-test=receipt-qr] svg').exists()).toBe(true)
    expect(w.find('[data-test=receipt-link]').text()).toBe(receipt.link)
    mockIPC((cmd, a) => {
      if (cmd === 'revoke_receipt') revoked.push(a)
    })
    await w.find('[data-test=receipt-revoke]').trigger('click')
    await flushPromises()
    expect(revoked).toEqual([{ visitId: 'v1' }])
    expect(w.find('[data-test=receipt-qr]').exists()).toBe(false)
    expect(w.find('[data-test=receipt-revoked]').text()).toContain('回执已收回')
  })

  it('takes the enterprise representative’s signature under the summary, drawn with a finger', async () => {
    backend(() => ({ visit_id: 'v1', site_name: '湖北斯诺新材料有限公司', text: '走访纪要', receipt: null }))
    const w = mount(Visit, { props: { draftId: 'v1' } })
    await flushPromises()
    await w.find('[data-test=finish-visit]').trigger('click')
    await flushPromises()
    const signed: Record<string, unknown>[] = []
    mockIPC((cmd, a) => {
      if (cmd !== 'sign_visit') return
      const args = a as Record<string, unknown>
      if (!String(args.signer).trim()) throw { code: 'required', field: 'signature.signer', params: {}, message: 'signature.signer：必填 (required)' }
      signed.push(args)
      return { signer: args.signer, signed_at: '2024-10-26T01:40:00Z', strokes: args.strokes }
    })
    const pad = w.find('[data-test=signature-canvas]')
    expect(w.find('[data-test=signature-confirm]').attributes('disabled')).toBeDefined()
    // Two strokes: a line, then a dot. (The pad is not laid out here, so points are taken as given.)
    await pad.trigger('pointerdown', { clientX: 20, clientY: 30, pointerId: 1 })
    await pad.trigger('pointermove', { clientX: 120, clientY: 90, pointerId: 1 })
    await pad.trigger('pointermove', { clientX: 700, clientY: 150, pointerId: 1 })
    await pad.trigger('pointerup', { pointerId: 1 })
    await pad.trigger('pointerdown', { clientX: 400, clientY: 60, pointerId: 1 })
    await pad.trigger('pointerup', { pointerId: 1 })
    expect(w.findAll('[data-test=signature-canvas] polyline')).toHaveLength(2)
    await w.find('[data-test=signer] input').setValue('王总')
    await w.find('[data-test=signature-confirm]').trigger('click')
    await flushPromises()
    expect(signed).toEqual([{ visitId: 'v1', signer: '王总', strokes: [[[20, 30], [120, 90], [600, 150]], [[400, 60]]] }])
    expect(w.find('[data-test=signature-pad]').exists()).toBe(false)
    expect(w.find('[data-test=signature-signed]').text()).toContain('王总 已签字')
    expect(w.findAll('[data-test=signature-signed] polyline')).toHaveLength(2)
  })

  it('finishes with the summary to read back', async () => {
    const saved = backend(() => ({ visit_id: 'v1', site_name: '湖北斯诺新材料有限公司', text: '湖北斯诺新材料有限公司 · 2024年10月26日 走访纪要\n企业诉求 2 项：' }))
    const w = mount(Visit, { props: { draftId: 'v1' } })
    await flushPromises()
    await w.find('[data-test=finish-visit]').trigger('click')
    await flushPromises()
    expect(w.find('[data-test=visit-summary]').text()).toContain('企业诉求 2 项')
    expect(w.emitted('finished')).toHaveLength(1)
    const saves = saved.length
    await w.find('[data-test=summary-close]').trigger('click')
    expect(w.emitted('close')).toHaveLength(1)
    w.unmount()
    await flushPromises()
    expect(saved.length, 'a finished visit is not saved again as a draft').toBe(saves)
  })
})
