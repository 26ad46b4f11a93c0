// The Marker tool in Chromium: a pointset of 3 points clicked on an oblique image (made with nibabel), a point and the
// set renamed, saved into the study's annotations/, the page reloaded and the file loaded again by double-click:
// the same world coordinates to 1e-3 mm; nibabel maps the saved RAS positions back to the clicked voxels; the
// .mrk.json the tool downloads re-imports equal.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { assetPackStale, buildAssets } from '../../scripts/build-assets'
import { buildWeb } from '../../scripts/build-web'
import { parsePointSet, parseSlicer } from '../../src/markers'
import { REPO } from '../helpers/nora-binary'
import { collectErrors, logIn } from './browser'
import { mmOnPage, serveWithChromium } from './fixture'
import { pythonJson } from '../helpers/dicom-fixtures'

const SHOTS = join(REPO, 'test-output', 'markers')
const PW = 'long enough password 1'

// An oblique image (rotated 20° about z and 10° about x, anisotropic voxels, sform and qform alike), and the world
// (RAS mm) centres of the voxels the test clicks, by nibabel.
const MAKE_IMAGE = `
import sys, json, numpy as np, nibabel as nib
from nibabel.affines import apply_affine
a, b = np.radians(20), np.radians(10)
rz = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
aff = np.eye(4); aff[:3, :3] = rz @ rx @ np.diag([1.2, 1.0, 2.5]); aff[:3, 3] = [-30, -25, -20]
i, j, k = np.meshgrid(np.arange(48), np.arange(48), np.arange(20), indexing='ij')
img = (100 + 50 * np.sin(i / 5.0) * np.cos(j / 7.0) + 3 * k).astype(np.float32)
nii = nib.Nifti1Image(img, aff); nii.set_qform(aff, code=1); nii.set_sform(aff, code=1)
nib.save(nii, sys.argv[1])
vox = json.loads(sys.argv[2])
print(json.dumps({'mm': [apply_affine(aff, v).tolist() for v in vox]}))
`
const VOXELS = [
  [14, 20, 10],
  [30, 18, 10],
  [24, 33, 10],
]

type Win = { noraViewer: any; noraMarkers: any }

/** The page position of a world point, with the crosshair moved there (so its slice is the one shown). */
async function onPage(page: Page, mm: number[]): Promise<{ x: number; y: number }> {
  await page.evaluate((mm) => {
    const nv = (window as unknown as Win).noraViewer.viewer.viewports[0].nv
    nv.scene.crosshairPos = nv.mm2frac(mm)
  }, mm)
  return mmOnPage(page, mm)
}

const positions = (page: Page) => page.evaluate(() => (window as unknown as Win).noraMarkers.current().points.map((p: any) => ({ label: p.label, position: [...p.position] })))

