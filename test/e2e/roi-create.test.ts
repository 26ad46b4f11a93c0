import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Locator, Page } from 'playwright-core'
import { assetPackStale, buildAssets } from '../../scripts/build-assets'
import { buildWeb } from '../../scripts/build-web'
import { REPO } from '../helpers/nora-binary'
import { mmOnPage, startAppSite, type AppSite } from './fixture'
import { pythonJson } from '../helpers/dicom-fixtures'

// The ROI tool's creation paths (an image dropped on the tool: a file of the file tree, a viewbar's hand ✋; the
// viewbar ⚙), renaming and saving under the new name, the polygon's live preview, undo of a morphology operation,
// and ROIs in the mosaic row; with real mouse events, at 1280×800 and 1920×1080 (screenshots in test-output).
const SHOTS = join(REPO, 'test-output', 'roi-create')
const PW = 'long enough password 1'

// 64x64x24, 1 x 1 x 2 mm, x flipped, offset: noise 0..20 and a ball of 90..110 (as in roi-tool.test.ts).
const MAKE_IMAGE = `
import sys, json, numpy as np, nibabel as nib
rng = np.random.default_rng(11)
img = rng.integers(0, 21, size=(64, 64, 24)).astype(np.int16)
aff = np.array([[-1.0, 0, 0, 40], [0, 1.0, 0, -30], [0, 0, 2.0, -20], [0, 0, 0, 1]])
i, j, k = np.meshgrid(np.arange(64), np.arange(64), np.arange(24), indexing='ij')
ball = ((i - 44) ** 2 + (j - 40) ** 2 + ((k - 12) * 2.0) ** 2) <= 7.0 ** 2
img[ball] = 90 + rng.integers(0, 21, size=int(ball.sum()))
nib.save(nib.Nifti1Image(img, aff), sys.argv[1])
print(json.dumps({'ball': int(ball.sum()), 'affine': aff.tolist()}))
`

/** numpy: voxels of the image at or above a threshold. */
const AT_LEAST = `
import sys, json, numpy as np, nibabel as nib
img = np.asarray(nib.load(sys.argv[1]).dataobj)
print(json.dumps({'n': int((img >= float(sys.argv[2])).sum())}))`

type Win = { noraViewer: any }
const SIZES = [
  { width: 1280, height: 800 },
  { width: 1920, height: 1080 },
]

