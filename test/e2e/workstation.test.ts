import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { DICOMDIRTESTS, PYDICOM, python, zipOf } from '../helpers/dicom-fixtures'
import { chooseProject, shooter, startSite, type Site } from './fixture'

const NIFTI = '/usr/lib/python3/dist-packages/nibabel/tests/data/anatomical.nii'
const P = 'WS'
const shot = shooter('workstation', { fullPage: false })

/** What the layout measures: page overflow, truncated header cells, the first viewport's canvas, the panes. */
const measure = (page: Page) =>
  page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>('[data-viewport="1"] canvas')!
    const r = canvas.getBoundingClientRect()
    const truncated: string[] = []
    for (const th of document.querySelectorAll<HTMLElement>('#table-results thead th')) {
      if (th.offsetWidth === 0) continue
      for (const el of [th, ...th.querySelectorAll<HTMLElement>('a, span:not(.col-grip)')]) if (el.scrollWidth > el.clientWidth) truncated.push(`${th.dataset.col}: ${th.textContent}`)
    }
    return {
      pageOverflowX: document.documentElement.scrollWidth - innerWidth,
      pageOverflowY: document.documentElement.scrollHeight - innerHeight,
      truncated: [...new Set(truncated)],
      headerCells: document.querySelectorAll('#table-results thead th').length,
      canvas: { width: r.width, height: r.height, buffer: canvas.width },
      windowHeight: innerHeight,
      left: document.querySelector<HTMLElement>('.ws-left')!.getBoundingClientRect().width,
    }
  })

/** A mouse drag from the middle of an element, `dx` px sideways and `dy` px down. */
async function dragBy(page: Page, selector: string, dx: number, dy = 0) {
  const b = (await page.locator(selector).boundingBox())!
  const x = b.x + b.width / 2
  const y = b.y + Math.min(b.height / 2, 200)
  await page.mouse.move(x, y)
  await page.mouse.down()
  await page.mouse.move(x + dx, y + dy, { steps: 8 })
  await page.mouse.up()
}

const colWidth = (page: Page, key: string) => page.evaluate((k) => document.querySelector<HTMLElement>(`#table-results th[data-col="${k}"]`)!.getBoundingClientRect().width, key)

