// The sync badge and the sync tab against a mocked Rust side.
import { afterEach, describe, expect, it } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks'
import SyncBadge from '../src/screens/SyncBadge.vue'
import SyncPanel from '../src/screens/SyncPanel.vue'
import { nav } from '../src/lib/nav'
import type { AppState, ConflictItem, RejectionItem } from '../src/lib/types'

afterEach(() => {
  clearMocks()
  nav.tab = 'today'
})

const signedIn: AppState = {
  ready: true, server: 'http://office:8700', user: '张三', admin: false,
  local: { device_id: 'd', pending: 0, conflicts: 0, rejections: 0, clock_correction: null, ledger_broken: null, cursor: 9, bootstrapped: true, bootstrap_after: null, clock_offset_ms: 0, last_sync_at: '2024-10-26T02:00:00.000Z', log: null, retention_days: 30, key_place: { kind: 'file', path: '/data/desk.key' } },
  sync: { state: 'up_to_date', at: '2024-10-26 10:00' },
}
const offlineDevice: AppState = { ...signedIn, server: null, user: null, sync: { state: 'idle' } }
const withCounts = (conflicts: number, rejections: number): AppState => ({ ...signedIn, local: { ...signedIn.local, conflicts, rejections } })

const conflict: ConflictItem = {
  id: 3, entity: 'appeal', record_id: 'a1', record_label: '厂区围墙外公共绿化', field: 'deadline',
  kept_text: '2024-11-15', kept_by_this_device: false, lost_text: '2024-10-28', lost_by_this_device: true, at: '2024-10-27T01:00:00Z',
}
const rejection: RejectionItem = {
  op_id: 'op-1', entity: 'site', record_id: 's1', record_label: '湖北斯诺新材料有限公司', fields: ['phone', 'contact'],
  code: 'clock_ahead', field: 'hlc', reason: '设备时钟比服务器快 90 分钟，请校准设备时间后重试 (the device clock is 90 minutes ahead of the server: set it right and retry)',
  at: '2024-10-27T01:00:00Z',
}

describe('sync badge', () => {
  const badge = (state: AppState) => mount(SyncBadge, { props: { state } })

  it('says how far a sync has come, or that it is working', () => {
    expect(badge({ ...signedIn, sync: { state: 'syncing', phase: 'push', done: 3, total: 10 } }).text()).toBe('同步中 3/10')
    expect(badge({ ...signedIn, sync: { state: 'syncing', phase: 'pull', done: 40, total: 0 } }).text()).toBe('同步中…')
  })

  it('asks for attention while conflicts or refused changes wait, whatever the last sync said', () => {
    expect(badge(signedIn).text()).toBe('已是最新')
    expect(badge(withCounts(1, 0)).text()).toBe('需要处理')
    expect(badge(withCounts(0, 2)).text()).toBe('需要处理')
    expect(badge({ ...signedIn, sync: { state: 'needs_attention', reason: '请重新登录' } }).text()).toBe('需要处理')
    // Offline says so first: nothing can be settled with the server until it is back.
    expect(badge({ ...withCounts(1, 0), sync: { state: 'offline', reason: 'x', pending: 4 } }).text()).toBe('离线 · 4 条待上传')
  })

  it('counts the changes waiting before the first sync', () => {
    expect(badge({ ...signedIn, sync: { state: 'idle' }, local: { ...signedIn.local, pending: 5 } }).text()).toBe('5 条待上传')
    expect(badge({ ...signedIn, sync: { state: 'idle' } }).text()).toBe('尚未同步')
    // Working offline, never signed in: the records wait on the device.
    expect(badge({ ...offlineDevice, local: { ...signedIn.local, pending: 17 } }).text()).toBe('未登录 · 17 条待上传')
    expect(badge({ ...offlineDevice, local: { ...signedIn.local, pending: 0 } }).text()).toBe('未登录：记录保存在本设备')
  })

  it('opens the sync tab when tapped', async () => {
    const w = badge(signedIn)
    await w.find('[data-test=sync-badge]').trigger('click')
    expect(nav.tab).toBe('sync')
  })
})

