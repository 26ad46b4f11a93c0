// Ctrl + left drag in a viewport turns the MPR planes (src/web/viewer/navigation/reformat.ts): NiiVue slices in world
// space and every volume gets W·A, W a rotation about the crosshair by 0.5° a pixel; Ctrl+Shift+drag moves; R resets.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { buildWeb } from '../../scripts/build-web'
import { startAppSite, projectWithFiles, studyFileUrl, type AppSite } from './fixture'

const NIB = '/usr/lib/python3/dist-packages/nibabel/tests/data'
const PW = 'long enough password 1'

type State = { affine: number[]; crosshair: number[]; sliceMM: boolean; matrix: number[] }

describe('viewer: Ctrl + left drag reformats the MPR planes', () => {
  let site: AppSite

  beforeAll(async () => {
    await buildWeb()
    site = await startAppSite({ password: PW, setup: projectWithFiles('MPR', [join(NIB, 'anatomical.nii')]) })
  }, 180_000)

  afterAll(async () => site?.close())

  test('a drag turns the volumes about the crosshair (rigid, 0.5° a pixel), the crosshair stays; R puts everything back', async () => {
    const { page, errors } = await site.page({ width: 1400, height: 900 })
    const fileUrl = await studyFileUrl(page, site.url, 'MPR', 'anatomical.nii')
    await page.evaluate((u) => (window as any).noraViewer.load({ url: u, name: 'anatomical.nii', viewport: 1 }), fileUrl)
    await page.evaluate(() => (window as any).noraViewer.idle())
    const state = () =>
      page.evaluate(() => {
        const vp = (window as any).noraViewer.viewer.viewports[0]
        const v = vp.nv.volumes[0]
        return {
          affine: (v.hdr.affine as number[][]).flat(),
          crosshair: Array.from(vp.nv.frac2mm(vp.nv.scene.crosshairPos) as number[]).slice(0, 3),
          sliceMM: Boolean(vp.nv.opts.isSliceMM),
          matrix: vp.reformat.matrix,
        }
      }) as Promise<State>
    const before = await state()
    const box = (await page.locator('canvas').first().boundingBox())!
    const [x, y] = [box.x + box.width / 2, box.y + box.height / 2]
    await page.keyboard.down('Control')
    await page.mouse.move(x, y)
    await page.mouse.down()
    await page.mouse.move(x + 20, y, { steps: 2 })
    await page.mouse.move(x + 40, y, { steps: 2 })
    await page.mouse.up()
    await page.keyboard.up('Control')
    await page.waitForFunction(() => (window as any).noraViewer.viewer.viewports[0].nv.opts.isSliceMM === true)
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))))
    const turned = await state()
    expect(turned.sliceMM).toBe(true)
    // W = the affine shown · A⁻¹: its linear part a rotation of 20° (40 px) about one world axis
    const W = turned.matrix
    const L = [W[0]!, W[1]!, W[2]!, W[4]!, W[5]!, W[6]!, W[8]!, W[9]!, W[10]!]
    const trace = L[0]! + L[4]! + L[8]!
    expect(Math.acos((trace - 1) / 2) * (180 / Math.PI)).toBeCloseTo(20, 4)
    for (let c = 0; c < 3; c++) expect(Math.hypot(L[c]!, L[3 + c]!, L[6 + c]!)).toBeCloseTo(1, 9)
    // the volume's affine is W·A as loaded
    for (let r = 0; r < 3; r++)
      for (let c = 0; c < 4; c++) {
        const want = [0, 1, 2, 3].reduce((s, k) => s + W[r * 4 + k]! * before.affine[k * 4 + c]!, 0)
        expect(Math.abs(turned.affine[r * 4 + c]! - want)).toBeLessThan(1e-3)
      }
    // the centre of rotation is the crosshair: it did not move (NiiVue's ctrl-click did not set it either)
    turned.crosshair.forEach((v, i) => expect(Math.abs(v - before.crosshair[i]!)).toBeLessThan(1e-3))
    await page.keyboard.press('r')
    const reset = await state()
    expect(reset.sliceMM).toBe(before.sliceMM)
    reset.affine.forEach((v, i) => expect(v).toBeCloseTo(before.affine[i]!, 6))
    expect(reset.matrix).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])
    reset.crosshair.forEach((v, i) => expect(Math.abs(v - before.crosshair[i]!)).toBeLessThan(1e-3))
    expect(errors).toEqual([])
    await page.close()
  }, 180_000)
  test('the viewports are linked: a drag in one turns the planes of the other; the crosshair shows in the turned frame and the images\' world', async () => {
    const { page, errors } = await site.page({ width: 1400, height: 900 })
    const fileUrl = await studyFileUrl(page, site.url, 'MPR', 'anatomical.nii')
    for (const viewport of [1, 2]) await page.evaluate(({ u, viewport }) => (window as any).noraViewer.load({ url: u, name: 'anatomical.nii', viewport }), { u: fileUrl, viewport })
    await page.evaluate(() => (window as any).noraViewer.idle())
    const affines = () => page.evaluate(() => (window as any).noraViewer.viewer.viewports.slice(0, 2).map((vp: any) => (vp.nv.volumes[0].hdr.affine as number[][]).flat()))
    const before = (await affines()) as number[][]
    const box = (await page.locator('canvas').first().boundingBox())!
    const [x, y] = [box.x + box.width / 2, box.y + box.height / 2]
    await page.keyboard.down('Control')
    await page.mouse.move(x, y)
    await page.mouse.down()
    await page.mouse.move(x + 30, y + 10, { steps: 3 })
    await page.mouse.up()
    await page.keyboard.up('Control')
    await page.waitForFunction(() => (window as any).noraViewer.viewer.viewports[1].nv.opts.isSliceMM === true)
    const W = (await page.evaluate(() => (window as any).noraViewer.viewer.viewports[1].reformat.matrix)) as number[]
    expect(W.some((v, i) => Math.abs(v - [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1][i]!) > 1e-3)).toBe(true)
    const after = (await affines()) as number[][]
    for (const v of [0, 1])
      for (let r = 0; r < 3; r++)
        for (let c = 0; c < 4; c++) {
          const want = [0, 1, 2, 3].reduce((s, k) => s + W[r * 4 + k]! * before[v]![k * 4 + c]!, 0)
          expect(Math.abs(after[v]![r * 4 + c]! - want)).toBeLessThan(1e-3)
        }
    // the readout: the crosshair in the turned frame, and W⁻¹ of it in the images' world
    const c = await page.evaluate(() => (window as any).noraViewer.viewer.viewports[1].reformat.coordinates())
    const back = [0, 1, 2].map((r) => [0, 1, 2].reduce((s, k) => s + W[k * 4 + r]! * (c.shown[k] - W[k * 4 + 3]!), 0)) // Wᵀ (x - t): W is rigid
    back.forEach((v, i) => expect(Math.abs(v - c.world[i])).toBeLessThan(1e-3))
    await page.waitForFunction(() => /turned frame .* image world/.test(document.querySelector('.viewport[data-viewport="2"] .vp-coords')?.textContent ?? ''))
    await page.keyboard.press('r')
    const reset = (await affines()) as number[][]
    reset.forEach((a, v) => a.forEach((x, i) => expect(x).toBeCloseTo(before[v]![i]!, 6)))
    expect(errors).toEqual([])
    await page.close()
  }, 180_000)
})
