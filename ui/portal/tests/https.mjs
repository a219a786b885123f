// The portal over HTTPS, served by desk-server itself with the zone's certificate: a phone that
// trusts it signs in, in a secure context (what WeChat requires of a page).
//
//   PORTAL_TRUST_CERT=server.pem node portal/tests/https.mjs https://… CREDIT_CODE ACCESS_CODE SCREENSHOT_DIR
import assert from 'node:assert/strict'
import { openPhone, signIn } from './phone.mjs'

const [base, credit, code, shots] = process.argv.slice(2)
assert.ok(base?.startsWith('https://') && credit && code && shots, 'usage: https.mjs HTTPS_URL CREDIT_CODE ACCESS_CODE SCREENSHOT_DIR')

const { browser, page, shot } = await openPhone(shots)
try {
  await signIn(page, base, credit, code)
  assert.equal(await page.evaluate(() => location.protocol), 'https:')
  assert.equal(await page.evaluate(() => window.isSecureContext), true)
  assert.ok((await page.locator('[data-test=appeal]').count()) > 0, 'the enterprise sees its appeals')
  await shot('15-https')
} finally {
  await browser.close()
}
