import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { DICOMDIRTESTS } from '../helpers/dicom-fixtures'
import { chooseProject, shooter, startSite, type Site } from './fixture'

const shot = shooter('table')

/** The desktop's subject/study table in Chromium, served by the built binary (`nora start`) over imported data. */
describe('desktop: subject/study table and file tree', () => {
  let site: Site

  beforeAll(async () => {
    site = await startSite({
      projects: ['DIRTESTS'],
      setup: async ({ nora }) => {
        const imported = await nora(['-p', 'DIRTESTS', '--import', DICOMDIRTESTS], 120_000)
        expect(imported.stdout + imported.stderr).toContain('3 patients, 7 studies, 14 series')
        // A study tag, set the way a site admin can from the shell.
        const tagged = await nora(['--sql', "INSERT INTO study_tags (study_id, tag) SELECT id, 'control' FROM studies WHERE description = 'Brain-MRA'", '--write'])
        expect(tagged.code).toBe(0)
      },
    })
  }, 180_000)
  afterAll(async () => {
    await site?.close()
  })

  test('open a project, filter by name, sort, open a study file tree', async () => {
    const { page, errors } = await site.page({ width: 1400, height: 900 })
    await chooseProject(page, 'DIRTESTS')
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
