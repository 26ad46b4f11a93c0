// ROI engine benchmark: nora's engine (src/roi) and `nora roi` against scipy.ndimage/numpy, same data, same run.
//   bun run bench roi [--runs 3]
// Data (generated once with numpy/nibabel, cached in the temp dir): a 256³ int16 image (noise, a large sphere and
// smaller blobs), two 256³ masks, and a 512×512×300 int16 CT-like image (.nii, uncompressed) with a mask.
// Rows: "engine" = the operation alone in this bun process (what the browser tool runs; the targets:
// region growing < 150 ms and one morphology op < 200 ms on 256³, statistics of 512×512×300 < 500 ms);
// "scipy" = the same operation alone in one python process (scipy has no region growing: label of the threshold,
// then the seed's component); "nora CLI" = the whole `./nora roi ...` (read, gunzip, op, gzip, write) against a
// python process doing the same with nibabel. Medians of --runs; the load average is printed with the results.
// On a shared, loaded machine wall times stretch with the load: CPU time (process.cpuUsage, time.process_time) is
// what compares the two engines, and what the targets are judged on as well when the load exceeds the cores.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureBinary, NORA } from '../test/helpers/nora-binary'
import { maskOf, parseNifti } from '../src/cli/commands/roi-files'
import { removeSalt } from '../src/roi/components'
import { morph, type MorphOp } from '../src/roi/morphology'
import { regionGrow } from '../src/roi/region-grow'
import { union } from '../src/roi/set-ops'
import { stats } from '../src/roi/stats'
import { measure, printTable, writeResult } from './lib/measure'

const args = process.argv.slice(2)
const RUNS = Number(args[args.indexOf('--runs') + 1] ?? 0) || 3
const PYTHON = '/usr/bin/python3'
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const GENERATE = `
import sys, numpy as np, nibabel as nib
from scipy import ndimage
d = sys.argv[1]
rng = np.random.default_rng(14)
a = np.array([[0.9, 0, 0, -115], [0, 0.9, 0, -130], [0, 0, 1.2, -150], [0, 0, 0, 1.0]])
x, y, z = np.ogrid[:256, :256, :256]
img = rng.integers(0, 1000, (256, 256, 256)).astype(np.int16)
img[(x - 128) ** 2 + (y - 128) ** 2 + (z - 128) ** 2 < 90 ** 2] += 2000
for c in rng.integers(20, 236, (40, 3)):
    img[(x - c[0]) ** 2 + (y - c[1]) ** 2 + (z - c[2]) ** 2 < int(rng.integers(16, 100))] += 2000
nib.save(nib.Nifti1Image(img, a), f'{d}/img256.nii.gz')
roi = ndimage.binary_opening(img > 2000, iterations=1) | (rng.random(img.shape) < 0.002)
nib.save(nib.Nifti1Image(roi.astype(np.uint8), a), f'{d}/roi256.nii.gz')
roi2 = (x - 150) ** 2 + (y - 110) ** 2 + (z - 140) ** 2 < 70 ** 2
nib.save(nib.Nifti1Image(roi2.astype(np.uint8), a), f'{d}/roi256b.nii.gz')
b = np.diag([0.7, 0.7, 1.0, 1.0]); b[:3, 3] = [-180, -180, -150]
x, y, z = np.ogrid[:512, :512, :300]
ct = (rng.normal(40, 20, (512, 512, 300))).astype(np.int16)
body = (x - 256) ** 2 + (y - 256) ** 2 < 200 ** 2
ct[~np.broadcast_to(body, ct.shape)] = -1000
nib.save(nib.Nifti1Image(ct, b), f'{d}/img512.nii')
roi512 = np.broadcast_to((x - 240) ** 2 + (y - 270) ** 2 < 120 ** 2, ct.shape) & (z > 40) & (z < 260)
nib.save(nib.Nifti1Image(roi512.astype(np.uint8), b), f'{d}/roi512.nii.gz')
`

