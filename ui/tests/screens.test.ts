// The screens against a mocked Rust side: what they ask for, and what they show.
import { afterEach, describe, expect, it } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks'
import FirstRun from '../src/screens/FirstRun.vue'
import Figures from '../src/screens/Figures.vue'
import SyncBadge from '../src/screens/SyncBadge.vue'
import type { AppState } from '../src/lib/types'

afterEach(() => clearMocks())

describe('first run', () => {
  it('shows the server’s refusal beside the field it concerns', async () => {
    const calls: string[] = []
    mockIPC((cmd, args) => {
      calls.push(cmd)
      if (cmd === 'login') {
        expect(args).toMatchObject({ user: 'zhang', deviceName: '张三的平板' })
        throw { code: 'login', field: 'password', message: '用户名或密码错误 (wrong user name or password)' }
      }
    })
    const w = mount(FirstRun)
    await w.find('[data-test=user] input').setValue('zhang')
    await w.find('[data-test=device-name] input').setValue('张三的平板')
    await w.find('[data-test=sign-in]').trigger('click')
    await flushPromises()
    expect(calls).toEqual(['login'])
    expect(w.find('[data-test=password]').text()).toContain('用户名或密码错误')
    expect(w.emitted('done')).toBeUndefined()
  })

  it('can start offline', async () => {
    mockIPC((cmd) => (cmd === 'work_offline' ? { ready: true } : undefined))
    const w = mount(FirstRun)
    await w.find('[data-test=offline]').trigger('click')
    await flushPromises()
    expect(w.emitted('done')?.[0]).toEqual([{ ready: true }])
  })
})

describe('figures and status', () => {
  it('shows rates with a percent sign and a dash when there is nothing to divide', async () => {
    mockIPC(() => ({ sessions: 1, visits: 5, consultations: 0, appeals: 2, appeals_resolved: 1, resolution_rate: 50, on_time_rate: null, overdue_appeals: 1, suggestions: 0, suggestions_adopted: 0, satisfaction_average: null }))
    const w = mount(Figures)
    await flushPromises()
    expect(w.text()).toContain('50%')
    expect(w.text()).toContain('—')
    expect(w.find('[data-test=resolved]').text()).toBe('1')
  })

  it('says offline with the count waiting, or that records stay on the device', () => {
    const base: AppState = { ready: true, server: 'http://office:8700', user: '张三', admin: false, local: { device_id: 'd', pending: 3, conflicts: 0, rejections: 0, clock_correction: null, ledger_broken: null, cursor: 0, bootstrapped: true, bootstrap_after: null, clock_offset_ms: 0, last_sync_at: null, log: null, retention_days: 30, key_place: null }, sync: { state: 'offline', reason: 'x', pending: 3 } }
    expect(mount(SyncBadge, { props: { state: base } }).text()).toBe('离线 · 3 条待上传')
    expect(mount(SyncBadge, { props: { state: { ...base, server: null } } }).text()).toBe('未登录 · 3 条待上传')
    expect(mount(SyncBadge, { props: { state: { ...base, sync: { state: 'up_to_date', at: 'now' } } } }).text()).toBe('已是最新')
  })
})
