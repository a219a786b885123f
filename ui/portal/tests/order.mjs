// 点单 on a phone, in two acts around the office's dispatch (which the Rust test does with the
// `desk` CLI in between):
//
//   node portal/tests/order.mjs BASE_URL CREDIT_CODE ACCESS_CODE SCREENSHOT_DIR place
//     orders a visit with two time windows (a window ending before it starts is refused
//     first) and raises an appeal online; prints the order's topic
//   node portal/tests/order.mjs BASE_URL CREDIT_CODE ACCESS_CODE SCREENSHOT_DIR see DATE
//     sees the order dispatched: the desk comes on DATE at the second window's start
import assert from 'node:assert/strict'
import { openPhone, signIn } from './phone.mjs'

const [base, credit, code, shots, act, date] = process.argv.slice(2)
assert.ok(base && credit && code && shots && ['place', 'see'].includes(act), 'usage: order.mjs BASE CREDIT CODE DIR place|see [DATE]')

const TOPIC = '新增用地规划咨询'
// A day `n` days from today in the zone (UTC+8), as a date input takes it.
const day = (n) => new Date(Date.now() + 8 * 3600_000 + n * 86400_000).toISOString().slice(0, 10)

const { browser, page, shot } = await openPhone(shots)
try {
  await signIn(page, base, credit, code)
  if (act === 'place') {
    await page.locator('[data-test=order]').click()
    const form = page.locator('[data-test=order-form]')
    await form.waitFor()
    await form.locator('[data-test=topic] input').fill(TOPIC)
    await form.locator('[data-test=wishes] textarea').fill('三期扩建需要新增 30 亩工业用地，想了解规划条件和报批流程。')
    const first = form.locator('[data-test=window]').nth(0)
    await first.locator('[data-test=window-date]').fill(day(2))
    await first.locator('[data-test=window-start]').fill('16:00')
    await first.locator('[data-test=window-end]').fill('14:00')
    await form.locator('[data-test=add-window]').click()
    const second = form.locator('[data-test=window]').nth(1)
    await second.locator('[data-test=window-date]').fill(day(4))
    await second.locator('[data-test=window-start]').fill('09:00')
    await second.locator('[data-test=window-end]').fill('11:00')
    // Refused before it is sent: the first window ends before it starts.
    await form.locator('[data-test=order-submit]').click()
    await form.locator('[data-test=windows-error]').getByText('结束时间应晚于开始时间').waitFor()
    await first.locator('[data-test=window-start]').fill('14:00')
    await first.locator('[data-test=window-end]').fill('16:00')
    await shot('09-order')
    await form.locator('[data-test=order-submit]').click()
    await page.locator('[data-test=notice]').getByText('已提交点单').waitFor()
    const placed = page.locator('[data-test=my-order]', { hasText: TOPIC })
    await placed.locator('[data-test=order-state]').getByText('待派单').waitFor()
    assert.match(await placed.innerText(), new RegExp(`${day(4)} 09:00–11:00`))
    await page.locator('.van-overlay').waitFor({ state: 'hidden' })
    await shot('10-ordered')

    // An appeal raised online: category first, or it is asked for.
    await page.locator('[data-test=raise]').click()
    const appeal = page.locator('[data-test=appeal-form]')
    await appeal.locator('[data-test=description] textarea').fill('三期投产后需招工 200 人，希望人社部门组织专场招聘会。')
    await appeal.locator('[data-test=appeal-submit]').click()
    await appeal.getByText('请选择类别').waitFor()
    await appeal.locator('[data-test=category-labour]').click()
    await shot('11-appeal')
    await appeal.locator('[data-test=appeal-submit]').click()
    await page.locator('[data-test=appeal]', { hasText: '专场招聘会' }).getByText('受理').waitFor()
    assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 390, 'nothing wider than the phone')
    console.log(TOPIC)
  } else {
    assert.ok(date, 'the visit day')
    const placed = page.locator('[data-test=my-order]', { hasText: TOPIC })
    const state = await placed.locator('[data-test=order-state]').innerText()
    assert.equal(state, `已派单：${date} 09:00 流动办公桌到访`)
    await placed.scrollIntoViewIfNeeded()
    await shot('12-dispatched')
  }
} finally {
  await browser.close()
}