/** The workstation in Chromium on the built binary: full height at 1280×800 and 1920×1080, splitter, columns, tools, dialogs. */
describe('desktop: the workstation layout', () => {
  let site: Site
  let newPatient: string

  beforeAll(async () => {
    site = await startSite({
      projects: [P, 'Another_project_with_a_long_name'],
      setup: async ({ home, nora }) => {
        const r = await nora(['-p', P, '--import', DICOMDIRTESTS], 120_000)
        expect(r.stdout + r.stderr).toContain('3 patients, 7 studies, 14 series')
        const to = join(home.home, 'data', 'projects', P, 'NII1', 'S1', 't1', 'anatomical.nii')
        mkdirSync(join(to, '..'), { recursive: true })
        copyFileSync(NIFTI, to)
        expect((await nora(['-p', P, '--add', to])).code).toBe(0)
      },
    })
    // The PatientID of the file the upload dialog imports, as pydicom reads it.
    newPatient = python('import pydicom,sys; print(pydicom.dcmread(sys.argv[1]).PatientID)', [join(PYDICOM, 'CT_small.dcm')]).trim()
  }, 180_000)
  afterAll(async () => {
    await site?.close()
  }, 60_000)

  /** A logged-in page at 1280×800 on the project's workstation, its table and viewer ready. */
  async function openWorkstation() {
    const opened = await site.page({ width: 1280, height: 800 })
    await opened.page.goto(`${site.url}?project=${P}`)
    await opened.page.waitForSelector('#table-body tr.study')
    await opened.page.waitForFunction(() => !!(window as any).noraViewer)
    return opened
  }

  for (const [width, height] of [
    [1280, 800],
    [1920, 1080],
  ] as const) {
    test(`${width}×${height}: full height, no page scrollbar, no truncated column header, viewports ≥ 60% of the height`, async () => {
      const { page, errors } = await site.page({ width, height })
      // The header's switcher lists every project; the overview has their counts.
      expect((await page.locator('#project-list .project-list a').allTextContents()).sort()).toEqual(['Another_project_with_a_long_name', P])
      expect(await page.textContent(`#workspace tr:has(a:text-is("${P}"))`)).toMatch(/WS\s*4\s*8\s*\d+/)
      await chooseProject(page, P)
      expect(await page.textContent('#ws-head .ps-current')).toBe(P)
      expect(await page.textContent('#ws-head .ws-counts')).toContain('4 subjects · 8 studies')
      await page.waitForSelector('#table-body tr.study')
      await page.click('#table-body tr.study[data-psid^="NII1#"]')
      await page.dblclick('#file-tree li.file[data-nora-name="anatomical.nii"]')
      await page.waitForFunction(() => (window as any).noraViewer?.state().viewports[0].volumes.length === 1)
      const m = await measure(page)
      expect(m.pageOverflowX).toBeLessThanOrEqual(0)
      expect(m.pageOverflowY).toBeLessThanOrEqual(0)
      expect(m.headerCells).toBe(10)
      expect(m.truncated).toEqual([])
      expect(m.canvas.height).toBeGreaterThanOrEqual(0.6 * m.windowHeight)
      await shot(page, `workstation-${width}`)
      expect(errors, errors.join('\n')).toEqual([])
      await page.close()
    }, 90_000)
  }

  test('1280×800: the splitter resizes table and viewports (NiiVue redraws at the new size), columns resize and hide and stay so after a reload', async () => {
    const { page, errors } = await openWorkstation()
    // NiiVue sizes its drawing buffer to the canvas' box in a ResizeObserver: measure once it has caught up, so
    // that a resize still under way on a busy machine is not taken for the splitter's.
    const settled = (grownBy: number) =>
      page.waitForFunction((px) => {
        const c = document.querySelector<HTMLCanvasElement>('[data-viewport="1"] canvas')!
        const box = c.getBoundingClientRect().width
        return box > px && Math.abs(c.width - Math.round(box * devicePixelRatio)) <= 2
      }, grownBy)
    await settled(0)
    const before = await measure(page)
    await dragBy(page, '[data-splitter="main"]', -150)
    // The viewports share the width the table gave up (two side by side: 75 px each).
    await settled(before.canvas.width + 50)
    const after = await measure(page)
    expect(Math.abs(after.left - (before.left - 150))).toBeLessThanOrEqual(2)
    expect(after.canvas.buffer).toBeGreaterThan(before.canvas.buffer + 50)
    expect(after.pageOverflowX).toBeLessThanOrEqual(0)
    // The bar between table and file tree: 80 px up makes the tree 80 px taller.
    const treeHeight = () => page.evaluate(() => document.getElementById('file-tree')!.getBoundingClientRect().height)
    const tree0 = await treeHeight()
    await dragBy(page, '[data-splitter="tree"]', 0, -80)
    expect(Math.abs((await treeHeight()) - (tree0 + 80))).toBeLessThanOrEqual(2)

    // Drag the right border of the name column 60 px wider; hide "birth date" from the column menu.
    const name0 = await colWidth(page, 'name')
    await dragBy(page, '#table-results th[data-col="name"] .col-grip', 60)
    expect(Math.abs((await colWidth(page, 'name')) - (name0 + 60))).toBeLessThanOrEqual(2)
    await page.click('#col-menu summary')
    await page.uncheck('#col-menu [data-col-toggle="birth_date"]')
    expect(await colWidth(page, 'birth_date')).toBe(0)
    await shot(page, 'workstation-1280-resized')

    // A reload (and a sort, which swaps the rows in again) keeps the widths and the hidden column.
    await page.reload()
    await page.waitForSelector('#table-body tr.study')
    await page.click('#table-results a.sort[data-sort="study_date"]')
    await page.waitForSelector('#table-results th[aria-sort="ascending"] a[data-sort="study_date"]')
    // The swapped-in table gets its stored widths once htmx has put it in the page: poll, not one look.
    await page.waitForFunction((w) => Math.abs(document.querySelector<HTMLElement>('#table-results th[data-col="name"]')!.getBoundingClientRect().width - w) <= 2, name0 + 60)
    expect(await colWidth(page, 'birth_date')).toBe(0)
    expect(await page.isChecked('#col-menu [data-col-toggle="birth_date"]')).toBe(false)
    expect(Math.abs((await measure(page)).left - after.left)).toBeLessThanOrEqual(2)
    // The other project's table has its own columns: all shown.
    await chooseProject(page, 'Another_project_with_a_long_name')
    expect(await page.locator('#table-results th[data-col="birth_date"]').evaluate((th) => th.getBoundingClientRect().width)).toBeGreaterThan(0)
    expect(errors, errors.join('\n')).toEqual([])
    await page.close()
  }, 90_000)

  test('1280×800: the ROI tool button toggles its panel beside the viewports and emits nora:tool; settings window (s); upload dialog imports a zip', async () => {
    const { page, errors } = await openWorkstation()
    await page.evaluate(() => {
      const w = window as unknown as { toolEvents: unknown[] }
      w.toolEvents = []
      document.addEventListener('nora:tool', (e) => w.toolEvents.push((e as CustomEvent).detail))
    })
    const events = () => page.evaluate(() => (window as unknown as { toolEvents: unknown[] }).toolEvents)
    const canvas0 = (await measure(page)).canvas.width
    expect(await page.isVisible('[data-tool-panel="roi"]')).toBe(false)
    await page.click('.tool-bar [data-tool="roi"]')
    await page.waitForSelector('[data-tool-panel="roi"]:not([hidden])')
    expect(await page.getAttribute('.tool-bar [data-tool="roi"]', 'aria-pressed')).toBe('true')
    expect(await events()).toEqual([{ tool: 'roi', open: true }])
    // The panel sits between the viewports and the tool bar, and the viewports gave it room.
    const box = (sel: string) => page.locator(sel).first().boundingBox().then((b) => b!)
    const [vp, panel, bar] = await Promise.all([box('.viewports'), box('[data-tool-panel="roi"]'), box('.tool-bar')])
    expect(panel.x).toBeGreaterThanOrEqual(vp.x + vp.width - 1)
    expect(bar.x).toBeGreaterThanOrEqual(panel.x + panel.width - 1)
    await page.waitForFunction((w) => document.querySelector('[data-viewport="1"] canvas')!.getBoundingClientRect().width < w - 100, canvas0)
    // Its left edge drags it wider.
    const wide0 = panel.width
    await dragBy(page, '.tool-panel-grip', -80)
    expect(Math.abs((await box('[data-tool-panel="roi"]')).width - (wide0 + 80))).toBeLessThanOrEqual(2)
    await shot(page, 'workstation-1280-roi-panel')
    await page.click('.tool-bar [data-tool="roi"]')
    expect(await page.isVisible('[data-tool-panel="roi"]')).toBe(false)
    expect(await events()).toEqual([{ tool: 'roi', open: true }, { tool: 'roi', open: false }])
    // The marker, navigation and reading tools are there too; the tools to come are there, disabled.
    expect(await page.isDisabled('.tool-bar [data-tool="markers"]')).toBe(false)
    expect(await page.isDisabled('.tool-bar [data-tool="navigation"]')).toBe(false)
    expect(await page.isDisabled('.tool-bar [data-tool="reading"]')).toBe(false)
    for (const t of ['fibers']) {
      expect(await page.isDisabled(`.tool-bar [data-tool="${t}"]`)).toBe(true)
      expect(await page.getAttribute(`.tool-bar [data-tool="${t}"]`, 'title')).toBe('coming')
    }

    // Settings window: key s; the scroll speed reaches the viewer.
    await page.locator('body').press('s')
    await page.waitForSelector('#settings-dialog[open]')
    await page.locator('#set-scroll-speed').evaluate((el: HTMLInputElement) => {
      el.value = '3'
      el.dispatchEvent(new Event('input', { bubbles: true }))
    })
    await page.waitForFunction(() => (window as any).noraViewer.state().viewports[0].scrollSpeed === 3)
    await shot(page, 'workstation-1280-settings')
    await page.keyboard.press('Escape')
    expect(await page.isVisible('#settings-dialog')).toBe(false)
    // The viewer's own key y changes it, and the window shows it.
    await page.locator('body').press('y')
    await page.click('#open-settings')
    expect(await page.inputValue('#set-scroll-speed')).toBe('4')
    await page.keyboard.press('Escape')

    // Upload dialog from the header: the "Upload dicoms" form imports a zip.
    await page.click('#open-upload')
    await page.waitForSelector('#upload-dialog[open]')
    const dir = mkdtempSync(join(tmpdir(), 'nora-ws-'))
    copyFileSync(join(PYDICOM, 'CT_small.dcm'), join(dir, 'CT_small.dcm'))
    await page.setInputFiles('#upload-form input[type=file]', zipOf(dir))
    await page.click('#upload-form button[type=submit]')
    await page.waitForFunction(() => /import \d+: done/.test(document.getElementById('upload-status')?.textContent ?? ''), null, { timeout: 60_000 })
    expect(await page.textContent('#upload-status')).toContain('1 patients, 1 studies, 1 series, 1 instances')
    await shot(page, 'workstation-1280-upload-dialog')
    await page.click('#upload-close')
    await page.reload()
    await page.waitForSelector(`#table-body tr.study[data-psid^="${newPatient}#"]`)

    // Files dropped on the table open the drop dialog (the upload's target choice).
    await page.evaluate(() => {
      const dt = new DataTransfer()
      dt.items.add(new File([new Uint8Array(348)], 'x.nii'))
      const target = document.querySelector('#table-body tr.study')!
      target.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }))
      target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }))
    })
    await page.waitForSelector('#drop-dialog[open]')
    expect(await page.textContent('#drop-files li .fname')).toContain('x.nii')
    await page.click('#drop-close')
    expect(errors, errors.join('\n')).toEqual([])
    await page.close()
  }, 120_000)
})
