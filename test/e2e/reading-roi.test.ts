// ROIs saved with a reading result, in Chromium: a reading with "tools": {"roi": 1}; the reader's case loads, the
// session panel lists the case's ROIs with "Draw ROI": it makes an ROI on the case's image with edit on and opens the
// ROI tool's pens below the session panel, which stays on screen; the reader brushes a disc (the session's list
// follows the voxel count) and submits from the same panel. The mask stored with the result (under the data root, not in the archive) is read by
// nibabel: the case image's grid and affine, and as many voxels as the ROI tool counted. The admin's results list
// shows the ROI with its voxel count, the download link returns the file byte for byte, "open" shows it in the viewer.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { assetPackStale, buildAssets } from '../../scripts/build-assets'
import { buildWeb } from '../../scripts/build-web'
import { pythonJson } from '../helpers/dicom-fixtures'
import { collectErrors, logIn } from './browser'
import { mmOnPage, serveWithChromium, shooter } from './fixture'

const PW = 'long enough password 1'
const P = 'RROI'
const shot = shooter('reading-roi', { fullPage: false })

// 40x40x12 voxels of 2 x 2 x 4 mm, centred: voxel (20, 20, 6) is at (0, 0, 0) mm.
const MAKE_IMAGE = `
import sys, json, numpy as np, nibabel as nib
i, j, k = np.meshgrid(np.arange(40), np.arange(40), np.arange(12), indexing='ij')
img = (100 + 30 * np.sin(i / 4.0) * np.cos(j / 5.0) + 2 * k).astype(np.float32)
aff = np.diag([2.0, 2.0, 4.0, 1.0]); aff[:3, 3] = [-40, -40, -24]
nii = nib.Nifti1Image(img, aff); nii.set_qform(aff, code=1); nii.set_sform(aff, code=1)
nib.save(nii, sys.argv[1])
print(json.dumps({'affine': aff.tolist()}))
`

// nibabel's view of a stored mask: shape, affine, non-zero voxels and their slices.
const READ_MASK = `
import sys, json, numpy as np, nibabel as nib
m = nib.load(sys.argv[1]); d = np.asanyarray(m.dataobj)
nz = np.nonzero(d)
print(json.dumps({'shape': list(d.shape), 'affine': m.affine.tolist(), 'count': int(np.count_nonzero(d)), 'slices': sorted(set(int(k) for k in nz[2]))}))
`

type Win = { noraViewer: any; noraReading: any }
const win = () => window as unknown as Win

