// The Navigation tool in Chromium: the 12 numeric fields move the image on screen (NiiVue's affine, nothing
// resampled), APPLY writes a new file whose header affine nibabel reads as the matrix numpy builds independently from
// the same parameters (voxels byte for byte the same); a Ctrl + drag on the yellow symbol translates; two displacement
// markers APPLY as a warped image and a field that match numpy's Gaussian markers and scipy's map_coordinates.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { assetPackStale, buildAssets } from '../../scripts/build-assets'
import { buildWeb } from '../../scripts/build-web'
import { mmOnPage, projectWithFiles, shooter, startAppSite, studyFileUrl, type AppSite } from './fixture'
import { pythonJson } from '../helpers/dicom-fixtures'

const PW = 'long enough password 1'
const shot = shooter('navigation', { fullPage: false })

// An oblique float image with smooth values in [0, 1] (sform = qform).
const MAKE = `
import sys, json, numpy as np, nibabel as nib
a = np.radians(15)
rz = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
aff = np.eye(4); aff[:3, :3] = rz @ np.diag([2.0, 2.0, 2.5]); aff[:3, 3] = [-40, -38, -30]
i, j, k = np.meshgrid(np.arange(40), np.arange(38), np.arange(24), indexing='ij')
img = (0.5 + 0.25 * np.sin(i / 4.0) * np.cos(j / 5.0) + 0.2 * np.sin(k / 6.0)).astype(np.float32)
nii = nib.Nifti1Image(img, aff); nii.set_qform(aff, code=1); nii.set_sform(aff, code=1)
nib.save(nii, sys.argv[1])
print(json.dumps({'ok': True}))
`

// The written header against numpy's own M = T · C · Rx · Ry · Rz · C⁻¹ (degrees, right-handed) times the original.
const CHECK_AFFINE = `
import sys, json, numpy as np, nibabel as nib
src, out = nib.load(sys.argv[1]), nib.load(sys.argv[2])
p = json.loads(sys.argv[3])
t, r, c = p['translate'], np.radians(p['rotate']), p['centre']
def T(v): m = np.eye(4); m[:3, 3] = v; return m
def R(axis, ang):
    m = np.eye(4); cs, sn = np.cos(ang), np.sin(ang)
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    m[i, i] = cs; m[j, j] = cs; m[i, j] = -sn; m[j, i] = sn
    return m
M = T(t) @ T(c) @ R(0, r[0]) @ R(1, r[1]) @ R(2, r[2]) @ T(-np.array(c))
want = M @ src.affine
print(json.dumps({'got': out.affine.tolist(), 'want': want.tolist(), 'sform': int(out.get_sform(coded=True)[1]), 'qform': out.get_qform(coded=True)[0].tolist() if out.get_qform(coded=True)[0] is not None else None,
  'same_voxels': bool(np.array_equal(np.asanyarray(src.dataobj), np.asanyarray(out.dataobj))), 'M': M.tolist()}))
`

// The field against numpy's Gaussian markers (pull-back: u(x) = -d exp(-|x - (c + d)|² / 2σ²), summed; the file
// holds LPS), and the warped image against scipy.ndimage.map_coordinates of the source at x + u(x).
const CHECK_WARP = `
import sys, json, numpy as np, nibabel as nib
from scipy.ndimage import map_coordinates
src, out, fld = nib.load(sys.argv[1]), nib.load(sys.argv[2]), nib.load(sys.argv[3])
markers = json.loads(sys.argv[4])
data = np.asanyarray(src.dataobj).astype(np.float64)
shape = out.shape[:3]
ijk = np.stack(np.meshgrid(*[np.arange(n) for n in shape], indexing='ij'), -1).reshape(-1, 3)
x = nib.affines.apply_affine(out.affine, ijk)
u = np.zeros_like(x)
for m in markers:
    c, d, s = np.array(m['centre']), np.array(m['vector']), m['sigma']
    g = np.exp(-np.sum((x - (c + d)) ** 2, 1) / (2 * s * s))
    u -= d[None, :] * g[:, None]
f = np.asanyarray(fld.dataobj)[:, :, :, 0, :].reshape(-1, 3) * np.array([-1, -1, 1])
field_err = float(np.max(np.abs(f - u)))
pts = nib.affines.apply_affine(np.linalg.inv(src.affine), x + f)
inside = np.all((pts >= 0) & (pts <= np.array(data.shape) - 1), 1)
ref = map_coordinates(data, pts.T, order=1, mode='nearest')
got = np.asanyarray(out.dataobj).reshape(-1)
print(json.dumps({'field_err': field_err, 'max_u': float(np.max(np.abs(u))), 'warp_err': float(np.max(np.abs(got[inside] - ref[inside]))), 'inside': int(inside.sum()),
  'intent': int(fld.header['intent_code']), 'dims': [int(v) for v in fld.header['dim'][1:6]], 'moved': float(np.max(np.abs(got[inside] - data.reshape(-1)[inside]))) if got.size == data.size else None}))
`

