import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { buildWeb } from '../../scripts/build-web'
import { startAppSite, projectWithFiles, studyFileUrl, type AppSite } from './fixture'

const NIB = '/usr/lib/python3/dist-packages/nibabel/tests/data'
const PW = 'long enough password 1'

type Summary = { voxels: number; written: number; maxDiff: number }

/**
 * The gradient texture of viewport `vp` (NiiVue's own read-back) against the gradient a fresh NiiVue instance without
 * the guard computes for the same file with the same illumination settings: how many RGBA values were ever written
 * (an unwritten texel reads back as -1) and the largest difference to the reference.
 */
const compareGradient = (page: Page, vp: number, url: string) =>
  page.evaluate(
    async ([vp, url]) => {
      const nv = (window as any).noraViewer.viewer.viewports[vp - 1].nv
      const got: Float32Array = nv.getGradientTextureData()
      const canvas = document.createElement('canvas')
      canvas.width = canvas.height = 64
      document.body.appendChild(canvas)
      const ref = new nv.constructor({ logLevel: 'error', loadingText: '' })
      await ref.attachToCanvas(canvas)
      await ref.setVolumeRenderIllumination(0.6)
      ref.addVolume(await nv.volumes[0].constructor.loadFromUrl({ url, name: 'ref.nii' }))
      const want: Float32Array = ref.getGradientTextureData()
      canvas.remove()
      let written = 0
      let maxDiff = 0
      for (let i = 0; i < got.length; i++) {
        if (got[i] !== -1) written++
        maxDiff = Math.max(maxDiff, Math.abs(got[i]! - want[i]!))
      }
      return { voxels: got.length / 4, written, maxDiff, same: got.length === want.length }
    },
    [vp, url] as const,
  ) as Promise<Summary & { same: boolean }>

/** src/web/viewer/gradient-guard.ts: no gradient while nothing reads it; NiiVue's exact gradient once something does. */
describe('viewer: the volume-rendering gradient is computed only when used', () => {
  let site: AppSite

  beforeAll(async () => {
    await buildWeb()
    site = await startAppSite({ password: PW, setup: projectWithFiles('GRAD', [join(NIB, 'anatomical.nii')]) })
  }, 120_000)

  afterAll(async () => site?.close())

  test('skipped on load; setVolumeRenderIllumination and setGradientOpacity get NiiVue’s own gradient', async () => {
    const { page, errors } = await site.page({ width: 1400, height: 900 })
    const fileUrl = await studyFileUrl(page, site.url, 'GRAD', 'anatomical.nii')
    await page.evaluate((u) => (window as any).noraViewer.load({ url: u, name: 'anatomical.nii', viewport: 1 }), fileUrl)
    await page.evaluate((u) => (window as any).noraViewer.load({ url: u, name: 'anatomical.nii', viewport: 2 }), fileUrl)
    await page.evaluate(() => (window as any).noraViewer.idle())

    // Loaded for 2D: NiiVue's gradient passes were skipped, the texture was never written.
    const skipped = await compareGradient(page, 1, fileUrl)
    expect(skipped.voxels).toBeGreaterThan(1000)
    expect(skipped.written).toBe(0)

    // Lit volume rendering asks for the gradient: it is there and equals the unguarded NiiVue's.
    await page.evaluate(() => (window as any).noraViewer.viewer.viewports[0].nv.setVolumeRenderIllumination(0.6))
    const lit = await compareGradient(page, 1, fileUrl)
    expect(lit.same).toBe(true)
    expect(lit.written).toBeGreaterThan(lit.voxels)
    expect(lit.maxDiff).toBeLessThan(0.02)

    // Gradient opacity without illumination (NiiVue does not refresh the layers then): computed by the guard.
    await page.evaluate(() => (window as any).noraViewer.viewer.viewports[1].nv.setGradientOpacity(0.5))
    const opaque = await compareGradient(page, 2, fileUrl)
    expect(opaque.written).toBeGreaterThan(opaque.voxels)
    expect(opaque.maxDiff).toBeLessThan(0.02)
    expect(errors).toEqual([])
    await page.close()
  }, 120_000)

  test('a load uploads the volume once and no zeros (src/web/viewer/zero-upload-guard.ts)', async () => {
    const { page, errors } = await site.page({ width: 1400, height: 900 })
    const fileUrl = await studyFileUrl(page, site.url, 'GRAD', 'anatomical.nii')
    // Every byte handed to texSubImage3D from here on, by the array type it came in.
    await page.evaluate(() => {
      const w = window as unknown as { uploaded: Record<string, number> }
      w.uploaded = {}
      const proto = WebGL2RenderingContext.prototype as unknown as Record<string, (...a: unknown[]) => unknown>
      const orig = proto.texSubImage3D!
      proto.texSubImage3D = function (this: unknown, ...a: unknown[]) {
        const data = a.find((x) => ArrayBuffer.isView(x)) as ArrayBufferView | undefined
        if (data) w.uploaded[data.constructor.name] = (w.uploaded[data.constructor.name] ?? 0) + data.byteLength
        return orig.apply(this, a)
      }
    })
    await page.evaluate((u) => (window as any).noraViewer.load({ url: u, name: 'anatomical.nii', viewport: 1 }), fileUrl)
    await page.evaluate(() => (window as any).noraViewer.idle())
    const [dims, uploaded] = await page.evaluate(() => [(window as any).noraViewer.state().viewports[0].volumes[0].dims as number[], (window as unknown as { uploaded: Record<string, number> }).uploaded] as const)
    const voxels = dims.reduce((a, b) => a * b, 1)
    // The int16 volume itself, once; NiiVue's zero-filled RGBA textures (4 bytes a voxel) are not sent.
    expect(uploaded.Int16Array).toBe(2 * voxels)
    expect(uploaded.Uint8Array ?? 0).toBeLessThan(voxels)
    expect(errors).toEqual([])
    await page.close()
  }, 120_000)
})
