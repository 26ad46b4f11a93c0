// Import benchmark.
//   bun run bench import [--quick] [--ct]
// 1. A 300-slice 512x512 CT folder (150 MB; issue 12's case): `nora -p P --import FOLDER` with the originals kept
//    and with --keepdicom no, beside native `dcm2niix -z n -o OUT FOLDER` in the same run (interleaved, medians of
//    a few runs, ratios), on the generator's CT (smooth pixels: its bundle compresses ~45x) and on the same CT
//    with noise in the body (pixel entropy like a scanner's: gzip saves ~2/3, which is what the bundle costs).
// 2. Instances per second for a 2,000-instance zip by CLI and by curl, native dcm2niix on the same instances beside
//    it, and peak RSS of the CLI importing a ~250 MB and a ~1 GB zip (it must not grow with size).
// --ct: part 1 only (results in import-ct[-quick].json). --before BINARY: part 1 also times another nora build (an
// earlier commit's ./nora) in the same rounds.
import { existsSync, mkdirSync, readdirSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeHome, type TestHome } from '../test/helpers/home'
import { ensureBinary, NORA } from '../test/helpers/nora-binary'
import { measure, printTable, writeResult } from './lib/measure'

const quick = process.argv.includes('--quick')
const ctOnly = process.argv.includes('--ct')
const before = process.argv.includes('--before') ? process.argv[process.argv.indexOf('--before') + 1] : undefined
const work = join(tmpdir(), 'nora-bench-import')
mkdirSync(work, { recursive: true })
const generator = join(import.meta.dir, '../test/fixtures/generate/make-study.py')
const ctGenerator = join(import.meta.dir, '../test/fixtures/generate/make-ct-series.py')

/** A generated study (series x slices of 256x256) and its zip, cached between runs. */
function dataset(name: string, series: number, slices: number, stored: boolean): { dir: string; zip: string; instances: number } {
  const dir = join(work, name)
  const zip = `${dir}.zip`
  if (!existsSync(zip)) {
    const gen = Bun.spawnSync(['/usr/bin/python3', generator, dir, String(series), String(slices), '256', name.toUpperCase()])
    if (gen.exitCode !== 0) throw new Error(gen.stderr.toString())
    const z = Bun.spawnSync(['/usr/bin/python3', '-c', `import shutil,zipfile,sys,os\nwith zipfile.ZipFile(sys.argv[1],'w',zipfile.${stored ? 'ZIP_STORED' : 'ZIP_DEFLATED'}) as z:\n  [z.write(os.path.join(sys.argv[2],f),f) for f in sorted(os.listdir(sys.argv[2]))]`, zip, dir])
    if (z.exitCode !== 0) throw new Error(z.stderr.toString())
  }
  return { dir, zip, instances: series * slices }
}

/** Noise (sd 15 HU) inside the body of each slice, written as a copy of the series: a scanner's pixel entropy. */
const ADD_NOISE = `
import sys, os, numpy as np, pydicom
src, dst = sys.argv[1], sys.argv[2]
os.makedirs(dst, exist_ok=True)
rng = np.random.default_rng(12)
for f in sorted(os.listdir(src)):
    ds = pydicom.dcmread(os.path.join(src, f))
    px = ds.pixel_array.astype(np.int32)
    body = px > 100
    px[body] += rng.normal(0, 15, int(body.sum())).astype(np.int32)
    ds.PixelData = px.astype(np.int16).tobytes()
    ds.save_as(os.path.join(dst, f))
`

/** The 300 x 512x512 CT folder (make-ct-series.py), and its noisy copy; cached between runs. */
function ctFolders(): { name: string; dir: string }[] {
  const smooth = join(work, 'ct300')
  const noisy = join(work, 'ct300-noise')
  if (!existsSync(join(smooth, 'IM00300.dcm'))) {
    const gen = Bun.spawnSync(['/usr/bin/python3', ctGenerator, smooth, '300'])
    if (gen.exitCode !== 0) throw new Error(gen.stderr.toString())
  }
  if (!existsSync(join(noisy, 'IM00300.dcm'))) {
    const gen = Bun.spawnSync(['/usr/bin/python3', '-c', ADD_NOISE, smooth, noisy])
    if (gen.exitCode !== 0) throw new Error(gen.stderr.toString())
  }
  return [
    { name: 'CT 300x512², generator', dir: smooth },
    { name: 'CT 300x512², with noise', dir: noisy },
  ]
}