describe('Reading tool: ROIs saved with the result (Chromium)', () => {
  let browser: Browser
  let h: import('../integration/http/harness').Harness
  let url: string
  let stop: (() => Promise<void>) | undefined
  let readingId = 0
  let drawn = 0
  const affine: number[][] = []

  beforeAll(async () => {
    await buildWeb()
    if (assetPackStale()) buildAssets()
    const [{ startApp }, { readingServiceOf }] = await Promise.all([import('../integration/http/harness'), import('../../src/app')])
    h = await startApp('sqlite', 'auth: { maxFailedLogins: 1000 }')
    const root = await h.user('root', PW, { siteAdmin: true })
    const project = await h.services.archive.createProject(root, P)
    const image = join(h.services.archive.projectDir(project), 'P1', 'S1', 'anat', 't1.nii.gz')
    mkdirSync(join(image, '..'), { recursive: true })
    affine.push(...pythonJson(MAKE_IMAGE, image).affine)
    const subject = await h.services.repos.subjects.ensureSubject(project.id, 'P1', { name: 'Name^P1' })
    await h.services.repos.subjects.ensureStudy(project.id, subject.id, 'S1', { studyDate: '20240101', description: 'MR' })
    await h.services.archive.addFiles(root, P, [image])
    for (const [name, right] of [['ann', 'admin'], ['bob', 'read']] as const) {
      const u = await h.user(name, PW)
      await h.services.repos.rights.grant(u.id, project.id, right)
    }
    const created = await readingServiceOf(h.services).create(root, P, {
      name: 'ROIS1',
      mode: 'individual',
      admins: ['ann'],
      readers: ['bob'],
      form: { type: 'basis', items: [{ type: 'radio', name: 'finding', options: ['lesion', 'none'], required: 1 }] },
      reading: {
        reading: { random: 'none', repetitions: 1 },
        tools: { roi: 1 },
        viewer: { layout: '1', sortOrder: 'patients_id', sortDirection: 'asc', autoloaders: [{ pattern: 'anat/t1.nii.gz', viewport: 1, as: 'background', colormap: 'gray' }] },
      },
    })
    readingId = created.id
    ;({ url, browser, close: stop } = await serveWithChromium(h))
  }, 240_000)

  afterAll(async () => {
    await (stop ? stop() : h?.close())
  })

  const vox2mm = (v: number[]) => affine.slice(0, 3).map((row) => row[0]! * v[0]! + row[1]! * v[1]! + row[2]! * v[2]! + row[3]!)

  async function open(user: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, acceptDownloads: true })
    const errors = collectErrors(page)
    await logIn(page, url, user, PW)
    await page.goto(`${url}?project=${P}`)
    await page.waitForFunction(() => !!(window as unknown as Win).noraViewer && !!(window as unknown as Win).noraReading, null, { timeout: 90_000 })
    await page.click('.tool-bar [data-tool="reading"]')
    await page.locator('[data-tool-panel="reading"] .reading-item').waitFor({ timeout: 60_000 })
    return { page, errors }
  }

  test('a reader brushes an ROI on the case with the ROI tool and submits it with the result', async () => {
    const { page, errors } = await open('bob')
    const reading = page.locator('[data-tool-panel="reading"]')
    await reading.locator('[data-reading-action="start-serious"]').click()
    await page.waitForSelector('[data-reading-progress="1/1"][data-reading-ready]', { timeout: 60_000 })
    const caseRois = reading.locator('[data-reading-rois]')
    expect(await caseRois.isVisible()).toBe(true)
    expect(await caseRois.locator('[data-reading-roi]').count()).toBe(0)
    await page.waitForFunction(() => (window as unknown as Win).noraViewer.state().viewports[0].items.length === 1)
    await page.evaluate(() => (window as unknown as Win).noraViewer.idle())
    // Slice k = 6 in the axial viewport, then "Draw ROI" in the session panel: a new ROI on the case's image, edit
    // on, the ROI tool's pens beside the session (both panels on screen), a 6 mm brush.
    await page.evaluate((mm) => {
      const nv = (window as unknown as Win).noraViewer.viewer.viewports[0].nv
      nv.scene.crosshairPos = nv.mm2frac(mm)
      nv.drawScene()
    }, vox2mm([20, 20, 6]))
    await caseRois.locator('[data-reading-action="draw-roi"]').click()
    const roiPanel = page.locator('[data-tool-panel="roi"]')
    await roiPanel.waitFor({ state: 'visible' })
    await page.waitForFunction(() => (window as unknown as Win).noraViewer.state().viewports[0].items.length === 2)
    expect(await roiPanel.locator('[data-roi-id] [data-roi="matrix"]').textContent()).toBe('40×40×12')
    expect(await page.evaluate(() => (window as unknown as Win).noraViewer.roi.editing())).toBe(true)
    expect(await reading.isVisible()).toBe(true)
    expect(await page.getAttribute('.tool-bar [data-tool="reading"]', 'aria-pressed')).toBe('true')
    expect(await page.getAttribute('.tool-bar [data-tool="roi"]', 'aria-pressed')).toBe('true')
    // Stacked: the session above the pens, each with its own height.
    const [rb, pb] = [await reading.boundingBox(), await roiPanel.boundingBox()]
    expect(rb!.height).toBeGreaterThan(150)
    expect(pb!.height).toBeGreaterThan(150)
    expect(pb!.y).toBeGreaterThanOrEqual(rb!.y + rb!.height - 1)
    await caseRois.locator('[data-reading-roi="ROI 1"]').waitFor()
    await roiPanel.locator('[data-pen="radius"]').fill('6')
    await roiPanel.locator('[data-pen="radius"]').dispatchEvent('change')
    const at = await mmOnPage(page, vox2mm([14, 22, 6]))
    await page.mouse.move(at.x, at.y)
    await page.mouse.down()
    await page.mouse.up()
    await page.waitForFunction(() => ((window as unknown as Win).noraViewer.roi.current()?.voxels ?? 0) > 0)
    drawn = await page.evaluate(() => (window as unknown as Win).noraViewer.roi.current().voxels as number)
    expect(drawn).toBeGreaterThan(5)
    // The session's list follows the ROI tool's count.
    await page.waitForFunction((n) => document.querySelector('[data-reading-roi="ROI 1"] [data-roi-voxels]')?.getAttribute('data-roi-voxels') === String(n), drawn)
    expect(await caseRois.locator('[data-reading-roi="ROI 1"] .reading-roi-size').textContent()).toBe(`${drawn} voxels, ${((drawn * 16) / 1000).toFixed(3)} ml`)
    await shot(page, '1-roi-drawn')
    // The answer and Submit in the same panel: it never closed.
    expect(await reading.isVisible()).toBe(true)
    await reading.locator('[data-item="finding"] input[value="lesion"]').check()
    const [res] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/results') && r.request().method() === 'POST'), reading.locator('[data-reading-action="submit"]').click()])
    expect(res.status()).toBe(200)
    const sent = JSON.parse(res.request().postData() ?? '{}') as { rois?: { name: string }[] }
    expect(sent.rois?.map((r) => r.name)).toEqual(['ROI_1'])
    await page.waitForFunction(() => /serious: all 1 cases done/.test(document.querySelector('[data-reading-status]')?.textContent ?? ''))
    // The session removed its ROIs from the tool when it ended, and closed the pens it had opened beside it.
    expect(await page.evaluate(() => (window as unknown as Win).noraViewer.roi.rois.length)).toBe(0)
    expect(await roiPanel.isVisible()).toBe(false)
    expect(await reading.isVisible()).toBe(true)
    expect(errors).toEqual([])
    await page.close()

    // On disk: data/readings/<reading>/<result>/1.nii.gz, read by nibabel.
    const folder = join(h.services.config.dataRoot, 'readings', String(readingId))
    const results = readdirSync(folder)
    expect(results.length).toBe(1)
    expect(readdirSync(join(folder, results[0]!))).toEqual(['1.nii.gz'])
    const mask = pythonJson(READ_MASK, join(folder, results[0]!, '1.nii.gz'))
    expect(mask.shape).toEqual([40, 40, 12])
    expect(mask.affine).toEqual(affine)
    expect(mask.count).toBe(drawn)
    expect(mask.slices).toEqual([6])
  }, 240_000)

  test('the admin\'s results list the ROI: voxels, a download of the stored file, "open" onto the viewer', async () => {
    const { page, errors } = await open('ann')
    const panel = page.locator('[data-tool-panel="reading"]')
    await panel.locator('.reading-item [data-reading-action="results"]').click()
    const dialog = page.locator('dialog#reading-results')
    await dialog.locator('.reading-results-table').waitFor()
    const roi = dialog.locator('[data-reading-roi="ROI_1"]')
    await roi.waitFor()
    expect(await roi.textContent()).toContain(`ROI_1: ${drawn} voxels, ${((drawn * 16) / 1000).toFixed(3)} ml`)
    await shot(page, '2-results')
    const [download] = await Promise.all([page.waitForEvent('download'), roi.locator('a').click()])
    const folder = join(h.services.config.dataRoot, 'readings', String(readingId))
    const stored = readFileSync(join(folder, readdirSync(folder)[0]!, '1.nii.gz'))
    expect(Buffer.from(readFileSync((await download.path())!)).equals(stored)).toBe(true)
    await roi.locator('button').click()
    await page.waitForFunction(() => (window as unknown as Win).noraViewer.state().viewports[0].items.some((i: { role: string }) => i.role === 'mask'), null, { timeout: 30_000 })
    await page.evaluate(() => (window as unknown as Win).noraViewer.idle())
    // On its case: the case's image as the background, the ROI as a mask over it.
    const items = await page.evaluate(() => (window as unknown as Win).noraViewer.state().viewports[0].items.map((i: { name: string; role: string }) => `${i.role}:${i.name}`))
    expect(items).toEqual(['background:t1.nii.gz', 'mask:ROI_1.nii.gz'])
    await shot(page, '3-opened')
    expect(errors).toEqual([])
    await page.close()
  }, 180_000)
})
