import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { assetPackStale, buildAssets } from '../../scripts/build-assets'
import { buildWeb } from '../../scripts/build-web'
import { collectErrors, logIn } from './browser'
import { serveWithChromium, shooter } from './fixture'

const PW = 'long enough password 1'
const P = 'SHARED'
const shot = shooter('shared-link', { fullPage: false })

// Two images on one grid (made by nibabel): an anatomy with a bright ball, and a smooth "overlay" map.
const MAKE = `
import sys, numpy as np, nibabel as nib
rng = np.random.default_rng(3)
aff = np.array([[1.0, 0, 0, -32], [0, 1.0, 0, -32], [0, 0, 2.0, -24], [0, 0, 0, 1]])
i, j, k = np.meshgrid(np.arange(64), np.arange(64), np.arange(24), indexing='ij')
img = (rng.integers(0, 21, size=(64, 64, 24)) + 40 * (((i - 32) ** 2 + (j - 32) ** 2) <= 28 ** 2)).astype(np.int16)
ball = ((i - 40) ** 2 + (j - 30) ** 2 + ((k - 12) * 2.0) ** 2) <= 8.0 ** 2
img[ball] = 150
nib.save(nib.Nifti1Image(img, aff), sys.argv[1])
nib.save(nib.Nifti1Image((100 * np.exp(-((i - 24) ** 2 + (j - 40) ** 2) / 200.0)).astype(np.float32), aff), sys.argv[2])
`

type Win = { noraViewer: any; noraShare: any }

/** The state as the share module captures it from the viewer's own objects (what the link stores). */
const captured = (page: Page) => page.evaluate(() => (window as unknown as Win).noraShare.capture())

