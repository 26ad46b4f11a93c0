import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { buildWeb } from '../../scripts/build-web'
import { DICOMDIRTESTS, zipOf } from '../helpers/dicom-fixtures'
import { REPO, runNora } from '../helpers/nora-binary'
import { collectErrors, logIn } from './browser'
import { serveWithChromium } from './fixture'

const SHOTS = join(REPO, 'test-output', 'viewer-dicom')
const PW = 'long enough password 1'
const CT5N = join(DICOMDIRTESTS, '98892001', 'CT5N') // 5 CT instances of one series, 16x16 each

type Vol = { name: string; dims: number[] }
type VState = { status: string; viewports: { volumes: Vol[]; timings: { dicom?: Record<string, number> } }[] }
const state = (page: Page) => page.evaluate(() => (window as any).noraViewer.state()) as Promise<VState>

/** The reference: Debian's native dcm2niix on the folder, shapes read by nibabel (never our code). */
function nativeShapes(folder: string): number[][] {
  const out = mkdtempSync(join(tmpdir(), 'nora-dcm-ref-'))
  try {
    const r = Bun.spawnSync(['dcm2niix', '-z', 'n', '-b', 'n', '-o', out, folder], { stdout: 'pipe', stderr: 'pipe' })
    if (r.exitCode !== 0) throw new Error(`native dcm2niix failed: ${r.stderr.toString()}`)
    const py = 'import sys,json,nibabel as nib; print(json.dumps([list(nib.load(f).shape[:3]) for f in sys.argv[1:]]))'
    const files = readdirSync(out).filter((f) => f.endsWith('.nii')).map((f) => join(out, f))
    const p = Bun.spawnSync(['/usr/bin/python3', '-c', py, ...files], { stdout: 'pipe', stderr: 'pipe' })
    if (p.exitCode !== 0) throw new Error(`nibabel failed: ${p.stderr.toString()}`)
    return JSON.parse(p.stdout.toString())
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
}

async function shot(page: Page, name: string) {
  mkdirSync(SHOTS, { recursive: true })
  await page.waitForTimeout(150)
  await page.screenshot({ path: join(SHOTS, `${name}.png`) })
}

/** A drop from disk: File objects made in the page from the bytes we pass, in one DataTransfer. */
async function dropFiles(page: Page, viewport: number, files: { name: string; bytes: number[] }[]) {
  await page.evaluate(
    ([vp, list]) => {
      const dt = new DataTransfer()
      for (const f of list as { name: string; bytes: number[] }[]) dt.items.add(new File([new Uint8Array(f.bytes)], f.name))
      const target = document.querySelector(`[data-viewport="${vp}"]`)!
      for (const type of ['dragenter', 'dragover', 'drop']) target.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }))
    },
    [viewport, files] as const,
  )
}

const filesOf = (dir: string) => readdirSync(dir).map((name) => ({ name, bytes: Array.from(readFileSync(join(dir, name))) }))

