// bun run bench roi-browser [--runs N]: the ROI tool in headless Chromium, through the desktop and real mouse events.
// On a 256³ int16 image: unconstrained 3D region growing (press on a voxel, drag: each step grows and merges into the
// ROI; target < 150 ms a step), one morphology op from the operations menu (dilation with undo record and display
// refresh, the refresh's share shown apart, and whether it redrew only the changed box ("lookup" or "shader") or all
// layers ("full"); target < 200 ms; also the time until the queued GPU work is done) and its undo, and the statistics
// window's computation on a 512×512×300 int16 contrast (target < 500 ms). The same operations in scipy/numpy in the same run, as the peer.
// Writes bench/results/roi-browser.json.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Page } from 'playwright-core'
import { assetPackStale, buildAssets } from '../scripts/build-assets'
import { buildWeb } from '../scripts/build-web'
import { printTable, writeResult } from './lib/measure'

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 3
await buildWeb()
if (assetPackStale()) buildAssets()
const { startApp } = await import('../test/integration/http/harness')
const h = await startApp('sqlite')
const PW = 'long enough password 1'
const admin = await h.user('bench', PW, { siteAdmin: true })
const project = await h.services.archive.createProject(admin, 'ROIBENCH')
const dir = join(h.services.archive.projectDir(project), 'P1', 'S1', 'anat')
mkdirSync(dir, { recursive: true })

// The images (nibabel), and scipy/numpy's time for the same operations on them (the peer).
const PY = `
import sys, json, time, numpy as np, nibabel as nib
from scipy import ndimage
d = sys.argv[1]
rng = np.random.default_rng(3)
n = 256
z, y, x = np.mgrid[0:n, 0:n, 0:n].astype(np.float32) - n / 2
r = np.sqrt(x * x + y * y + z * z)
img = np.where(r < n * 0.4, 500, 0) + rng.integers(0, 50, size=(n, n, n))
img = img.astype(np.int16)
nib.save(nib.Nifti1Image(img, np.eye(4)), d + '/big256.nii')
ct = (rng.integers(-1000, 1500, size=(512, 512, 300))).astype(np.int16)
def best(f, k=3):
    t = []
    for _ in range(k):
        t0 = time.perf_counter(); out = f(); t.append((time.perf_counter() - t0) * 1000)
    return min(t), out
seed = (128, 128, 128); v0 = int(img[seed])
def grow():
    lab, _ = ndimage.label((img >= v0 - 100) & (img <= v0 + 100))
    return lab == lab[seed]
g_ms, grown = best(grow)
s6 = ndimage.generate_binary_structure(3, 1)
d_ms, _ = best(lambda: ndimage.binary_dilation(grown, structure=s6))
mask = ct >= 0
def st():
    v = ct[mask].astype(np.float64)
    return np.percentile(v, [25, 50, 75]), v.mean(), v.std()
s_ms, _ = best(st, 2)
print(json.dumps({'growMs': g_ms, 'grown': int(grown.sum()), 'dilateMs': d_ms, 'statsMs': s_ms, 'statsVoxels': int(mask.sum())}))
`
const gen = Bun.spawnSync(['/usr/bin/python3', '-c', PY, dir], { stderr: 'pipe' })
if (gen.exitCode !== 0) throw new Error(`generating the images failed (needs /usr/bin/python3 with numpy, scipy, nibabel): ${gen.stderr}`)
const peer = JSON.parse(gen.stdout.toString()) as { growMs: number; grown: number; dilateMs: number; statsMs: number; statsVoxels: number }
await h.services.archive.addFiles(admin, 'ROIBENCH', [join(dir, 'big256.nii')])
// The statistics window's code as a page script of its own (the viewer bundle exports nothing).
const entry = join(dir, 'roi-stats-bench.ts')
await Bun.write(
  entry,
  `import { roiStatistics } from '${join(import.meta.dir, '../src/web/viewer/roi/stats-window')}'
(window as any).roiStatsBench = (reps: number) => {
  const dims = [512, 512, 300], n = dims[0] * dims[1] * dims[2]
  const img = new Int16Array(n)
  let s = 12345
  for (let i = 0; i < n; i++) { s = (s * 1103515245 + 12345) >>> 0; img[i] = (s >>> 16) % 2500 - 1000 }
  const affine = [[0.7, 0, 0, 0], [0, 0.7, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
  const grid = { dims, affine: affine.flat() }
  const mask = new Uint8Array(n)
  let voxels = 0
  for (let i = 0; i < n; i++) if (img[i] >= 0) (mask[i] = 1), voxels++
  const roi = { id: 1, name: 'ct', grid, mask } as any
  const image = { key: 'ct', name: 'ct512', item: { volume: { hdr: { dims: [3, ...dims], affine, scl_slope: 1, scl_inter: 0 }, img } } } as any
  const ms: number[] = []
  let row: any
  for (let r = 0; r < reps; r++) {
    const t = performance.now()
    row = roiStatistics([roi], [image])[0]
    ms.push(performance.now() - t)
  }
  return { ms, voxels, row }
}
`,
)
const built = await Bun.build({ entrypoints: [entry], target: 'browser', format: 'iife', minify: true })
if (!built.success) throw new Error(built.logs.map(String).join('\n'))
const statsBundle = await built.outputs[0]!.text()
const server = h.app.listen({ hostname: '127.0.0.1', port: 0 })
const url = `http://127.0.0.1:${server.server!.port}/`
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] })

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function openStudy(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } })
  page.setDefaultTimeout(240_000) // a busy 2-core machine: loading 256³ through software WebGL takes a while
  await page.goto(url)
  await page.fill('input[name=username]', 'bench')
  await page.fill('input[name=password]', PW)
  await page.click('button[type=submit]')
  await page.waitForSelector('#project-list')
  await page.goto(`${url}?project=ROIBENCH`)
  await page.waitForFunction(() => !!(window as any).noraViewer)
  return page
}

