import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { assetPackStale, buildAssets } from '../../scripts/build-assets'
import { buildWeb } from '../../scripts/build-web'
import { REPO } from '../helpers/nora-binary'
import { collectErrors, logIn } from './browser'
import { mmOnPage, serveWithChromium } from './fixture'
import { pythonJson } from '../helpers/dicom-fixtures'

const SHOTS = join(REPO, 'test-output', 'roi-tool')
const PW = 'long enough password 1'

// A 64x64x24 image with anisotropic voxels (1 x 1 x 2 mm) and a flipped x axis: noise 0..20, a ball of 90..110.
const MAKE_IMAGE = `
import sys, json, numpy as np, nibabel as nib
rng = np.random.default_rng(7)
img = rng.integers(0, 21, size=(64, 64, 24)).astype(np.int16)
aff = np.array([[-1.0, 0, 0, 40], [0, 1.0, 0, -30], [0, 0, 2.0, -20], [0, 0, 0, 1]])
i, j, k = np.meshgrid(np.arange(64), np.arange(64), np.arange(24), indexing='ij')
ball = ((i - 44) ** 2 + (j - 40) ** 2 + ((k - 12) * 2.0) ** 2) <= 7.0 ** 2
img[ball] = 90 + rng.integers(0, 21, size=int(ball.sum()))
nib.save(nib.Nifti1Image(img, aff), sys.argv[1])
print(json.dumps({'ball': int(ball.sum()), 'affine': aff.tolist()}))
`

// A second contrast on another grid: 2 x 2 x 4 mm voxels, shifted, smooth values (so resampling matters).
const MAKE_LOW = `
import sys, json, numpy as np, nibabel as nib
i, j, k = np.meshgrid(np.arange(40), np.arange(36), np.arange(14), indexing='ij')
img = (3.0 * i + 2.0 * j + 5.0 * k + 0.05 * i * j).astype(np.float32)
aff = np.array([[2.0, 0, 0, -45], [0, 2.0, 0, -35], [0, 0, 4.0, -25], [0, 0, 0, 1]])
nib.save(nib.Nifti1Image(img, aff), sys.argv[1])
print('{}')
`

type Win = { noraViewer: any }

/** The page (CSS) position of a voxel's centre in viewport 1, by NiiVue's own mapping (mm -> frac -> canvas). */
const voxels = (page: Page) => page.evaluate(() => (window as unknown as Win).noraViewer.roi.current()?.voxels as number)
const mask = (page: Page) => page.evaluate(() => Array.from((window as unknown as Win).noraViewer.roi.current().mask as Uint8Array).flatMap((v, i) => (v ? [i] : [])))

async function shot(page: Page, name: string) {
  mkdirSync(SHOTS, { recursive: true })
  await page.screenshot({ path: join(SHOTS, `${name}.png`) })
}

