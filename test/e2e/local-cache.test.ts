import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { python } from '../helpers/dicom-fixtures'
import { projectWithFiles, shooter, startAppSite, type AppSite } from './fixture'

const P = 'cached'
const PASSWORD = 'remote-reader-1'
const MB = 1024 * 1024
const shot = shooter('local-cache', { fullPage: false })

/** What the page's Cache Storage holds: the file names (last URL segment) and the sizes kept with them. */
const cached = (page: Page) =>
  page.evaluate(async () => {
    if (!(await caches.has('nora-files'))) return []
    const cache = await caches.open('nora-files')
    const out: { name: string; size: number; bytes: number }[] = []
    for (const req of await cache.keys()) {
      const res = (await cache.match(req))!
      out.push({ name: new URL(req.url).pathname.split('/').pop()!, size: Number(res.headers.get('x-nora-size')), bytes: (await res.arrayBuffer()).byteLength })
    }
    return out.sort((a, b) => a.name.localeCompare(b.name))
  })

// The profile's "local cache size for remote users": the viewer keeps archive files in Cache Storage up to that budget.
describe('local file cache for remote users', () => {
  let site: AppSite
  let dir: string
  /** Status of every answer to a request for one of the test's files, in order. */
  const answers: { name: string; status: number }[] = []

  beforeAll(async () => {
    // Three NIfTI-1 files of 64x64x55 int16 (450,912 bytes each), written by nibabel: two fit a 1 MB budget, three do not.
    dir = mkdtempSync(join(tmpdir(), 'nora-cache-'))
    python(
      'import sys, numpy as np, nibabel as nib\nfor i, n in enumerate("abc"):\n    d = (np.arange(64*64*55, dtype=np.int16).reshape(64, 64, 55) % (100 + i)).astype(np.int16)\n    nib.save(nib.Nifti1Image(d, np.eye(4)), f"{sys.argv[1]}/{n}.nii")',
      [dir],
    )
    site = await startAppSite({ password: PASSWORD, setup: projectWithFiles(P, ['a', 'b', 'c'].map((n) => join(dir, `${n}.nii`))) })
  }, 120_000)
  afterAll(async () => {
    await site?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  }, 60_000)

  /** Opens the desktop (a new page load: the viewer asks for the budget once) and records the file answers. */
  async function desktop(page: Page) {
    await page.goto(`${site.url}?project=${P}`)
    await page.waitForFunction(() => Boolean((window as any).noraViewer))
  }
  /** Loads a file of the study into viewport 1 and waits until it shows. */
  async function load(page: Page, name: string) {
    await page.evaluate(
      ({ url, name }) => (window as any).noraViewer.load({ url, name, viewport: 1 }),
      { url: `/api/projects/${P}/files/P1/S1/anat/${name}`, name },
    )
    await page.waitForFunction((n) => (window as any).noraViewer.state().viewports[0]!.volumes.some((v: { name: string }) => v.name === n), name, { timeout: 30_000 })
  }

  test('with the budget set in the profile, a second load comes from Cache Storage (304), and the budget holds after more loads', async () => {
    const { page, errors } = await site.page()
    page.on('response', (r) => {
      const m = /\/files\/P1\/S1\/anat\/([abc]\.nii)$/.exec(new URL(r.url()).pathname)
      if (m) answers.push({ name: m[1]!, status: r.status() })
    })

    // No budget (the default 0): files are fetched, nothing is kept.
    await desktop(page)
    await load(page, 'a.nii')
    expect(await page.evaluate(() => (window as any).noraFileCache.budget())).toBe(0)
    expect(await cached(page)).toEqual([])

    // The profile: 1 MB.
    await page.goto(`${site.url}profile`)
    expect(await page.inputValue('#cache-mb')).toBe('0')
    await page.fill('#cache-mb', '1')
    await page.click('#save-cache')
    await page.waitForSelector('text=Your local cache size was saved')
    expect(await page.inputValue('#cache-mb')).toBe('1')

    // First load: from the server, then kept; after a reload of the desktop the same file is a 304 served from the cache.
    answers.length = 0
    await desktop(page)
    expect(await page.evaluate(() => (window as any).noraFileCache.budget())).toBe(MB)
    await load(page, 'a.nii')
    expect(await cached(page)).toEqual([{ name: 'a.nii', size: 450_912, bytes: 450_912 }])
    await desktop(page)
    await load(page, 'a.nii')
    expect(answers).toEqual([
      { name: 'a.nii', status: 200 },
      { name: 'a.nii', status: 304 },
    ])
    expect(await page.evaluate(() => ({ ...(window as any).noraFileCache.stats }))).toEqual({ hits: 1, misses: 0, stored: 0, evicted: 0 })
    // What the viewer shows came from the cached bytes: the same volume as from the server.
    const shown = await page.evaluate(() => {
      const v = (window as any).noraViewer.viewer.viewports[0]!.nv.volumes[0]!
      return { dims: Array.from(v.hdr!.dims).slice(1, 4), max: v.global_max }
    })
    expect(shown).toEqual({ dims: [64, 64, 55], max: 99 })

    // Two more files: three do not fit 1 MB; the least recently used (a.nii) goes.
    await load(page, 'b.nii')
    expect((await cached(page)).map((c) => c.name)).toEqual(['a.nii', 'b.nii'])
    await load(page, 'c.nii')
    const after = await cached(page)
    expect(after.map((c) => c.name)).toEqual(['b.nii', 'c.nii'])
    expect(after.reduce((n, c) => n + c.bytes, 0)).toBeLessThanOrEqual(MB)
    expect(await page.evaluate(() => (window as any).noraFileCache.usage())).toEqual({ files: 2, bytes: 2 * 450_912 })
    // b.nii used again (a 304 from the cache) is now the most recent: a.nii, fetched again, evicts c.nii.
    await load(page, 'b.nii')
    await load(page, 'a.nii')
    expect((await cached(page)).map((c) => c.name)).toEqual(['a.nii', 'b.nii'])
    expect(answers.slice(2).map((a) => `${a.name} ${a.status}`)).toEqual(['b.nii 200', 'c.nii 200', 'b.nii 304', 'a.nii 200'])
    await shot(page, 'local-cache-1-viewer')

    // The profile shows what this browser holds and empties it.
    await page.goto(`${site.url}profile`)
    await page.waitForSelector('#cache-usage:text("2 files")')
    expect(await page.textContent('#cache-usage')).toBe('This browser holds 2 files, 0.9 MB.')
    await page.click('#clear-cache')
    await page.waitForSelector('#cache-usage:text("0 files")')
    expect(await cached(page)).toEqual([])
    await shot(page, 'local-cache-2-profile')

    // A wrong size is refused with what it may be; 0 turns the cache off again.
    await page.fill('#cache-mb', '-3')
    await page.evaluate(() => document.querySelector<HTMLInputElement>('#cache-mb')!.removeAttribute('min'))
    await page.click('#save-cache')
    await page.waitForSelector('.error')
    expect(await page.textContent('.error')).toContain('local cache size "-3": a whole number of MB from 0 (no cache) to 100000')
    expect(errors.filter((e) => !e.includes('400')), errors.join('\n')).toEqual([])
  }, 180_000)
})