async function load(page: Page, name: string, viewport: number) {
  await page.evaluate(([n, v]) => (window as any).noraViewer.load({ url: `/api/projects/ROIBENCH/files/P1/S1/anat/${n}`, name: n, viewport: v }), [name, viewport] as const)
  await page.evaluate(() => (window as any).noraViewer.idle())
}

const growSteps: number[] = []
const growStroke: number[] = []
const dilate: number[] = []
const dilateRefresh: number[] = []
const undoMs: number[] = []
const dilateDrawn: number[] = []
const undoDrawn: number[] = []
const refreshKinds: string[] = []
let grownVoxels = 0
let statsMs: number[] = []
let statsVoxels = 0
for (let run = 0; run < runs; run++) {
  const page = await openStudy()
  page.on('pageerror', (e) => console.error(`page error: ${e}`))
  console.error(`run ${run + 1}/${runs}: loading big256.nii`)
  await page.click('[data-layout-choice="1"]')
  await load(page, 'big256.nii', 1)
  await page.click('[data-tool="roi"]')
  await page.locator('[data-tool-panel="roi"] [data-roi-action="new"]').click()
  await page.waitForFunction(() => (window as any).noraViewer.roi.rois.length === 1 && (window as any).noraViewer.state().viewports[0].items.length === 2)
  await page.keyboard.press(' ')
  await page.locator('[data-pen="type"]').selectOption('grow3d')
  // Press on the centre voxel (128, 128, 128), where NiiVue draws it; drag right in steps, reading each step's time.
  const at = await page.evaluate(() => {
    const vp = (window as any).noraViewer.viewer.viewports[0]
    const nv = vp.nv
    nv.scene.crosshairPos = nv.mm2frac([128, 128, 128])
    nv.drawScene()
    const pos = nv.frac2canvasPos(nv.mm2frac([128, 128, 128]))
    const r = vp.canvas.getBoundingClientRect()
    return { x: r.left + pos[0] / nv.uiData.dpr, y: r.top + pos[1] / nv.uiData.dpr }
  })
  const t0 = Date.now()
  await page.mouse.move(at.x, at.y)
  await page.mouse.down()
  growSteps.push(await page.evaluate(() => (window as any).noraViewer.roi.pens.lastGrowMs))
  for (let dx = 10; dx <= 60; dx += 10) {
    await page.mouse.move(at.x + dx, at.y)
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))))
    growSteps.push(await page.evaluate(() => (window as any).noraViewer.roi.pens.lastGrowMs))
  }
  await page.mouse.up()
  growStroke.push(Date.now() - t0)
  grownVoxels = await page.evaluate(() => (window as any).noraViewer.roi.current().voxels)
  console.error(`grow steps (ms): ${growSteps.map((x) => x.toFixed(1)).join(' ')}; voxels ${grownVoxels}`)
  // Dilation through the operations menu: time in the page from the click to the end of its handler.
  await page.keyboard.press(' ')
  await page.locator('[data-roi="operation"]').selectOption('dilate')
  // The display refresh's share is timed by wrapping the ROI layers' refresh for this click. The GPU work queued
  // before (the growing's refreshes) is waited for first (a one-pixel readPixels), so the click is not charged for it.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))))
  const d = await page.evaluate(() => {
    for (const vp of (window as any).noraViewer.viewer.viewports) {
      const gl = vp.nv.gl as WebGL2RenderingContext | undefined
      gl?.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(4))
    }
    const tool = (window as any).noraViewer.roi
    const layers = tool.layers
    const refresh = layers.refresh
    let refreshMs = 0
    let refreshes = 0
    layers.refresh = (...a: unknown[]) => {
      const t = performance.now()
      refresh.apply(layers, a)
      refreshMs += performance.now() - t
      refreshes++
    }
    // The handlers' time leaves GPU work queued (SwiftShader runs it in the GPU process): a one-pixel readPixels
    // waits for it, for the time until the new state is drawn.
    const drain = () => {
      for (const vp of (window as any).noraViewer.viewer.viewports) {
        const gl = vp.nv.gl as WebGL2RenderingContext | undefined
        gl?.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(4))
      }
    }
    const vp0 = (window as any).noraViewer.viewer.viewports[0]
    const b = document.querySelector<HTMLButtonElement>('[data-roi-action="apply-operation"]')!
    const before = tool.current().voxels
    const t = performance.now()
    b.click()
    const ms = performance.now() - t
    drain()
    const drawnMs = performance.now() - t
    const how = layers.lastRefresh?.get(vp0) ?? 'full'
    const after = tool.current().voxels
    const clickRefreshMs = refreshMs
    const clickRefreshes = refreshes
    // Undo of the dilation (ctrl-Z's handler): the flipped voxels back, one refresh.
    const u = performance.now()
    tool.undoEdit()
    const undoMs = performance.now() - u
    drain()
    const undoDrawnMs = performance.now() - u
    const undone = tool.current().voxels
    layers.refresh = refresh
    return { ms, drawnMs, how, refreshMs: clickRefreshMs, refreshes: clickRefreshes, undoMs, undoDrawnMs, before, after, undone, undoBytes: tool.undo.storedBytes as number }
  })
  if (d.undone !== d.before) throw new Error(`undo of the dilation left ${d.undone} voxels, not ${d.before}`)
  dilate.push(d.ms)
  dilateDrawn.push(d.drawnMs)
  dilateRefresh.push(d.refreshMs)
  undoMs.push(d.undoMs)
  undoDrawn.push(d.undoDrawnMs)
  refreshKinds.push(d.how)
  console.error(`dilation: ${d.ms.toFixed(1)} ms (${d.how} display refresh ${d.refreshMs.toFixed(1)} ms in ${d.refreshes} call(s); ${d.before} -> ${d.after} voxels; drawn after ${d.drawnMs.toFixed(1)} ms); undo ${d.undoMs.toFixed(1)} ms (drawn after ${d.undoDrawnMs.toFixed(1)} ms), undo record ${d.undoBytes} bytes`)
  if (run === 0) {
    // Statistics of a 512×512×300 contrast: the statistics window's computation (roiStatistics, the engine's stats)
    // on a 512×512×300 int16 contrast in this page; the contrast is made in the page, not shown (software WebGL
    // in headless Chromium takes minutes to upload 157 MB), the ROI is its voxels >= 0.
    console.error('statistics: 512×512×300')
    await page.evaluate(statsBundle) // evaluated by the test driver: the page's CSP allows no inline script
    const r = await page.evaluate(() => (window as any).roiStatsBench(2))
    statsMs = r.ms
    statsVoxels = r.voxels
  }
  await page.close()
}