describe('Marker tool in Chromium', () => {
  let browser: Browser
  let h: import('../integration/http/harness').Harness
  let url: string
  let stop: (() => Promise<void>) | undefined
  let studyDir: string
  let imagePath: string
  let centres: number[][]

  beforeAll(async () => {
    await buildWeb()
    if (assetPackStale()) buildAssets()
    const { startApp } = await import('../integration/http/harness')
    h = await startApp('sqlite')
    const admin = await h.user('marker-admin', PW, { siteAdmin: true })
    const project = await h.services.archive.createProject(admin, 'MARKS')
    studyDir = join(h.services.archive.projectDir(project), 'P1', 'S1')
    mkdirSync(join(studyDir, 'anat'), { recursive: true })
    imagePath = join(studyDir, 'anat', 'oblique.nii.gz')
    centres = pythonJson(MAKE_IMAGE, imagePath, JSON.stringify(VOXELS)).mm
    await h.services.archive.addFiles(admin, 'MARKS', [imagePath])
    ;({ url, browser, close: stop } = await serveWithChromium(h))
  }, 180_000)

  afterAll(async () => {
    await (stop ? stop() : h?.close())
  })

  async function openStudy(page: Page, errors: string[], file: string) {
    await page.goto(`${url}?project=MARKS`)
    await page.waitForFunction(() => !!(window as unknown as Win).noraViewer && !!(window as unknown as Win).noraMarkers, null, { timeout: 90_000 }).catch((e) => {
      throw new Error(`${e}; page errors: ${errors.join(' | ')}`)
    })
    await page.click('#table-body tr.study')
    await page.locator(`#file-tree [data-nora-name="${file}"]`).dblclick()
  }

  test('3 points on an oblique image: save, reload, load: same world coordinates; Slicer export re-imports equal', async () => {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 }, acceptDownloads: true })
    const errors = collectErrors(page)
    await logIn(page, url, 'marker-admin', PW)
    await openStudy(page, errors, 'oblique.nii.gz')
    await page.waitForFunction(() => (window as unknown as Win).noraViewer.state().viewports[0].volumes.length === 1)
    await page.evaluate(() => (window as unknown as Win).noraViewer.idle())
    await page.click('[data-layout-choice="1"]')
    await page.click('[data-tool="markers"]')
    const panel = page.locator('[data-tool-panel="markers"]')
    await panel.waitFor({ state: 'visible' })
    await panel.locator('[data-marker-new]').selectOption('pointset')
    expect(await panel.locator('[data-marker-action="pen"]').getAttribute('aria-pressed')).toBe('true')

    for (const mm of centres) {
      const at = await onPage(page, mm)
      await page.mouse.click(at.x, at.y)
    }
    await page.waitForFunction(() => (window as unknown as Win).noraMarkers.current().points.length === 3)
    // rename the first point and the set in the list
    await panel.locator('[data-marker-label="0"]').click()
    await panel.locator('[data-marker-edit]').fill('AC')
    await panel.locator('[data-marker-edit]').press('Enter')
    await panel.locator('[data-marker-name]').click()
    await panel.locator('[data-marker-edit]').fill('landmarks')
    await panel.locator('[data-marker-edit]').press('Enter')
    mkdirSync(SHOTS, { recursive: true })
    await page.screenshot({ path: join(SHOTS, '1-three-points.png') })
    const before = await positions(page)
    expect(before.map((p: any) => p.label)).toEqual(['AC', 'p2', 'p3'])

    await panel.locator('[data-marker-action="save"]').click()
    await page.waitForFunction(() => /saved/.test(document.querySelector('[data-marker-status]')?.textContent ?? ''))
    const file = join(studyDir, 'annotations', 'landmarks.json')
    const saved = parsePointSet(readFileSync(file, 'utf8'))
    expect(saved.reference).toBe('P1/S1/anat/oblique.nii.gz')
    saved.points.forEach((p, n) => p.position.forEach((x, a) => expect(Math.abs(x - before[n].position[a])).toBeLessThan(1e-3)))
    // nibabel: the saved RAS positions fall in the clicked voxels, within half a voxel of their centres
    const back = pythonJson(
      `
import sys, json, numpy as np, nibabel as nib
from nibabel.affines import apply_affine
aff = nib.load(sys.argv[1]).affine
ijk = apply_affine(np.linalg.inv(aff), np.array(json.loads(sys.argv[2])))
print(json.dumps({'round': np.rint(ijk).astype(int).tolist(), 'off': np.abs(ijk - np.rint(ijk)).max().item()}))
`,
      imagePath,
      JSON.stringify(saved.points.map((p) => p.position)),
    )
    expect(back.round).toEqual(VOXELS)
    expect(back.off).toBeLessThan(0.5)

    // the download as Slicer markups re-imports equal
    const [download] = await Promise.all([page.waitForEvent('download'), panel.locator('[data-marker-action="download"]').click()])
    const mrk = readFileSync((await download.path())!, 'utf8')
    expect(JSON.parse(mrk).markups[0].coordinateSystem).toBe('LPS')
    expect(parseSlicer(mrk)).toEqual([{ ...saved }])

    // reload: nothing in the tool; the file loads again by double-click in the file tree
    await page.reload()
    await openStudy(page, errors, 'landmarks.json')
    await page.waitForFunction(() => (window as unknown as Win).noraMarkers.sets.length === 1, null, { timeout: 30_000 })
    const after = await positions(page)
    expect(after.map((p: any) => p.label)).toEqual(['AC', 'p2', 'p3'])
    after.forEach((p: any, n: number) => p.position.forEach((x: number, a: number) => expect(Math.abs(x - before[n].position[a])).toBeLessThan(1e-3)))
    expect(await page.evaluate(() => (window as unknown as Win).noraMarkers.current().name)).toBe('landmarks')

    // drag p3 20 px to the right: it moves in its plane, the others stay; ✕ deletes p2
    await page.locator('#file-tree [data-nora-name="oblique.nii.gz"]').dblclick()
    await page.waitForFunction(() => (window as unknown as Win).noraViewer.state().viewports[0].volumes.length === 1)
    await page.evaluate(() => (window as unknown as Win).noraViewer.idle())
    await page.click('[data-layout-choice="1"]')
    const p3 = await onPage(page, after[2].position)
    await page.mouse.move(p3.x, p3.y)
    await page.mouse.down()
    for (let dx = 5; dx <= 20; dx += 5) await page.mouse.move(p3.x + dx, p3.y)
    await page.mouse.up()
    const moved = await positions(page)
    expect(Math.hypot(...[0, 1, 2].map((a) => moved[2].position[a] - after[2].position[a]))).toBeGreaterThan(1)
    expect(Math.abs(moved[2].position[2] - after[2].position[2])).toBeLessThan(1e-3) // axial tile: z stays
    expect(moved.slice(0, 2)).toEqual(after.slice(0, 2))
    await panel.locator('[data-marker-point="1"] [data-marker-action="delete-point"]').click()
    expect((await positions(page)).map((p: any) => p.label)).toEqual(['AC', 'p3'])
    expect(errors).toEqual([])
    await page.close()
  }, 180_000)
})
