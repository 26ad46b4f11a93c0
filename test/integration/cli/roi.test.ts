// `nora roi stats|morph|set|salt|grow` through the built ./nora on real NIfTI files made by nibabel: outputs checked
// with nibabel against scipy.ndimage/numpy (voxels, geometry of the reference), errors that say what is wrong, and
// (-p) archive paths under the caller's rights with outputs registered in the archive.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { copyFileSync, existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { PYTHON, skipWithoutScipy } from '../../unit/roi/oracle'
import { ensureBinary } from '../../helpers/nora-binary'
import { cliHome, type CliHome } from './cli-harness'

const SCRIPT = join(import.meta.dir, 'roi-reference.py')
/** The timeout of a test running ./nora and python `n` times each: generous, for a busy 2-core machine. */
const spawns = (n: number) => Math.max(60_000, n * 15_000)
const py = (args: string[]) => {
  const p = Bun.spawnSync([PYTHON, SCRIPT, ...args], { stdout: 'pipe', stderr: 'pipe' })
  if (p.exitCode !== 0) throw new Error(`roi-reference.py ${args[0]}: ${p.stderr.toString()}`)
  return JSON.parse(p.stdout.toString())
}

describe.skipIf(skipWithoutScipy)('nora roi', () => {
  let h: CliHome
  let dir: string
  let seed: number[]
  let seedValue: number
  const f = (name: string) => join(dir, name)
  const check = (op: string, out: string, ...args: string[]) => py(['check', op, out, ...args]) as { differing: number; voxels: number; geometry: boolean; dtype: string }

  beforeAll(async () => {
    await ensureBinary() // (re)built here, not inside the first test's time
    h = await cliHome('sqlite')
    dir = join(h.home, 'files')
    mkdirSync(dir)
    const made = py(['make', dir])
    seed = made.seed
    seedValue = made.value
  }, 900_000)

  afterAll(async () => {
    await h?.close()
  })

  test('stats --json equals numpy (mean, std, percentiles, volume); the text form names each value', async () => {
    const r = await h.nora(['roi', 'stats', '--image', f('img.nii.gz'), '--roi', f('mask.nii.gz'), '--json'])
    expect(r.code, r.stderr).toBe(0)
    const ours = JSON.parse(r.stdout)
    const want = py(['stats', f('img.nii.gz'), f('mask.nii.gz')])
    expect(ours.voxels).toBe(want.voxels)
    expect(ours.resampled).toBe(false)
    for (const k of ['mean', 'std', 'median', 'p25', 'p75', 'volumeMl']) expect(Math.abs(ours[k] - want[k])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want[k])))
    const text = await h.nora(['roi', 'stats', '--image', f('img.nii.gz'), '--roi', f('mask.nii.gz')])
    expect(text.stdout).toMatch(/^median\s+\S+$/m)
    expect(text.stdout).toMatch(new RegExp(`^voxels\\s+${want.voxels}$`, 'm'))
  }, spawns(2))

  test('stats of an image on another grid resamples it onto the ROI and says so', async () => {
    const r = await h.nora(['roi', 'stats', '--image', f('moved.nii.gz'), '--roi', f('mask.nii.gz'), '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ resampled: true })
    const text = await h.nora(['roi', 'stats', '--image', f('moved.nii.gz'), '--roi', f('mask.nii.gz')])
    expect(text.stdout).toContain('resampled')
  }, spawns(2))

  test('morph erode|dilate|open|close --iterations 2 equal scipy, with the mask geometry', async () => {
    for (const op of ['erode', 'dilate', 'open', 'close']) {
      const out = f(`${op}.nii.gz`)
      const r = await h.nora(['roi', 'morph', op, '--roi', f('mask.nii.gz'), '--iterations', '2', '--out', out])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toContain(`${op} x2`)
      const c = check(op, out, f('mask.nii.gz'), '2')
      expect(c, op).toMatchObject({ differing: 0, geometry: true, dtype: 'uint8' })
      expect(c.voxels).toBeGreaterThan(0)
    }
  }, spawns(4))

  test('set union|intersect|diff equal numpy; a mask of another grid is refused naming both', async () => {
    for (const op of ['union', 'intersect', 'diff']) {
      const out = f(`${op}.nii`)
      const r = await h.nora(['roi', 'set', op, f('mask.nii.gz'), f('mask2.nii.gz'), '--out', out])
      expect(r.code, r.stderr).toBe(0)
      expect(check(op, out, f('mask.nii.gz'), f('mask2.nii.gz')), op).toMatchObject({ differing: 0, geometry: true })
    }
    const bad = await h.nora(['roi', 'set', 'union', f('mask.nii.gz'), f('small.nii.gz'), '--out', f('x.nii.gz')])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('40x32x18')
    expect(bad.stderr).toContain('40x32x10')
    expect(existsSync(f('x.nii.gz'))).toBe(false)
  }, spawns(4))

  test('salt --min equals removing scipy.ndimage.label components smaller than it (6 and 26)', async () => {
    for (const conn of ['6', '26']) {
      const out = f(`salt${conn}.nii.gz`)
      const r = await h.nora(['roi', 'salt', '--roi', f('mask.nii.gz'), '--min', '5', '--connected', conn, '--out', out])
      expect(r.code, r.stderr).toBe(0)
      expect(check('salt', out, f('mask.nii.gz'), '5', conn)).toMatchObject({ differing: 0, geometry: true })
    }
  }, spawns(2))

  test('grow from a seed equals the seed component of the scipy label of [low, high]', async () => {
    for (const conn of ['6', '26']) {
      const out = f(`grow${conn}.nii.gz`)
      const low = String(seedValue - 20)
      const r = await h.nora(['roi', 'grow', '--image', f('img.nii.gz'), '--seed', seed.join(','), '--low', low, '--high', '1000', '--connected', conn, '--out', out])
      expect(r.code, r.stderr).toBe(0)
      const c = check('grow', out, f('img.nii.gz'), seed.join(','), low, '1000', conn)
      expect(c).toMatchObject({ differing: 0, geometry: true })
      expect(c.voxels).toBeGreaterThan(10)
    }
  }, spawns(2))

  test('errors say what is wrong: missing file, bad seed, seed outside the range, bad options', async () => {
    const cases: [string[], number, RegExp][] = [
      [['roi', 'stats', '--image', f('nope.nii.gz'), '--roi', f('mask.nii.gz')], 1, /no file .*nope\.nii\.gz/],
      [['roi', 'grow', '--image', f('img.nii.gz'), '--seed', '40,0,0', '--low', '0', '--high', '1', '--out', f('g.nii.gz')], 1, /seed 40,0,0 is not a voxel of the 40x32x18 grid/],
      [['roi', 'grow', '--image', f('img.nii.gz'), '--seed', '1,2', '--low', '0', '--high', '1', '--out', f('g.nii.gz')], 2, /i,j,k/],
      [['roi', 'grow', '--image', f('img.nii.gz'), '--seed', seed.join(','), '--low', '-1000', '--high', '-999', '--out', f('g.nii.gz')], 2, /outside \[-1000, -999\]/],
      [['roi', 'grow', '--image', f('img.nii.gz'), '--seed', '1,1,1', '--low', '5', '--high', '1', '--out', f('g.nii.gz')], 2, /above --high/],
      [['roi', 'salt', '--roi', f('mask.nii.gz'), '--min', '5', '--connected', '8', '--out', f('g.nii.gz')], 2, /6 \(faces\) or 26/],
      [['roi', 'morph', 'erode', '--roi', f('mask.nii.gz'), '--iterations', '0', '--out', f('g.nii.gz')], 2, /--iterations 0/],
      [['roi', 'morph', 'shrink', '--roi', f('mask.nii.gz'), '--out', f('g.nii.gz')], 2, /"shrink" is not one of erode, dilate, open, close/],
      [['roi', 'morph', 'erode', '--roi', f('mask.nii.gz')], 2, /needs --out/],
      [['roi', 'morph', 'erode', '--roi', f('mask.nii.gz'), '--out', f('g.txt')], 2, /name it \.nii\.gz/],
      [['roi', 'morph', 'erode', '--roi', f('mask.nii.gz'), '--out', join(dir, 'no/such/dir/x.nii.gz')], 1, /folder of --out/],
    ]
    for (const [args, code, message] of cases) {
      const r = await h.nora(args)
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code)
      expect(r.stderr, args.join(' ')).toMatch(message)
    }
    expect(existsSync(f('g.nii.gz'))).toBe(false)
  }, spawns(12))

  test('-p P: archive paths under the caller\'s rights; outputs are registered (file patterns find them)', async () => {
    expect((await h.init()).result.code).toBe(0)
    expect((await h.nora(['--createproject', 'brains'])).code).toBe(0)
    const study = join(h.dataRoot, 'projects/brains/P1/S1/anat')
    mkdirSync(study, { recursive: true })
    copyFileSync(f('img.nii.gz'), join(study, 't1.nii.gz'))
    expect((await h.nora(['-p', 'brains', '--add', join(study, 't1.nii.gz')])).code).toBe(0)
    const grow = ['-p', 'brains', 'roi', 'grow', '--image', 'P1/S1/anat/t1.nii.gz', '--seed', seed.join(','), '--low', String(seedValue - 20), '--high', '1000', '--out', 'P1/S1/rois/grown.nii.gz']
    const r = await h.nora(grow)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('P1/S1/rois/grown.nii.gz (project brains)')
    const sel = await h.nora(['-p', 'brains', '--select', 'rois/*.nii.gz'])
    expect(sel.stdout).toContain('rois/grown.nii.gz')
    const stats = await h.nora(['-p', 'brains', 'roi', 'stats', '--image', 'P1/S1/anat/t1.nii.gz', '--roi', 'P1/S1/rois/grown.nii.gz', '--json'])
    expect(stats.code, stats.stderr).toBe(0)
    expect(JSON.parse(stats.stdout).voxels).toBeGreaterThan(10)
    // paths out of the project, and a reader writing
    const out = await h.nora(['-p', 'brains', 'roi', 'stats', '--image', '../../../files/img.nii.gz', '--roi', 'P1/S1/rois/grown.nii.gz'])
    expect(out.code).toBe(1)
    expect(out.stderr).toMatch(/"\.\."/)
    expect((await h.nora(['--admin', 'adduser', 'reader', '--password', 'long enough password 1'])).code).toBe(0)
    expect((await h.nora(['--admin', 'grant', 'reader', 'brains', 'read'])).code).toBe(0)
    const asReader = await h.nora([...grow.slice(0, -1), 'P1/S1/rois/reader.nii.gz', '--user', 'reader'])
    expect(asReader.code, asReader.stderr).toBe(3)
    expect(existsSync(join(h.dataRoot, 'projects/brains/P1/S1/rois/reader.nii.gz'))).toBe(false)
    const readerStats = await h.nora(['-p', 'brains', 'roi', 'stats', '--image', 'P1/S1/anat/t1.nii.gz', '--roi', 'P1/S1/rois/grown.nii.gz', '--user', 'reader'])
    expect(readerStats.code, readerStats.stderr).toBe(0)
  }, spawns(12))
})
