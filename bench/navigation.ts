// bun run bench navigation [--frames N]: frames per second of the MPR reformat interaction (Ctrl + drag: every frame
// the volumes get a new W · A through NiiVue's setAffine + updateGLVolume and the scene is drawn) and of the Navigation
// tool's Ctrl + drag on its symbol (the moving volume's M changes), on a 256x256x256 int16 NIfTI in headless Chromium,
// beside a plain NiiVue render of the same volume in the same page (only the crosshair moves, drawScene). Mouse
// events are dispatched in the page once a frame (the input path of a real drag, without CDP round trips); every
// frame ends with gl.finish(), so the GPU's (SwiftShader's) work is inside the time. Writes bench/results/navigation.json.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { assetPackStale, buildAssets } from '../scripts/build-assets'
import { buildWeb } from '../scripts/build-web'
import { printTable, writeResult } from './lib/measure'

const frames = Number(process.argv[process.argv.indexOf('--frames') + 1]) || 90
await buildWeb()
if (assetPackStale()) buildAssets()
const { startApp } = await import('../test/integration/http/harness')
const h = await startApp('sqlite')
const PW = 'long enough password 1'
const admin = await h.user('bench', PW, { siteAdmin: true })
const project = await h.services.archive.createProject(admin, 'BENCH')
const dir = join(h.services.archive.projectDir(project), 'P1', 'S1', 'anat')
mkdirSync(dir, { recursive: true })
const py = `
import numpy as np, nibabel as nib, sys
n = 256
z, y, x = np.mgrid[0:n, 0:n, 0:n].astype(np.float32) - n / 2
r = np.sqrt(x * x + y * y + z * z)
data = np.where(r < n * 0.45, 1000 - r * 3 + x, 0).astype(np.int16)
nib.save(nib.Nifti1Image(data, np.eye(4)), sys.argv[1] + '/big256.nii.gz')
`
const gen = Bun.spawnSync(['/usr/bin/python3', '-c', py, dir])
if (gen.exitCode !== 0) throw new Error(`generating the volume failed (needs /usr/bin/python3 with numpy and nibabel): ${gen.stderr}`)
await h.services.archive.addFiles(admin, 'BENCH', [join(dir, 'big256.nii.gz')])
const server = h.app.listen({ hostname: '127.0.0.1', port: 0 })
const url = `http://127.0.0.1:${server.server!.port}/`
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] })
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
await page.goto(url)
await page.fill('input[name=username]', 'bench')
await page.fill('input[name=password]', PW)
await page.click('button[type=submit]')
await page.waitForURL((u) => !u.pathname.startsWith('/login'))
await page.goto(`${url}?project=BENCH`)
await page.waitForFunction(() => !!(window as any).noraViewer)
await page.click('#table-body tr.study')
const row = page.locator('#file-tree [data-nora-name="big256.nii.gz"]')
await row.waitFor()
const fileUrl = await row.getAttribute('data-nora-file')
await page.evaluate(async (u) => {
  const v = (window as any).noraViewer
  v.viewer.setLayout('1')
  await v.load({ url: u, name: 'big256.nii.gz', viewport: 1 })
  await v.idle()
}, fileUrl)
const renderer = await page.evaluate(() => {
  const gl = (window as any).noraViewer.viewer.viewports[0].nv.gl as WebGL2RenderingContext
  const ext = gl.getExtension('WEBGL_debug_renderer_info')
  return ext ? String(gl.getParameter(ext.UNMASKED_RENDERER_WEBGL)) : String(gl.getParameter(gl.RENDERER))
})

type Mode = 'plain' | 'reformat' | 'navigation'
async function run(mode: Mode): Promise<{ fps: number; ms: number[] }> {
  if (mode === 'navigation') await page.click('.tool-bar [data-tool="navigation"]')
  return page.evaluate(
    async ({ mode, frames }) => {
      const w = window as any
      const vp = w.noraViewer.viewer.viewports[0]
      const nv = vp.nv
      const gl = nv.gl as WebGL2RenderingContext
      const raf = () => new Promise((r) => requestAnimationFrame(r))
      const rect = vp.canvas.getBoundingClientRect()
      let x = rect.left + rect.width / 2
      let y = rect.top + rect.height / 2
      if (mode === 'navigation') {
        const p = w.noraNavigation.tool.symbolWorld()
        const css = nv.frac2canvasPos(nv.mm2frac(p))
        const dpr = nv.uiData.dpr || 1
        x = rect.left + css[0] / dpr
        y = rect.top + css[1] / dpr
      }
      const ev = (type: string, target: EventTarget, dx: number) => target.dispatchEvent(new MouseEvent(type, { clientX: x + dx, clientY: y, button: 0, buttons: 1, ctrlKey: true, bubbles: true, cancelable: true }))
      if (mode !== 'plain') ev('mousedown', vp.canvas, 0)
      await raf()
      const ms: number[] = []
      const start = performance.now()
      let last = start
      for (let i = 1; i <= frames; i++) {
        const dx = (i % 40) - 20 // to and fro: the image stays in view
        if (mode === 'plain') {
          const c = nv.scene.crosshairPos
          nv.scene.crosshairPos = [c[0], c[1], 0.3 + 0.4 * ((i % 40) / 40)]
          nv.drawScene()
        } else ev('mousemove', window, dx)
        await raf() // the tools update once a frame (requestAnimationFrame)
        gl.finish()
        const now = performance.now()
        ms.push(now - last)
        last = now
      }
      if (mode !== 'plain') ev('mouseup', window, 0)
      const fps = (frames * 1000) / (performance.now() - start)
      if (mode === 'reformat') vp.reformat.reset()
      if (mode === 'navigation') w.noraNavigation.tool.reset()
      await raf()
      return { fps, ms }
    },
    { mode, frames },
  )
}

const rows: Record<string, string | number>[] = []
const results: Record<string, unknown> = {}
const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)]!
for (const mode of ['plain', 'reformat', 'navigation', 'plain'] as Mode[]) {
  const r = await run(mode)
  const label = mode === 'plain' ? 'plain NiiVue render (crosshair moves)' : mode === 'reformat' ? 'reformat Ctrl+drag (W·A, setAffine)' : 'navigation Ctrl+drag on the symbol (M)'
  rows.push({ what: label, 'frames/s': r.fps.toFixed(1), 'median frame ms': median(r.ms).toFixed(1), 'p90 frame ms': [...r.ms].sort((a, b) => a - b)[Math.floor(r.ms.length * 0.9)]!.toFixed(1), frames })
  results[`${mode}${results[mode] ? '_again' : ''}`] = { fps: r.fps, frameMs: r.ms }
}
const moved = await page.evaluate(() => (window as any).noraNavigation.symbol.dragFrames)
printTable(rows)
console.log(`renderer: ${renderer}; navigation drag updates seen by the tool: ${moved}`)
const path = await writeResult('navigation', { chromium: browser.version(), renderer, volume: '256x256x256 int16', frames, results })
console.log(`wrote ${path}`)
await browser.close()
server.stop()
await h.close()
