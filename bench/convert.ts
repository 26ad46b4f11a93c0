// Conversion benchmark: native dcm2niix against nora's builtin (WASM) converter, side by side in one run, on
// generated series: a 300- and a 500-slice 512x512 CT and a 4D MR run (2,400 small files).
//   bun run bench convert [--runs 3] [--naive]      (--naive adds the WASM module fed through MEMFS, as the
//                                                     issue measured it; slow and ~4x the series in memory)
// Wall time and peak RSS per conversion: native = the dcm2niix process (GNU time's max RSS); builtin = a child bun
// process running nora's converter (pool -> Worker -> WASM), whose max RSS includes bun itself. Builtin is timed
// cold (first series of a process), queued (next series of the same import) and later (after the pool idled);
// see bench/convert/child.ts. Medians of --runs.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { printTable, writeResult } from './lib/measure'

const args = process.argv.slice(2)
const RUNS = Number(args[args.indexOf('--runs') + 1] ?? 0) || 3
const NAIVE = args.includes('--naive')
const REPO = join(import.meta.dir, '..')
const PYTHON = '/usr/bin/python3'
const DCM2NIIX = Bun.which('dcm2niix') ?? '/usr/bin/dcm2niix'
const GNU_TIME = '/usr/bin/time'
for (const [path, pkg] of [[PYTHON, 'python3-pydicom python3-numpy'], [DCM2NIIX, 'dcm2niix'], [GNU_TIME, 'time']] as const) {
  if (!existsSync(path)) throw new Error(`bench convert needs ${path} (apt-get install -y ${pkg})`)
}

/** A generated series, cached in the temp dir between runs (keyed by the generator's content and arguments). */
async function series(script: string, genArgs: string[]): Promise<string> {
  const source = await Bun.file(join(REPO, 'test/fixtures/generate', script)).text()
  const dir = join(tmpdir(), 'nora-bench-convert', `${script.replace('.py', '')}-${genArgs.join('_')}-${Bun.hash(source + genArgs.join(' ')).toString(36)}`)
  if (existsSync(dir)) return dir
  process.stderr.write(`generating ${dir} ...\n`)
  const partial = `${dir}.partial`
  rmSync(partial, { recursive: true, force: true })
  const r = Bun.spawnSync([PYTHON, join(REPO, 'test/fixtures/generate', script), partial, ...genArgs], { stderr: 'pipe' })
  if (r.exitCode !== 0) throw new Error(`${script} failed: ${r.stderr}`)
  renameSync(partial, dir)
  return dir
}

interface Run {
  wallMs: number
  peakRssMb: number
  queuedMs?: number
  laterMs?: number
}

/** Runs cmd under GNU time; returns wall time (ours) and max RSS (the kernel's, from wait4). */
async function timed(cmd: string[]): Promise<Run & { stdout: string }> {
  const started = performance.now()
  const proc = Bun.spawn([GNU_TIME, '-f', 'MAXRSS_KB=%M', ...cmd], { stdout: 'pipe', stderr: 'pipe' })
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  const wallMs = performance.now() - started
  if (code !== 0) throw new Error(`${cmd.join(' ')} exited ${code}: ${stderr.slice(-1000)}`)
  const kb = Number(stderr.match(/MAXRSS_KB=(\d+)/)?.[1] ?? NaN)
  return { wallMs, peakRssMb: kb / 1024, stdout }
}

const work = mkdtempSync(join(tmpdir(), 'nora-bench-convert-run-'))
let n = 0

async function native(dir: string): Promise<Run> {
  const out = join(work, `n${n++}`)
  mkdirSync(out)
  const r = await timed([DCM2NIIX, '-b', 'y', '-ba', 'n', '-z', 'n', '-f', '%s_%p', '-o', out, dir])
  rmSync(out, { recursive: true })
  return r
}

async function child(mode: 'builtin' | 'naive', files: string[]): Promise<Run> {
  const out = join(work, `b${n++}`)
  const list = `${out}.json`
  writeFileSync(list, JSON.stringify(files))
  const r = await timed(['bun', join(import.meta.dir, 'convert/child.ts'), mode, out, list])
  const inner = JSON.parse(r.stdout) as { coldMs: number; queuedMs?: number; laterMs?: number }
  rmSync(out, { recursive: true, force: true })
  rmSync(list)
  // Cold: the conversion as the child timed it (its own bun start-up is not part of a conversion).
  return { wallMs: inner.coldMs, queuedMs: inner.queuedMs, laterMs: inner.laterMs, peakRssMb: r.peakRssMb }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const datasets = [
  { name: 'CT 300 x 512x512', dir: await series('make-ct-series.py', ['300']) },
  { name: 'CT 500 x 512x512', dir: await series('make-ct-series.py', ['500']) },
  { name: '4D MR 128x128x40 x 60', dir: await series('make-4d-series.py', ['--rows', '128', '--slices', '40', '--volumes', '60']) },
]

const rows: Record<string, string | number>[] = []
const results: Record<string, unknown>[] = []
try {
  for (const ds of datasets) {
    const files = readdirSync(ds.dir).sort().map((f) => join(ds.dir, f))
    const seriesMb = files.reduce((s, f) => s + statSync(f).size, 0) / 2 ** 20
    for (const f of files) await Bun.file(f).bytes() // inputs in the page cache for every contender alike
    const runs: Record<string, Run[]> = { native: [], builtin: [], naive: [] }
    for (let i = 0; i < RUNS; i++) {
      process.stderr.write(`\r${ds.name}: run ${i + 1}/${RUNS}   `)
      runs.native!.push(await native(ds.dir))
      runs.builtin!.push(await child('builtin', files))
      if (NAIVE) runs.naive!.push(await child('naive', files))
    }
    process.stderr.write('\n')
    const nativeMs = median(runs.native!.map((r) => r.wallMs))
    const line = (converter: string, ms: number, rss: number[]) => {
      const row = {
        series: ds.name,
        files: files.length,
        'series MB': seriesMb.toFixed(0),
        converter,
        'wall s': (ms / 1000).toFixed(2),
        'x native': (ms / nativeMs).toFixed(2),
        'peak RSS MB': median(rss).toFixed(0),
        'RSS/series': (median(rss) / seriesMb).toFixed(2),
      }
      rows.push(row)
    }
    line('native dcm2niix', nativeMs, runs.native!.map((r) => r.peakRssMb))
    const rss = runs.builtin!.map((r) => r.peakRssMb)
    line('builtin, cold', median(runs.builtin!.map((r) => r.wallMs)), rss)
    line('builtin, queued', median(runs.builtin!.map((r) => r.queuedMs!)), rss)
    line('builtin, later', median(runs.builtin!.map((r) => r.laterMs!)), rss)
    if (NAIVE) line('WASM via MEMFS (naive)', median(runs.naive!.map((r) => r.wallMs)), runs.naive!.map((r) => r.peakRssMb))
    results.push({ series: ds.name, raw: runs })
  }
} finally {
  rmSync(work, { recursive: true, force: true })
}

printTable(rows)
const load = (await Bun.file('/proc/loadavg').text()).split(' ').slice(0, 3).join(' ')
console.log(`\n${RUNS} runs each, medians; load average ${load}; native ${DCM2NIIX}; builtin = WASM dcm2niix in a Worker (peak RSS includes bun)`)
const path = await writeResult('convert', { runs: RUNS, loadAverage: load, native: DCM2NIIX, rows, results })
console.log(`wrote ${path}`)