type Win = { noraViewer: any; noraNavigation: any }

async function setField(page: Page, sel: string, value: number) {
  await page.fill(sel, String(value))
  await page.dispatchEvent(sel, 'change')
}

describe('viewer: the Navigation tool', () => {
  let site: AppSite
  let dir: string
  let projectDir: string

  beforeAll(async () => {
    await buildWeb()
    if (assetPackStale()) buildAssets()
    dir = mkdtempSync(join(tmpdir(), 'nora-nav-'))
    pythonJson(MAKE, join(dir, 'moving.nii.gz'))
    site = await startAppSite({ password: PW, setup: projectWithFiles('NAV', [join(dir, 'moving.nii.gz')]) })
    const p = await site.services.repos.projects.byName('NAV')
    projectDir = site.services.archive.projectDir(p!)
  }, 240_000)

  afterAll(async () => {
    await site?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  test('numeric fields move the image on screen; APPLY as a new file writes M · A into the header (nibabel = numpy), voxels untouched', async () => {
    const { page, errors } = await site.page({ width: 1280, height: 800 })
    const url = await studyFileUrl(page, site.url, 'NAV', 'moving.nii.gz')
    await page.evaluate((u) => (window as unknown as Win).noraViewer.load({ url: u, name: 'moving.nii.gz', viewport: 1 }), url)
    await page.evaluate(() => (window as unknown as Win).noraViewer.idle())
    const loaded = await page.evaluate(() => ((window as unknown as Win).noraViewer.viewer.viewports[0].nv.volumes[0].hdr.affine as number[][]).flat())
    await page.click('.tool-bar [data-tool="navigation"]')
    await page.waitForSelector('[data-tool-panel="navigation"] [data-nav-param="translate-0"]')
    const centre: number[] = await page.evaluate(() => (window as unknown as Win).noraNavigation.tool.centre)
    const params = { translate: [5, -3, 2.5], rotate: [10, -5, 20] }
    for (let a = 0; a < 3; a++) {
      await setField(page, `[data-nav-param="translate-${a}"]`, params.translate[a]!)
      await setField(page, `[data-nav-param="rotate-${a}"]`, params.rotate[a]!)
    }
    // the display: NiiVue's affine of the moving volume is M · A (no resampling), the fields read back what was typed
    const expected = pythonJson(CHECK_AFFINE.replace("src, out = nib.load(sys.argv[1]), nib.load(sys.argv[2])", 'src = out = nib.load(sys.argv[1])'), join(projectDir, 'P1', 'S1', 'anat', 'moving.nii.gz'), '', JSON.stringify({ ...params, centre }))
    await page.waitForFunction(
      (want) => {
        const a = ((window as unknown as Win).noraViewer.viewer.viewports[0].nv.volumes[0].hdr.affine as number[][]).flat()
        return want.every((x: number, i: number) => Math.abs(x - a[i]!) < 1e-3)
      },
      (expected.want as number[][]).flat(),
    )
    expect(await page.inputValue('[data-nav-param="rotate-2"]')).toBe('20')
    await shot(page, 'navigation-1280x800')
    // APPLY: a new file beside the image
    await page.fill('[data-nav-suffix]', '_aligned')
    await page.click('[data-nav-action="apply"]')
    await page.waitForFunction(() => /moving_aligned\.nii\.gz \(header\)/.test(document.querySelector('[data-nav-status]')?.textContent ?? ''), undefined, { timeout: 60_000 })
    const written = join(projectDir, 'P1', 'S1', 'anat', 'moving_aligned.nii.gz')
    const r = pythonJson(CHECK_AFFINE, join(projectDir, 'P1', 'S1', 'anat', 'moving.nii.gz'), written, JSON.stringify({ ...params, centre }))
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expect(Math.abs(r.got[i][j] - r.want[i][j])).toBeLessThan(1e-4)
    expect(r.same_voxels).toBe(true)
    expect(r.qform).not.toBeNull() // rigid: the qform holds it too
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expect(Math.abs(r.qform[i][j] - r.want[i][j])).toBeLessThan(1e-3)
    // provenance sidecar, and the file registered (the file tree lists it)
    const side = JSON.parse(readFileSync(join(projectDir, 'P1', 'S1', 'anat', 'moving_aligned.transform.json'), 'utf8'))
    expect(side).toMatchObject({ source: 'P1/S1/anat/moving.nii.gz', output: 'P1/S1/anat/moving_aligned.nii.gz', mode: 'header', user: 'ann', tool: 'nora Navigation tool' })
    side.matrix.flat().forEach((x: number, i: number) => expect(Math.abs(x - r.M.flat()[i])).toBeLessThan(1e-9))
    await page.waitForSelector('#file-tree [data-nora-name="moving_aligned.nii.gz"]', { timeout: 30_000 })
    // the original file is untouched
    const orig = pythonJson(CHECK_AFFINE, join(projectDir, 'P1', 'S1', 'anat', 'moving.nii.gz'), join(projectDir, 'P1', 'S1', 'anat', 'moving.nii.gz'), JSON.stringify({ translate: [0, 0, 0], rotate: [0, 0, 0], centre: [0, 0, 0] }))
    orig.got.flat().forEach((x: number, i: number) => expect(Math.abs(x - loaded[i]!)).toBeLessThan(1e-3))

    // a drag's fast frames (no texture upload: NiiVue's slices read the background through its frac2mm; the scene's
    // box set from its corners) draw the same pixels as a full upload
    const pixels = await page.evaluate(() => {
      const w = window as unknown as Win
      const vp = w.noraViewer.viewer.viewports[0]
      const gl = vp.nv.gl as WebGL2RenderingContext
      const grab = () => {
        vp.nv.drawScene()
        const px = new Uint8Array(gl.drawingBufferWidth * gl.drawingBufferHeight * 4)
        gl.readPixels(0, 0, gl.drawingBufferWidth, gl.drawingBufferHeight, gl.RGBA, gl.UNSIGNED_BYTE, px)
        return px
      }
      const nav = w.noraNavigation
      let uploads = 0
      const upload = vp.nv.updateGLVolume
      vp.nv.updateGLVolume = function (this: unknown) {
        uploads++
        return upload.call(this)
      }
      nav.display.dragging = true
      nav.tool.params.rotate[2] = 27
      nav.tool.params.translate[0] = 9
      nav.tool.applyNow()
      const fastUploads = uploads
      const fast = grab()
      nav.display.dragging = false
      nav.tool.applyNow()
      const fullUploads = uploads - fastUploads
      vp.nv.updateGLVolume = upload
      const full = grab()
      let differ = 0
      for (let i = 0; i < fast.length; i++) if (Math.abs(fast[i]! - full[i]!) > 2) differ++
      return { differ, lit: full.filter((x) => x > 40).length, fastUploads, fullUploads }
    })
    expect(pixels.fastUploads).toBe(0)
    expect(pixels.fullUploads).toBe(1)
    expect(pixels.lit).toBeGreaterThan(1000)
    expect(pixels.differ).toBe(0)
    // Ctrl + drag on the symbol's centre translates in the tile's plane (axial: x and y), the fields follow
    await page.click('[data-nav-action="reset"]')
    await page.waitForFunction(() => (window as unknown as Win).noraNavigation.tool.params.translate.every((x: number) => x === 0))
    const pos = await mmOnPage(page, await page.evaluate(() => Array.from((window as unknown as Win).noraNavigation.tool.symbolWorld() as number[])))
    await page.keyboard.down('Control')
    await page.mouse.move(pos.x, pos.y)
    await page.mouse.down()
    await page.mouse.move(pos.x + 15, pos.y, { steps: 3 })
    await page.mouse.move(pos.x + 30, pos.y - 20, { steps: 3 })
    await page.mouse.up()
    await page.keyboard.up('Control')
    const moved: { translate: number[]; rotate: number[] } = await page.evaluate(() => (window as unknown as Win).noraNavigation.tool.params)
    expect(moved.translate[0]).toBeGreaterThan(2) // right on screen = +x (R)
    expect(moved.translate[1]).toBeGreaterThan(1) // up on screen = +y (A)
    expect(Math.abs(moved.translate[2]!)).toBeLessThan(1e-6)
    moved.rotate.forEach((x) => expect(Math.abs(x)).toBeLessThan(1e-9))
    expect(Number(await page.inputValue('[data-nav-param="translate-0"]'))).toBeCloseTo(moved.translate[0]!, 3)
    // the reformat did not take the drag: the planes are not turned
    expect(await page.evaluate(() => (window as unknown as Win).noraViewer.viewer.viewports[0].reformat.active)).toBe(false)
    await page.click('[data-nav-action="reset"]')
    expect(errors).toEqual([])
    await page.close()
  }, 240_000)

  test('two displacement markers: APPLY writes the warped image and the field; numpy and scipy.ndimage.map_coordinates agree', async () => {
    const { page, errors } = await site.page({ width: 1280, height: 800 })
    const url = await studyFileUrl(page, site.url, 'NAV', 'moving.nii.gz')
    await page.evaluate((u) => (window as unknown as Win).noraViewer.load({ url: u, name: 'moving.nii.gz', viewport: 1 }), url)
    await page.evaluate(() => (window as unknown as Win).noraViewer.idle())
    await page.click('.tool-bar [data-tool="navigation"]')
    await page.check('[data-nav-deform-enable]')
    const markers = [
      { centre: [-10, 0, -2], vector: [4, 2, 0], sigma: 8 },
      { centre: [12, 10, 5], vector: [-3, 0, 2.5], sigma: 6 },
    ]
    for (const [i, m] of markers.entries()) {
      // the crosshair at the marker's centre, then "add"; its displacement and size typed into its row
      await page.evaluate((mm) => {
        const nv = (window as unknown as Win).noraViewer.viewer.viewports[0].nv
        nv.scene.crosshairPos = nv.mm2frac(mm)
        nv.drawScene()
      }, m.centre)
      await page.click('[data-nav-action="add-marker"]')
      await page.waitForSelector(`[data-nav-marker="${i}"]`)
      const names = ['dx', 'dy', 'dz']
      for (let a = 0; a < 3; a++) await setField(page, `[data-nav-marker-field="${i}-${names[a]}"]`, m.vector[a]!)
      await setField(page, `[data-nav-marker-field="${i}-sigma"]`, m.sigma)
    }
    const placed: typeof markers = await page.evaluate(() => (window as unknown as Win).noraNavigation.tool.deform.markers)
    placed.forEach((m, i) => m.centre.forEach((x, a) => expect(Math.abs(x - markers[i]!.centre[a]!)).toBeLessThan(1e-3)))
    await shot(page, 'navigation-deformable-1280x800')
    await page.fill('[data-nav-suffix]', '_warped')
    await page.click('[data-nav-action="apply"]')
    await page.waitForFunction(() => /moving_warped\.nii\.gz \(warped\) \+ field/.test(document.querySelector('[data-nav-status]')?.textContent ?? ''), undefined, { timeout: 120_000 })
    const anat = join(projectDir, 'P1', 'S1', 'anat')
    expect(existsSync(join(anat, 'moving_warped_warp.nii.gz'))).toBe(true)
    const r = pythonJson(CHECK_WARP, join(anat, 'moving.nii.gz'), join(anat, 'moving_warped.nii.gz'), join(anat, 'moving_warped_warp.nii.gz'), JSON.stringify(placed))
    expect(r.intent).toBe(1007)
    expect(r.dims.slice(3)).toEqual([1, 3])
    expect(r.max_u).toBeGreaterThan(3) // the markers displace
    expect(r.field_err).toBeLessThan(1e-4)
    expect(r.inside).toBeGreaterThan(10_000)
    expect(r.warp_err).toBeLessThan(1e-4)
    expect(r.moved).toBeGreaterThan(0.01) // and the image did change
    const side = JSON.parse(readFileSync(join(anat, 'moving_warped.transform.json'), 'utf8'))
    expect(side.mode).toBe('warped')
    expect(side.warp.field).toBe('P1/S1/anat/moving_warped_warp.nii.gz')
    expect(side.warp.markers.length).toBe(2)
    // show warp: the moving volume's voxels in the viewer are the warped ones (as written), hide brings them back
    const voxels = () => page.evaluate(() => Array.from((window as unknown as Win).noraViewer.viewer.viewports[0].nv.volumes[0].img as Float32Array))
    const before = await voxels()
    await page.click('[data-nav-action="preview"]')
    await page.waitForSelector('[data-nav-action="preview"]:text("hide warp")')
    const warped = await voxels()
    const file = pythonJson(`
import sys, json, numpy as np, nibabel as nib
print(json.dumps(np.asanyarray(nib.load(sys.argv[1]).dataobj).reshape(-1, order='F').tolist()))
`, join(anat, 'moving_warped.nii.gz')) as number[]
    let maxDiff = 0
    for (let i = 0; i < file.length; i++) maxDiff = Math.max(maxDiff, Math.abs(file[i]! - warped[i]!))
    expect(maxDiff).toBeLessThan(1e-5)
    expect(warped.some((x, i) => Math.abs(x - before[i]!) > 0.01)).toBe(true)
    await page.click('[data-nav-action="preview"]')
    expect(await voxels()).toEqual(before)
    // dump: the markers go into the field and are cleared; a new one adds on top
    await page.click('[data-nav-action="dump"]')
    expect(await page.evaluate(() => (window as unknown as Win).noraNavigation.tool.deform.dumped.length)).toBe(2)
    expect(await page.locator('[data-nav-marker]').count()).toBe(0)
    expect(errors).toEqual([])
    await page.close()
  }, 240_000)
})
