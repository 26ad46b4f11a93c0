import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { buildWeb } from '../../scripts/build-web'
import { REPO } from '../helpers/nora-binary'
import { collectErrors, logIn } from './browser'
import { serveWithChromium } from './fixture'

const NIB = '/usr/lib/python3/dist-packages/nibabel/tests/data'
const SHOTS = join(REPO, 'test-output', 'viewer')
const PW = 'long enough password 1'
const HOSTILE = '<img src=x onerror=alert(1)>.nii'

type ViewerState = {
  layout: string
  mosaic: boolean
  viewports: { index: number; visible: boolean; sliceType: number; scrollSpeed: number; volumes: { name: string; dims: number[]; cal_min: number; cal_max: number; colormap: string }[]; items: { name: string; role: string; colormap: string; min: number; max: number }[] }[]
  mosaicViewport?: { volumes: unknown[]; mosaic: string }
}

const state = (page: Page) => page.evaluate(() => (window as unknown as { noraViewer: { state(): unknown } }).noraViewer.state()) as Promise<ViewerState>
const idle = (page: Page) => page.evaluate(() => (window as unknown as { noraViewer: { idle(): Promise<void> } }).noraViewer.idle())

/**
 * HTML5 drag and drop from a file-tree row onto a viewport, with one DataTransfer carried through dragstart,
 * dragover and drop (the events the page's own handlers listen to).
 */
async function dragFile(page: Page, rowSelector: string, viewport: number) {
  await page.evaluate(
    ([sel, vp]) => {
      const row = document.querySelector(sel as string)!
      const target = document.querySelector(`[data-viewport="${vp}"]`)!
      const dt = new DataTransfer()
      row.dispatchEvent(new DragEvent('dragstart', { bubbles: true, cancelable: true, dataTransfer: dt }))
      target.dispatchEvent(new DragEvent('dragenter', { bubbles: true, cancelable: true, dataTransfer: dt }))
      target.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: dt }))
      target.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: dt }))
      row.dispatchEvent(new DragEvent('dragend', { bubbles: true, cancelable: true, dataTransfer: dt }))
    },
    [rowSelector, viewport] as const,
  )
}

async function shot(page: Page, name: string) {
  mkdirSync(SHOTS, { recursive: true })
  await page.waitForTimeout(150)
  await page.screenshot({ path: join(SHOTS, `${name}.png`) })
}