const noraBy = (binary: string, home: TestHome, ...args: string[]) => measure([binary, ...args], { cwd: home.home, env: home.env })
const nora = (home: TestHome, ...args: string[]) => noraBy(NORA, home, ...args)
async function freshHome(binary = NORA): Promise<TestHome> {
  const h = makeHome()
  await noraBy(binary, h, 'init')
  await noraBy(binary, h, '--createproject', 'bench')
  return h
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const dirBytes = (dir: string) => readdirSync(dir).reduce((n, f) => n + Bun.file(join(dir, f)).size, 0)

/**
 * Part 1: per dataset, `runs` rounds of dcm2niix, nora keeping the originals, nora with --keepdicom no (each nora
 * into a fresh home, the homes made outside the timing); medians and ratios to dcm2niix's median.
 */
async function ctComparison(runs: number): Promise<{ rows: Record<string, string | number>[]; results: Record<string, unknown> }> {
  const rows: Record<string, string | number>[] = []
  const results: Record<string, unknown> = {}
  for (const { name, dir } of ctFolders()) {
    const out = join(work, 'ct-native-out')
    const dcm2niix = async () => {
      Bun.spawnSync(['rm', '-rf', out])
      mkdirSync(out)
      const r = await measure(['dcm2niix', '-z', 'n', '-o', out, dir])
      if (r.code !== 0) throw new Error(`dcm2niix failed: ${r.stderr}`)
      return r
    }
    const noraImport = async (keep: boolean, binary = NORA) => {
      const h = await freshHome(binary)
      if (!keep) await noraBy(binary, h, '-p', 'bench', '--keepdicom', 'no')
      const r = await noraBy(binary, h, '-p', 'bench', '--import', dir)
      if (r.code !== 0) throw new Error(`nora import failed: ${r.stderr}`)
      const bundle = Bun.spawnSync(['find', join(h.home, 'data', 'projects', 'bench'), '-name', '*.tar.gz', '-printf', '%s']).stdout.toString()
      h.cleanup()
      return { ...r, bundleBytes: Number(bundle || 0) }
    }
    await dcm2niix() // warms the page cache
    type Runs = { wall: number[]; cpu: number[] }
    const series = (): Runs => ({ wall: [], cpu: [] })
    const times = { dcm2niix: series(), keep: series(), drop: series(), beforeKeep: series(), beforeDrop: series() }
    const add = <R extends { wallMs: number; cpuMs: number }>(to: Runs, r: R): R => (to.wall.push(r.wallMs), to.cpu.push(r.cpuMs), r)
    let bundleBytes = 0
    for (let i = 0; i < runs; i++) {
      add(times.dcm2niix, await dcm2niix())
      bundleBytes = add(times.keep, await noraImport(true)).bundleBytes
      add(times.drop, await noraImport(false))
      if (before) {
        add(times.beforeKeep, await noraImport(true, before))
        add(times.beforeDrop, await noraImport(false, before))
      }
    }
    // Wall time is what users feel, but on a shared machine it swings with the load; CPU time (the process and the
    // dcm2niix it ran) swings far less and shows the work done.
    const anchor = { wall: median(times.dcm2niix.wall), cpu: median(times.dcm2niix.cpu) }
    const mb = (dirBytes(dir) / 1e6).toFixed(0)
    const row = (what: string, r: Runs, note = '') => ({
      what: `${what}, ${name}`,
      'wall s': (median(r.wall) / 1000).toFixed(2),
      'x dcm2niix': (median(r.wall) / anchor.wall).toFixed(2),
      'cpu s': (median(r.cpu) / 1000).toFixed(2),
      'cpu x': (median(r.cpu) / anchor.cpu).toFixed(2),
      'wall runs': r.wall.map((m) => (m / 1000).toFixed(2)).join(' '),
      note,
    })
    rows.push(row('dcm2niix -z n -o OUT FOLDER', times.dcm2niix, `${mb} MB`))
    rows.push(row('nora --import FOLDER, originals kept', times.keep, `bundle ${(bundleBytes / 1e6).toFixed(1)} MB (${(dirBytes(dir) / bundleBytes).toFixed(1)}x smaller)`))
    rows.push(row('nora --import FOLDER, --keepdicom no', times.drop))
    if (before) {
      rows.push(row('before: nora --import FOLDER, originals kept', times.beforeKeep, 'the earlier build'))
      rows.push(row('before: nora --import FOLDER, --keepdicom no', times.beforeDrop, 'the earlier build'))
    }
    const ratio = (r: Runs) => ({ wall: median(r.wall) / anchor.wall, cpu: median(r.cpu) / anchor.cpu })
    results[name] = { mb: Number(mb), bundleMb: bundleBytes / 1e6, loadAverage: loadavg(), ...times, ratioKept: ratio(times.keep), ratioDropped: ratio(times.drop), ...(before && { before, ratioBeforeKept: ratio(times.beforeKeep), ratioBeforeDropped: ratio(times.beforeDrop) }) }
  }
  return { rows, results }
}

await ensureBinary()
if (ctOnly) {
  const { rows, results } = await ctComparison(quick ? 3 : 5)
  printTable(rows)
  console.log(`\nwrote ${await writeResult(quick ? 'import-ct-quick' : 'import-ct', { rows, ...results })}`)
  process.exit(0)
}
const ct = await ctComparison(quick ? 3 : 5)
const rows: Record<string, string | number>[] = []
const results: Record<string, unknown> = { ct: ct.results }
const ds = quick ? dataset('small', 4, 50, false) : dataset('i2000', 20, 100, false)
const mb = (Bun.file(ds.zip).size / 1e6).toFixed(0)

// native dcm2niix on the unpacked folder: the conversion alone, the floor for any importer
const outNative = join(work, 'native-out')
Bun.spawnSync(['rm', '-rf', outNative])
mkdirSync(outNative)
const native = await measure(['dcm2niix', '-b', 'y', '-z', 'n', '-o', outNative, ds.dir])
rows.push({ what: `native dcm2niix, folder (${ds.instances} inst.)`, 'wall s': (native.wallMs / 1000).toFixed(2), 'inst/s': (ds.instances / (native.wallMs / 1000)).toFixed(0), 'peak RSS MB': native.peakRssMb.toFixed(0) })

// nora CLI
{
  const h = await freshHome()
  const r = await nora(h, '-p', 'bench', '--import', ds.zip)
  if (r.code !== 0) throw new Error(`import failed: ${r.stderr}`)
  rows.push({ what: `nora --import, zip ${mb} MB`, 'wall s': (r.wallMs / 1000).toFixed(2), 'inst/s': (ds.instances / (r.wallMs / 1000)).toFixed(0), 'peak RSS MB': r.peakRssMb.toFixed(0) })
  results.cli = { wallMs: r.wallMs, peakRssMb: r.peakRssMb }
  h.cleanup()
}

// nora over HTTP, the seed's curl call: upload, then poll until the import is done
{
  const h = await freshHome()
  await nora(h, '--admin', 'adduser', 'bench', '--password', 'bench-pass-1')
  await nora(h, '--admin', 'grant', 'bench', 'bench', 'write')
  const token = (await new Response(Bun.spawn([NORA, '--admin', 'token', 'bench'], { cwd: h.home, env: { ...process.env, ...h.env } }).stdout).text()).trim()
  await nora(h, 'start')
  const t0 = performance.now()
  const curl = Bun.spawnSync(['curl', '-s', `${h.url}index.php?project=bench`, '-F', `call={"cmd":"import","user":"bench","token":"${token}"}`, '-F', `thefile=@${ds.zip};type=application/zip`])
  const { id } = JSON.parse(curl.stdout.toString())
  const uploaded = performance.now()
  for (;;) {
    const s = (await (await fetch(`${h.url}api/imports/${id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { state: string }
    if (s.state === 'done' || s.state === 'failed') break
    await Bun.sleep(50)
  }
  const wall = performance.now() - t0
  rows.push({ what: `curl index.php, zip ${mb} MB (upload ${((uploaded - t0) / 1000).toFixed(2)} s)`, 'wall s': (wall / 1000).toFixed(2), 'inst/s': (ds.instances / (wall / 1000)).toFixed(0), 'peak RSS MB': '' })
  results.curl = { wallMs: wall, uploadMs: uploaded - t0 }
  await nora(h, 'stop')
  h.cleanup()
}

// peak RSS against zip size: ~250 MB vs ~1 GB (stored, so the zip is as large as its content)
if (!quick) {
  for (const [name, series, slices] of [['rss250', 20, 95], ['rss1g', 40, 190]] as const) {
    const big = dataset(name, series, slices, true)
    const h = await freshHome()
    const r = await nora(h, '-p', 'bench', '--import', big.zip)
    const size = (Bun.file(big.zip).size / 1e6).toFixed(0)
    rows.push({ what: `nora --import, stored zip ${size} MB (${big.instances} inst.)`, 'wall s': (r.wallMs / 1000).toFixed(2), 'inst/s': (big.instances / (r.wallMs / 1000)).toFixed(0), 'peak RSS MB': r.peakRssMb.toFixed(0) })
    results[name] = { zipMb: Number(size), wallMs: r.wallMs, peakRssMb: r.peakRssMb }
    h.cleanup()
  }
}

printTable(ct.rows)
console.log()
printTable(rows)
console.log(`\nwrote ${await writeResult(quick ? 'import-quick' : 'import', { ctRows: ct.rows, rows, ...results })}`)