describe('sync panel', () => {
  it('offers the sign-in form to a device that works offline, with refusals beside their field', async () => {
    const calls: string[] = []
    mockIPC((cmd, args: any) => {
      calls.push(cmd)
      if (cmd === 'conflicts' || cmd === 'rejections') return []
      if (cmd === 'login') {
        if (args.password !== 'right') throw { code: 'login', field: 'password', message: '用户名或密码错误 (wrong user name or password)' }
        return signedIn
      }
    })
    const w = mount(SyncPanel, { props: { state: offlineDevice } })
    await flushPromises()
    expect(w.find('[data-test=sync-now]').exists()).toBe(false)
    expect(w.find('[data-test=detail-server]').text()).toContain('未登录：记录保存在本设备')
    for (const f of ['server', 'user', 'password', 'device-name', 'sign-in']) expect(w.find(`[data-test=${f}]`).exists(), f).toBe(true)
    await w.find('[data-test=server] input').setValue('http://office:8700')
    await w.find('[data-test=user] input').setValue('zhang')
    await w.find('[data-test=password] input').setValue('wrong')
    await w.find('[data-test=device-name] input').setValue('张三的平板')
    await w.find('[data-test=sign-in]').trigger('click')
    await flushPromises()
    expect(w.find('[data-test=password]').text()).toContain('用户名或密码错误')
    expect(w.find('[data-test=server]').text()).not.toContain('用户名或密码错误')
    expect(w.emitted('refresh')).toBeUndefined()
    await w.find('[data-test=password] input').setValue('right')
    await w.find('[data-test=sign-in]').trigger('click')
    await flushPromises()
    expect(calls.filter((c) => c === 'login')).toHaveLength(2)
    expect(w.emitted('refresh')).toHaveLength(1)
  })

  it('says plainly whether the store is encrypted and where its key is kept', async () => {
    mockIPC((cmd) => {
      if (cmd === 'conflicts' || cmd === 'rejections') return []
    })
    const encrypted = mount(SyncPanel, { props: { state: signedIn } })
    await flushPromises()
    const line = encrypted.find('[data-test=detail-encryption]').text()
    expect(line).toContain('已加密（AES-256）')
    expect(line).toContain('/data/desk.key')
    expect(line).toContain('仅本用户可读')
    const plain = mount(SyncPanel, { props: { state: { ...signedIn, local: { ...signedIn.local, key_place: null } } } })
    await flushPromises()
    expect(plain.find('[data-test=detail-encryption]').text()).toContain('未加密')
  })

  it('tells a device marked lost why its data is gone, instead of a line that vanishes with the panel', async () => {
    const lost = '此设备已被管理员标记为丢失：1 条未上传的修改已交给办公室核对，本机数据已清除'
    mockIPC((cmd) => {
      if (cmd === 'conflicts' || cmd === 'rejections') return []
      if (cmd === 'sync_now') throw { code: 'device_lost', field: null, message: lost }
    })
    const w = mount(SyncPanel, { props: { state: signedIn }, attachTo: document.body })
    await flushPromises()
    await w.find('[data-test=sync-now]').trigger('click')
    await flushPromises()
    expect(document.body.textContent).toContain('此设备已被标记为丢失')
    expect(document.body.textContent).toContain(lost)
    expect(w.find('[data-test=sync-error]').exists()).toBe(false)
    expect(w.emitted('refresh'), 'the first screen waits until it was read').toBeUndefined()
    ;(document.querySelector('.van-dialog__confirm') as HTMLElement).click()
    await flushPromises()
    expect(w.emitted('refresh')).toHaveLength(1)
    w.unmount()
  })

  it('offers the administration screens to an administrator only', async () => {
    mockIPC((cmd) => {
      if (cmd === 'conflicts' || cmd === 'rejections') return []
    })
    const officer = mount(SyncPanel, { props: { state: signedIn } })
    await flushPromises()
    expect(officer.find('[data-test=open-admin]').exists()).toBe(false)
    const admin = mount(SyncPanel, { props: { state: { ...signedIn, admin: true } } })
    await flushPromises()
    await admin.find('[data-test=open-admin]').trigger('click')
    expect(nav.page).toEqual({ name: 'admin' })
    nav.page = null
  })

  it('shows where sync stands, syncs on demand, and says why it could not', async () => {
    mockIPC((cmd) => {
      if (cmd === 'conflicts' || cmd === 'rejections') return []
      if (cmd === 'sync_now') throw { code: 'sync', field: null, message: '无法连接服务器 (cannot reach the server)' }
    })
    const syncing: AppState = { ...signedIn, sync: { state: 'syncing', phase: 'bootstrap', done: 500, total: 2000 } }
    const w = mount(SyncPanel, { props: { state: syncing } })
    await flushPromises()
    expect(w.find('[data-test=sync-status]').text()).toContain('同步中 500/2000')
    expect(w.find('[data-test=sync-status]').text()).toContain('首次下载')
    expect(w.find('[data-test=sync-progress]').text()).toContain('25%')
    expect(w.find('[data-test=detail-user]').text()).toContain('张三')
    expect(w.find('[data-test=detail-last-sync]').text()).toMatch(/2024.*10:00/)
    await w.find('[data-test=sync-now]').trigger('click')
    await flushPromises()
    expect(w.find('[data-test=sync-error]').text()).toContain('无法连接服务器')
    expect(w.emitted('refresh')).toHaveLength(1)
  })

  it('says when the server found this device\'s clock wrong, and when a ledger failed its check', async () => {
    mockIPC((cmd) => (cmd === 'conflicts' || cmd === 'rejections' ? [] : undefined))
    const corrected: AppState = {
      ...signedIn,
      local: {
        ...signedIn.local,
        clock_correction: { at: '2026-11-30T02:00:00Z', ahead_ms: 3 * 86_400_000, restamped: 2, message: '…' },
        ledger_broken: '诉求 a1 的台账第 2 条内容被改动 (entry 2 of the ledger of appeal a1 was altered)',
      },
    }
    const w = mount(SyncPanel, { props: { state: corrected } })
    await flushPromises()
    expect(w.find('[data-test=clock-corrected]').text()).toContain('本设备时间有误，已按服务器时间校正（快了 3.0 天）')
    expect(w.find('[data-test=ledger-broken]').text()).toContain('第 2 条内容被改动')
    const fine = mount(SyncPanel, { props: { state: signedIn } })
    await flushPromises()
    expect(fine.find('[data-test=clock-corrected]').exists()).toBe(false)
  })

  it('lists a conflict with both values and keeps the one chosen', async () => {
    const calls: [string, unknown][] = []
    let open = [conflict]
    mockIPC((cmd, args) => {
      calls.push([cmd, args])
      if (cmd === 'conflicts') return open
      if (cmd === 'rejections') return []
      if (cmd === 'resolve_conflict') {
        open = []
        return signedIn
      }
    })
    const w = mount(SyncPanel, { props: { state: withCounts(1, 0) } })
    await flushPromises()
    const row = w.find('[data-test=conflict]')
    expect(row.text()).toContain('诉求')
    expect(row.text()).toContain('厂区围墙外公共绿化 · 期限')
    expect(row.find('[data-test=kept]').text()).toBe('2024-11-15')
    expect(row.text()).toContain('当前值 · 其他设备')
    expect(row.find('[data-test=lost]').text()).toBe('2024-10-28')
    expect(row.text()).toContain('落选值 · 本设备')
    await row.find('[data-test=keep-lost]').trigger('click')
    await flushPromises()
    expect(calls).toContainEqual(['resolve_conflict', { id: 3, keep: 'lost' }])
    expect(w.findAll('[data-test=conflict]')).toHaveLength(0)
    expect(w.text()).toContain('没有冲突')
    expect(w.emitted('refresh')).toHaveLength(1)
  })

  it('explains a refused change, and shows a failed settlement in its row', async () => {
    const calls: [string, unknown][] = []
    let open = [rejection, { ...rejection, op_id: 'op-2', code: 'forbidden', reason: '此账号只能办理诉求 (this account handles appeals)' }]
    mockIPC((cmd, args: any) => {
      calls.push([cmd, args])
      if (cmd === 'conflicts') return []
      if (cmd === 'rejections') return open
      if (cmd === 'settle_rejection') {
        if (args.how === 'revert') throw { code: 'sync', field: null, message: '无法连接服务器 (cannot reach the server)' }
        open = open.filter((r) => r.op_id !== args.opId)
        return signedIn
      }
    })
    const w = mount(SyncPanel, { props: { state: withCounts(0, 2) } })
    await flushPromises()
    const rows = w.findAll('[data-test=rejection]')
    expect(rows).toHaveLength(2)
    expect(rows[0].text()).toContain('企业/项目')
    expect(rows[0].text()).toContain('湖北斯诺新材料有限公司')
    expect(rows[0].text()).toContain('修改了：电话、联系人')
    expect(rows[0].find('[data-test=reason]').text()).toContain('设备时钟比服务器快 90 分钟')
    expect(rows[0].find('[data-test=hint]').text()).toContain('校准本设备的日期和时间')
    // What usually fixes each cause is the button offered first.
    expect(rows[0].find('[data-test=retry]').classes()).toContain('van-button--primary')
    expect(rows[1].find('[data-test=revert]').classes()).toContain('van-button--primary')
    expect(rows[1].find('[data-test=hint]').text()).toContain('无权')

    await rows[1].find('[data-test=revert]').trigger('click')
    await flushPromises()
    expect(calls).toContainEqual(['settle_rejection', { opId: 'op-2', how: 'revert' }])
    const after = w.findAll('[data-test=rejection]')
    expect(after[1].find('[data-test=row-error]').text()).toContain('无法连接服务器')
    expect(after[0].find('[data-test=row-error]').exists()).toBe(false)

    await after[0].find('[data-test=retry]').trigger('click')
    await flushPromises()
    expect(calls).toContainEqual(['settle_rejection', { opId: 'op-1', how: 'retry' }])
    expect(w.findAll('[data-test=rejection]').map((r) => r.find('[data-test=reason]').text())).toEqual([expect.stringContaining('只能办理诉求')])
    expect(w.emitted('refresh')).toHaveLength(1)
  })
})
