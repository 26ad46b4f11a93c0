// bun run bench viewer [--runs N]: time to the first rendered slice of a 256x256x256 NIfTI in headless Chromium
// (double-click in the file tree -> NiiVue has the volume and a frame with it is drawn; and from navigation), and
// the desktop's page weight (HTML + JS + CSS, raw and gzip). Writes bench/results/viewer.json.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { chromium, type Page } from 'playwright-core'
import { assetPackStale, buildAssets } from '../scripts/build-assets'
import { buildWeb } from '../scripts/build-web'
import { printTable, writeResult } from './lib/measure'

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 3
await buildWeb()
if (assetPackStale()) buildAssets() // the app serves the pack: without this it would serve the viewer as last packed
const { startApp } = await import('../test/integration/http/harness')
const h = await startApp('sqlite')
const PW = 'long enough password 1'
const admin = await h.user('bench', PW, { siteAdmin: true })
const project = await h.services.archive.createProject(admin, 'BENCH')
const dir = join(h.services.archive.projectDir(project), 'P1', 'S1', 'anat')
mkdirSync(dir, { recursive: true })
// Smooth int16 data (a sphere with a gradient), 256^3, as .nii and .nii.gz, written by nibabel.
const py = `
import numpy as np, nibabel as nib, sys
n = 256
z, y, x = np.mgrid[0:n, 0:n, 0:n].astype(np.float32) - n / 2
r = np.sqrt(x * x + y * y + z * z)
data = np.where(r < n * 0.45, 1000 - r * 3 + x, 0).astype(np.int16)
img = nib.Nifti1Image(data, np.eye(4))
nib.save(img, sys.argv[1] + '/big256.nii')
nib.save(img, sys.argv[1] + '/big256.nii.gz')
`
const gen = Bun.spawnSync(['/usr/bin/python3', '-c', py, dir])
if (gen.exitCode !== 0) throw new Error(`generating the volume failed (needs /usr/bin/python3 with numpy and nibabel): ${gen.stderr}`)
await h.services.archive.addFiles(admin, 'BENCH', [join(dir, 'big256.nii'), join(dir, 'big256.nii.gz')])
const server = h.app.listen({ hostname: '127.0.0.1', port: 0 })
const url = `http://127.0.0.1:${server.server!.port}/`
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] })

async function loggedInPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } })
  await page.goto(url)
  await page.fill('input[name=username]', 'bench')
  await page.fill('input[name=password]', PW)
  await page.click('button[type=submit]')
  await page.waitForURL((u) => !u.pathname.startsWith('/login'))
  return page
}

/** Resolves in the page when viewport 1 has a volume and one more animation frame (NiiVue draws synchronously on load) has passed. */
const firstFrame = (page: Page) =>
  page.evaluate(async () => {
    const v = (window as any).noraViewer
    while (!v.state().viewports[0].volumes.length) await new Promise((r) => setTimeout(r, 5))
    await v.idle()
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))
    return performance.now()
  })