// The same operations in scipy/numpy, timed alone after loading; prints {op: {wall, cpu}} (median ms).
const SCIPY_OPS = `
import sys, json, time, numpy as np, nibabel as nib
from scipy import ndimage
d, runs = sys.argv[1], int(sys.argv[2])
st6, st26 = ndimage.generate_binary_structure(3, 1), ndimage.generate_binary_structure(3, 3)
img = np.asanyarray(nib.load(f'{d}/img256.nii.gz').dataobj)
roi = np.asanyarray(nib.load(f'{d}/roi256.nii.gz').dataobj).astype(bool)
roi2 = np.asanyarray(nib.load(f'{d}/roi256b.nii.gz').dataobj).astype(bool)
ct = np.asanyarray(nib.load(f'{d}/img512.nii').dataobj)
roi512 = np.asanyarray(nib.load(f'{d}/roi512.nii.gz').dataobj).astype(bool)
def grow(st):
    lab, _ = ndimage.label((img >= 1500) & (img <= 4000), structure=st)
    return lab == lab[128, 128, 128]
def salt():
    lab, _ = ndimage.label(roi, structure=st6)
    keep = np.bincount(lab.ravel()) >= 10; keep[0] = False
    return keep[lab]
def stats(im, m):
    v = im[m]
    return np.percentile(v, [50, 25, 75]), v.mean(), v.std()
ops = {
  'grow 6': lambda: grow(st6), 'grow 26': lambda: grow(st26),
  'erode': lambda: ndimage.binary_erosion(roi, structure=st6), 'dilate': lambda: ndimage.binary_dilation(roi, structure=st6),
  'open': lambda: ndimage.binary_opening(roi, structure=st6), 'close': lambda: ndimage.binary_closing(roi, structure=st6),
  'union': lambda: roi | roi2, 'salt (< 10 voxels)': salt,
  'stats 256³': lambda: stats(img, roi), 'stats 512×512×300': lambda: stats(ct, roi512),
}
out = {}
for name, f in ops.items():
    ts, cs = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time(); f()
        ts.append((time.perf_counter() - t) * 1000); cs.append((time.process_time() - c) * 1000)
    out[name] = {'wall': sorted(ts)[len(ts) // 2], 'cpu': sorted(cs)[len(cs) // 2]}
print(json.dumps(out))
`

// One whole command in python (nibabel read, op, nibabel write), the peer of one `nora roi` call.
const PYTHON_CLI = `
import sys, json, numpy as np, nibabel as nib
from scipy import ndimage
op, args = sys.argv[1], sys.argv[2:]
st = ndimage.generate_binary_structure(3, 1)
load = lambda p: nib.load(p)
def save(m, ref, out): nib.save(nib.Nifti1Image(m.astype(np.uint8), ref.affine, ref.header), out)
if op == 'grow':
    im = load(args[0]); a = im.get_fdata()
    s = ndimage.generate_binary_structure(3, 1 if args[4] == '6' else 3)
    lab, _ = ndimage.label((a >= float(args[2])) & (a <= float(args[3])), structure=s)
    save(lab == lab[tuple(map(int, args[1].split(',')))], im, args[5])
elif op in ('erode', 'dilate', 'open', 'close'):
    r = load(args[0]); f = {'erode': ndimage.binary_erosion, 'dilate': ndimage.binary_dilation, 'open': ndimage.binary_opening, 'close': ndimage.binary_closing}[op]
    save(f(np.asanyarray(r.dataobj) != 0, structure=st), r, args[1])
elif op == 'union':
    a, b = load(args[0]), load(args[1])
    save((np.asanyarray(a.dataobj) != 0) | (np.asanyarray(b.dataobj) != 0), a, args[2])
elif op == 'salt':
    r = load(args[0]); lab, _ = ndimage.label(np.asanyarray(r.dataobj) != 0, structure=st)
    keep = np.bincount(lab.ravel()) >= int(args[1]); keep[0] = False
    save(keep[lab], r, args[2])
elif op == 'stats':
    v = load(args[0]).get_fdata()[np.asanyarray(load(args[1]).dataobj) != 0]
    p = np.percentile(v, [50, 25, 75])
    print(json.dumps({'mean': v.mean(), 'std': v.std(), 'median': p[0], 'p25': p[1], 'p75': p[2]}))
`

