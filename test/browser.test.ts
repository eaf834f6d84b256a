/**
 * The sandbox page and Swagger UI in a real headless browser (Debian's chromium driven by
 * playwright-core; .ci/run installs chromium). Screenshots go to test/artifacts/.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser } from 'playwright-core'
import t from 'tap'
import { DEMO } from '../src/demo.js'
import { build } from './helper.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url))

t.test('sandbox page and API docs in headless chromium', { skip: existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM} (.ci/run installs Debian's chromium)` }, async (t) => {
  const app = await build(t)
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync']
  })
  t.teardown(async () => { await browser.close() })
  mkdirSync(ARTIFACTS, { recursive: true })
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  const failed: string[] = []
  page.on('requestfailed', (r) => failed.push(r.url()))
  page.on('request', (r) => { if (!r.url().startsWith(address)) failed.push(`outside request: ${r.url()}`) })

  await page.goto(`${address}/`)
  t.equal(await page.title(), 'users-api-mock sandbox')
  for (const id of ['concur-company-name-llc', 'concur-acme', 'concur-globex', 'ispring-demo', 'ispring-initech']) {
    t.equal(await page.locator(`section[data-tenant="${id}"]`).count(), 1, `tenant ${id} is listed`)
  }
  t.ok(await page.getByText(DEMO.concur.companies['company-name-llc'].requestToken).first().isVisible(), 'credentials are shown')

  const concur = page.locator('section[data-tenant="concur-company-name-llc"]')
  await concur.getByRole('button').click()
  await concur.locator('.status.ok').waitFor({ timeout: 10_000 })
  t.equal(await concur.locator('.status').textContent(), 'HTTP 200')
  t.match(await concur.locator('pre.response').textContent(), /"LoginID": "johndoe@gmail.com"/)
  t.match(await concur.locator('details pre').first().textContent(), /\/profile\/identity\/v4\.1\/Users\/\.search/, 'the card shows Identity calls')

  const ispring = page.locator('section[data-tenant="ispring-demo"]')
  await ispring.getByRole('button').click()
  await ispring.locator('.status.ok').waitFor({ timeout: 10_000 })
  t.equal(await ispring.locator('.status').textContent(), 'HTTP 200')
  t.match(await ispring.locator('pre.response').textContent(), /owner/)
  t.match(await ispring.locator('details pre').first().textContent(), /-X POST "[^"]*\/ispring\/user"/, 'the card shows how to provision a user')
  await page.screenshot({ path: `${ARTIFACTS}sandbox.png`, fullPage: true })

  await page.goto(`${address}/docs`)
  await page.locator('.opblock').first().waitFor({ timeout: 15_000 })
  t.match(await page.locator('.information-container .title').first().textContent(), /SAP Concur/)
  t.ok(await page.locator('.opblock-summary-path[data-path="/users/"]').count() > 0, 'Concur operations are rendered')
  t.ok(await page.locator('.opblock-summary-path[data-path="/profile/identity/v4.1/Users/.search"]').count() > 0, 'Identity operations are rendered')
  const options = await page.locator('.topbar select option').allTextContents()
  t.same(options, ['SAP Concur', 'iSpring Learn', 'users-api-mock admin API'], 'the three APIs are offered')
  for (const name of ['iSpring Learn', 'users-api-mock admin API']) {
    await page.locator('.topbar select').selectOption({ label: name })
    await page.locator('.information-container .title', { hasText: name }).waitFor({ timeout: 15_000 })
    await page.locator('.opblock').first().waitFor({ timeout: 15_000 })
    t.ok(await page.locator('.opblock').count() > 3, `${name} operations are rendered`)
  }
  await page.screenshot({ path: `${ARTIFACTS}docs.png` })
  t.same(failed, [], 'no failed or outside requests: every asset is served locally')
})