describe('shared link: a second user sees the same two viewports, overlay and ROI', () => {
  let browser: Browser
  let h: import('../integration/http/harness').Harness
  let url: string
  let stop: (() => Promise<void>) | undefined

  beforeAll(async () => {
    await buildWeb()
    if (assetPackStale()) buildAssets()
    const { startApp } = await import('../integration/http/harness')
    h = await startApp('sqlite')
    const ann = await h.user('ann', PW)
    const bob = await h.user('bob', PW)
    await h.user('carl', PW)
    const project = await h.services.archive.createProject(ann, P)
    const dir = join(h.services.archive.projectDir(project), 'P1', 'S1', 'anat')
    mkdirSync(dir, { recursive: true })
    const r = Bun.spawnSync(['/usr/bin/python3', '-c', MAKE, join(dir, 'anat.nii.gz'), join(dir, 'map.nii.gz')], { stderr: 'pipe' })
    if (r.exitCode !== 0) throw new Error(`python: ${r.stderr.toString()}`)
    await h.services.archive.addFiles(ann, P, [join(dir, 'anat.nii.gz'), join(dir, 'map.nii.gz')])
    await h.services.repos.rights.grant(bob.id, project.id, 'read')
    ;({ url, browser, close: stop } = await serveWithChromium(h))
  }, 180_000)
  afterAll(async () => {
    await (stop ? stop() : h?.close())
  })

  test('ann shares; bob (read) opens the link and gets files, layout, viewbars, crosshair, zoom and the ROI; carl gets 403', async () => {
    const a = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage()
    const aErrors = collectErrors(a)
    await logIn(a, url, 'ann', PW)
    await a.goto(`${url}?project=${P}`)
    await a.waitForFunction(() => !!(window as unknown as Win).noraShare, null, { timeout: 90_000 })
    await a.click('#table-body tr.study')
    const fileUrl = async (name: string) => (await a.locator(`#file-tree [data-nora-name="${name}"]`).getAttribute('data-nora-file'))!
    const anat = await fileUrl('anat.nii.gz')
    const map = await fileUrl('map.nii.gz')
    // Viewport 1: the anatomy, axial; viewport 2: the anatomy with the map as a hot overlay, coronal and zoomed.
    await a.evaluate(
      async ([anat, map]) => {
        const nv = (window as unknown as Win).noraViewer
        nv.viewer.setLayout('2')
        await nv.load({ url: anat, name: 'anat.nii.gz', viewport: 1, as: 'background' })
        await nv.load({ url: anat, name: 'anat.nii.gz', viewport: 2, as: 'background', min: 0, max: 120 })
        await nv.load({ url: map, name: 'map.nii.gz', viewport: 2, as: 'overlay', colormap: 'hot', opacity: 0.55, min: 20, max: 90 })
        await nv.idle()
        const [v1, v2] = nv.viewer.viewports
        v2.setPlane(1)
        v1.nv.scene.crosshairPos = v1.nv.mm2frac([8, -2, 0])
        v2.nv.scene.crosshairPos = v2.nv.mm2frac([-4, 6, 0])
        v2.nv.scene.pan2Dxyzmm = [5, -3, 0, 1.6]
        v1.nv.drawScene()
        v2.nv.drawScene()
      },
      [anat, map] as const,
    )
    // An ROI by threshold (>= 120: the ball) on the anatomy, saved into the study through the ROI panel.
    await a.click('[data-tool="roi"]')
    const panel = a.locator('[data-tool-panel="roi"]')
    await panel.waitFor({ state: 'visible' })
    const voxels = await a.evaluate(async () => {
      const roi = (window as unknown as Win).noraViewer.roi
      const image = roi.images().find((i: { name: string }) => i.name === 'anat.nii.gz')
      return (await roi.create(image, 'threshold', 120)).voxels as number
    })
    expect(voxels).toBeGreaterThan(500)
    await panel.locator('[data-roi-action="save"]').click()
    await panel.locator('[data-roi="save-name"]').fill('ball')
    await panel.locator('[data-roi-action="save-confirm"]').click()
    await a.waitForFunction(() => /saved|failed/.test((window as unknown as Win).noraViewer.state().status), null, { timeout: 30_000 })
    expect(await a.evaluate(() => (window as unknown as Win).noraViewer.state().status)).toContain('saved')

    // Share from the viewer's tool bar.
    const before = await captured(a)
    expect(before.left).toEqual([])
    await a.click('#viewer [data-share-open]')
    const dialog = a.locator('dialog.share-dialog')
    await dialog.waitFor()
    expect(await dialog.locator('.share-summary').textContent()).toContain('3 files in 2 viewports (layout 2), 1 ROI, 0 marker sets of project SHARED')
    await dialog.locator('[data-share-title]').fill('ball and map')
    await dialog.locator('[data-share-go]').click()
    await a.waitForFunction(() => !!(document.querySelector('[data-share-url]') as HTMLInputElement | null)?.value)
    const link = await dialog.locator('[data-share-url]').inputValue()
    expect(link).toMatch(new RegExp(`^${url}share/[A-Za-z0-9_-]{22}$`))
    await shot(a, 'ann-share-dialog')
    expect(aErrors).toEqual([])

    // Bob, in his own browser context, opens the link.
    const b = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage()
    const bErrors = collectErrors(b)
    await logIn(b, url, 'bob', PW)
    await b.goto(link)
    await b.waitForFunction(() => !!(window as unknown as Win).noraShare, null, { timeout: 90_000 })
    expect(await b.evaluate(() => (window as unknown as Win).noraShare.restored)).toEqual([])
    expect(b.url()).toBe(`${url}?project=${P}`)
    const after = await captured(b)
    expect(after.project).toBe(P)
    const { viewports: va, ...restA } = before.state
    const { viewports: vb, ...restB } = after.state
    expect(restB).toEqual(restA)
    for (const [n, vp] of va.entries()) {
      const got = vb[n]
      expect(got.items).toEqual(vp.items)
      expect(got.plane).toBe(vp.plane)
      for (const [i, x] of vp.pan.entries()) expect(got.pan[i]).toBeCloseTo(x, 3)
      for (const [i, x] of (vp.crosshair ?? []).entries()) expect(got.crosshair[i]).toBeCloseTo(x, 1)
    }
    // What NiiVue shows: viewport 2 has the anatomy, the hot overlay at 0.55 and the ROI's mask; the ROI is the same.
    const shown = await b.evaluate(() => (window as unknown as Win).noraViewer.state())
    expect(shown.layout).toBe('2')
    expect(shown.viewports[1].volumes.map((v: { colormap: string }) => v.colormap).slice(0, 2)).toEqual(['gray', 'hot'])
    expect(shown.viewports[1].volumes[1].opacity).toBeCloseTo(0.55, 2)
    expect(shown.viewports[1].items.map((i: { role: string }) => i.role)).toEqual(['background', 'overlay', 'mask'])
    const roi = await b.evaluate(() => {
      const r = (window as unknown as Win).noraViewer.roi.rois[0]
      return { name: r.name, voxels: r.voxels, saved: r.saved }
    })
    expect(roi).toEqual({ name: before.state.rois[0].name, voxels, saved: { project: P, patientId: 'P1', studyId: 'S1', name: 'ball' } })
    await b.waitForTimeout(300)
    await shot(b, 'bob-restored-1280x800')
    expect(bErrors).toEqual([])

    // Sharing again: bob's is a new link of his own; ann, opening her link, may overwrite it.
    await b.click('#viewer [data-share-open]')
    expect(await b.locator('dialog.share-dialog').textContent()).toContain("Opened from ann's link: sharing makes a new link of your own.")
    expect(await b.locator('dialog.share-dialog [data-share-overwrite]').count()).toBe(0)
    await a.goto(link)
    await a.waitForFunction(() => !!(window as unknown as Win).noraShare, null, { timeout: 90_000 })
    await a.evaluate(() => (window as unknown as Win).noraShare.restored)
    await a.evaluate(() => (window as unknown as Win).noraViewer.viewer.setLayout('1'))
    await a.click('#user-menu summary')
    await a.click('#nav-share')
    const again = a.locator('dialog.share-dialog')
    expect(await again.locator('[data-share-overwrite]').isChecked()).toBe(true)
    await again.locator('[data-share-go]').click()
    await a.waitForFunction(() => !!(document.querySelector('[data-share-url]') as HTMLInputElement | null)?.value)
    expect(await again.locator('[data-share-url]').inputValue()).toBe(link)
    expect(await again.locator('.share-status').textContent()).toContain('link overwritten')
    const reread = await b.evaluate(async (id) => (await (await fetch(`/api/shared-links/${id}`)).json()).state.layout, link.split('/').pop())
    expect(reread).toBe('1')

    // Carl has no right on the project: the link answers 403 with the reason.
    const c = await (await browser.newContext()).newPage()
    await logIn(c, url, 'carl', PW)
    const res = await c.goto(link)
    expect(res!.status()).toBe(403)
    expect(await c.textContent('body')).toContain('which you (carl) may not read; ask ann')

    // Ann's profile lists her link; deleting it ends it.
    await a.goto(`${url}profile`)
    const row = a.locator('#shared-links tr[data-shared-link]')
    await row.first().waitFor()
    expect(await row.count()).toBe(1)
    expect(await row.locator('.shared-link-title').textContent()).toBe('ball and map')
    a.once('dialog', (d) => void d.accept())
    await row.locator('.delete-shared-link').click()
    await a.locator('#no-shared-links').waitFor()
    expect((await b.goto(link))!.status()).toBe(404)
  }, 240_000)
})
