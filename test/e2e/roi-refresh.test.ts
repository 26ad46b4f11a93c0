// The ROI layers' partial display refresh (only the box an edit changed is redrawn) must show exactly what NiiVue's
// full refresh shows. After each edit (dilate, erode, brush with the mouse, undo, redo; on the lower and the upper of
// two ROI layers, so blending over the layer below is covered) the test reads back the whole 3D overlay texture NiiVue
// composes the layers into, and the viewport's pixels (three planes through the edit), then refreshes the layers in
// full and reads both again: they must be equal byte for byte. The image's voxel axes are permuted and flipped
// against RAS, with anisotropic voxels, so the box's mapping to the background grid is exercised.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { assetPackStale, buildAssets } from '../../scripts/build-assets'
import { buildWeb } from '../../scripts/build-web'
import { pythonJson } from '../helpers/dicom-fixtures'
import { collectErrors, logIn } from './browser'
import { mmOnPage, serveWithChromium, shooter } from './fixture'

const PW = 'long enough password 1'
const shot = shooter('roi-refresh')

// 60×48×20 int16, voxel axes i -> +y (1.5 mm), j -> -x (1 mm), k -> +z (2 mm): a large ball of 100 and a small one of 200.
const MAKE_IMAGE = `
import sys, json, numpy as np, nibabel as nib
rng = np.random.default_rng(5)
img = rng.integers(0, 21, size=(60, 48, 20)).astype(np.int16)
aff = np.array([[0, -1.0, 0, 30], [1.5, 0, 0, -40], [0, 0, 2.0, -20], [0, 0, 0, 1]])
i, j, k = np.meshgrid(np.arange(60), np.arange(48), np.arange(20), indexing='ij')
big = ((i - 30) * 1.5) ** 2 + (j - 22) ** 2 + ((k - 10) * 2.0) ** 2 <= 12.0 ** 2
small = ((i - 20) * 1.5) ** 2 + (j - 30) ** 2 + ((k - 8) * 2.0) ** 2 <= 5.0 ** 2
img[big] = 100
img[small] = 200
nib.save(nib.Nifti1Image(img, aff), sys.argv[1])
print(json.dumps({'affine': aff.tolist()}))
`

type Win = { noraViewer: any; refreshCheck: any }

/** In the page: reads the overlay texture (every slice) and the canvas of viewport 1 (the three planes redrawn). */
const CAPTURE = () => {
  const w = window as unknown as Win
  w.refreshCheck ??= {
    capture() {
      const nv = w.noraViewer.viewer.viewports[0].nv
      const gl = nv.gl as WebGL2RenderingContext
      const dims = nv.back.dims as number[]
      const plane = dims[1]! * dims[2]! * 4
      const overlay = new Uint8Array(plane * dims[3]!)
      const fb = gl.createFramebuffer()
      gl.bindFramebuffer(gl.FRAMEBUFFER, fb)
      for (let z = 0; z < dims[3]!; z++) {
        gl.framebufferTextureLayer(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, nv.overlayTexture, 0, z)
        gl.readPixels(0, 0, dims[1]!, dims[2]!, gl.RGBA, gl.UNSIGNED_BYTE, overlay.subarray(z * plane, (z + 1) * plane))
      }
      gl.bindFramebuffer(gl.FRAMEBUFFER, null)
      gl.deleteFramebuffer(fb)
      nv.drawScene()
      const screen = new Uint8Array(gl.drawingBufferWidth * gl.drawingBufferHeight * 4)
      gl.readPixels(0, 0, gl.drawingBufferWidth, gl.drawingBufferHeight, gl.RGBA, gl.UNSIGNED_BYTE, screen)
      let set = 0
      for (let i = 3; i < overlay.length; i += 4) if (overlay[i]) set++
      let hash = 2166136261
      for (let i = 0; i < overlay.length; i++) hash = Math.imul(hash ^ overlay[i]!, 16777619) >>> 0
      return { overlay, screen, set, hash }
    },
    /** The partial refresh's result against a full refresh of the same masks: differing bytes, and what was used. */
    compare() {
      const tool = w.noraViewer.roi
      const vp = w.noraViewer.viewer.viewports[0]
      const how = tool.layers.lastRefresh.get(vp)
      const partial = this.capture()
      for (const roi of tool.rois) tool.layers.refresh(roi, true) // no box: NiiVue's full refresh of the layers
      const full = this.capture()
      const diff = (a: Uint8Array, b: Uint8Array) => {
        let n = a.length === b.length ? 0 : Infinity
        for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++
        return n
      }
      return { how, after: tool.layers.lastRefresh.get(vp), overlayDiff: diff(partial.overlay, full.overlay), screenDiff: diff(partial.screen, full.screen), overlayVoxels: full.set, hash: full.hash, bytes: full.overlay.length }
    },
  }
}