async function data(): Promise<string> {
  const dir = join(tmpdir(), 'nora-bench-roi', Bun.hash(GENERATE).toString(36))
  if (existsSync(dir)) return dir
  process.stderr.write(`generating ${dir} (256³ and 512×512×300 volumes) ...\n`)
  const partial = `${dir}.partial`
  rmSync(partial, { recursive: true, force: true })
  mkdirSync(partial, { recursive: true })
  const r = Bun.spawnSync([PYTHON, '-c', GENERATE, partial], { stderr: 'pipe' })
  if (r.exitCode !== 0) throw new Error(`generating the data failed: ${r.stderr}`)
  renameSync(partial, dir)
  return dir
}

const dir = await data()
await ensureBinary()
const work = mkdtempSync(join(tmpdir(), 'nora-bench-roi-run-'))
const f = (name: string) => join(dir, name)
const out = (name: string) => join(work, name)

interface Op {
  name: string
  engine: () => unknown
  cli: string[]
  py: string[]
  target?: number
}

process.stderr.write('loading the volumes into this process ...\n')
const files = Object.fromEntries(['img256.nii.gz', 'roi256.nii.gz', 'roi256b.nii.gz', 'img512.nii', 'roi512.nii.gz'].map((n) => [n, parseNifti(new Uint8Array(readFileSync(f(n))), n)]))
const img = files['img256.nii.gz']!.volume
const roi = maskOf(files['roi256.nii.gz']!)
const roi2 = maskOf(files['roi256b.nii.gz']!)
const ct = files['img512.nii']!.volume
const roi512 = maskOf(files['roi512.nii.gz']!)
const dims = img.grid.dims
const growArgs = (conn: string) => ['--image', f('img256.nii.gz'), '--seed', '128,128,128', '--low', '1500', '--high', '4000', '--connected', conn, '--out', out(`grow${conn}.nii.gz`)]
const morphOp = (op: MorphOp): Op => ({
  name: op,
  engine: () => morph(op, roi, dims),
  cli: ['roi', 'morph', op, '--roi', f('roi256.nii.gz'), '--out', out(`${op}.nii.gz`)],
  py: [op, f('roi256.nii.gz'), out(`${op}-py.nii.gz`)],
  target: 200,
})
const ops: Op[] = [
  { name: 'grow 6', engine: () => regionGrow(img.data, dims, [128, 128, 128], 1500, 4000, 6), cli: ['roi', 'grow', ...growArgs('6')], py: ['grow', f('img256.nii.gz'), '128,128,128', '1500', '4000', '6', out('grow-py.nii.gz')], target: 150 },
  { name: 'grow 26', engine: () => regionGrow(img.data, dims, [128, 128, 128], 1500, 4000, 26), cli: ['roi', 'grow', ...growArgs('26')], py: ['grow', f('img256.nii.gz'), '128,128,128', '1500', '4000', '26', out('grow-py.nii.gz')], target: 150 },
  morphOp('erode'),
  morphOp('dilate'),
  morphOp('open'),
  morphOp('close'),
  { name: 'union', engine: () => union(roi, roi2), cli: ['roi', 'set', 'union', f('roi256.nii.gz'), f('roi256b.nii.gz'), '--out', out('union.nii.gz')], py: ['union', f('roi256.nii.gz'), f('roi256b.nii.gz'), out('union-py.nii.gz')] },
  { name: 'salt (< 10 voxels)', engine: () => removeSalt(roi, dims, 10), cli: ['roi', 'salt', '--roi', f('roi256.nii.gz'), '--min', '10', '--out', out('salt.nii.gz')], py: ['salt', f('roi256.nii.gz'), '10', out('salt-py.nii.gz')] },
  { name: 'stats 256³', engine: () => stats(img.data, roi, img.grid), cli: ['roi', 'stats', '--image', f('img256.nii.gz'), '--roi', f('roi256.nii.gz'), '--json'], py: ['stats', f('img256.nii.gz'), f('roi256.nii.gz')] },
  { name: 'stats 512×512×300', engine: () => stats(ct.data, roi512, ct.grid), cli: ['roi', 'stats', '--image', f('img512.nii'), '--roi', f('roi512.nii.gz'), '--json'], py: ['stats', f('img512.nii'), f('roi512.nii.gz')], target: 500 },
]

