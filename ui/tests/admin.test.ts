// Administration (账号与设备): accounts made and changed through the server, refusals shown
// beside the field they name, devices revoked.
import { afterEach, describe, expect, it } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks'
import Admin from '../src/screens/Admin.vue'
import type { Account, DeviceInfo } from '../src/lib/types'

afterEach(async () => {
  await new Promise((r) => setTimeout(r, 350))
  clearMocks()
})

const admin: Account = {
  id: 'u1', name: 'admin', display_name: '管理员', role: 'admin', parks: [], departments: [], created_at: '2026-11-01T00:00:00Z', disabled_at: null,
}
const tablet: DeviceInfo = {
  id: 'd1', user: 'li', name: '李干部的平板', created_at: '2026-11-30T01:00:00Z', last_seen_at: '2026-11-30T02:00:00Z', revoked_at: null, lost_at: null, handed_over_at: null,
}

function fill(selector: string, value: string) {
  const input = document.querySelector(`[data-test=${selector}] input`) as HTMLInputElement
  input.value = value
  input.dispatchEvent(new Event('input'))
}
const click = (selector: string) => (document.querySelector(`[data-test=${selector}]`) as HTMLElement).click()

describe('administration', () => {
  it('creates an officer for a park, showing the refusal beside the field first', async () => {
    let accounts = [admin]
    const sent: unknown[] = []
    mockIPC((cmd, args) => {
      if (cmd === 'accounts') return accounts
      if (cmd === 'devices' || cmd === 'api_keys') return []
      if (cmd === 'parks') return [{ id: 'p1', name: '一园', void_reason: null }]
      if (cmd === 'departments') return []
      if (cmd === 'create_account') {
        const account = (args as { account: Account & { password: string } }).account
        sent.push(account)
        if (account.parks.length === 0) throw { code: 'bad_request', field: 'parks', message: 'parks：园区干部须至少负责一个园区 (an officer serves at least one park)' }
        accounts = [...accounts, { ...admin, id: 'u2', name: account.name, display_name: account.display_name, role: 'officer', parks: account.parks }]
        return accounts[1]
      }
    })
    const w = mount(Admin, { attachTo: document.body })
    await flushPromises()
    expect(w.findAll('[data-test=account]')).toHaveLength(1)
    await w.find('[data-test=account-new]').trigger('click')
    await flushPromises()
    fill('account-name', 'li')
    fill('account-display-name', '李干部')
    fill('account-password', '园区巡查 2026')
    click('account-save')
    await flushPromises()
    expect(document.querySelector('[data-test=account-sheet]')?.textContent).toContain('园区干部须至少负责一个园区')
    click('park-一园')
    await flushPromises()
    click('account-save')
    await flushPromises()
    expect(sent).toHaveLength(2)
    expect(sent[1]).toMatchObject({ name: 'li', display_name: '李干部', role: 'officer', parks: ['p1'], password: '园区巡查 2026' })
    const rows = w.findAll('[data-test=account]')
    expect(rows).toHaveLength(2)
    expect(rows[1].text()).toContain('李干部（li）')
    expect(rows[1].text()).toContain('园区干部 · 一园')
    w.unmount()
  })

  it('revokes a device and shows it revoked', async () => {
    let devices = [tablet]
    let revoked: unknown = null
    mockIPC((cmd, args) => {
      if (cmd === 'accounts') return [admin]
      if (cmd === 'devices') return devices
      if (cmd === 'parks' || cmd === 'departments' || cmd === 'api_keys') return []
      if (cmd === 'revoke_device') {
        revoked = (args as { id: string }).id
        devices = [{ ...tablet, revoked_at: '2026-12-01T02:00:00Z' }]
      }
    })
    const w = mount(Admin, { attachTo: document.body })
    await flushPromises()
    expect(w.find('[data-test=device]').text()).toContain('李干部的平板')
    await w.find('[data-test=device-revoke]').trigger('click')
    await flushPromises()
    expect(revoked).toBe('d1')
    expect(w.find('[data-test=device-revoked]').text()).toBe('已停用')
    w.unmount()
  })

  it('adds a department, saying so when its name is taken, and issues a key shown once', async () => {
    const departments = [{ id: 'd1', name: '经济发展局', level: 'zone', void_reason: null }]
    const made: unknown[] = []
    let keys: { name: string; created_at: string; revoked_at: string | null }[] = []
    mockIPC((cmd, args) => {
      if (cmd === 'accounts') return [admin]
      if (cmd === 'devices' || cmd === 'parks') return []
      if (cmd === 'departments') return departments
      if (cmd === 'api_keys') return keys
      if (cmd === 'create_place') {
        const a = args as { kind: string; name: string; level: string | null }
        made.push(a)
        if (departments.some((d) => d.name === a.name)) throw { code: 'duplicate', field: 'name', message: 'name：“经济发展局”重复，已有同名记录 (already exists)' }
        departments.push({ id: 'd2', name: a.name, level: a.level ?? 'zone', void_reason: null })
      }
      if (cmd === 'issue_api_key') {
        const name = (args as { name: string }).name
        keys = [{ name, created_at: '2026-12-01T02:00:00Z', revoked_at: null }]
        return { name, key: 'k-0123456789abcdef' }
      }
    })
    const w = mount(Admin, { attachTo: document.body })
    await flushPromises()
    fill('place-department', '经济发展局')
    await flushPromises()
    click('place-department-add')
    await flushPromises()
    expect(w.find('[data-test=place-department]').text()).toContain('已有同名记录')
    fill('place-department', '应急管理局')
    await flushPromises()
    click('place-department-add')
    await flushPromises()
    expect(made[1]).toEqual({ kind: 'department', name: '应急管理局', level: 'zone' })
    expect(w.find('[data-test=department-list]').text()).toContain('应急管理局')
    fill('api-key-name', '12345热线')
    await flushPromises()
    click('api-key-issue')
    await flushPromises()
    expect(document.querySelector('[data-test=api-key-value]')?.textContent).toBe('k-0123456789abcdef')
    expect(w.find('[data-test=api-key]').text()).toContain('12345热线')
    w.unmount()
  })
})