describe('ROI creation, rename, polygon preview, undo of operations, mosaic (Chromium)', () => {
  let site: AppSite
  let studyDir: string
  let imagePath: string
  let made: { ball: number; affine: number[][] }
  const vox2mm = (v: number[]) => made.affine.slice(0, 3).map((row) => row[0]! * v[0]! + row[1]! * v[1]! + row[2]! * v[2]! + row[3]!)

  beforeAll(async () => {
    await buildWeb()
    if (assetPackStale()) buildAssets()
    site = await startAppSite({
      username: 'roi-maker',
      password: PW,
      setup: async (services, user) => {
        const project = await services.archive.createProject(user, 'ROIMAKE')
        studyDir = join(services.archive.projectDir(project), 'P7', 'S7')
        mkdirSync(join(studyDir, 'anat'), { recursive: true })
        imagePath = join(studyDir, 'anat', 'ball.nii.gz')
        made = pythonJson(MAKE_IMAGE, imagePath)
        await services.archive.addFiles(user, 'ROIMAKE', [imagePath])
      },
    })
  }, 180_000)

  afterAll(async () => {
    await site?.close()
  })

  async function shot(page: Page, name: string) {
    mkdirSync(SHOTS, { recursive: true })
    const { width, height } = page.viewportSize()!
    await page.screenshot({ path: join(SHOTS, `${width}x${height}-${name}.png`) })
  }

  /** Logs in, opens the study (its file tree) and the ROI tool, with nothing loaded in the viewer. */
  async function openStudy(page: Page, errors: string[]): Promise<Locator> {
    page.setDefaultTimeout(90_000)
    await page.goto(`${site.url}?project=ROIMAKE`)
    await page.waitForFunction(() => !!(window as unknown as Win).noraViewer, null, { timeout: 90_000 }).catch((e) => {
      throw new Error(`${e}; page errors: ${errors.join(' | ')}`)
    })
    await page.click('#table-body tr.study')
    await page.locator('#file-tree [data-nora-name="ball.nii.gz"]').waitFor()
    await page.click('[data-layout-choice="1"]')
    await page.click('[data-tool="roi"]')
    const panel = page.locator('[data-tool-panel="roi"]')
    await panel.waitFor({ state: 'visible' })
    return panel
  }

  /** Puts the crosshair (the axial slice) of viewport 1 on a voxel. */
  const goTo = (page: Page, v: number[]) =>
    page.evaluate((mm) => {
      const nv = (window as unknown as Win).noraViewer.viewer.viewports[0].nv
      nv.scene.crosshairPos = nv.mm2frac(mm)
      nv.drawScene()
    }, vox2mm(v))

  /** The page position of a voxel's centre in viewport 1 (NiiVue's own mm -> canvas mapping). */
  const onPage = (page: Page, v: number[]) => mmOnPage(page, vox2mm(v))

  const roiState = (page: Page) =>
    page.evaluate(() => {
      const t = (window as unknown as Win).noraViewer.roi
      const r = t.current()
      return { count: t.rois.length, name: r?.name as string, voxels: r?.voxels as number, dims: r?.grid.dims as number[], reference: r?.reference.path as string }
    })

  /** A hash of the current ROI's mask (FNV-1a over its bytes) and its set voxels, computed in the page. */
  const maskHash = (page: Page) =>
    page.evaluate(() => {
      const m: Uint8Array = (window as unknown as Win).noraViewer.roi.current().mask
      let h = 2166136261
      let n = 0
      for (let i = 0; i < m.length; i++) {
        h = Math.imul(h ^ m[i]!, 16777619) >>> 0
        n += m[i]!
      }
      return { h, n }
    })

  for (const size of SIZES) {
    test(`${size.width}×${size.height}: a file dragged from the file tree onto the ROI tool; rename; save as rois/NEWNAME.nii.gz`, async () => {
      const { page, errors } = await site.page(size)
      const panel = await openStudy(page, errors)

      // The file row dragged with the mouse onto the open tool: the image is loaded, and the creation dialog asks.
      const name = `lesion_${size.width}`
      await page.locator('#file-tree [data-nora-name="ball.nii.gz"]').dragTo(panel.locator('.roi-lists'))
      const dialog = panel.locator('.roi-create')
      await dialog.waitFor({ state: 'visible' })
      expect(await dialog.locator('[data-roi="create-title"]').textContent()).toBe('New ROI on ball.nii.gz (64×64×24):')
      // The threshold offered is the lower limit of the image's window as the viewbar shows it.
      const low = Number(await page.locator('[data-viewport="1"] .viewbar .vb-min').first().inputValue())
      expect(Number(await dialog.locator('[data-roi="create-threshold"]').inputValue())).toBeCloseTo(low, 2)
      await shot(page, '1-create-dialog')
      await dialog.locator('[data-roi-create="empty"]').click()
      await page.waitForFunction(() => (window as unknown as Win).noraViewer.state().viewports[0].items.length === 2)
      let s = await roiState(page)
      expect(s).toMatchObject({ count: 1, voxels: 0, dims: [64, 64, 24], reference: 'P7/S7/anat/ball.nii.gz' })
      expect(await dialog.isVisible()).toBe(false)
      // The image's viewbar has the hand; the ROI's has none (no ROI on an ROI) and its menu is ✎.
      const bars = page.locator('[data-viewport="1"] .viewbar')
      expect(await bars.nth(0).locator('.vb-hand').isVisible()).toBe(true)
      expect(await bars.nth(1).locator('.vb-hand').isVisible()).toBe(false)
      expect(await bars.nth(1).locator('.vb-menu').textContent()).toBe('✎')

      // Something to save: a brush disc on slice 12 (edit mode by the space key).
      await goTo(page, [32, 32, 12])
      await page.keyboard.press(' ')
      await panel.locator('[data-pen="radius"]').fill('3')
      await panel.locator('[data-pen="radius"]').dispatchEvent('change')
      const p = await onPage(page, [20, 24, 12])
      await page.mouse.click(p.x, p.y)
      const drawn = (await roiState(page)).voxels
      expect(drawn).toBeGreaterThan(20)
      await page.keyboard.press(' ')

      // Rename: a name the archive refuses stays refused (the old name is kept), then a good one.
      await panel.locator('[data-roi-action="rename"]').click()
      const input = panel.locator('[data-roi="rename"]')
      await input.fill('bad name/../x')
      await input.press('Enter')
      expect(await page.evaluate(() => (window as unknown as Win).noraViewer.state().status)).toContain('is not allowed')
      expect((await roiState(page)).name).toMatch(/^ROI \d+$/)
      await input.fill(`${name}.nii.gz`)
      await input.press('Enter')
      expect((await roiState(page)).name).toBe(name)
      expect(await panel.locator('[data-roi-action="rename"]').textContent()).toBe(name)
      // The viewbar of the ROI follows the name.
      expect(await page.locator('[data-viewport="1"] .viewbar .vb-name').nth(1).textContent()).toBe(`${name}.nii`)

      // Save: the name asked for is the new one; the file is rois/NEWNAME.nii.gz with the reference's geometry.
      await panel.locator('[data-roi-action="save"]').click()
      expect(await panel.locator('[data-roi="save-name"]').inputValue()).toBe(name)
      await shot(page, '2-renamed-save')
      await panel.locator('[data-roi-action="save-confirm"]').click()
      await page.waitForFunction(() => /saved|failed/.test((window as unknown as Win).noraViewer.state().status), null, { timeout: 60_000 })
      expect(await page.evaluate(() => (window as unknown as Win).noraViewer.state().status)).toContain('saved')
      const saved = join(studyDir, 'rois', `${name}.nii.gz`)
      expect(existsSync(saved)).toBe(true)
      const check = pythonJson(
        `
import sys, json, numpy as np, nibabel as nib
ref = nib.load(sys.argv[1]); roi = nib.load(sys.argv[2])
print(json.dumps({'shape': list(roi.shape), 'refShape': list(ref.shape), 'affine': bool(np.allclose(roi.affine, ref.affine, atol=1e-5)),
  'dtype': str(roi.get_data_dtype()), 'count': int((np.asarray(roi.dataobj) > 0).sum())}))`,
        imagePath,
        saved,
      )
      expect(check).toEqual({ shape: [64, 64, 24], refShape: [64, 64, 24], affine: true, dtype: 'uint8', count: drawn })
      const sidecar = JSON.parse(readFileSync(join(studyDir, 'rois', `${name}.json`), 'utf8'))
      expect(JSON.stringify(sidecar)).toContain('ball.nii.gz')
      await page.locator(`#file-tree [data-nora-name="${name}.nii.gz"]`).waitFor({ timeout: 30_000 })
      expect(errors).toEqual([])
      await page.close()
    }, 240_000)
  }

  test('the viewbar hand ✋ dragged onto the ROI tool button, and the ⚙ "New ROI…": the dialog, by threshold', async () => {
    const { page, errors } = await site.page(SIZES[0])
    const panel = await openStudy(page, errors)
    await page.locator('#file-tree [data-nora-name="ball.nii.gz"]').dblclick()
    await page.waitForFunction(() => (window as unknown as Win).noraViewer.state().viewports[0].volumes.length === 1)
    await page.evaluate(() => (window as unknown as Win).noraViewer.idle())
    const bar = page.locator('[data-viewport="1"] .viewbar').first()
    // Close the panel: the drop on the tool bar's ROI button opens it with the dialog.
    await page.click('[data-tool="roi"]')
    await panel.waitFor({ state: 'hidden' })
    await bar.locator('.vb-hand').dragTo(page.locator('[data-tool="roi"]'))
    const dialog = panel.locator('.roi-create')
    await dialog.waitFor({ state: 'visible' })
    await dialog.locator('[data-roi="create-threshold"]').fill('50')
    await shot(page, '3-hand-dropped')
    await dialog.locator('[data-roi-create="threshold"]').click()
    await page.waitForFunction(() => (window as unknown as Win).noraViewer.roi.rois.length === 1)
    expect((await roiState(page)).voxels).toBe(pythonJson(AT_LEAST, imagePath, '50').n)

    // The ⚙ of the image's viewbar: "New ROI…" opens the same dialog, its threshold the window's lower limit now.
    await bar.locator('.vb-min').fill('95')
    await bar.locator('.vb-min').dispatchEvent('change')
    await bar.locator('.vb-menu').click()
    await page.locator('.roi-item-menu [data-roi-menu="new"]').click()
    await dialog.waitFor({ state: 'visible' })
    expect(Number(await dialog.locator('[data-roi="create-threshold"]').inputValue())).toBe(95)
    await dialog.locator('[data-roi-create="threshold"]').click()
    await page.waitForFunction(() => (window as unknown as Win).noraViewer.roi.rois.length === 2)
    expect((await roiState(page)).voxels).toBe(pythonJson(AT_LEAST, imagePath, '95').n)
    expect(errors).toEqual([])
    await page.close()
  }, 240_000)

  for (const size of SIZES) {
    test(`${size.width}×${size.height}: polygon live preview, points moved, trash; undo of a dilation is exact; the mosaic row shows the ROI`, async () => {
      const { page, errors } = await site.page(size)
      const panel = await openStudy(page, errors)
      await page.locator('#file-tree [data-nora-name="ball.nii.gz"]').dblclick()
      await page.waitForFunction(() => (window as unknown as Win).noraViewer.state().viewports[0].volumes.length === 1)
      await page.evaluate(() => (window as unknown as Win).noraViewer.idle())
      await panel.locator('[data-roi-action="new"]').click()
      await page.waitForFunction(() => (window as unknown as Win).noraViewer.state().viewports[0].items.length === 2)
      await goTo(page, [32, 32, 12])

      // Polygon: two clicks, then the mouse hovers at a third place: the line to it shows before any click there.
      await page.keyboard.press(' ')
      await panel.locator('[data-pen="type"]').selectOption('polygon')
      const a = await onPage(page, [20, 20, 12])
      const b = await onPage(page, [30, 20, 12])
      const c = await onPage(page, [30, 30, 12])
      await page.mouse.click(a.x, a.y)
      await page.mouse.click(b.x, b.y)
      // The overlay's pixels halfway from b to c: empty while the mouse is elsewhere, the preview's line once it hovers at c.
      const mid = { x: (b.x + c.x) / 2, y: (b.y + c.y) / 2 }
      const overlayAt = (pt: { x: number; y: number }) =>
        page.evaluate((pt) => {
          const vp = (window as unknown as Win).noraViewer.viewer.viewports[0]
          const canvas = vp.element.querySelector('canvas.roi-overlay') as HTMLCanvasElement
          const r = canvas.getBoundingClientRect()
          const dpr = canvas.width / r.width
          const x = Math.round((pt.x - r.left) * dpr)
          const y = Math.round((pt.y - r.top) * dpr)
          const d = canvas.getContext('2d')!.getImageData(x - 2, y - 2, 5, 5).data
          let cyan = 0
          for (let i = 0; i < d.length; i += 4) if (d[i + 3]! > 60 && d[i + 2]! > 150 && d[i + 1]! > 120 && d[i]! < 120) cyan++
          return cyan
        }, pt)
      const far = await onPage(page, [5, 55, 12])
      await page.mouse.move(far.x, far.y)
      expect(await overlayAt(mid)).toBe(0)
      await page.mouse.move(c.x, c.y, { steps: 4 })
      const preview = await page.evaluate(() => (window as unknown as Win).noraViewer.roi.polygon.preview())
      expect(preview.points).toHaveLength(2)
      expect(preview.pointer.map(Math.round)).toEqual([30, 30])
      expect(await overlayAt(mid)).toBeGreaterThan(0)
      await shot(page, '4-polygon-preview')
      await page.mouse.click(c.x, c.y)
      // Moved afterwards: the second point dragged from (30, 20) to (34, 16).
      const to = await onPage(page, [34, 16, 12])
      await page.mouse.move(b.x, b.y)
      expect((await page.evaluate(() => (window as unknown as Win).noraViewer.roi.polygon.preview())).under).toBe(1)
      await page.mouse.down()
      await page.mouse.move(to.x, to.y, { steps: 5 })
      await page.mouse.up()
      const moved = await page.evaluate(() => (window as unknown as Win).noraViewer.roi.polygon.preview())
      expect(moved.points.map((p: number[]) => p.map(Math.round))).toEqual([[20, 20], [34, 16], [30, 30]])
      await shot(page, '5-polygon-moved')
      // Trash: the outline and its preview are gone.
      await panel.locator('[data-roi-action="polygon-trash"]').click()
      expect((await page.evaluate(() => (window as unknown as Win).noraViewer.roi.polygon.preview())).points).toEqual([])
      expect(await overlayAt(mid)).toBe(0)
      await page.keyboard.press(' ')

      // Undo after a morphology operation restores the mask exactly (and redo the dilated one): a threshold ROI.
      const bar = page.locator('[data-viewport="1"] .viewbar').first()
      await bar.locator('.vb-min').fill('50')
      await bar.locator('.vb-min').dispatchEvent('change')
      await bar.locator('.vb-menu').click()
      await page.locator('.roi-item-menu [data-roi-menu="new"]').click()
      await panel.locator('[data-roi-create="threshold"]').click()
      await page.waitForFunction(() => (window as unknown as Win).noraViewer.roi.rois.length === 2)
      const before = await maskHash(page)
      expect(before.n).toBe(pythonJson(AT_LEAST, imagePath, '50').n)
      await panel.locator('[data-roi="operation"]').selectOption('dilate')
      await panel.locator('[data-roi-action="apply-operation"]').click()
      const dilated = await maskHash(page)
      const scipy = pythonJson(
        `
import sys, json, numpy as np, nibabel as nib
from scipy import ndimage
img = np.asarray(nib.load(sys.argv[1]).dataobj)
print(json.dumps({'n': int(ndimage.binary_dilation(img >= 50, structure=ndimage.generate_binary_structure(3, 1)).sum())}))`,
        imagePath,
      )
      expect(dilated.n).toBe(scipy.n)
      expect((await roiState(page)).voxels).toBe(scipy.n)
      await page.keyboard.press('Control+z')
      expect(await maskHash(page)).toEqual(before)
      expect((await roiState(page)).voxels).toBe(before.n)
      await page.keyboard.press('Control+Shift+z')
      expect(await maskHash(page)).toEqual(dilated)

      // The mosaic row: the ROI shows there (its copy shares the mask), and an edit shows there too.
      await page.click('[data-mosaic-toggle]')
      await page.waitForFunction(() => {
        const v = (window as unknown as Win).noraViewer.viewer
        const t = (window as unknown as Win).noraViewer.roi
        const m = v.mosaicViewport
        return !!m && !m.element.hidden && t.rois.every((r: any) => m.items.some((i: any) => i.roi === r.id && i.volume?.img === r.mask))
      })
      /** Coloured (ROI) pixels of the mosaic row (the image is grey), read from its WebGL canvas right after a draw. */
      const mosaicColour = () =>
        page.evaluate(() => {
          const m = (window as unknown as Win).noraViewer.viewer.mosaicViewport
          m.nv.drawScene()
          const src = m.canvas as HTMLCanvasElement
          const c = document.createElement('canvas')
          ;[c.width, c.height] = [src.width, src.height]
          const g = c.getContext('2d')!
          g.drawImage(src, 0, 0)
          const d = g.getImageData(0, 0, c.width, c.height).data
          let n = 0
          for (let i = 0; i < d.length; i += 4) if (Math.max(d[i]!, d[i + 1]!, d[i + 2]!) - Math.min(d[i]!, d[i + 1]!, d[i + 2]!) > 60) n++
          return n
        })
      const frames = () => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))))
      await frames()
      const shown = await mosaicColour()
      await shot(page, '6-mosaic')
      // Clearing the dilated ROI (the current one) empties it in the mosaic; undo brings it back.
      await page.locator('[data-roi-id].is-current [data-roi-action="clear"]').click()
      await frames()
      const cleared = await mosaicColour()
      await page.keyboard.press('Control+z')
      await frames()
      const back = await mosaicColour()
      expect(shown - cleared).toBeGreaterThan(50)
      expect(Math.abs(back - shown)).toBeLessThan((shown - cleared) / 4)
      expect(errors).toEqual([])
      await page.close()
    }, 300_000)
  }
})
