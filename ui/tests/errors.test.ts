// Errors worded in the language chosen, from the code, field and values the Rust side sends.
import { afterEach, describe, expect, it } from 'vitest'
import { i18n } from '../src/i18n'
import { errorText } from '../src/lib/errors'
import type { AppError } from '../src/lib/types'

afterEach(() => {
  i18n.global.locale.value = 'zh-CN'
})

const tooLong: AppError = {
  code: 'too_long',
  field: 'name',
  params: { max: '100', len: '120' },
  message: 'name：最多 100 个字，现有 120 个 (at most 100 characters, got 120)',
}
const transition: AppError = {
  code: 'illegal_transition',
  field: 'status',
  params: { from: 'dispatched', action_zh: '办结', action_en: 'resolved' },
  message: 'status：诉求不能从“dispatched”办结 (an appeal cannot be resolved from dispatched)',
}

describe('errors', () => {
  it('are worded in Chinese, and in English once English is chosen', () => {
    expect(errorText(tooLong)).toBe('名称：最多 100 个字，现有 120 个')
    expect(errorText(tooLong, true)).toBe('最多 100 个字，现有 120 个')
    expect(errorText(transition)).toBe('状态：诉求不能从“dispatched”办结')
    i18n.global.locale.value = 'en'
    expect(errorText(tooLong)).toBe('Name: at most 100 characters, got 120')
    expect(errorText(transition, true)).toBe('an appeal cannot be resolved from “dispatched”')
  })

  it('keep the message as sent when the code is not known here or a value is missing', () => {
    const login: AppError = { code: 'login', field: 'password', params: {}, message: '用户名或密码错误 (wrong user name or password)' }
    expect(errorText(login)).toBe(login.message)
    const bare: AppError = { ...tooLong, params: {} }
    expect(errorText(bare)).toBe(tooLong.message)
    expect(errorText(bare, true)).toBe('最多 100 个字，现有 120 个 (at most 100 characters, got 120)')
    expect(errorText(new Error('boom'))).toBe('Error: boom')
  })
})
