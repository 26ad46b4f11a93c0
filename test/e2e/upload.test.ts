import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Browser } from 'playwright-core'
import { DICOMDIRTESTS, zipOf } from '../helpers/dicom-fixtures'
import { makeHome, type TestHome } from '../helpers/home'
import { runNora } from '../helpers/nora-binary'
import { collectErrors, launchChromium, logIn, shot } from './browser'

describe('desktop: Upload dicoms (as zip/tar)', () => {
  let home: TestHome
  let browser: Browser
  let password: string

  beforeAll(async () => {
    home = makeHome()
    const init = await runNora(['init'], { home: home.home })
    password = init.stdout.match(/password: (\S+)/)![1]!
    await runNora(['--createproject', 'WHATEVER'], { home: home.home })
    expect((await runNora(['start'], { home: home.home })).code).toBe(0)
    browser = await launchChromium()
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await runNora(['stop'], { home: home.home })
    home.cleanup()
  })

  test('uploads the dicomdirtests zip with a progress bar and shows the import report', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    const errors = collectErrors(page)
    await logIn(page, home.url, 'admin', password)
    await page.click('text=WHATEVER')
    await page.waitForSelector('#upload-form')
    await shot(page, 'upload-1-project')
    await page.setInputFiles('#upload-form input[type=file]', zipOf(DICOMDIRTESTS))
    await page.click('#upload-form button[type=submit]')
    await page.waitForFunction(() => /import \d+: done/.test(document.getElementById('upload-status')?.textContent ?? ''), null, { timeout: 60_000 })
    const status = await page.textContent('#upload-status')
    expect(status).toContain('3 patients, 7 studies, 14 series, 81 instances')
    expect(await page.locator('#upload-report li').count()).toBeGreaterThan(0)
    expect(await page.textContent('#upload-report')).toContain('TINY_ALPHA')
    await shot(page, 'upload-2-done')
    expect(errors, errors.join("\n")).toEqual([])
  }, 90_000)
})
