// The enterprise on a phone: Debian's Chromium at 390×844 (a phone in WeChat's browser),
// driven by playwright-core against a real desk-server that the Rust test started with the
// demo loaded and an access code issued.
//
//   node portal/tests/sign-in.mjs BASE_URL CREDIT_CODE ACCESS_CODE SCREENSHOT_DIR
//
// Exits non-zero, saying what it expected, when the portal does not behave.
import assert from 'node:assert/strict'
import { openPhone } from './phone.mjs'

const [base, credit, code, shots] = process.argv.slice(2)
assert.ok(base && credit && code && shots, 'usage: sign-in.mjs BASE_URL CREDIT_CODE ACCESS_CODE SCREENSHOT_DIR')

const { browser, page, shot } = await openPhone(shots)
try {
  // The letter's QR code opens the portal with the credit code filled in.
  await page.goto(`${base}/portal/?credit=${encodeURIComponent(credit)}`)
  await page.getByText('流动办公桌 · 企业服务').waitFor()
  assert.equal(await page.locator('[data-test=credit-code] input').inputValue(), credit)
  await shot('01-sign-in')

  // Nothing typed: the field says what is missing, before anything is sent.
  await page.locator('[data-test=submit]').click()
  await page.getByText('请填写访问码').waitFor()

  // A wrong code: refused in Chinese, nothing else told.
  await page.locator('[data-test=access-code] input').fill('AAAA-BBBB-CCCC')
  await page.locator('[data-test=submit]').click()
  await page.locator('[data-test=message]').getByText('统一社会信用代码或访问码不正确').waitFor()
  await shot('02-wrong-code')

  // The right code, typed as people do: lower case, spaces for dashes.
  await page.locator('[data-test=access-code] input').fill(code.toLowerCase().replaceAll('-', ' '))
  await page.locator('[data-test=submit]').click()
  await page.locator('[data-test=appeal]').first().waitFor()
  const appeals = await page.locator('[data-test=appeal]').count()
  assert.ok(appeals > 0, 'the enterprise sees its appeals')
  assert.match(await page.locator('[data-test=summary]').innerText(), /办理中 \d+ 件 · 已办结 \d+ 件/)
  assert.equal(await page.locator('.van-nav-bar__title').innerText(), '湖北斯诺新材料有限公司')
  const widest = await page.evaluate(() => document.documentElement.scrollWidth)
  assert.ok(widest <= 390, `nothing wider than the phone (${widest}px)`)
  await shot('03-appeals')

  // An appeal opens on its progress: steps with their zone times.
  const withSteps = page.locator('[data-test=appeal]', { hasText: '承办' }).first()
  await withSteps.click()
  await page.locator('[data-test=steps]').waitFor()
  assert.match(await page.locator('[data-test=steps]').innerText(), /\d{4}-\d{2}-\d{2} \d{2}:\d{2}/)
  await shot('04-progress')

  // The resolved appeal asks for a rating; choosing none is refused before anything is sent.
  const resolved = page.locator('[data-test=appeal]', { has: page.locator('[data-test=rate]') }).first()
  await resolved.locator('[data-test=rate-submit]').click()
  await resolved.locator('[data-test=rate-error]').getByText('请选择满意程度').waitFor()
  await resolved.locator('[data-test=level-2]').click()
  await resolved.locator('[data-test=comment] textarea').fill('补种的苗木已经枯死，请尽快处理')
  await resolved.locator('[data-test=rate]').scrollIntoViewIfNeeded()
  await shot('05-rate')
  // 不满意: the appeal is not closed; the enterprise sees who puts it right, by when.
  await resolved.locator('[data-test=rate-submit]').click()
  const followUp = page.locator('[data-test=follow-up]').first()
  await followUp.waitFor()
  assert.match(await followUp.innerText(), /整改中：.+须于 \d{4}-\d{2}-\d{2} 前整改/)
  assert.equal(await page.locator('[data-test=rate]').count(), 0, 'rated once, asked no more')
  await followUp.scrollIntoViewIfNeeded()
  await shot('06-follow-up')

  // The public board: no enterprise named until it agrees; then its name and appeals show.
  const boardOf = async () => {
    await page.goto(`${base}/portal/board`)
    await page.locator('[data-test=park]', { hasText: '新材料产业园' }).click()
    await page.locator('[data-test=board-summary]').waitFor()
    return page.locator('[data-test=board]').innerText()
  }
  assert.ok(!(await boardOf()).includes('湖北斯诺'), 'not named without consent')
  await page.goto(`${base}/portal/`)
  await page.locator('[data-test=consent]').click()
  await page.locator('[data-test=consent].van-switch--on').waitFor()
  const named = await boardOf()
  assert.ok(named.includes('湖北斯诺新材料有限公司'), `named once it agreed: ${named}`)
  assert.match(named, /用时\s*\d+ 个工作日/)
  assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 390, 'the board fits the phone')
  await shot('07-board')
  await page.goto(`${base}/portal/`)
  await page.locator('[data-test=appeal]').first().waitFor()

  // English on request; the choice is kept.
  await page.getByText('English', { exact: true }).click()
  await page.locator('[data-test=summary]').getByText('Overview').waitFor()
  await shot('08-english')
  await page.reload()
  await page.locator('[data-test=summary]').getByText('Overview').waitFor()

  // Signing out ends the session on the server too.
  const token = await page.evaluate(() => JSON.parse(localStorage.getItem('desk-portal-session')).token)
  await page.locator('[data-test=sign-out]').click()
  await page.getByText('Sign in', { exact: true }).waitFor()
  const after = await fetch(`${base}/v1/portal/appeals`, { headers: { authorization: `Bearer ${token}` } })
  assert.equal(after.status, 401, 'the signed-out token is refused')
  console.log(`portal: ${appeals} appeals shown; screenshots in ${shots}`)
} finally {
  await browser.close()
}