process.stderr.write('scipy, the operations alone ...\n')
const sp = Bun.spawnSync([PYTHON, '-c', SCIPY_OPS, dir, String(RUNS)], { stdout: 'pipe', stderr: 'pipe' })
if (sp.exitCode !== 0) throw new Error(`the scipy timings failed: ${sp.stderr}`)
const scipyMs = JSON.parse(sp.stdout.toString()) as Record<string, { wall: number; cpu: number }>

const rows: Record<string, string | number>[] = []
const results: Record<string, unknown>[] = []
try {
  for (const op of ops) {
    process.stderr.write(`${op.name} ...\n`)
    op.engine() // warm the JIT once, as the browser tool is after its first use
    const engine: number[] = []
    const engineCpu: number[] = []
    for (let i = 0; i < RUNS; i++) {
      const c = process.cpuUsage()
      const t = performance.now()
      op.engine()
      engine.push(performance.now() - t)
      const used = process.cpuUsage(c)
      engineCpu.push((used.user + used.system) / 1000)
    }
    const cli: number[] = []
    const py: number[] = []
    for (let i = 0; i < RUNS; i++) {
      const a = await measure([NORA, ...op.cli])
      if (a.code !== 0) throw new Error(`nora ${op.cli.join(' ')}: ${a.stderr}`)
      cli.push(a.wallMs)
      const b = await measure([PYTHON, '-c', PYTHON_CLI, ...op.py])
      if (b.code !== 0) throw new Error(`python ${op.py.join(' ')}: ${b.stderr}`)
      py.push(b.wallMs)
    }
    const e = median(engine)
    const ec = median(engineCpu)
    const s = scipyMs[op.name]!
    rows.push({
      op: op.name,
      'engine ms': e.toFixed(0),
      'engine cpu': ec.toFixed(0),
      'scipy ms': s.wall.toFixed(0),
      'scipy cpu': s.cpu.toFixed(0),
      'x scipy (cpu)': (ec / s.cpu).toFixed(2),
      target: op.target ? `< ${op.target} ms: wall ${e < op.target ? 'met' : 'missed'}, cpu ${ec < op.target ? 'met' : 'missed'}` : '',
      'nora CLI s': (median(cli) / 1000).toFixed(2),
      'python s': (median(py) / 1000).toFixed(2),
      'x python': (median(cli) / median(py)).toFixed(2),
    })
    results.push({ op: op.name, engineMs: engine, engineCpuMs: engineCpu, scipyMs: s.wall, scipyCpuMs: s.cpu, cliMs: cli, pythonMs: py, targetMs: op.target })
  }
} finally {
  rmSync(work, { recursive: true, force: true })
}

printTable(rows)
const load = (await Bun.file('/proc/loadavg').text()).split(' ').slice(0, 3).join(' ')
console.log(`\n${RUNS} runs each, medians; load average ${load}; engine = bun ${Bun.version} in-process, scipy ${JSON.stringify(Bun.spawnSync([PYTHON, '-c', 'import scipy; print(scipy.__version__)']).stdout.toString().trim())}`)
const path = await writeResult('roi', { runs: RUNS, loadAverage: load, rows, results })
console.log(`wrote ${path}`)
