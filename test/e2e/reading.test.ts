// The Reading tool in Chromium (R in the workstation's tool bar). An admin creates a reading from JSON in the form
// designer (a JSON error is reported with its line and column, the palette inserts a snippet at the cursor, Preview
// renders the form, reading_template holds the viewer part) over 6 studies, 2 tagged Training. Two readers do the
// training and then the serious phase with idhash (both get the same order, checked against the session answers),
// one repetition: each case's image loads by the reading's autoloader, the patient table is hidden while they read,
// a required item blocks Submit, a radio with useastag tags the study (the chip appears in the table afterwards), a
// markerpoint is placed on the image (world coordinates), the clock pauses. The admin's results table and the CSV
// download are checked row by row against what the readers entered; a reader restarts training.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { assetPackStale, buildAssets } from '../../scripts/build-assets'
import { buildWeb } from '../../scripts/build-web'
import { AutoloadersService } from '../../src/archive/autoloaders'
import { collectErrors, logIn } from './browser'
import { serveWithChromium, shooter } from './fixture'

const PW = 'long enough password 1'
const P = 'RD'
const shot = shooter('reading', { fullPage: false })
const SIZE = { width: 1280, height: 800 }

const STUDIES = [
  { pid: 'P1', sid: 'S11', tag: 'Training' },
  { pid: 'P2', sid: 'S21', tag: 'Training' },
  { pid: 'P3', sid: 'S31' },
  { pid: 'P4', sid: 'S41' },
  { pid: 'P5', sid: 'S51' },
  { pid: 'P6', sid: 'S61' },
]

// A small image per study, each with its own intensity pattern (nibabel).
const MAKE_IMAGES = `
import sys, json, numpy as np, nibabel as nib
for n, path in enumerate(json.loads(sys.argv[1])):
    i, j, k = np.meshgrid(np.arange(40), np.arange(40), np.arange(12), indexing='ij')
    img = (100 + 40 * np.sin(i / (3.0 + n)) * np.cos(j / 5.0) + 2 * k).astype(np.float32)
    aff = np.diag([2.0, 2.0, 4.0, 1.0]); aff[:3, 3] = [-40, -40, -24]
    nii = nib.Nifti1Image(img, aff); nii.set_qform(aff, code=1); nii.set_sform(aff, code=1)
    nib.save(nii, path)
print('{}')
`

const FORM = {
  type: 'basis',
  name: 'stones',
  label: 'Stone reading',
  items: [
    { type: 'radio', name: 'finding', label: 'stone', options: ['stone', 'nostone'], required: 1, useastag: 1 },
    { type: 'rating', name: 'confidence', label: 'confidence', min: 1, max: 5 },
    { type: 'separator', label: 'location' },
    { type: 'markerpoint', name: 'where', label: 'stone position' },
    { type: 'text', name: 'comments', label: 'comments <b>not bold</b>' },
  ],
}
const READING = {
  reading: {
    random: 'idhash',
    randomise: 'study',
    repetitions: 1,
    mode_training: { SQLCondition: "STAG LIKE '%Training%'" },
    mode_serious: { SQLCondition: "STAG NOT LIKE '%Training%'" },
    allowRestartOfTraining: 1,
    allowRestartOfSerious: 0,
    hidePatientTable: 1,
  },
  tools: { markers: 1, roi: 0 },
  viewer: { layout: '1', sortOrder: 'patients_id', sortDirection: 'asc', autoloaders: [{ pattern: 'anat/*.nii.gz', viewport: 1, as: 'background', colormap: 'gray' }] },
}

type Win = { noraViewer: any; noraMarkers: any; noraReading: any }
interface SessionCase { index: number; caseKey: string; repetition: number; stage: number; pid: string; sid: string; done: boolean }
interface Entered { reader: string; mode: string; caseKey: string; finding: string; confidence: number; comments: string; where: number[]; paused: number }