/** The viewer on the desktop in Chromium (WebGL2), over a project with nibabel's test images. */
describe('desktop viewer (NiiVue)', () => {
  let browser: Browser
  let h: import('../integration/http/harness').Harness
  let url: string
  let stop: (() => Promise<void>) | undefined

  beforeAll(async () => {
    // The bundle is generated (gitignored): build it before the app (static-assets embeds it) is imported.
    await buildWeb()
    const { startApp } = await import('../integration/http/harness')
    h = await startApp('sqlite')
    const admin = await h.user('viewer-admin', PW, { siteAdmin: true })
    const project = await h.services.archive.createProject(admin, 'VIEW')
    const dir = join(h.services.archive.projectDir(project), 'P1', 'S1', 'anat')
    mkdirSync(dir, { recursive: true })
    copyFileSync(join(NIB, 'anatomical.nii'), join(dir, 'anatomical.nii'))
    copyFileSync(join(NIB, 'example4d.nii.gz'), join(dir, 'example4d.nii.gz'))
    copyFileSync(join(NIB, 'anatomical.nii'), join(dir, HOSTILE))
    await h.services.archive.addFiles(admin, 'VIEW', ['anatomical.nii', 'example4d.nii.gz', HOSTILE].map((f) => join(dir, f)))
    // Other formats, unregistered but inside the project (the file API serves them too).
    const other = join(h.services.archive.projectDir(project), 'P1', 'S1', 'other')
    mkdirSync(other, { recursive: true })
    copyFileSync(join(NIB, 'test.mgz'), join(other, 'test.mgz'))
    copyFileSync(join(NIB, 'standard.trk'), join(other, 'standard.trk'))
    copyFileSync(join(NIB, 'standard.tck'), join(other, 'standard.tck'))
    copyFileSync('/usr/lib/python3/dist-packages/nibabel/gifti/tests/data/ascii.gii', join(other, 'ascii.gii'))
    // A tetrahedron as ASCII STL.
    const v = [[0, 0, 0], [10, 0, 0], [0, 10, 0], [0, 0, 10]]
    const faces = [[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]]
    writeFileSync(join(other, 'tetra.stl'), `solid t\n${faces.map((f) => `facet normal 0 0 0\nouter loop\n${f.map((i) => `vertex ${v[i]!.join(' ')}`).join('\n')}\nendloop\nendfacet`).join('\n')}\nendsolid t\n`)
    ;({ url, browser, close: stop } = await serveWithChromium(h))
  }, 120_000)

  afterAll(async () => {
    await (stop ? stop() : h?.close())
  })

  test('load, drag, layouts, CT windows, help, viewbar', async () => {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } })
    const errors = collectErrors(page)
    page.on('dialog', (d) => {
      errors.push(`dialog: ${d.message()}`)
      void d.dismiss()
    })
    expect(await page.evaluate(() => !!document.createElement('canvas').getContext('webgl2'))).toBe(true)
    await logIn(page, url, 'viewer-admin', PW)
    await page.goto(`${url}?project=VIEW`)
    await page.waitForFunction(() => !!(window as unknown as { noraViewer?: unknown }).noraViewer)
    let s = await state(page)
    expect(s.layout).toBe('2')
    expect(s.viewports.filter((v) => v.visible).length).toBe(2)
    await shot(page, '1-desktop')

    // Open the study: its file tree lists the files with the viewer's data attributes.
    await page.click('#table-body tr.study')
    const anat = page.locator('#file-tree [data-nora-name="anatomical.nii"]')
    await anat.waitFor()
    expect(await anat.getAttribute('data-nora-file')).toBe('/api/projects/VIEW/files/P1/S1/anat/anatomical.nii')

    // Double-click: into the next free viewport, viewport 1. Dimensions as nibabel reads them.
    await anat.dblclick()
    await page.waitForFunction(() => (window as any).noraViewer.state().viewports[0].volumes.length === 1)
    await idle(page)
    s = await state(page)
    expect(s.viewports[0]!.volumes[0]!.name).toBe('anatomical.nii')
    expect(s.viewports[0]!.volumes[0]!.dims).toEqual([33, 41, 25]) // nibabel: anatomical.nii shape (33, 41, 25)
    expect(s.viewports[1]!.volumes.length).toBe(0)
    expect(await page.locator('[data-viewport="1"] .viewbar .vb-name').textContent()).toBe('anatomical.nii')
    await shot(page, '2-dblclick-viewport1')
    // The canvas is drawn at the viewport's size (not the 300x150 default stretched).
    const size = await page.evaluate(() => {
      const c = document.querySelector<HTMLCanvasElement>('[data-viewport="1"] canvas')!
      const r = c.getBoundingClientRect()
      return { w: c.width, h: c.height, cw: Math.round(r.width * devicePixelRatio), ch: Math.round(r.height * devicePixelRatio) }
    })
    expect(Math.abs(size.w - size.cw)).toBeLessThan(3)
    expect(Math.abs(size.h - size.ch)).toBeLessThan(3)

    // Drag the 4D file from the tree into viewport 2.
    await dragFile(page, '#file-tree [data-nora-name="example4d.nii.gz"]', 2)
    await page.waitForFunction(() => (window as any).noraViewer.state().viewports[1].volumes.length === 1, null, { timeout: 15_000 })
    await idle(page)
    s = await state(page)
    expect(s.viewports[1]!.volumes[0]!.name).toBe('example4d.nii.gz')
    expect(s.viewports[1]!.volumes[0]!.dims).toEqual([128, 96, 24]) // nibabel: example4d shape (128, 96, 24, 2)
    await shot(page, '3-dragged-viewport2')
    // The viewport's plane button: axial -> coronal (NiiVue slice type 1).
    await page.click('[data-viewport="2"] .vp-plane')
    expect((await state(page)).viewports[1]!.sliceType).toBe(1)
    expect(await page.textContent('[data-viewport="2"] .vp-plane')).toBe('2 · coronal')

    // Dropping a volume on a viewport with a background offers the drop options; "as overlay" adds it.
    await dragFile(page, '#file-tree [data-nora-name="anatomical.nii"]', 2)
    const menu = page.locator('[data-viewport="2"] .drop-menu')
    await menu.waitFor({ state: 'visible' })
    expect(await menu.locator('button[data-role]').allTextContents()).toEqual(['drop as background', 'drop as overlay', 'drop as mask/ROI'])
    await shot(page, '4-drop-menu')
    await menu.locator('button[data-role="overlay"]').click()
    await page.waitForFunction(() => (window as any).noraViewer.state().viewports[1].volumes.length === 2)
    s = await state(page)
    expect(s.viewports[1]!.items.map((i) => i.role)).toEqual(['background', 'overlay'])

    // Layouts: 4 viewports, then three planes in viewport 1 (NiiVue's multiplanar slice type = 3).
    await page.click('[data-layout-choice="4"]')
    s = await state(page)
    expect(s.layout).toBe('4')
    expect(s.viewports.filter((v) => v.visible).length).toBe(4)
    await shot(page, '5-layout-4')
    await page.click('[data-layout-choice="three-plane"]')
    await page.waitForFunction(() => (window as any).noraViewer.state().viewports[0].sliceType === 3)
    s = await state(page)
    expect(s.viewports.filter((v) => v.visible).length).toBe(1)
    await shot(page, '6-three-plane')
    await page.click('[data-mosaic-toggle]')
    await page.waitForFunction(() => ((window as any).noraViewer.state().mosaicViewport?.volumes.length ?? 0) === 1, null, { timeout: 15_000 })
    s = await state(page)
    expect(s.mosaicViewport!.mosaic).toMatch(/^A( -?\d+\.\d)+$/)
    await shot(page, '7-mosaic-row')
    await page.click('[data-mosaic-toggle]')

    // CT window presets on the active viewport's background (keys 1-6, 0 = auto).
    await page.click('[data-layout-choice="2"]')
    await page.hover('[data-viewport="1"] canvas')
    const expected: Record<string, [number, number]> = { '1': [0, 80], '2': [-32.5, 182.5], '3': [20, 60], '4': [-770, 1730], '5': [-1350, 150], '6': [-125, 225] }
    for (const [key, [min, max]] of Object.entries(expected)) {
      await page.keyboard.press(key)
      s = await state(page)
      expect([s.viewports[0]!.volumes[0]!.cal_min, s.viewports[0]!.volumes[0]!.cal_max]).toEqual([min, max])
    }
    await shot(page, '8-ct-soft-tissue')
    await page.keyboard.press('0')
    s = await state(page)
    expect(s.viewports[0]!.volumes[0]!.cal_max).not.toBe(225)
    expect(s.viewports[0]!.volumes[0]!.cal_max).toBeGreaterThan(s.viewports[0]!.volumes[0]!.cal_min)
    // x / y: scroll speed.
    await page.keyboard.press('y')
    await page.keyboard.press('y')
    await page.keyboard.press('x')
    expect((await state(page)).viewports[0]!.scrollSpeed).toBe(2)

    // ? opens the help with the preset list.
    await page.keyboard.press('?')
    const help = page.locator('.viewer-help')
    await help.waitFor({ state: 'visible' })
    expect(await help.textContent()).toContain('brain: level 40, width 80')
    expect(await help.textContent()).toContain('lung: level -600, width 1500')
    await shot(page, '9-help')
    await page.keyboard.press('Escape')
    await help.waitFor({ state: 'hidden' })

    // Viewbar: the colormap applies to every viewport showing the file (anatomical.nii: viewport 1 and the overlay
    // in viewport 2); with shift only to this viewport.
    await page.selectOption('[data-viewport="1"] .viewbar .vb-colormap', 'hot')
    s = await state(page)
    expect(s.viewports[0]!.volumes[0]!.colormap).toBe('hot')
    expect(s.viewports[1]!.volumes[1]!.colormap).toBe('hot')
    await page.keyboard.down('Shift')
    await page.selectOption('[data-viewport="1"] .viewbar .vb-colormap', 'winter')
    await page.keyboard.up('Shift')
    s = await state(page)
    expect(s.viewports[0]!.volumes[0]!.colormap).toBe('winter')
    expect(s.viewports[1]!.volumes[1]!.colormap).toBe('hot')
    await shot(page, '10-viewbar-colormap')

    // A hostile file name is text in the viewbar, never markup.
    await page.evaluate(() => document.dispatchEvent(new CustomEvent('nora:clear')))
    expect((await state(page)).viewports.every((v) => v.volumes.length === 0)).toBe(true)
    await page.locator('#file-tree [data-nora-file]', { hasText: '<img' }).dblclick()
    await page.waitForFunction(() => (window as any).noraViewer.state().viewports[0].volumes.length === 1)
    expect(await page.locator('[data-viewport="1"] .viewbar .vb-name').textContent()).toBe(HOSTILE)
    expect(await page.locator('#viewer img').count()).toBe(0)
    await shot(page, '11-hostile-name')

    // nora:load with a viewport, a colormap and a window (the autoloader's contract).
    await page.evaluate(() =>
      document.dispatchEvent(new CustomEvent('nora:load', { detail: { url: '/api/projects/VIEW/files/P1/S1/anat/anatomical.nii', name: 'anatomical.nii', viewport: 2, colormap: 'warm', min: 10, max: 90 } })),
    )
    await page.waitForFunction(() => (window as any).noraViewer.state().viewports[1].volumes.length === 1)
    s = await state(page)
    expect(s.viewports[1]!.volumes[0]!).toMatchObject({ colormap: 'warm', cal_min: 10, cal_max: 90 })
    await shot(page, '12-nora-load-event')
    expect(errors).toEqual([])
    await page.close()
  }, 120_000)

  test('formats: MGZ volume, TRK/TCK fibers, GIFTI/STL surfaces from the archive', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
    const errors = collectErrors(page)
    await logIn(page, url, 'viewer-admin', PW)
    await page.goto(`${url}?project=VIEW`)
    await page.waitForFunction(() => !!(window as any).noraViewer)
    await page.click('[data-layout-choice="4"]')
    const load = (name: string, viewport: number) =>
      page.evaluate(([n, vp]) => (window as any).noraViewer.load({ url: `/api/projects/VIEW/files/P1/S1/other/${n}`, name: n, viewport: vp }), [name, viewport] as const)
    await load('test.mgz', 1)
    await load('standard.trk', 2)
    await load('standard.tck', 3)
    await load('ascii.gii', 4)
    await idle(page)
    let s = await state(page)
    expect(s.viewports[0]!.volumes[0]!.dims).toEqual([3, 4, 5]) // nibabel: test.mgz shape (3, 4, 5)
    const meshes = (i: number) => (s.viewports[i] as unknown as { meshes: { name: string }[] }).meshes.map((m) => m.name)
    expect(meshes(1)).toEqual(['standard.trk'])
    expect(meshes(2)).toEqual(['standard.tck'])
    expect(meshes(3)).toEqual(['ascii.gii'])
    expect(s.viewports[1]!.items[0]!.role).toBe('fibers')
    expect(s.viewports[3]!.items[0]!.role).toBe('surface')
    expect(s.viewports[1]!.sliceType).toBe(4) // 3D render
    await load('tetra.stl', 4)
    await idle(page)
    s = await state(page)
    expect(meshes(3)).toEqual(['ascii.gii', 'tetra.stl'])
    expect(await page.textContent('[data-viewport="4"] .vp-plane')).toBe('4 · 3D')
    await shot(page, '14-formats')
    // An unsupported file says so in the status line.
    await page.evaluate(() => (window as any).noraViewer.load({ url: '/api/projects/VIEW/files/P1/S1/x.dcm', name: 'x.dcm' }))
    expect((await state(page) as unknown as { status: string }).status).toContain('DICOM')
    expect(errors).toEqual([])
    await page.close()
  }, 60_000)

  test('a local file dropped from disk is viewed without upload', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
    const errors = collectErrors(page)
    await logIn(page, url, 'viewer-admin', PW)
    await page.goto(`${url}?project=VIEW`)
    await page.waitForFunction(() => !!(window as any).noraViewer)
    const requests: string[] = []
    page.on('request', (r) => requests.push(`${r.method()} ${r.url()}`))
    await page.setInputFiles('input[data-local-files]', join(NIB, 'example4d.nii.gz'))
    await page.waitForFunction(() => (window as any).noraViewer.state().viewports[0].volumes.length === 1)
    const s = await state(page)
    expect(s.viewports[0]!.volumes[0]!.dims).toEqual([128, 96, 24])
    expect(requests.filter((r) => !r.includes('/static/'))).toEqual([])
    await shot(page, '13-local-file')
    expect(errors).toEqual([])
    await page.close()
  }, 60_000)
})
