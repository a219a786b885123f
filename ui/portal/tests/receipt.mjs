// A visit receipt opened from its QR code on a phone, without signing in:
//
//   node portal/tests/receipt.mjs BASE_URL TOKEN SCREENSHOT_DIR before
//     the tablet has not uploaded the visit: the page says so plainly
//   node portal/tests/receipt.mjs BASE_URL TOKEN SCREENSHOT_DIR after
//     the visit's appeal is shown resolved and rated 满意 here, once
import assert from 'node:assert/strict'
import { openPhone } from './phone.mjs'

const [base, token, shots, act] = process.argv.slice(2)
assert.ok(base && token && shots && ['before', 'after'].includes(act), 'usage: receipt.mjs BASE TOKEN DIR before|after')

const { browser, page, shot } = await openPhone(shots)
try {
  await page.goto(`${base}/portal/r/${token}`)
  await page.getByText('走访回执').first().waitFor()
  if (act === 'before') {
    await page.locator('[data-test=not-uploaded]').getByText('记录尚未上传').waitFor()
    assert.equal(await page.locator('[data-test=appeal]').count(), 0)
    await shot('13-receipt-not-uploaded')
  } else {
    const appeal = page.locator('[data-test=appeal]').first()
    await appeal.waitFor()
    assert.match(await page.locator('header').innerText(), /湖北斯诺新材料有限公司 · \d{4}-\d{2}-\d{2} 走访/)
    assert.match(await appeal.innerText(), /已办结/)
    await appeal.locator('[data-test=level-4]').click()
    await appeal.locator('[data-test=rate-submit]').click()
    await appeal.getByText('已评价').waitFor()
    assert.equal(await appeal.locator('[data-test=rate]').count(), 0, 'rated once')
    assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 390, 'fits the phone')
    await shot('14-receipt-rated')
  }
} finally {
  await browser.close()
}