const rows: Record<string, string | number>[] = []
const results: Record<string, unknown>[] = []
for (const file of ['big256.nii', 'big256.nii.gz']) {
  const fromClick: number[] = []
  const fromNav: number[] = []
  const phases: { readMs?: number; gpuMs?: number; clickToFetchMs?: number; downloadMs?: number; frameWaitMs?: number; wireBytes?: number; inflatedBytes?: number }[] = []
  for (let i = 0; i < runs; i++) {
    const page = await loggedInPage()
    const navStart = await page.evaluate(() => performance.now()).then(async () => {
      await page.goto(`${url}?project=BENCH`)
      return page.evaluate(() => performance.timeOrigin)
    })
    void navStart
    await page.waitForFunction(() => !!(window as any).noraViewer) // the viewer script is deferred: mounted before the double-click
    await page.click('#table-body tr.study')
    const row = page.locator(`#file-tree [data-nora-name="${file}"]`)
    await row.waitFor()
    const clickAt = await page.evaluate(() => performance.now())
    await row.dblclick()
    const drawnAt = await firstFrame(page)
    const vp1 = await page.evaluate(() => (window as any).noraViewer.state().viewports[0])
    const state = { ...vp1.volumes[0], timings: vp1.timings }
    if (JSON.stringify(state.dims) !== '[256,256,256]') throw new Error(`unexpected dims ${JSON.stringify(state.dims)}`)
    // Where the time goes: the click until the file's request starts, its download (resource timing), fetch+parse and
    // NiiVue's upload as our code measures them, and the wait after that until the frame (the GPU process, SwiftShader
    // here, drains the queued draws; that is where the work of synchronous-looking WebGL calls shows).
    const fetchAt = await page.evaluate((name) => {
      const e = performance.getEntriesByType('resource').filter((r) => r.name.includes(name)).pop() as PerformanceResourceTiming | undefined
      return e ? { start: e.startTime, end: e.responseEnd, wire: e.encodedBodySize, inflated: e.decodedBodySize } : undefined
    }, file)
    const t = state.timings ?? {}
    phases.push({
      readMs: t.readMs,
      gpuMs: t.gpuMs,
      clickToFetchMs: fetchAt ? fetchAt.start - clickAt : undefined,
      downloadMs: fetchAt ? fetchAt.end - fetchAt.start : undefined,
      frameWaitMs: fetchAt && t.readMs !== undefined && t.gpuMs !== undefined ? drawnAt - fetchAt.start - t.readMs - t.gpuMs : undefined,
      // A .nii.gz arrives gzip-encoded (?decoded) and the browser inflates it: wire bytes < inflated bytes.
      wireBytes: fetchAt?.wire,
      inflatedBytes: fetchAt?.inflated,
    })
    fromClick.push(drawnAt - clickAt)
    fromNav.push(drawnAt) // performance.now() counts from the navigation to ?project=BENCH
    await page.close()
  }
  const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!
  const bytes = Bun.file(join(dir, file)).size
  rows.push({ file, MB: (bytes / 1e6).toFixed(1), 'dblclick->frame ms (median)': median(fromClick).toFixed(0), 'navigation->frame ms (median)': median(fromNav).toFixed(0), 'fetch+parse ms': median(phases.map((p) => p.readMs ?? 0)).toFixed(0), 'GPU+draw ms': median(phases.map((p) => p.gpuMs ?? 0)).toFixed(0), 'click->fetch ms': median(phases.map((p) => p.clickToFetchMs ?? 0)).toFixed(0), 'download ms': median(phases.map((p) => p.downloadMs ?? 0)).toFixed(0), 'frame wait ms': median(phases.map((p) => p.frameWaitMs ?? 0)).toFixed(0), 'wire MB': ((phases[0]?.wireBytes ?? 0) / 1e6).toFixed(1), 'inflated MB': ((phases[0]?.inflatedBytes ?? 0) / 1e6).toFixed(1), runs })
  results.push({ file, bytes, dblclickToFrameMs: fromClick, navigationToFrameMs: fromNav, phases, medianDblclickToFrameMs: median(fromClick), medianNavigationToFrameMs: median(fromNav) })
}

// Page weight: every HTML, JS and CSS response of the desktop with a project open: raw bytes, what gzip would make of
// them, and what crossed the wire (the server sends precompressed brotli or gzip as Chromium accepts).
const page = await loggedInPage()
const weights: { url: string; type: string; raw: number; gz: number; wire: number; encoding: string }[] = []
page.on('response', async (r) => {
  const type = r.headers()['content-type'] ?? ''
  if (!/html|javascript|css/.test(type)) return
  const body = await r.body().catch(() => Buffer.alloc(0))
  // The encoded body's length as the server declared it; CDP's own figure (sizes()) comes out negative for
  // brotli responses served from memory, so it is only the fallback.
  const declared = Number(r.headers()['content-length'])
  const measured = (await r.request().sizes().catch(() => undefined))?.responseBodySize ?? -1
  const wire = declared > 0 ? declared : measured > 0 ? measured : body.length
  weights.push({ url: new URL(r.url()).pathname, type: type.split(';')[0]!, raw: body.length, gz: gzipSync(body).length, wire, encoding: r.headers()['content-encoding'] ?? 'identity' })
})
await page.goto(`${url}?project=BENCH`)
await page.waitForFunction(() => !!(window as any).noraViewer)
await page.waitForLoadState('networkidle')
await page.close()
const total = weights.reduce((a, w) => ({ raw: a.raw + w.raw, gz: a.gz + w.gz, wire: a.wire + w.wire }), { raw: 0, gz: 0, wire: 0 })
printTable(rows)
printTable(weights.map((w) => ({ resource: w.url, type: w.type, 'raw KB': (w.raw / 1024).toFixed(1), 'gz KB': (w.gz / 1024).toFixed(1), 'wire KB': (w.wire / 1024).toFixed(1), encoding: w.encoding })))
console.log(`desktop page weight: ${(total.raw / 1024).toFixed(0)} KB raw, ${(total.gz / 1024).toFixed(0)} KB gzip, ${(total.wire / 1024).toFixed(0)} KB on the wire`)
const path = await writeResult('viewer', { chromium: browser.version(), firstSlice: results, pageWeight: { totalRawBytes: total.raw, totalGzipBytes: total.gz, totalWireBytes: total.wire, resources: weights } })
console.log(`wrote ${path}`)
await browser.close()
server.stop()
await h.close()
