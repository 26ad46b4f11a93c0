// bun run bench viewer-dicom [--slices N] [--runs N]: time to convert and show a 500-slice 512x512 CT series (int16,
// 262 MB of DICOM) in the viewer, side by side:
//   browser/bundle  dcm2niix (WASM) in a Worker: fetch the series' tar.gz bundle from the archive, gunzip
//                   (DecompressionStream), untar, convert, NiiVue shows the volume;
//   browser/local   the same from 500 files picked from disk (no upload);
//   server/native   Debian's native dcm2niix on the server's folder (the import's converter) + the viewer then
//                   fetching and showing the resulting .nii.
// The series comes from test/fixtures/generate/make-ct-series.py. Writes bench/results/viewer-dicom.json.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Page } from 'playwright-core'
import { buildWeb } from '../scripts/build-web'
import { measure, printTable, writeResult } from './lib/measure'

const arg = (name: string, dflt: number) => Number(process.argv[process.argv.indexOf(name) + 1]) || dflt
const slices = arg('--slices', 500)
const runs = arg('--runs', 1)
const series = join(tmpdir(), `nora-bench-ct-${slices}`)
if (!existsSync(join(series, `IM${String(slices).padStart(5, '0')}.dcm`))) {
  const gen = Bun.spawnSync(['/usr/bin/python3', join(import.meta.dir, '../test/fixtures/generate/make-ct-series.py'), series, String(slices)], { stderr: 'pipe' })
  if (gen.exitCode !== 0) throw new Error(`make-ct-series.py failed (needs /usr/bin/python3 with pydicom, numpy): ${gen.stderr}`)
}
const files = readdirSync(series).filter((f) => f.endsWith('.dcm')).sort().map((f) => join(series, f))
const dicomBytes = files.reduce((a, f) => a + Bun.file(f).size, 0)

await buildWeb()
const { startApp } = await import('../test/integration/http/harness')
const h = await startApp('sqlite')
const PW = 'long enough password 1'
const admin = await h.user('bench', PW, { siteAdmin: true })
const project = await h.services.archive.createProject(admin, 'BENCHD')
const study = join(h.services.archive.projectDir(project), 'P1', 'S1')
mkdirSync(join(study, 'dicom'), { recursive: true })
mkdirSync(join(study, 'ct'), { recursive: true })
// The bundle as the importer keeps it (gzip level 1), written by Debian's tar.
const bundle = join(study, 'dicom', 'ct.tar.gz')
const tar = Bun.spawnSync(['tar', '-I', 'gzip -1', '-cf', bundle, '-C', series, ...files.map((f) => f.slice(series.length + 1))])
if (tar.exitCode !== 0) throw new Error(`tar failed: ${tar.stderr}`)

// Server side: native dcm2niix (what the importer runs) on the folder.
const nativeRuns: number[] = []
for (let i = 0; i < runs; i++) {
  const out = mkdtempSync(join(tmpdir(), 'nora-bench-native-'))
  const m = await measure(['dcm2niix', '-z', 'n', '-b', 'n', '-f', 'ct', '-o', out, series])
  if (m.code !== 0) throw new Error(`native dcm2niix failed: ${m.stderr}`)
  nativeRuns.push(m.wallMs)
  renameSync(join(out, 'ct.nii'), join(study, 'ct', 'ct.nii'))
  rmSync(out, { recursive: true, force: true })
}

const server = h.app.listen({ hostname: '127.0.0.1', port: 0 })
const url = `http://127.0.0.1:${server.server!.port}/`
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] })

async function viewerPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
  await page.goto(url)
  await page.fill('input[name=username]', 'bench')
  await page.fill('input[name=password]', PW)
  await page.click('button[type=submit]')
  await page.waitForSelector('#project-list')
  await page.goto(`${url}?project=BENCHD`)
  await page.waitForFunction(() => !!(window as any).noraViewer)
  return page
}

/** Waits in the page until viewport 1 shows a volume and two more frames have passed; returns the page's clock. */
const shown = (page: Page) =>
  page.evaluate(async () => {
    const v = (window as any).noraViewer
    while (!v.state().viewports[0].volumes.length) {
      if (/could not|no DICOM|failed/.test(v.state().status)) throw new Error(v.state().status)
      await new Promise((r) => setTimeout(r, 10))
    }
    await v.idle()
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))
    return performance.now()
  })

