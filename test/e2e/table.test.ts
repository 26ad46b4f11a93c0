import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Browser } from 'playwright-core'
import { DICOMDIRTESTS } from '../helpers/dicom-fixtures'
import { makeHome, type TestHome } from '../helpers/home'
import { runNora } from '../helpers/nora-binary'
import { collectErrors, launchChromium, logIn, shot } from './browser'

/** The desktop's subject/study table in Chromium, served by the built binary (`nora start`) over imported data. */
describe('desktop: subject/study table and file tree', () => {
  let home: TestHome
  let browser: Browser
  let password: string

  beforeAll(async () => {
    home = makeHome()
    const init = await runNora(['init'], { home: home.home })
    password = init.stdout.match(/password: (\S+)/)![1]!
    expect((await runNora(['--createproject', 'DIRTESTS'], { home: home.home })).code).toBe(0)
    const imported = await runNora(['-p', 'DIRTESTS', '--import', DICOMDIRTESTS], { home: home.home, timeoutMs: 120_000 })
    expect(imported.stdout + imported.stderr).toContain('3 patients, 7 studies, 14 series')
    // A study tag, set the way a site admin can from the shell.
    const tagged = await runNora(['--sql', "INSERT INTO study_tags (study_id, tag) SELECT id, 'control' FROM studies WHERE description = 'Brain-MRA'", '--write'], { home: home.home })
    expect(tagged.code).toBe(0)
    expect((await runNora(['start'], { home: home.home })).code).toBe(0)
    browser = await launchChromium()
  }, 180_000)
  afterAll(async () => {
    await browser?.close()
    await runNora(['stop'], { home: home.home })
    home.cleanup()
  })

  test('open a project, filter by name, sort, open a study file tree', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
    const errors = collectErrors(page)
    await logIn(page, home.url, 'admin', password)
    await page.click('text=DIRTESTS')
    await page.waitForSelector('#table-body tr.study')
    expect(await page.locator('#table-body tr.study').count()).toBe(7)
    expect(await page.textContent('#table-count')).toContain('1–7 of 7 studies')
    await shot(page, 'table-1-project')

    // Typing in the name bar narrows the rows (after the 300 ms pause), keeping focus and what was typed.
    await page.click('#bar-name')
    await page.keyboard.type('Doe^P', { delay: 40 })
    await page.waitForFunction(() => document.querySelectorAll('#table-body tr.study').length < 7, null, { timeout: 10_000 })
    const names = await page.locator('#table-body tr.study td:nth-child(2)').allTextContents()
    expect(names.length).toBeGreaterThan(0)
    expect(names.length).toBeLessThan(7)
    for (const n of names) expect(n).toBe('Doe^Peter')
    expect(await page.inputValue('#bar-name')).toBe('Doe^P')
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('bar-name')
    await shot(page, 'table-2-filtered')

    // Sorting by study date, descending (two clicks), keeps the filter.
    await page.click('#table-results a.sort[data-sort="study_date"]')
    await page.waitForSelector('#table-results th[aria-sort="ascending"] a[data-sort="study_date"]')
    await page.click('#table-results a.sort[data-sort="study_date"]')
    await page.waitForSelector('#table-results th[aria-sort="descending"] a[data-sort="study_date"]')
    const dates = await page.locator('#table-body tr.study td:nth-child(5)').allTextContents()
    expect(dates.length).toBe(names.length)
    expect([...dates].sort().reverse()).toEqual(dates)

    // Clearing the bar brings all 7 back.
    await page.fill('#bar-name', '')
    await page.keyboard.press('Backspace')
    await page.waitForFunction(() => document.querySelectorAll('#table-body tr.study').length === 7, null, { timeout: 10_000 })

    // The file search bar: studies with a NIfTI s0* file in some series folder and the study tag "control".
    await page.click('#bar-file')
    await page.keyboard.type('*/s0*.nii & STAG:control', { delay: 20 })
    await page.waitForFunction(() => document.querySelectorAll('#table-body tr.study').length === 1, null, { timeout: 10_000 })
    expect(await page.textContent('#table-body tr.study')).toContain('Brain-MRA')
    expect(await page.textContent('#table-body tr.study .chip .chip-text')).toBe('control')

    // A click on a study row loads its files below the table.
    const row = page.locator('#table-body tr.study', { hasText: 'Brain-MRA' }).first()
    const psid = await row.getAttribute('data-psid')
    await row.click()
    await page.waitForSelector('#file-tree .series-folder')
    expect(await page.textContent('#file-tree h3')).toContain(psid!)
    expect(await page.locator('#file-tree li.file').count()).toBeGreaterThan(0)
    // dcm2niix output: a NIfTI with its JSON sidecar per series folder, plus the kept DICOMs.
    expect(await page.locator('#file-tree .badge.t-nifti').count()).toBeGreaterThan(0)
    expect(await page.locator('#file-tree .badge.t-json').count()).toBeGreaterThan(0)
    expect(await row.getAttribute('class')).toContain('selected')
    await shot(page, 'table-3-file-tree')

    expect(errors, errors.join('\n')).toEqual([])
  }, 90_000)
})