describe('ROI layers: partial display refresh in Chromium', () => {
  let browser: Browser
  let h: import('../integration/http/harness').Harness
  let url: string
  let stop: (() => Promise<void>) | undefined
  let made: { affine: number[][] }
  const vox2mm = (v: number[]) => made.affine.slice(0, 3).map((row) => row[0]! * v[0]! + row[1]! * v[1]! + row[2]! * v[2]! + row[3]!)

  beforeAll(async () => {
    await buildWeb()
    if (assetPackStale()) buildAssets()
    const { startApp } = await import('../integration/http/harness')
    h = await startApp('sqlite')
    const admin = await h.user('refresh-admin', PW, { siteAdmin: true })
    const project = await h.services.archive.createProject(admin, 'REFRESH')
    const dir = join(h.services.archive.projectDir(project), 'P1', 'S1', 'anat')
    mkdirSync(dir, { recursive: true })
    const imagePath = join(dir, 'balls.nii.gz')
    made = pythonJson(MAKE_IMAGE, imagePath)
    await h.services.archive.addFiles(admin, 'REFRESH', [imagePath])
    ;({ url, browser, close: stop } = await serveWithChromium(h))
  }, 180_000)

  afterAll(async () => {
    await (stop ? stop() : h?.close())
  })

  async function compare(page: Page, step: string) {
    const r = await page.evaluate(() => (window as unknown as Win).refreshCheck.compare())
    await shot(page, step)
    return { step, ...r }
  }

  /** Three planes through the big ball's centre, where the edits show. */
  const planes = (page: Page, type: 'sliceTypeMultiplanar' | 'sliceTypeAxial') =>
    page.evaluate(
      ([mm, t]) => {
        const nv = (window as unknown as Win).noraViewer.viewer.viewports[0].nv
        nv.setSliceType(nv[t as string])
        nv.scene.crosshairPos = nv.mm2frac(mm)
        nv.drawScene()
      },
      [vox2mm([30, 22, 10]), type] as const,
    )

  /** A brush stroke with the mouse on the current ROI, across the big ball in the axial plane (edit mode on, then off). */
  async function brush(page: Page) {
    await planes(page, 'sliceTypeAxial')
    await page.keyboard.press(' ')
    const from = await mmOnPage(page, vox2mm([24, 14, 10]))
    const to = await mmOnPage(page, vox2mm([40, 34, 10]))
    const before = await page.evaluate(() => (window as unknown as Win).noraViewer.roi.current().voxels as number)
    await page.mouse.move(from.x, from.y)
    await page.mouse.down()
    for (let s = 1; s <= 6; s++) await page.mouse.move(from.x + ((to.x - from.x) * s) / 6, from.y + ((to.y - from.y) * s) / 6)
    await page.mouse.up()
    await page.keyboard.press(' ')
    expect(await page.evaluate(() => (window as unknown as Win).noraViewer.roi.current().voxels as number)).toBeGreaterThan(before)
    await planes(page, 'sliceTypeMultiplanar')
  }

  test('dilate, erode, brush, undo and redo redraw only their box and show what a full refresh shows', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } })
    const errors = collectErrors(page)
    await logIn(page, url, 'refresh-admin', PW)
    await page.goto(`${url}?project=REFRESH`)
    await page.waitForFunction(() => !!(window as unknown as Win).noraViewer, null, { timeout: 90_000 })
    await page.click('#table-body tr.study')
    await page.locator('#file-tree [data-nora-name="balls.nii.gz"]').dblclick()
    await page.waitForFunction(() => (window as unknown as Win).noraViewer.state().viewports[0].volumes.length === 1)
    await page.evaluate(() => (window as unknown as Win).noraViewer.idle())
    await page.click('[data-layout-choice="1"]')
    await page.click('[data-tool="roi"]')
    await page.locator('[data-pen="radius"]').fill('3')
    await page.locator('[data-pen="radius"]').dispatchEvent('change')
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur()) // keys go to the desktop, not the field
    await page.evaluate(CAPTURE)
    const create = (at: number) =>
      page.evaluate(async (a) => {
        const tool = (window as unknown as Win).noraViewer.roi
        await tool.create(tool.defaultImage(), 'threshold', a)
      }, at)
    const op = (roi: number, name: string) =>
      page.evaluate(([id, o]) => {
        const tool = (window as unknown as Win).noraViewer.roi
        tool.operation(tool.byId(id), o)
      }, [roi, name] as const)

    // One ROI (both balls, by threshold): one layer on the image's grid, looked up voxel by voxel.
    await create(90)
    await page.waitForFunction(() => (window as unknown as Win).noraViewer.state().viewports[0].items.length === 2)
    await planes(page, 'sliceTypeMultiplanar')
    const one = [await compare(page, 'a0-one-roi')]
    const [lower] = await page.evaluate(() => (window as unknown as Win).noraViewer.roi.rois.map((r: { id: number }) => r.id) as number[])
    await op(lower!, 'dilate')
    one.push(await compare(page, 'a1-dilate'))
    await op(lower!, 'erode')
    one.push(await compare(page, 'a2-erode'))
    await brush(page)
    one.push(await compare(page, 'a3-brush'))
    await page.keyboard.press('Control+z')
    one.push(await compare(page, 'a4-undo-brush'))
    await page.keyboard.press('Control+Shift+z')
    one.push(await compare(page, 'a5-redo-brush'))

    // A second ROI (the small ball) over it: the upper layer blends over the lower one, drawn by NiiVue's shader.
    await create(150)
    await page.waitForFunction(() => (window as unknown as Win).noraViewer.state().viewports[0].items.length === 3)
    await planes(page, 'sliceTypeMultiplanar')
    const two = [await compare(page, 'b0-two-rois')]
    const upper = await page.evaluate(() => (window as unknown as Win).noraViewer.roi.current().id as number)
    await op(upper, 'dilate')
    two.push(await compare(page, 'b1-dilate-upper'))
    await op(lower!, 'dilate')
    two.push(await compare(page, 'b2-dilate-lower'))
    await op(lower!, 'erode')
    two.push(await compare(page, 'b3-erode-lower'))
    await brush(page)
    two.push(await compare(page, 'b4-brush-upper'))
    await page.keyboard.press('Control+z')
    two.push(await compare(page, 'b5-undo-brush'))
    await page.keyboard.press('Control+z')
    two.push(await compare(page, 'b6-undo-erode'))
    await page.keyboard.press('Control+Shift+z')
    two.push(await compare(page, 'b7-redo-erode'))

    const results = [...one, ...two]
    console.error(results.map((r) => `${r.step}: ${r.how}, overlay ${r.hash.toString(16)}, ${r.overlayDiff}/${r.bytes} bytes differ (${r.overlayVoxels} voxels coloured), screen ${r.screenDiff} differ`).join('\n'))
    for (const r of results) {
      expect({ step: r.step, overlayDiff: r.overlayDiff, screenDiff: r.screenDiff }).toEqual({ step: r.step, overlayDiff: 0, screenDiff: 0 })
      expect({ step: r.step, after: r.after }).toEqual({ step: r.step, after: 'full' })
      expect(r.overlayVoxels).toBeGreaterThan(0)
    }
    // Every edit took its partial path (the first capture of each part follows a layer's loading: a full refresh).
    const how = (rs: typeof results) => rs.slice(1).map((r) => [r.step, r.how])
    expect(how(one)).toEqual(one.slice(1).map((r) => [r.step, 'lookup']))
    expect(how(two)).toEqual(two.slice(1).map((r) => [r.step, 'shader']))
    // The edits changed what shows (the comparison is not of a frozen display), and undo/redo bring back earlier ones.
    const h1 = one.map((r) => r.hash)
    expect(new Set(h1).size).toBe(4)
    expect([h1[4], h1[5]]).toEqual([h1[2], h1[3]])
    const h2 = two.map((r) => r.hash)
    expect(new Set(h2).size).toBe(5)
    expect([h2[5], h2[6], h2[7]]).toEqual([h2[3], h2[2], h2[3]])
    expect(errors).toEqual([])
  }, 300_000)
})
