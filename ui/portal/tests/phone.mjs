// A phone in WeChat's browser: Debian's Chromium at 390×844 driven by playwright-core, with
// the flags that keep it from reaching for the network on a closed machine. Shared by the
// portal's scripts.
import { chromium } from 'playwright-core'
import { X509Certificate, createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'

/** Chromium's flag that trusts exactly one server key (PORTAL_TRUST_CERT, a PEM file), as a
 * phone that has the zone's CA installed trusts its certificate; any other stays refused. */
function trustedKey() {
  const file = process.env.PORTAL_TRUST_CERT
  if (!file) return []
  const spki = new X509Certificate(readFileSync(file)).publicKey.export({ type: 'spki', format: 'der' })
  return [`--ignore-certificate-errors-spki-list=${createHash('sha256').update(spki).digest('base64')}`]
}

export async function openPhone(shots) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...trustedKey(),
    ],
  })
  const page = await browser.newPage({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'zh-CN',
    // WeChat's in-app browser on Android announces itself so.
    userAgent:
      'Mozilla/5.0 (Linux; Android 14; V2309A) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0 Mobile Safari/537.36 MicroMessenger/8.0.49',
  })
  const shot = (name) => page.screenshot({ path: path.join(shots, `portal-${name}.png`), fullPage: true })
  return { browser, page, shot }
}

/** Signs in from the letter's link, and waits for the enterprise's page. */
export async function signIn(page, base, credit, code) {
  await page.goto(`${base}/portal/?credit=${encodeURIComponent(credit)}`)
  await page.locator('[data-test=access-code] input').fill(code)
  await page.locator('[data-test=submit]').click()
  await page.locator('[data-test=summary]').waitFor()
}