/** RFC 4180 CSV (quotes, doubled quotes, CRLF) -> rows of cells; written here, independent of the server's writer. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++
      else if (c === '"') quoted = false
      else cell += c
    } else if (c === '"') quoted = true
    else if (c === ',') row.push(cell), (cell = '')
    else if (c === '\r' && text[i + 1] === '\n') row.push(cell), rows.push(row), (row = []), (cell = ''), i++
    else cell += c
  }
  if (cell !== '' || row.length) row.push(cell), rows.push(row)
  return rows
}

describe('Reading tool in Chromium', () => {
  let browser: Browser
  let h: import('../integration/http/harness').Harness
  let url: string
  let stop: (() => Promise<void>) | undefined
  const entered: Entered[] = []
  const orders: Record<string, Record<string, string[]>> = {}

  beforeAll(async () => {
    await buildWeb()
    if (assetPackStale()) buildAssets()
    const { startApp } = await import('../integration/http/harness')
    h = await startApp('sqlite', 'auth: { maxFailedLogins: 1000 }')
    const root = await h.user('root', PW, { siteAdmin: true })
    const project = await h.services.archive.createProject(root, P)
    const dir = h.services.archive.projectDir(project)
    const paths = STUDIES.map((s) => join(dir, s.pid, s.sid, 'anat', 't1.nii.gz'))
    for (const p of paths) mkdirSync(join(p, '..'), { recursive: true })
    const r = Bun.spawnSync(['/usr/bin/python3', '-c', MAKE_IMAGES, JSON.stringify(paths)], { stderr: 'pipe' })
    if (r.exitCode !== 0) throw new Error(`python: ${r.stderr.toString()}`)
    for (const s of STUDIES) {
      const subject = await h.services.repos.subjects.ensureSubject(project.id, s.pid, { name: `Name^${s.pid}` })
      const study = await h.services.repos.subjects.ensureStudy(project.id, subject.id, s.sid, { studyDate: '20240101', description: 'CT abdomen' })
      if (s.tag) await h.services.repos.tags.add('study', [study.id], [s.tag])
    }
    // The training studies also have an "AI" image: a staged reading shows it as an overlay in stage 2.
    const ai = STUDIES.filter((s) => s.tag).map((s) => join(dir, s.pid, s.sid, 'ai', 'seg.nii.gz'))
    for (const [n, p] of ai.entries()) {
      mkdirSync(join(p, '..'), { recursive: true })
      copyFileSync(paths[n]!, p)
    }
    await h.services.archive.addFiles(root, P, [...paths, ...ai])
    // The project's own autoloader (a study selected in the table loads into viewport 2): a session must not follow it.
    await new AutoloadersService(h.services.repos, h.services.archive).save(root, P, [{ name: 'desk', active: true, items: [{ pattern: 'anat/*.nii.gz', viewport: 2, as: 'background', colormap: 'gray' }] }])
    for (const [name, right] of [['ann', 'admin'], ['bob', 'read'], ['cat', 'read']] as const) {
      const u = await h.user(name, PW)
      await h.services.repos.rights.grant(u.id, project.id, right)
    }
    ;({ url, browser, close: stop } = await serveWithChromium(h))
  }, 240_000)

  afterAll(async () => {
    await (stop ? stop() : h?.close())
  })

  async function open(user: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport: SIZE, acceptDownloads: true })
    const errors = collectErrors(page)
    page.on('dialog', (d) => void d.accept())
    await logIn(page, url, user, PW)
    await page.goto(`${url}?project=${P}`)
    await page.waitForFunction(() => !!(window as unknown as Win).noraViewer && !!(window as unknown as Win).noraReading, null, { timeout: 90_000 })
    await page.click('.tool-bar [data-tool="reading"]')
    await page.locator('[data-tool-panel="reading"] [data-reading-action="refresh"]').waitFor()
    await page.waitForFunction(() => !/loading/.test(document.querySelector('[data-reading-status]')?.textContent ?? 'loading'))
    return { page, errors }
  }

  test('an admin creates the reading in the form designer', async () => {
    const { page, errors } = await open('ann')
    const panel = page.locator('[data-tool-panel="reading"]')
    expect(await page.getAttribute('.tool-bar [data-tool="reading"]', 'aria-pressed')).toBe('true')
    await shot(page, '1-readings-empty')
    await panel.locator('[data-reading-action="create"]').click()
    const dialog = page.locator('dialog#reading-config')
    await dialog.waitFor()
    await dialog.locator('[data-rc="name"]').fill('RSTONE2')
    await dialog.locator('[data-rc="admins"]').fill('ann')
    await dialog.locator('[data-rc="readers"]').fill('bob, cat')
    await dialog.locator('[data-rc="mode"]').selectOption('individual')
    await dialog.locator('[data-rc="instructions"]').fill('Mark the largest stone.\n\nAnswer every item.')
    await dialog.locator('[data-rc="links"]').fill('Slides | https://example.org/slides\njavascript:alert(1)')
    await shot(page, '2-config-general')

    // form tab: a JSON error with its position; the palette inserts at the cursor; Preview renders the form
    await dialog.locator('[data-tab="form"]').click()
    const code = dialog.locator('[data-rc="form"]')
    await code.fill('{\n  "type": "basis",\n  "items": [\n    {"type": "radio" "name": "x"}\n  ]\n}')
    await dialog.locator('[data-reading-action="preview"]').click()
    expect(await dialog.locator('.rc-form .rc-json-error').textContent()).toBe("JSON error: line 4, column 22: expected ',' or '}', found '\"'")
    await code.fill('{\n  "type": "basis",\n  "items": [\n  ]\n}')
    const inside = '{\n  "type": "basis",\n  "items": [\n'.length
    await code.evaluate((t: HTMLTextAreaElement, at) => t.setSelectionRange(at, at), inside)
    await dialog.locator('[data-palette="checkbox"] [data-reading-action="insert-snippet"]').click()
    await code.evaluate((t: HTMLTextAreaElement) => t.setSelectionRange(t.value.lastIndexOf(']') - 1, t.value.lastIndexOf(']') - 1))
    await dialog.locator('[data-palette="rating"] [data-reading-action="insert-snippet"]').click()
    const inserted = JSON.parse(await code.inputValue())
    expect(inserted.items.map((i: { type: string }) => i.type)).toEqual(['checkbox', 'rating'])
    await dialog.locator('[data-reading-action="preview"]').click()
    expect(await dialog.locator('.rc-preview .rf-item').count()).toBe(2)
    // a click on a palette name copies its snippet; Ctrl+V pastes it
    await dialog.locator('[data-palette="radio"] [data-reading-action="copy-snippet"]').click()
    await dialog.locator('.rc-copied', { hasText: /^radio/ }).waitFor({ timeout: 30_000 }) // the copy is asynchronous
    expect(await dialog.locator('.rc-copied').textContent()).toBe('radio copied (Ctrl+V pastes it)')
    await code.fill('')
    await code.focus()
    await page.keyboard.press('ControlOrMeta+V')
    expect(JSON.parse(await code.inputValue())).toMatchObject({ type: 'radio', options: ['no', 'yes'] })
    await code.fill(JSON.stringify(FORM, null, 2))
    await dialog.locator('[data-reading-action="preview"]').click()
    expect(await dialog.locator('.rc-form .rc-json-error').textContent()).toBe('')
    expect(await dialog.locator('.rc-preview .rf-item').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.item))).toEqual(['finding', 'confidence', 'where', 'comments'])
    // labels are text: the <b> of a label is shown, not made bold
    expect(await dialog.locator('.rc-preview [data-item="comments"] .rf-label').textContent()).toBe('comments <b>not bold</b>')
    expect(await dialog.locator('.rc-preview b').count()).toBe(0)
    await shot(page, '3-config-form-preview')

    // reading_template: the viewer part (autoloaders, sort order) to copy
    await dialog.locator('[data-tab="reading_template"]').click()
    await page.waitForFunction(() => (document.querySelector('[data-rc="template"]') as HTMLTextAreaElement).value.includes('"viewer"'))
    const template = JSON.parse(await dialog.locator('[data-rc="template"]').inputValue())
    expect(template.viewer.sortOrder).toBe('patients_id')
    expect(template.viewer.layout).toBe('2')
    expect(template.reading.random).toBe('none')
    await shot(page, '4-config-template')

    await dialog.locator('[data-tab="reading"]').click()
    await dialog.locator('[data-rc="reading"]').fill(JSON.stringify(READING, null, 2))
    // a link that is no http(s) address is refused before anything is sent
    await dialog.locator('[data-reading-action="save"]').click()
    expect(await dialog.locator('.rc-status').textContent()).toBe('links, line 2: "javascript:alert(1)" is not an http(s) address')
    expect(await dialog.locator('[data-tab="general"]').getAttribute('aria-selected')).toBe('true')
    await dialog.locator('[data-rc="links"]').fill('Slides | https://example.org/slides')
    await dialog.locator('[data-reading-action="save"]').click()
    await page.waitForFunction(() => !/^(saving…)?$/.test(document.querySelector('#reading-config .rc-status')?.textContent ?? ''))
    expect(await dialog.locator('.rc-status').textContent()).toMatch(/^saved \(id \d+\)$/)
    await shot(page, '5-config-reading-saved')
    await dialog.locator('[data-reading-action="close"]').click()

    const item = panel.locator('.reading-item')
    await item.waitFor()
    expect(await item.locator('.reading-name').textContent()).toBe('RSTONE2')
    expect(await item.locator('[data-reading-count="training"]').textContent()).toBe('0 of 2')
    expect(await item.locator('[data-reading-count="serious"]').textContent()).toBe('0 of 4')
    expect(await item.locator('[data-reading-action="edit"]').count()).toBe(1)
    await shot(page, '6-readings-admin')
    expect(errors).toEqual([])
    await page.close()
  }, 180_000)

  /** Reads every case of `mode` as `reader`; answers depend on the case. Returns the session's case order. */
  async function readPhase(page: Page, reader: string, mode: 'training' | 'serious', shots: boolean) {
    const panel = page.locator('[data-tool-panel="reading"]')
    const [res] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/session') && r.request().method() === 'POST'), panel.locator(`[data-reading-action="start-${mode}"]`).click()])
    const session = (await res.json()) as { cases: SessionCase[] }
    orders[reader] ??= {}
    orders[reader]![mode] = session.cases.map((c) => `${c.caseKey}/${c.repetition}`)
    for (const [k, c] of session.cases.entries()) {
      await page.waitForSelector(`[data-reading-progress="${k + 1}/${session.cases.length}"][data-reading-ready]`)
      expect(await panel.locator('.reading-progress').textContent()).toContain(`case ${k + 1} of ${session.cases.length}`)
      // The case's own image (the autoloader's anat/*.nii.gz) in viewport 1; the patient table hidden.
      await page.waitForFunction(() => (window as unknown as Win).noraViewer.state().viewports[0].items.length === 1)
      await page.evaluate(() => (window as unknown as Win).noraViewer.idle())
      const key = await page.evaluate(() => (window as unknown as Win).noraViewer.state().viewports[0].items[0].key as string)
      expect(key).toContain(`/files/${c.pid}/${c.sid}/anat/t1.nii.gz`)
      if (k === 0) {
        // ↓ (the table's next study) does not leave the case
        await page.locator('body').press('ArrowDown')
        await page.waitForLoadState('networkidle')
        await page.evaluate(() => (window as unknown as Win).noraViewer.idle())
        expect(await page.evaluate(() => (window as unknown as Win).noraViewer.state().viewports[0].items.map((i: { key: string }) => i.key))).toEqual([key])
      }
      expect(await page.isVisible('#table-region')).toBe(false)
      expect(await page.isDisabled('.tool-bar [data-tool="roi"]')).toBe(true)
      const stone = ['P1', 'P3', 'P5'].includes(c.pid)
      const finding = stone ? 'stone' : 'nostone'
      const confidence = (Number(c.pid.slice(1)) % 5) + 1
      const comments = `${reader}, "${c.pid}", case ${k + 1}`
      if (k === 0) {
        // Submit without the required item: refused, the item marked
        await panel.locator('[data-reading-action="submit"]').click()
        expect(await panel.locator('.reading-status').textContent()).toContain('please complete the form: stone: required')
        expect(await panel.locator('[data-item="finding"]').getAttribute('class')).toContain('invalid')
      }
      await panel.locator(`[data-item="finding"] input[value="${finding}"]`).check()
      await panel.locator(`[data-item="confidence"] input[value="${confidence}"]`).check()
      await panel.locator('[data-item="comments"] input').fill(comments)
      // the marker: place, then click into the image 40 px right of the centre
      await panel.locator('[data-item="where"] .rf-marker-place').click()
      const box = (await page.locator('.viewport[data-viewport="1"] canvas').first().boundingBox())!
      await page.mouse.click(box.x + box.width / 2 + 40, box.y + box.height / 2)
      await page.waitForFunction(() => !/no point yet/.test(document.querySelector('[data-item="where"] .rf-marker-points')?.textContent ?? 'no point yet'))
      const where = await page.evaluate(() => [...(window as unknown as Win).noraMarkers.current().points[0].position] as number[])
      let paused = 0
      if (k === 1) {
        await panel.locator('[data-reading-action="pause"]').click()
        expect(await page.isVisible('.viewer-stage')).toBe(false)
        if (shots) await shot(page, `8-${reader}-${mode}-paused`)
        const t0 = Date.now()
        await page.waitForTimeout(2500)
        await panel.locator('[data-reading-action="pause"]').click()
        paused = (Date.now() - t0) / 1000
        expect(await page.isVisible('.viewer-stage')).toBe(true)
      }
      if (shots && k === 0) await shot(page, `7-${reader}-${mode}-case1`)
      await panel.locator('[data-reading-action="submit"]').click()
      entered.push({ reader, mode, caseKey: c.caseKey, finding, confidence, comments, where, paused })
    }
    await page.waitForFunction((m) => new RegExp(`${m}: all \\d+ cases done`).test(document.querySelector('[data-reading-status]')?.textContent ?? ''), mode)
    expect(await page.isVisible('#table-region')).toBe(true)
    expect(await page.isDisabled('.tool-bar [data-tool="roi"]')).toBe(false)
    return session
  }

  test('two readers: training, then serious, in the same idhash order', async () => {
    for (const reader of ['bob', 'cat']) {
      const { page, errors } = await open(reader)
      const panel = page.locator('[data-tool-panel="reading"]')
      const item = panel.locator('.reading-item')
      await item.waitFor()
      // a reader: no Create, no wrench; Info shows the instructions and the http(s) link only
      expect(await item.locator('[data-reading-action="edit"]').count()).toBe(0)
      expect(await panel.locator('[data-reading-action="create"]').isVisible()).toBe(false)
      await item.locator('[data-reading-action="info"]').click()
      expect(await item.locator('[data-reading-info]').textContent()).toContain('Mark the largest stone.')
      expect(await item.locator('[data-reading-info] a').evaluateAll((as) => as.map((a) => [a.textContent, a.getAttribute('href')]))).toEqual([['Slides', 'https://example.org/slides']])
      if (reader === 'bob') await shot(page, '6-readings-reader-info')
      await readPhase(page, reader, 'training', reader === 'bob')
      expect(await item.locator('[data-reading-count="training"]').textContent()).toBe('2 of 2')
      expect(await item.locator('[data-reading-action="start-training"]').isDisabled()).toBe(true)
      await readPhase(page, reader, 'serious', reader === 'bob')
      expect(await item.locator('[data-reading-count="serious"]').textContent()).toBe('4 of 4')
      // useastag: the answers are tags of the studies in the table
      await page.reload()
      await page.waitForSelector('#table-body tr.study')
      const chips = await page.evaluate(() =>
        Object.fromEntries([...document.querySelectorAll<HTMLElement>('#table-body tr.study')].map((tr) => [tr.dataset.psid, [...tr.querySelectorAll<HTMLElement>('.chip')].map((c) => c.dataset.tag).sort()])),
      )
      for (const s of STUDIES) {
        const want = [['P1', 'P3', 'P5'].includes(s.pid) ? 'stone' : 'nostone', ...(s.tag ? [s.tag] : [])].sort()
        expect(chips[`${s.pid}#${s.sid}`]).toEqual(want)
      }
      if (reader === 'cat') {
        await page.locator('#table-body tr.study td.tags').first().scrollIntoViewIfNeeded()
        await shot(page, '9-table-tags')
      }
      expect(errors).toEqual([])
      await page.close()
    }
    expect(orders.bob!.training).toHaveLength(2)
    expect(orders.bob!.serious).toHaveLength(4)
    expect(orders.cat!.training).toEqual(orders.bob!.training!)
    expect(orders.cat!.serious).toEqual(orders.bob!.serious!)
    expect([...orders.bob!.serious!].map((k) => k.split('#')[0]).sort()).toEqual(['P3', 'P4', 'P5', 'P6'])
  }, 600_000)

  test('the admin: results table and CSV row by row; a reader restarts training', async () => {
    const { page, errors } = await open('ann')
    const panel = page.locator('[data-tool-panel="reading"]')
    // the Wrench: the saved configuration comes back into the tabs; a change is saved (PUT) and shown by Info
    await panel.locator('.reading-item [data-reading-action="edit"]').click()
    const config = page.locator('dialog#reading-config')
    await page.waitForFunction(() => (document.querySelector('[data-rc="name"]') as HTMLInputElement | null)?.value === 'RSTONE2')
    expect(await config.locator('.rc-title').textContent()).toMatch(/^RSTONE2 \(id \d+\)$/)
    expect(await config.locator('[data-rc="readers"]').inputValue()).toBe('bob, cat')
    expect(await config.locator('[data-rc="links"]').inputValue()).toBe('Slides | https://example.org/slides')
    expect(JSON.parse(await config.locator('[data-rc="form"]').inputValue())).toEqual(FORM)
    expect(JSON.parse(await config.locator('[data-rc="reading"]').inputValue())).toEqual(READING)
    await config.locator('[data-rc="instructions"]').fill('Mark the largest stone. Updated.')
    await config.locator('[data-reading-action="save"]').click()
    await page.waitForFunction(() => /^saved \(id \d+\)$/.test(document.querySelector('#reading-config .rc-status')?.textContent ?? ''))
    await config.locator('[data-reading-action="close"]').click()
    await page.waitForFunction(() => /saved/.test(document.querySelector('[data-reading-status]')?.textContent ?? ''))
    await panel.locator('.reading-item [data-reading-action="info"]').click()
    expect(await panel.locator('[data-reading-info]').textContent()).toBe('Mark the largest stone. Updated.Slides')
    await panel.locator('.reading-item [data-reading-action="results"]').click()
    const dialog = page.locator('dialog#reading-results')
    await dialog.locator('.reading-results-table').waitFor()
    expect(await dialog.locator('.reading-results-table tbody tr').count()).toBe(12)
    await shot(page, '10-results')
    const [download] = await Promise.all([page.waitForEvent('download'), dialog.locator('[data-reading-csv]').click()])
    const csv = parseCsv(readFileSync((await download.path())!, 'utf8'))
    const [header, ...rows] = csv
    const col = (name: string) => {
      const i = header!.indexOf(name)
      expect(i).toBeGreaterThanOrEqual(0)
      return i
    }
    expect(rows).toHaveLength(12)
    expect(header).toEqual(['reader', 'mode', 'case', 'patients_id', 'studies_id', 'study_path', 'repetition', 'stage', 'started_at', 'submitted_at', 'seconds', 'finding', 'confidence', 'where', 'comments', 'annotations'])
    for (const e of entered) {
      const row = rows.find((r) => r[col('reader')] === e.reader && r[col('mode')] === e.mode && r[col('case')] === e.caseKey)
      expect(row).toBeDefined()
      const r = row!
      const [pid, sid] = e.caseKey.split('#')
      expect([r[col('patients_id')], r[col('studies_id')], r[col('repetition')], r[col('stage')]]).toEqual([pid!, sid!, '1', '1'])
      expect(r[col('finding')]).toBe(e.finding)
      expect(r[col('confidence')]).toBe(String(e.confidence))
      expect(r[col('comments')]).toBe(e.comments)
      const where = JSON.parse(r[col('where')]!) as { label: string; position: number[] }[]
      expect(where).toHaveLength(1)
      where[0]!.position.forEach((x, a) => expect(Math.abs(x - e.where[a]!)).toBeLessThan(1e-6))
      const annotations = JSON.parse(r[col('annotations')]!) as { item: string; reference: string; points: unknown[] }[]
      expect(annotations.map((x) => [x.item, x.reference])).toEqual([['where', `${pid}/${sid}/anat/t1.nii.gz`]])
      // active seconds: from the display to the submit (the server's started_at .. submitted_at), less the pause
      const seconds = Number(r[col('seconds')])
      const wall = (Date.parse(r[col('submitted_at')]!) - Date.parse(r[col('started_at')]!)) / 1000
      expect(seconds).toBeGreaterThan(0)
      expect(seconds).toBeLessThanOrEqual(wall - e.paused + 0.3)
      if (!e.paused) expect(seconds).toBeGreaterThan(wall - 1)
      else expect(e.paused).toBeGreaterThan(2.4)
    }
    await dialog.locator('button:text-is("Close")').click()
    expect(errors).toEqual([])
    await page.close()

    // cat restarts training (allowed): only cat's 2 training results go
    const cat = await open('cat')
    const item = cat.page.locator('[data-tool-panel="reading"] .reading-item')
    await item.locator('[data-reading-action="restart-training"]').waitFor()
    expect(await item.locator('[data-reading-action="restart-serious"]').count()).toBe(0)
    await item.locator('[data-reading-action="restart-training"]').click()
    await cat.page.waitForFunction(() => document.querySelector('[data-reading-count="training"]')?.textContent === '0 of 2')
    expect(await item.locator('[data-reading-count="serious"]').textContent()).toBe('4 of 4')
    expect(cat.errors).toEqual([])
    await cat.page.close()
  }, 240_000)

  test('a blind reading: no table, no names, image files renamed; the case still loads and saves', async () => {
    const ann = await open('ann')
    // Even asked to show the table detached (greyed, names still legible), a blind session takes it out of the page.
    const config = { name: 'BLIND1', mode: 'blind', admins: ['ann'], readers: ['bob'], form: FORM, reading: { ...READING, reading: { ...READING.reading, hidePatientTable: 0, patientTable: 'detached' } } }
    const id = await ann.page.evaluate((c) => (window as unknown as Win).noraReading.api.create(c).then((r: { id: number }) => r.id), config)
    await ann.page.close()
    const { page, errors } = await open('bob')
    // bob has read on the project: before the session the table with the patients' names is on the page.
    await page.locator('#table-region tbody tr').first().waitFor()
    expect(await page.content()).toContain('Name^P')
    const item = page.locator(`[data-tool-panel="reading"] .reading-item[data-reading-id="${id}"]`)
    await item.locator('[data-reading-action="start-serious"]').click()
    await page.waitForSelector('[data-reading-progress="1/4"][data-reading-ready]')
    expect(await page.isVisible('#table-region')).toBe(false)
    // Not only hidden: the table and the file tree are out of the page, no name or ID of a study is in it.
    expect(await page.locator('#table-region, #file-tree').count()).toBe(0)
    const during = await page.content()
    expect(during).not.toContain('Name^P')
    for (const s of STUDIES) expect(during).not.toContain(s.sid)
    expect(await page.locator('[data-tool-panel="reading"] .reading-case-label').count()).toBe(0)
    await page.waitForFunction(() => (window as unknown as Win).noraViewer.state().viewports[0].volumes.length === 1)
    const shown = await page.evaluate(() => (window as unknown as Win).noraViewer.state().viewports[0].items[0])
    expect(shown.name).toBe('image1.nii.gz')
    expect(shown.key).not.toMatch(/P\d|S\d1/)
    expect(await page.locator('.viewport[data-viewport="1"] .viewbars').textContent()).not.toMatch(/t1\.nii|P\d/)
    await shot(page, '11-blind-case1')
    const panel = page.locator('[data-tool-panel="reading"]')
    await panel.locator('[data-item="finding"] input[value="stone"]').check()
    await panel.locator('[data-reading-action="submit"]').click()
    await page.waitForSelector('[data-reading-progress="2/4"][data-reading-ready]')
    await panel.locator('[data-reading-action="leave"]').click()
    expect(await page.isVisible('#table-region')).toBe(true)
    expect(await page.content()).toContain('Name^P')
    await page.waitForFunction((id) => document.querySelector(`.reading-item[data-reading-id="${id}"] [data-reading-count="serious"]`)?.textContent === '1 of 4', id)
    // Switching projects in the header mid-session (htmx swaps the workstation) ends the session: the new
    // workstation has its table, and ↑/↓ reach the page again (a running session stops them before the table).
    await item.locator('[data-reading-action="start-serious"]').click()
    await page.waitForSelector('[data-reading-progress="2/4"][data-reading-ready]')
    const arrowReaches = () =>
      page.evaluate(() => {
        let got = false
        const seen = () => (got = true)
        document.addEventListener('keydown', seen)
        document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }))
        document.removeEventListener('keydown', seen)
        return got
      })
    expect(await arrowReaches()).toBe(false)
    await page.evaluate((p) => (window as unknown as { htmx: { ajax(m: string, u: string, o: unknown): Promise<void> } }).htmx.ajax('GET', `/?project=${p}`, { target: '#main' }), P)
    await page.locator('#table-region tbody tr').first().waitFor()
    expect(await page.locator('.workstation.reading-blind, .workstation.reading-hide-table').count()).toBe(0)
    expect(await arrowReaches()).toBe(true)
    expect(errors).toEqual([])
    await page.close()
  }, 180_000)

  test('a staged reading: stage 1 the image alone, stage 2 with the AI overlay, named in the panel', async () => {
    const ann = await open('ann')
    const stages = [{ name: 'raw' }, { name: 'AI', autoloaders: [{ pattern: 'anat/*.nii.gz', viewport: 1, as: 'background', colormap: 'gray' }, { pattern: 'ai/*.nii.gz', viewport: 1, as: 'overlay', colormap: 'red' }] }]
    const config = { name: 'STAGED', mode: 'individual', admins: ['ann'], readers: ['bob'], form: FORM, reading: { ...READING, reading: { ...READING.reading, random: 'none', stages, mode_serious: { SQLCondition: "STAG LIKE '%Training%'" } } } }
    const id = await ann.page.evaluate((c) => (window as unknown as Win).noraReading.api.create(c).then((r: { id: number }) => r.id), config)
    await ann.page.close()
    const { page, errors } = await open('bob')
    const item = page.locator(`[data-tool-panel="reading"] .reading-item[data-reading-id="${id}"]`)
    expect(await item.locator('[data-reading-count="serious"]').textContent()).toBe('0 of 4')
    const [res] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/session')), item.locator('[data-reading-action="start-serious"]').click()])
    const cases = ((await res.json()) as { cases: SessionCase[] }).cases
    expect(cases.map((c) => c.stage)).toEqual([1, 2, 1, 2])
    const panel = page.locator('[data-tool-panel="reading"]')
    const items = () => page.evaluate(() => (window as unknown as Win).noraViewer.state().viewports[0].items.map((i: { key: string; role: string }) => [i.key.split('/files/')[1], i.role]))
    await page.waitForSelector('[data-reading-progress="1/4"][data-reading-ready]')
    expect(await panel.locator('[data-reading-stage]').textContent()).toBe('stage 1 of 2: raw')
    expect(await items()).toEqual([[`${cases[0]!.pid}/${cases[0]!.sid}/anat/t1.nii.gz`, 'background']])
    await panel.locator('[data-item="finding"] input[value="stone"]').check()
    await panel.locator('[data-reading-action="submit"]').click()
    await page.waitForSelector('[data-reading-progress="2/4"][data-reading-ready]')
    expect(await panel.locator('[data-reading-stage]').textContent()).toBe('stage 2 of 2: AI')
    expect(await items()).toEqual([
      [`${cases[1]!.pid}/${cases[1]!.sid}/anat/t1.nii.gz`, 'background'],
      [`${cases[1]!.pid}/${cases[1]!.sid}/ai/seg.nii.gz`, 'overlay'],
    ])
    await shot(page, '12-stage2-overlay')
    await panel.locator('[data-reading-action="leave"]').click()
    await page.waitForFunction((id) => document.querySelector(`.reading-item[data-reading-id="${id}"] [data-reading-count="serious"]`)?.textContent === '1 of 4', id)
    expect(errors).toEqual([])
    await page.close()
  }, 180_000)
})