type Run = { totalMs: number; phases: Record<string, number>; dims: number[] }
async function browserRun(start: (page: Page) => Promise<void>, shotName?: string): Promise<Run> {
  const page = await viewerPage()
  const t0 = await page.evaluate(() => performance.now())
  await start(page)
  if (shotName) {
    await page.waitForSelector('[data-viewport="1"] .vp-progress:not([hidden])', { timeout: 10_000 }).catch(() => {})
    await page.screenshot({ path: join(import.meta.dir, '../test-output/viewer-dicom', `${shotName}.png`) })
  }
  const t1 = await shown(page)
  const vp = await page.evaluate(() => (window as any).noraViewer.state().viewports[0])
  await page.close()
  return { totalMs: t1 - t0, phases: { ...(vp.timings.dicom ?? {}), readMs: vp.timings.readMs, gpuMs: vp.timings.gpuMs }, dims: vp.volumes[0].dims }
}

mkdirSync(join(import.meta.dir, '../test-output/viewer-dicom'), { recursive: true })
const out: Record<string, Run[]> = { 'browser/bundle': [], 'browser/local': [], 'server/native+show': [] }
for (let i = 0; i < runs; i++) {
  out['browser/bundle']!.push(
    await browserRun(async (p) => void p.evaluate(() => void (window as any).noraViewer.load({ url: '/api/projects/BENCHD/files/P1/S1/dicom/ct.tar.gz', name: 'ct.tar.gz' })), i === 0 ? 'bench-progress-bundle' : undefined),
  )
  out['browser/local']!.push(await browserRun((p) => p.setInputFiles('input[data-local-files]', files)))
  const show = await browserRun(async (p) => void p.evaluate(() => void (window as any).noraViewer.load({ url: '/api/projects/BENCHD/files/P1/S1/ct/ct.nii', name: 'ct.nii' })))
  out['server/native+show']!.push({ ...show, totalMs: show.totalMs + nativeRuns[i]!, phases: { nativeDcm2niixMs: nativeRuns[i]!, showMs: show.totalMs, readMs: show.phases.readMs!, gpuMs: show.phases.gpuMs! } })
}
for (const [k, rs] of Object.entries(out)) for (const r of rs) if (JSON.stringify(r.dims) !== JSON.stringify([512, 512, slices])) throw new Error(`${k}: dims ${JSON.stringify(r.dims)}, expected [512,512,${slices}]`)

/** Everything but the GPU stage (the same for all routes; in headless Chromium it is SwiftShader on the CPU). */
const beforeGpu = (r: Run) => (r.phases.fetchMs ?? 0) + (r.phases.convertMs ?? r.phases.nativeDcm2niixMs ?? 0) + (r.phases.readMs ?? 0)
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!
const f0 = (n?: number) => (n === undefined ? '' : n.toFixed(0))
printTable(
  Object.entries(out).map(([route, rs]) => ({
    route,
    'total ms (median)': f0(median(rs.map((r) => r.totalMs))),
    'fetch+unpack ms': f0(median(rs.map((r) => r.phases.fetchMs ?? 0))),
    'convert ms': f0(median(rs.map((r) => r.phases.convertMs ?? r.phases.nativeDcm2niixMs ?? 0))),
    'NiiVue read ms': f0(median(rs.map((r) => r.phases.readMs ?? 0))),
    'NiiVue GPU ms': f0(median(rs.map((r) => r.phases.gpuMs ?? 0))),
    'to NIfTI in NiiVue ms': f0(median(rs.map(beforeGpu))),
    runs: rs.length,
  })),
)
const path = await writeResult('viewer-dicom', {
  chromium: browser.version(),
  series: { slices, rows: 512, cols: 512, files: files.length, dicomBytes, bundleBytes: Bun.file(bundle).size },
  note: 'totalMs: load request -> volume drawn (2 frames); beforeGpuMs: fetch+unpack + convert + NiiVue parse (the GPU stage is SwiftShader in headless Chromium and equal for all routes)',
  routes: Object.fromEntries(Object.entries(out).map(([k, rs]) => [k, { medianTotalMs: median(rs.map((r) => r.totalMs)), medianBeforeGpuMs: median(rs.map(beforeGpu)), runs: rs }])),
})
console.log(`wrote ${path}`)
await browser.close()
server.stop()
await h.close()
