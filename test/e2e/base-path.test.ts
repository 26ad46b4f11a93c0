import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { copyFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { setBasePath } from '../helpers/base-path-home'
import { shooter, startSite, type Site } from './fixture'

const NIFTI = '/usr/lib/python3/dist-packages/nibabel/tests/data/anatomical.nii'
const P = 'GODZILLA'
const shot = shooter('base-path', { fullPage: false })

type Win = { noraViewer: any; noraShare: any }

// The built ./nora behind http.basePath "/godzilla/", as NORA ran at https://nora.ukl.uni-freiburg.de/godzilla/.
describe('desktop and viewer under http.basePath /godzilla/', () => {
  let site: Site
  beforeAll(async () => {
    site = await startSite({
      projects: [P],
      setup: async ({ home, nora }) => {
        setBasePath(home, '/godzilla/')
        const to = join(home.home, 'data', 'projects', P, 'NII1', 'S1', 't1', 'anatomical.nii')
        mkdirSync(join(to, '..'), { recursive: true })
        copyFileSync(NIFTI, to)
        const r = await nora(['-p', P, '--add', to], 120_000)
        if (r.code !== 0) throw new Error(`nora --add: ${r.stdout}${r.stderr}`)
      },
    })
  }, 240_000)
  afterAll(async () => site?.close(), 60_000)

  test('login, desktop, file tree, the viewer shows the image; a shared link works under the prefix', async () => {
    const { page, errors } = await site.page({ width: 1280, height: 800 })
    const base = `${site.url}godzilla/`
    expect(page.url()).toStartWith(base)
    await page.goto(`${base}?project=${P}`)
    await page.waitForFunction(() => !!(window as unknown as Win).noraViewer, null, { timeout: 90_000 })
    expect(await page.evaluate(() => document.body.dataset.noraBase)).toBe('/godzilla/')
    await page.click('#table-body tr.study')
    const row = page.locator('#file-tree [data-nora-name="anatomical.nii"]')
    await row.dblclick()
    await page.waitForFunction(() => (window as unknown as Win).noraViewer.state().viewports[0].volumes.length === 1, null, { timeout: 60_000 })
    const vol = await page.evaluate(() => (window as unknown as Win).noraViewer.state().viewports[0].volumes[0])
    expect(vol.dims).toEqual([33, 41, 25]) // nibabel's anatomical.nii (its shape as nibabel reads it)
    // Every request the page made went under the prefix.
    const urls = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name))
    for (const u of urls.filter((x) => x.startsWith('http://127.0.0.1'))) expect(u).toStartWith(base)
    await shot(page, 'desktop-viewer')

    // A shared link is made and opened under the prefix.
    const link = await page.evaluate(async () => (await (window as unknown as Win).noraShare.share({ title: 'under godzilla' })).url as string)
    expect(link).toMatch(/^\/share\//)
    await page.goto(`${base}${link.slice(1)}`)
    await page.waitForFunction(() => !!(window as unknown as Win).noraShare, null, { timeout: 90_000 })
    expect(await page.evaluate(() => (window as unknown as Win).noraShare.restored)).toEqual([])
    expect(page.url()).toBe(`${base}?project=${P}`)
    expect(await page.evaluate(() => (window as unknown as Win).noraViewer.state().viewports[0].volumes.length)).toBe(1)
    expect(errors).toEqual([])
  }, 240_000)
})
