import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { chooseProject, shooter, startSite, type Site } from './fixture'

const NIFTI = '/usr/lib/python3/dist-packages/nibabel/tests/data/anatomical.nii'
const XSS = '<img src=x onerror=alert(1)>'
const shot = shooter('desktop')

/** Types into a filter bar like a user (the bars react to keyup); an empty text clears the bar. */
async function typeBar(page: Page, selector: string, text: string) {
  await page.click(selector)
  await page.keyboard.press('Control+A')
  if (text) await page.keyboard.type(text, { delay: 20 })
  else await page.keyboard.press('Backspace')
}

/** The desktop in Chromium on the built binary: filter, tag from the context menu, drop files to upload, autoload. */
describe('desktop: tags, drag-and-drop uploads, autoloaders', () => {
  let site: Site

  beforeAll(async () => {
    site = await startSite({
      projects: ['LAB'],
      setup: async ({ home, nora }) => {
        // Three studies of two subjects, registered with --add as the seed does it.
        const files = ['P001/S01/t1_mprage/s002.nii', 'P001/S02/t1_mprage/s002.nii', 'P002/S01/t1_mprage/s003.nii']
        for (const f of files) {
          const to = join(home.home, 'data', 'projects', 'LAB', f)
          mkdirSync(join(to, '..'), { recursive: true })
          copyFileSync(NIFTI, to)
        }
        const added = await nora(['-p', 'LAB', '--add', ...files.map((f) => join(home.home, 'data', 'projects', 'LAB', f))])
        expect(added.code).toBe(0)
        const named = await nora(['--sql', `UPDATE subjects SET name = '${XSS}' WHERE patients_id = 'P002'`, '--write'])
        expect(named.code).toBe(0)
        // A hostile study tag, as an older archive or the shell could have set it (the tag API refuses such names).
        const tagged = await nora(['--sql', `INSERT INTO study_tags (study_id, tag) SELECT s.id, '${XSS}' FROM studies s JOIN subjects p ON p.id = s.subject_id WHERE p.patients_id = 'P002'`, '--write'])
        expect(tagged.code).toBe(0)
      },
    })
  }, 180_000)
  afterAll(async () => {
    await site?.close()
  })

  test('filter, tag a study from the context menu, find it by STAG, drop NIfTI files into a study with progress, autoload with ↑/↓', async () => {
    const { page, errors } = await site.page({ width: 1500, height: 950 })
    const dialogs: string[] = []
    page.on('dialog', (d) => {
      dialogs.push(d.message())
      void d.dismiss()
    })
    await chooseProject(page, 'LAB')
    await page.waitForSelector('#table-body tr.study')
    expect(await page.locator('#table-body tr.study').count()).toBe(3)
    // The hostile PatientName is text in the cell and its tooltip; no alert fired.
    const p2 = page.locator('#table-body tr.study[data-psid="P002#S01"] td').nth(1)
    expect(await p2.textContent()).toBe(XSS)
    expect(await p2.getAttribute('title')).toBe(XSS)
    const chip = page.locator('#table-body tr.study[data-psid="P002#S01"] .chip')
    expect(await chip.locator('.chip-text').textContent()).toBe(XSS)
    expect(await chip.getAttribute('title')).toBe(`study tag: ${XSS}`)
    expect(await page.locator('#table-body img').count()).toBe(0)
    await shot(page, 'desktop-1-project')

    // Filter by patients_id.
    await typeBar(page, '#bar-patients_id', 'P001')
    await page.waitForFunction(() => document.querySelectorAll('#table-body tr.study').length === 2, null, { timeout: 10_000 })

    // Right click a study -> Add tag… -> the chip shows in its row.
    await page.click('#table-body tr.study[data-psid="P001#S02"] td:nth-child(2)', { button: 'right' })
    await page.waitForSelector('#ctx-menu:not([hidden])')
    expect(await page.textContent('#ctx-title')).toBe('study P001#S02')
    await shot(page, 'desktop-2-context-menu')
    await page.click('#ctx-add')
    await page.waitForSelector('#tag-dialog[open]')
    await page.fill('#tag-name', 'bad name')
    await page.click('#tag-ok')
    await page.waitForFunction(() => (document.getElementById('tag-error')?.textContent ?? '').includes('no spaces'))
    await shot(page, 'desktop-3-bad-tag')
    await page.fill('#tag-name', 'reviewed')
    await page.click('#tag-ok')
    await page.waitForSelector('#table-body tr.study[data-psid="P001#S02"] .chip[data-tag="reviewed"]')
    expect(await page.isVisible('#tag-dialog[open]')).toBe(false)
    await shot(page, 'desktop-4-tagged')

    // STAG:reviewed in the file bar finds only that study.
    await typeBar(page, '#bar-patients_id', '')
    await typeBar(page, '#bar-file', 'STAG:reviewed')
    await page.waitForFunction(() => document.querySelectorAll('#table-body tr.study').length === 1, null, { timeout: 10_000 })
    expect(await page.getAttribute('#table-body tr.study', 'data-psid')).toBe('P001#S02')
    await shot(page, 'desktop-5-stag-filter')
    await typeBar(page, '#bar-file', '')
    await page.waitForFunction(() => document.querySelectorAll('#table-body tr.study').length === 3, null, { timeout: 10_000 })

    // Drop a NIfTI from the disk on the table: a real drop event carrying a DataTransfer with the file.
    const bytes = [...readFileSync(NIFTI)]
    await page.evaluate((data) => {
      const dt = new DataTransfer()
      dt.items.add(new File([new Uint8Array(data)], 'dropped_t2.nii', { type: 'application/octet-stream' }))
      const target = document.querySelector('#table-body tr.study')!
      target.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }))
      target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }))
    }, bytes)
    await page.waitForSelector('#drop-dialog[open]')
    expect(await page.textContent('#drop-files li .fname')).toContain('dropped_t2.nii')
    await page.fill('#drop-psid', 'P002#S01')
    await page.fill('#drop-folder', 'uploads')
    await shot(page, 'desktop-6-drop-dialog')
    await page.click('#drop-upload')
    await page.waitForSelector('#drop-files li.done', { timeout: 20_000 })
    const bar = page.locator('#drop-files li progress')
    expect(Number(await bar.evaluate((b: HTMLProgressElement) => b.value))).toBe(Number(await bar.evaluate((b: HTMLProgressElement) => b.max)))
    expect(await page.textContent('#drop-files li .state')).toBe('stored as P002/S01/uploads/dropped_t2.nii')
    await shot(page, 'desktop-7-uploaded')
    await page.click('#drop-close')

    // The same through the drop zone's file input in the upload dialog, into a new study.
    await page.click('#open-upload')
    await page.waitForSelector('#upload-dialog[open] #drop-zone')
    await page.setInputFiles('#drop-input', NIFTI)
    await page.waitForSelector('#drop-dialog[open]')
    await page.fill('#drop-psid', 'P003#S01')
    await page.click('#drop-upload')
    await page.waitForSelector('#drop-files li.done', { timeout: 20_000 })
    await page.click('#drop-close')
    await page.waitForFunction(() => document.querySelectorAll('#table-body tr.study').length === 4, null, { timeout: 10_000 })

    // The uploaded file is in the study's tree, ready for the viewer.
    await page.click('#table-body tr.study[data-psid="P002#S01"] td:nth-child(1)')
    await page.waitForSelector('#file-tree li.file[data-nora-name="dropped_t2.nii"]')
    const li = page.locator('#file-tree li.file[data-nora-name="dropped_t2.nii"]')
    expect(await li.getAttribute('data-nora-file')).toBe('/api/projects/LAB/files/P002/S01/uploads/dropped_t2.nii')
    expect(await li.getAttribute('draggable')).toBe('true')
    await shot(page, 'desktop-8-file-tree')

    // Autoloader: a preset loading each study's t1 into viewport 0; clicking a row and ↓ dispatch nora:clear + nora:load.
    await page.evaluate(() => {
      const w = window as unknown as { noraEvents: string[] }
      w.noraEvents = []
      document.addEventListener('nora:clear', () => w.noraEvents.push('clear'))
      document.addEventListener('nora:load', (e) => w.noraEvents.push(JSON.stringify((e as CustomEvent).detail)))
    })
    await page.click('#autoload-open')
    await page.waitForSelector('#autoload-dialog[open]')
    await page.click('#al-new')
    await page.fill('#al-name', 'T1 hot')
    await page.fill('#al-items tr .al-pattern', 't1_mprage/s0*.nii')
    await page.fill('#al-items tr .al-colormap', 'hot')
    await page.fill('#al-items tr .al-min', '0')
    await page.fill('#al-items tr .al-max', '500')
    await page.check('#al-active')
    await page.click('#al-save')
    await page.waitForFunction(() => document.getElementById('al-status')?.textContent === 'saved')
    expect(await page.textContent('#al-preset option:checked')).toBe('T1 hot (active)')
    await shot(page, 'desktop-9-autoloader')
    await page.click('#al-close')
    await page.click('#table-body tr.study[data-psid="P001#S01"] td:nth-child(1)')
    const events = () => page.evaluate(() => (window as unknown as { noraEvents: string[] }).noraEvents)
    await page.waitForFunction(() => (window as unknown as { noraEvents: string[] }).noraEvents.length >= 2)
    expect(await events()).toEqual(['clear', JSON.stringify({ url: '/api/projects/LAB/files/P001/S01/t1_mprage/s002.nii', name: 's002.nii', viewport: 1, as: 'background', colormap: 'hot', min: 0, max: 500 })])
    await page.keyboard.press('ArrowDown')
    await page.waitForFunction(() => (window as unknown as { noraEvents: string[] }).noraEvents.length >= 4)
    expect((await events())[3]).toContain('/api/projects/LAB/files/P001/S02/t1_mprage/s002.nii')
    expect(await page.getAttribute('#table-body tr.selected', 'data-psid')).toBe('P001#S02')
    await page.waitForSelector('#file-tree .file-tree-body[data-psid="P001#S02"]')
    await shot(page, 'desktop-10-arrow-down')

    expect(dialogs).toEqual([])
    // The one refused request is the bad tag name (400), which the dialog showed.
    expect(errors, errors.join('\n')).toEqual(['Failed to load resource: the server responded with a status of 400 (Bad Request)'])
  }, 120_000)
})
