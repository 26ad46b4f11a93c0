import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { DICOMDIRTESTS, zipOf } from '../helpers/dicom-fixtures'
import { chooseProject, shooter, startSite, type Site } from './fixture'

const shot = shooter('upload')

describe('desktop: Upload dicoms (as zip/tar)', () => {
  let site: Site

  beforeAll(async () => {
    site = await startSite({ projects: ['WHATEVER'] })
  }, 60_000)
  afterAll(async () => {
    await site?.close()
  })

  test('uploads the dicomdirtests zip with a progress bar and shows the import report', async () => {
    const { page, errors } = await site.page({ width: 1280, height: 900 })
    await chooseProject(page, 'WHATEVER')
    // The upload form lives in the upload dialog, opened from the header.
    await page.click('#open-upload')
    await page.waitForSelector('#upload-dialog[open] #upload-form')
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