const rows = [
  { operation: '3D region growing step, 256³ (grow + merge)', 'nora ms (median)': median(growSteps).toFixed(1), 'max ms': Math.max(...growSteps).toFixed(1), 'scipy ms': peer.growMs.toFixed(1), target: '< 150', voxels: grownVoxels },
  { operation: 'dilation, 256³ (menu: op + undo + refresh)', 'nora ms (median)': median(dilate).toFixed(1), 'max ms': Math.max(...dilate).toFixed(1), 'scipy ms': peer.dilateMs.toFixed(1), target: '< 200', voxels: grownVoxels },
  { operation: `  of which the display refresh (${[...new Set(refreshKinds)].join('/')})`, 'nora ms (median)': median(dilateRefresh).toFixed(1), 'max ms': Math.max(...dilateRefresh).toFixed(1), 'scipy ms': '', target: '', voxels: '' },
  { operation: '  until drawn (queued GPU work done)', 'nora ms (median)': median(dilateDrawn).toFixed(1), 'max ms': Math.max(...dilateDrawn).toFixed(1), 'scipy ms': '', target: '', voxels: '' },
  { operation: 'undo of the dilation (ctrl-Z)', 'nora ms (median)': median(undoMs).toFixed(1), 'max ms': Math.max(...undoMs).toFixed(1), 'scipy ms': '', target: '', voxels: '' },
  { operation: '  until drawn (queued GPU work done)', 'nora ms (median)': median(undoDrawn).toFixed(1), 'max ms': Math.max(...undoDrawn).toFixed(1), 'scipy ms': '', target: '', voxels: '' },
  { operation: 'statistics window, 512×512×300 contrast', 'nora ms (median)': median(statsMs).toFixed(1), 'max ms': Math.max(...statsMs).toFixed(1), 'scipy ms': peer.statsMs.toFixed(1), target: '< 500', voxels: statsVoxels },
]
printTable(rows)
const path = await writeResult('roi-browser', { chromium: browser.version(), runs, growStepsMs: growSteps, growStrokeWallMs: growStroke, dilateMs: dilate, dilateRefreshMs: dilateRefresh, dilateRefreshKinds: refreshKinds, dilateDrawnMs: dilateDrawn, undoMs, undoDrawnMs: undoDrawn, statsMs, peer, rows })
console.log(`wrote ${path}`)
await browser.close()
server.stop()
await h.close()