describe('DICOM in the viewer (dcm2niix as WASM in the browser)', () => {
  let browser: Browser
  let h: import('../integration/http/harness').Harness
  let url: string
  let stop: (() => Promise<void>) | undefined
  let importOut = ''

  beforeAll(async () => {
    await buildWeb()
    const { startApp } = await import('../integration/http/harness')
    h = await startApp('sqlite')
    const admin = await h.user('dicom-admin', PW, { siteAdmin: true })
    await h.services.archive.createProject(admin, 'DCMV')
    // The CLI import of one patient of dicomdirtests (two CT series) into the same home: keeps the DICOM bundles.
    const zip = zipOf(join(DICOMDIRTESTS, '98892001'), 'p98892001.zip')
    const r = await runNora(['-p', 'DCMV', '--import', zip], { home: h.home.home, timeoutMs: 120_000 })
    importOut = `${r.code}\n${r.stdout}\n${r.stderr}`
    ;({ url, browser, close: stop } = await serveWithChromium(h))
  }, 240_000)

  afterAll(async () => {
    await (stop ? stop() : h?.close())
  })

  test('files dropped from disk: converted in the page, dims as native dcm2niix + nibabel', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
    const errors = collectErrors(page)
    await logIn(page, url, 'dicom-admin', PW)
    await page.goto(`${url}?project=DCMV`)
    await page.waitForFunction(() => !!(window as any).noraViewer)
    const [expected] = nativeShapes(CT5N)
    expect(expected).toEqual([16, 16, 5])

    await dropFiles(page, 1, filesOf(CT5N))
    await page.waitForFunction(() => (window as any).noraViewer.state().viewports[0].volumes.length === 1, null, { timeout: 30_000 })
    await page.evaluate(() => (window as any).noraViewer.idle())
    const s = await state(page)
    expect(s.viewports[0]!.volumes[0]!.dims).toEqual(expected!)
    expect(s.viewports[0]!.volumes[0]!.name).toMatch(/\.nii$/)
    expect(s.viewports[0]!.timings.dicom!.convertMs).toBeGreaterThan(0)
    expect(await page.locator('[data-viewport="1"] .vp-progress').isVisible()).toBe(false)
    await shot(page, '1-dropped-ct5n')

    // Files with no DICOM image: a message (as text) in the status line, nothing loaded.
    await dropFiles(page, 2, [{ name: '<b>not-dicom</b>', bytes: Array.from(new TextEncoder().encode('hello')) }])
    await page.waitForFunction(() => /no DICOM image/.test((window as any).noraViewer.state().status), null, { timeout: 30_000 })
    expect(await page.locator('.viewer-status').textContent()).toBe('<b>not-dicom</b>: no DICOM image in the dropped files')
    expect(await page.locator('.viewer-status b').count()).toBe(0)
    expect((await state(page)).viewports[1]!.volumes.length).toBe(0)
    await shot(page, '2-no-dicom-message')

    // Two series at once (CT2N + CT5N): the first loads, a chooser offers both.
    await dropFiles(page, 2, [...filesOf(join(DICOMDIRTESTS, '98892001', 'CT2N')), ...filesOf(CT5N)])
    await page.locator('[data-viewport="2"] .vp-series button[data-series]').first().waitFor({ timeout: 30_000 })
    await page.evaluate(() => (window as any).noraViewer.idle())
    const buttons = page.locator('[data-viewport="2"] .vp-series button[data-series]')
    expect(await buttons.count()).toBe(2)
    expect((await state(page)).viewports[1]!.volumes[0]!.dims).toEqual([16, 16, 2]) // series 4 (Scout) first
    await buttons.nth(1).click()
    await page.waitForFunction(() => (window as any).noraViewer.state().viewports[1].volumes[0]?.dims?.[2] === 5, null, { timeout: 15_000 })
    await shot(page, '3-two-series-chooser')

    // A zip (python's zipfile) of the series folder, dropped from disk: unpacked in the page, then converted.
    await page.click('[data-action="clear"]')
    expect(await page.locator('.vp-series').count()).toBe(0)
    const zip = zipOf(CT5N, 'ct5n.zip')
    await dropFiles(page, 1, [{ name: 'ct5n.zip', bytes: Array.from(readFileSync(zip)) }])
    await page.waitForFunction(() => (window as any).noraViewer.state().viewports[0].volumes.length === 1, null, { timeout: 30_000 })
    expect((await state(page)).viewports[0]!.volumes[0]!.dims).toEqual(expected!)

    // "open local…": the series' files picked from disk in the file input (multiple), converted together.
    await page.click('[data-action="clear"]')
    await page.setInputFiles('input[data-local-files]', readdirSync(CT5N).map((f) => join(CT5N, f)))
    await page.waitForFunction(() => (window as any).noraViewer.state().viewports[0].volumes.length === 1, null, { timeout: 30_000 })
    expect((await state(page)).viewports[0]!.volumes[0]!.dims).toEqual(expected!)
    expect(errors).toEqual([])
    await page.close()
  }, 120_000)

  test('a DICOM bundle from the archive: double-click -> fetch, gunzip, untar, convert, show', async () => {
    expect(importOut).toMatch(/^0\n/)
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
    const errors = collectErrors(page)
    await logIn(page, url, 'dicom-admin', PW)
    await page.goto(`${url}?project=DCMV`)
    await page.waitForFunction(() => !!(window as any).noraViewer)
    await page.click('#table-body tr.study')
    const bundles = page.locator('#file-tree [data-nora-name$=".tar.gz"]')
    await bundles.first().waitFor()
    const names = await bundles.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.noraName!))
    const ct5 = names.findIndex((n) => /SmartScore|_5|005/i.test(n))
    expect(ct5, `bundles listed: ${names.join(', ')}`).toBeGreaterThanOrEqual(0)
    await bundles.nth(ct5).dblclick()
    await page.waitForFunction(() => (window as any).noraViewer.state().viewports[0].volumes.length === 1, null, { timeout: 30_000 })
    await page.evaluate(() => (window as any).noraViewer.idle())
    const s = await state(page)
    expect(s.viewports[0]!.volumes[0]!.dims).toEqual(nativeShapes(CT5N)[0]!)
    expect(s.viewports[0]!.timings.dicom!.fetchMs).toBeGreaterThan(0)
    await shot(page, '4-archive-bundle')
    expect(errors).toEqual([])
    await page.close()
  }, 120_000)
})