describe('ROI tool in Chromium', () => {
  let browser: Browser
  let h: import('../integration/http/harness').Harness
  let url: string
  let stop: (() => Promise<void>) | undefined
  let studyDir: string
  let imagePath: string
  let lowPath: string
  let made: { ball: number; affine: number[][] }
  const vox2mm = (v: number[]) => made.affine.slice(0, 3).map((row) => row[0]! * v[0]! + row[1]! * v[1]! + row[2]! * v[2]! + row[3]!)

  beforeAll(async () => {
    // The bundle and the asset pack the app embeds are generated: built from the current sources first.
    await buildWeb()
    if (assetPackStale()) buildAssets()
    const { startApp } = await import('../integration/http/harness')
    h = await startApp('sqlite')
    const admin = await h.user('roi-admin', PW, { siteAdmin: true })
    const project = await h.services.archive.createProject(admin, 'ROIS')
    studyDir = join(h.services.archive.projectDir(project), 'P1', 'S1')
    mkdirSync(join(studyDir, 'anat'), { recursive: true })
    imagePath = join(studyDir, 'anat', 'ball.nii.gz')
    made = pythonJson(MAKE_IMAGE, imagePath)
    lowPath = join(studyDir, 'anat', 'low.nii.gz')
    pythonJson(MAKE_LOW, lowPath)
    await h.services.archive.addFiles(admin, 'ROIS', [imagePath, lowPath])
    ;({ url, browser, close: stop } = await serveWithChromium(h))
  }, 180_000)

  /** Logs in, opens the study, loads ball.nii.gz into one axial viewport at slice k = 12 and opens the ROI tool. */
  async function openBall(page: Page, errors: string[]) {
    await logIn(page, url, 'roi-admin', PW)
    await page.goto(`${url}?project=ROIS`)
    await page.waitForFunction(() => !!(window as unknown as Win).noraViewer, null, { timeout: 90_000 }).catch((e) => {
      throw new Error(`${e}; page errors: ${errors.join(' | ')}`)
    })
    await page.click('#table-body tr.study')
    await page.locator('#file-tree [data-nora-name="ball.nii.gz"]').dblclick()
    await page.waitForFunction(() => (window as unknown as Win).noraViewer.state().viewports[0].volumes.length === 1)
    await page.evaluate(() => (window as unknown as Win).noraViewer.idle())
    // One viewport, axial, at the slice k = 12 (the ball's centre), set through NiiVue's crosshair.
    await page.click('[data-layout-choice="1"]')
    await page.evaluate((mm) => {
      const nv = (window as unknown as Win).noraViewer.viewer.viewports[0].nv
      nv.scene.crosshairPos = nv.mm2frac(mm)
      nv.drawScene()
    }, vox2mm([32, 32, 12]))
    await page.click('[data-tool="roi"]')
    const panel = page.locator('[data-tool-panel="roi"]')
    await panel.waitFor({ state: 'visible' })
    return panel
  }

  afterAll(async () => {
    await (stop ? stop() : h?.close())
  })

  test('create, brush a disc, grow by press-and-drag, undo/redo, erode, statistics, download, save', async () => {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 }, acceptDownloads: true })
    const errors = collectErrors(page)
    const panel = await openBall(page, errors)

    // An empty ROI on the loaded image.
    await panel.locator('[data-roi-action="new"]').click()
    await page.waitForFunction(() => (window as unknown as Win).noraViewer.state().viewports[0].items.length === 2)
    expect(errors).toEqual([])
    expect(await panel.locator('[data-roi-id] [data-roi="matrix"]').textContent()).toBe('64×64×24')
    expect(await panel.locator('[data-roi-id] [data-roi="ids"]').textContent()).toBe('P1 / S1')

    // Brush, 2D, radius 4 mm: a disc around voxel (16, 20, 12), clicked where NiiVue draws that voxel.
    await page.keyboard.press(' ')
    await panel.locator('[data-pen="radius"]').fill('4')
    await panel.locator('[data-pen="radius"]').dispatchEvent('change')
    const disc = await mmOnPage(page, vox2mm([16, 20, 12]))
    await page.mouse.move(disc.x, disc.y)
    await shot(page, '1-brush-preview')
    await page.mouse.down()
    await page.mouse.up()
    const discCount = await voxels(page)
    const discIdx = await mask(page)
    // numpy: the voxels of slice 12 within 4 mm of the disc's own centre voxel; that centre is the clicked voxel.
    const discCheck = pythonJson(
      `
import sys, json, numpy as np
idx = np.array(json.loads(sys.argv[1])); i = idx % 64; j = (idx // 64) % 64; k = idx // 4096
ci, cj, ck = int(round(i.mean())), int(round(j.mean())), int(round(k.mean()))
I, J = np.meshgrid(np.arange(64), np.arange(64), indexing='ij')
want = (I - ci) ** 2 + (J - cj) ** 2 <= 16
got = np.zeros((64, 64), bool); got[i, j] = True
print(json.dumps({'centre': [ci, cj, ck], 'same': bool((got == want).all()), 'slices': sorted(set(k.tolist())), 'want': int(want.sum())}))
`,
      JSON.stringify(discIdx),
    )
    expect(discCheck.centre).toEqual([16, 20, 12])
    expect(discCheck.slices).toEqual([12])
    expect(discCheck.same).toBe(true)
    expect(discCount).toBe(discCheck.want)

    // Unconstrained 3D region growing: press on the ball, drag right (similarity widens), release.
    await panel.locator('[data-pen="type"]').selectOption('grow3d')
    const seed = await mmOnPage(page, vox2mm([44, 40, 12]))
    await page.mouse.move(seed.x, seed.y)
    await page.mouse.down()
    for (let dx = 8; dx <= 80; dx += 8) await page.mouse.move(seed.x + dx, seed.y)
    await shot(page, '2-growing')
    await page.mouse.up()
    expect(await voxels(page)).toBe(discCount + made.ball)
    await shot(page, '3-grown')

    // Undo and redo, by the keyboard.
    await page.keyboard.press('Control+z')
    expect(await voxels(page)).toBe(discCount)
    await page.keyboard.press('Control+Shift+z')
    expect(await voxels(page)).toBe(discCount + made.ball)

    // Erosion (6-neighbourhood) from the operations menu.
    await panel.locator('[data-roi="operation"]').selectOption('erode')
    await panel.locator('[data-roi-action="apply-operation"]').click()
    const eroded = pythonJson(
      `
import sys, json, numpy as np, nibabel as nib
from scipy import ndimage
img = np.asarray(nib.load(sys.argv[1]).dataobj)
i, j, k = np.meshgrid(np.arange(64), np.arange(64), np.arange(24), indexing='ij')
m = (((i - 16) ** 2 + (j - 20) ** 2) <= 16) & (k == 12)
lab, n = ndimage.label(img >= 50)
m |= lab == lab[44, 40, 12]
e = ndimage.binary_erosion(m, structure=ndimage.generate_binary_structure(3, 1))
print(json.dumps({'before': int(m.sum()), 'after': int(e.sum())}))
`,
      imagePath,
    )
    expect(eroded.before).toBe(discCount + made.ball)
    expect(await voxels(page)).toBe(eroded.after)
    await page.keyboard.press(' ')
    await shot(page, '4-eroded')

    // Statistics window: against numpy on the downloaded mask.
    await panel.locator('[data-roi-action="stats"]').click()
    const csv = await page.locator('.roi-stats').getAttribute('data-csv')
    await shot(page, '5-statistics')
    const download = page.waitForEvent('download')
    await panel.locator('[data-roi-action="download"]').click()
    const file = join(SHOTS, 'downloaded.nii.gz')
    await (await download).saveAs(file)
    const check = pythonJson(
      `
import sys, json, numpy as np, nibabel as nib
ref = nib.load(sys.argv[1]); roi = nib.load(sys.argv[2])
m = np.asarray(roi.dataobj); img = np.asarray(ref.dataobj).astype(float)
v = img[m > 0]
print(json.dumps({'shape': list(roi.shape), 'refShape': list(ref.shape), 'affine': bool(np.allclose(roi.affine, ref.affine, atol=1e-5)),
  'dtype': str(roi.get_data_dtype()), 'count': int((m > 0).sum()), 'values': sorted(set(np.unique(m).tolist())),
  'median': float(np.median(v)), 'p25': float(np.percentile(v, 25)), 'p75': float(np.percentile(v, 75)), 'mean': float(v.mean()), 'std': float(v.std()),
  'ml': float((m > 0).sum() * abs(np.linalg.det(ref.affine[:3, :3])) / 1000)}))
`,
      imagePath,
      file,
    )
    expect(check.shape).toEqual(check.refShape)
    expect(check.affine).toBe(true)
    expect(check.dtype).toBe('uint8')
    expect(check.count).toBe(eroded.after)
    const [head, line] = csv!.trim().split('\n')
    const cols = head!.split(',')
    const vals = line!.split(',')
    const col = (name: string) => Number(vals[cols.indexOf(name)])
    expect(col('voxels')).toBe(check.count)
    for (const [name, key] of [['median', 'median'], ['iqr1 (p25)', 'p25'], ['iqr2 (p75)', 'p75'], ['mean', 'mean'], ['std', 'std'], ['volume (mL)', 'ml']] as const) {
      expect(Math.abs(col(name) - check[key])).toBeLessThan(1e-4 * Math.max(1, Math.abs(check[key])))
    }

    // Save to the server: the name is asked in the panel; the file lands in the reference's study.
    await page.click('.roi-stats button:text("close")')
    await panel.locator('[data-roi-action="save"]').click()
    await panel.locator('[data-roi="save-name"]').fill('ball_eroded')
    await panel.locator('[data-roi-action="save-confirm"]').click()
    await page.waitForFunction(() => /saved|failed/.test((window as unknown as Win).noraViewer.state().status), null, { timeout: 30_000 })
    const status = (await page.evaluate(() => (window as unknown as Win).noraViewer.state().status)) as string
    expect(status).toContain('saved')
    const saved = join(studyDir, 'rois', 'ball_eroded.nii.gz')
    expect(existsSync(saved)).toBe(true)
    const savedCheck = pythonJson(
      `
import sys, json, numpy as np, nibabel as nib
ref = nib.load(sys.argv[1]); roi = nib.load(sys.argv[2])
print(json.dumps({'same': roi.shape == ref.shape[:3] and bool(np.allclose(roi.affine, ref.affine, atol=1e-5)), 'count': int((np.asarray(roi.dataobj) > 0).sum())}))
`,
      imagePath,
      saved,
    )
    expect(savedCheck).toEqual({ same: true, count: eroded.after })
    // The file tree reloads (nora:table-changed) and lists the saved ROI.
    await page.locator('#file-tree [data-nora-name="ball_eroded.nii.gz"]').waitFor({ timeout: 30_000 })
    // A saved ROI offers its DICOM SEG; this image was never DICOM, so the server says there is no series to reference.
    const seg = panel.locator('[data-roi-action="seg"]')
    expect(await seg.getAttribute('href')).toBe('/api/projects/ROIS/studies/P1/S1/rois/ball_eroded/seg')
    const segAnswer = await page.request.get(`${url}${(await seg.getAttribute('href'))!.slice(1)}`) // the page's session
    expect(segAnswer.status()).toBe(404)
    expect(await segAnswer.text()).toContain('no kept DICOM series')
    await shot(page, '6-saved')
    writeFileSync(join(SHOTS, 'statistics.csv'), csv!)
    expect(errors).toEqual([])
    expect(readFileSync(file).length).toBeGreaterThan(0)
  }, 180_000)

  test('viewbar ⚙ → creation dialog: ROI by threshold; polygon, threshold pen, shift, focus, visibility; statistics of a resampled contrast', async () => {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } })
    const errors = collectErrors(page)
    const panel = await openBall(page, errors)

    // The image's viewbar ⚙: a new ROI by threshold at the window's lower limit (set to 50 here).
    const bar = page.locator('[data-viewport="1"] .viewbar').first()
    await bar.locator('.vb-min').fill('50')
    await bar.locator('.vb-min').dispatchEvent('change')
    await bar.locator('.vb-menu').click()
    await page.locator('.roi-item-menu [data-roi-menu="new"]').click()
    // The creation dialog offers the window's lower limit as the threshold.
    expect(Number(await panel.locator('[data-roi="create-threshold"]').inputValue())).toBe(50)
    await panel.locator('[data-roi-create="threshold"]').click()
    await page.waitForFunction(() => (window as unknown as Win).noraViewer.roi.rois.length === 1)
    const thr = pythonJson(`
import sys, json, numpy as np, nibabel as nib
img = np.asarray(nib.load(sys.argv[1]).dataobj)
print(json.dumps({'n': int((img >= 50).sum())}))`, imagePath)
    expect(await voxels(page)).toBe(thr.n)
    await panel.locator('[data-roi-action="clear"]').click()
    expect(await voxels(page)).toBe(0)

    // Polygon, click by click, on slice 12: corners around voxels i 20..26, j 30..34; then the last corner is moved.
    await page.keyboard.press(' ')
    await panel.locator('[data-pen="type"]').selectOption('polygon')
    const corners = [[19.6, 29.6], [26.4, 29.6], [26.4, 34.4], [22, 40]]
    for (const [i, j] of corners) {
      const p = await mmOnPage(page, vox2mm([i!, j!, 12]))
      await page.mouse.click(p.x, p.y)
    }
    const from = await mmOnPage(page, vox2mm([22, 40, 12]))
    const to = await mmOnPage(page, vox2mm([19.6, 34.4, 12]))
    await page.mouse.move(from.x, from.y)
    await page.mouse.down()
    await page.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2)
    await page.mouse.move(to.x, to.y)
    await page.mouse.up()
    await shot(page, '7-polygon')
    await panel.locator('[data-roi-action="polygon-render"]').click()
    const poly = await mask(page)
    const want: number[] = []
    for (let j = 30; j <= 34; j++) for (let i = 20; i <= 26; i++) want.push(i + 64 * (j + 64 * 12))
    expect(poly).toEqual(want)

    // Shift held: the mouse navigates, nothing is drawn.
    await panel.locator('[data-pen="type"]').selectOption('brush')
    const elsewhere = await mmOnPage(page, vox2mm([10, 50, 12]))
    await page.keyboard.down('Shift')
    await page.mouse.click(elsewhere.x, elsewhere.y)
    await page.keyboard.up('Shift')
    expect(await voxels(page)).toBe(35)

    // Threshold pen "higher" than 50 (a number), 2D, radius 6 mm, centred on the ball's edge at (38, 40, 12).
    await panel.locator('[data-pen="type"]').selectOption('threshold')
    await panel.locator('[data-pen="radius"]').fill('6')
    await panel.locator('[data-pen="radius"]').dispatchEvent('change')
    await panel.locator('[data-pen="threshold"]').fill('50')
    await panel.locator('[data-pen="threshold"]').dispatchEvent('change')
    const edge = await mmOnPage(page, vox2mm([38, 40, 12]))
    await page.mouse.click(edge.x, edge.y)
    const pen = pythonJson(`
import sys, json, numpy as np, nibabel as nib
img = np.asarray(nib.load(sys.argv[1]).dataobj)
I, J = np.meshgrid(np.arange(64), np.arange(64), indexing='ij')
disc = (I - 38) ** 2 + (J - 40) ** 2 <= 36
print(json.dumps({'n': int((disc & (img[:, :, 12] >= 50)).sum())}))`, imagePath)
    expect(await voxels(page)).toBe(35 + pen.n)
    await page.keyboard.press(' ')

    // Focus: the crosshair goes to the centre of gravity (numpy on the mask, through the affine).
    const cog = pythonJson(`
import sys, json, numpy as np
idx = np.array(json.loads(sys.argv[1])); ijk = np.c_[idx % 64, (idx // 64) % 64, idx // 4096].mean(axis=0)
a = np.array(json.loads(sys.argv[2]))
print(json.dumps((a[:3, :3] @ ijk + a[:3, 3]).tolist()))`, JSON.stringify(await mask(page)), JSON.stringify(made.affine))
    await panel.locator('[data-roi-action="focus"]').click()
    const cross = await page.evaluate(() => {
      const nv = (window as unknown as Win).noraViewer.viewer.viewports[0].nv
      return Array.from(nv.frac2mm(nv.scene.crosshairPos)).slice(0, 3) as number[]
    })
    cross.forEach((v, a) => expect(v).toBeCloseTo(cog[a], 3))

    // Visibility: hidden in every viewport, then shown again.
    await panel.locator('[data-roi-action="visible"]').click()
    expect((await page.evaluate(() => (window as unknown as Win).noraViewer.state().viewports[0].items[1].hidden))).toBe(true)
    await panel.locator('[data-roi-action="visible"]').click()
    expect((await page.evaluate(() => (window as unknown as Win).noraViewer.state().viewports[0].items[1].hidden))).toBe(false)

    // Statistics with a second contrast on another grid, in viewport 2: resampled onto the ROI's grid (trilinear).
    await page.click('[data-layout-choice="2"]')
    await page.evaluate(() => (window as unknown as Win).noraViewer.load({ url: '/api/projects/ROIS/files/P1/S1/anat/low.nii.gz', name: 'low.nii.gz', viewport: 2 }))
    await page.evaluate(() => (window as unknown as Win).noraViewer.idle())
    await panel.locator('[data-roi-action="stats"]').click()
    const csv = (await page.locator('.roi-stats').getAttribute('data-csv'))!
    await shot(page, '8-statistics-two-contrasts')
    const lines = csv.trim().split('\n').map((l) => l.split(','))
    const cols = lines[0]!
    const low = lines.find((l) => l[cols.indexOf('contrast')] === 'low.nii.gz')!
    expect(low[cols.indexOf('resampled')]).toBe('true')
    const ref = pythonJson(`
import sys, json, numpy as np, nibabel as nib
from scipy import ndimage
ball = nib.load(sys.argv[1]); low = nib.load(sys.argv[2])
idx = np.array(json.loads(sys.argv[3])); ijk = np.c_[idx % 64, (idx // 64) % 64, idx // 4096].T
m = np.linalg.inv(low.affine) @ ball.affine
src = m[:3, :3] @ ijk + m[:3, 3:4]
v = ndimage.map_coordinates(np.asarray(low.dataobj, dtype=np.float64), src, order=1, mode='nearest')
print(json.dumps({'median': float(np.median(v)), 'p25': float(np.percentile(v, 25)), 'p75': float(np.percentile(v, 75)), 'mean': float(v.mean()), 'std': float(v.std()), 'n': int(v.size)}))`, imagePath, lowPath, JSON.stringify(await mask(page)))
    expect(Number(low[cols.indexOf('voxels')])).toBe(ref.n)
    for (const [name, key] of [['median', 'median'], ['iqr1 (p25)', 'p25'], ['iqr2 (p75)', 'p75'], ['mean', 'mean'], ['std', 'std']] as const) {
      expect(Math.abs(Number(low[cols.indexOf(name)]) - ref[key])).toBeLessThan(1e-3 * Math.max(1, Math.abs(ref[key])))
    }
    // A single-slice ROI has an area: voxels × 1 mm² in cm².
    expect(Number(low[cols.indexOf('area (cm²)')])).toBeCloseTo(ref.n / 100, 6)
    expect(errors).toEqual([])
  }, 180_000)
})
