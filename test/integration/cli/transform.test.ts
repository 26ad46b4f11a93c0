// `nora transform apply|field` through the built ./nora on NIfTI files made by nibabel: written headers checked with
// nibabel against M·A, resampling onto WORLD or a reference against scipy.ndimage.affine_transform, fields from
// displacement markers and keypoint pairs against the formula and scipy's RBFInterpolator, warps against
// scipy.ndimage.map_coordinates (transform-reference.py); errors that say what is wrong; -p archive paths.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ensureBinary } from '../../helpers/nora-binary'
import { PYTHON, skipWithoutScipy } from '../../unit/roi/oracle'
import { cliHome, type CliHome, spawns } from './cli-harness'

const SCRIPT = join(import.meta.dir, 'transform-reference.py')
const py = (args: string[]) => {
  const p = Bun.spawnSync([PYTHON, SCRIPT, ...args], { stdout: 'pipe', stderr: 'pipe' })
  if (p.exitCode !== 0) throw new Error(`transform-reference.py ${args[0]}: ${p.stderr.toString()}`)
  return JSON.parse(p.stdout.toString())
}

describe.skipIf(skipWithoutScipy)('nora transform', () => {
  let h: CliHome
  let dir: string
  const f = (name: string) => join(dir, name)
  const nora = async (...args: string[]) => {
    const r = await h.nora(['transform', ...args])
    expect(r.code, r.stderr).toBe(0)
    return r
  }

  beforeAll(async () => {
    await ensureBinary() // a build when the sources are newer (minutes on a busy machine)
    h = await cliHome('sqlite')
    dir = join(h.home, 'files')
    mkdirSync(dir)
    py(['make', dir])
  }, 300_000)

  afterAll(async () => {
    await h?.close()
  })

  test('--affine alone: the header becomes M·A (sform; qform when rigid, code 0 with a shear), the voxels stay', async () => {
    const r = await nora('apply', '--image', f('img.nii.gz'), '--affine', f('rigid.txt'), '--out', f('h-rigid.nii.gz'))
    expect(r.stdout).toContain('voxels untouched')
    const rigid = py(['header', f('h-rigid.nii.gz'), f('img.nii.gz'), f('rigid.txt')])
    expect(rigid).toMatchObject({ voxelsEqual: true, dtype: 'float32', sformCode: 1, qformCode: 1 })
    expect(rigid.affineError).toBeLessThan(1e-4)
    expect(rigid.qformError).toBeLessThan(1e-4)
    await nora('apply', '--image', f('img.nii.gz'), '--affine', f('shear.txt'), '--out', f('h-shear.nii'))
    const shear = py(['header', f('h-shear.nii'), f('img.nii.gz'), f('shear.txt')])
    expect(shear).toMatchObject({ voxelsEqual: true, qformCode: 0, sformCode: 1 })
    expect(shear.affineError).toBeLessThan(1e-4)
    // an image with only a qform gets an sform (aligned) too
    await nora('apply', '--image', f('qonly.nii'), '--affine', f('rigid.txt'), '--out', f('h-q.nii'))
    const q = py(['header', f('h-q.nii'), f('qonly.nii'), f('rigid.txt')])
    expect(q).toMatchObject({ voxelsEqual: true, sformCode: 2, qformCode: 1 })
    expect(q.affineError).toBeLessThan(1e-4)
    // NIfTI-2 (double-precision header fields) and a 4-D image: the header moves, every volume stays
    for (const name of ['n2.nii', 'four.nii.gz']) {
      await nora('apply', '--image', f(name), '--affine', f('rigid.txt'), '--out', f(`h-${name}`))
      const moved = py(['header', f(`h-${name}`), f(name), f('rigid.txt')])
      expect(moved.voxelsEqual, name).toBe(true)
      expect(moved.affineError, name).toBeLessThan(1e-4)
    }
    const four = await h.nora(['transform', 'apply', '--image', f('four.nii.gz'), '--affine', f('rigid.txt'), '--grid', 'world', '--out', f('w4.nii.gz')])
    expect(four.code).toBe(2)
    expect(four.stderr).toContain('3 volumes')
  }, spawns(20))

  test('--grid world --voxel: the bounding box grid, voxels equal scipy affine_transform (linear; nearest for masks)', async () => {
    const r = await nora('apply', '--image', f('img.nii.gz'), '--affine', f('shear.txt'), '--grid', 'world', '--voxel', '1.3', '--out', f('w-img.nii.gz'))
    expect(r.stdout).toContain('resampled (linear)')
    const img = py(['world', f('w-img.nii.gz'), f('img.nii.gz'), f('shear.txt'), '1.3', '1'])
    expect(img.shape).toEqual(img.wantShape)
    expect(img.gridError).toBeLessThan(1e-4)
    expect(img.compared).toBeGreaterThan(1000)
    expect(img.maxDiff).toBeLessThan(1e-4)
    expect(img.outsideZero).toBe(true)
    const m = await nora('apply', '--image', f('mask.nii.gz'), '--affine', f('rigid.txt'), '--grid', 'world', '--voxel', '1.1', '--out', f('w-mask.nii.gz'))
    expect(m.stdout).toContain('resampled (nearest)')
    const mask = py(['world', f('w-mask.nii.gz'), f('mask.nii.gz'), f('rigid.txt'), '1.1', '0'])
    expect(mask).toMatchObject({ maxDiff: 0, dtype: 'uint8', outsideZero: true })
    expect(mask.shape).toEqual(mask.wantShape)
  }, spawns(14))

  test('--grid REF: onto the reference matrix, the input datatype kept (int16 rounded)', async () => {
    await nora('apply', '--image', f('big.nii'), '--affine', f('rigid.txt'), '--grid', f('ref.nii.gz'), '--out', f('g.nii.gz'))
    const g = py(['ongrid', f('g.nii.gz'), f('big.nii'), f('rigid.txt'), f('ref.nii.gz'), '1'])
    expect(g).toMatchObject({ dtype: 'int16', gridError: 0 })
    expect(g.shape).toEqual(g.wantShape)
    expect(g.compared).toBeGreaterThan(100)
    expect(g.maxDiff).toBeLessThanOrEqual(0.5 + 1e-6)
  }, spawns(4))

  test('a field from two displacement markers equals the Gaussian formula; --warp matches scipy map_coordinates to 1e-4', async () => {
    const markers = [
      [-20, -10, 15, 3, -2, 1.5, 6],
      [-10, 0, 20, -2, 2.5, 0, 4],
    ]
    const r = await nora('field', '--grid', f('img.nii.gz'), ...markers.flatMap((m) => ['--marker', m.join(',')]), '--out', f('markers.nii.gz'))
    expect(r.stdout).toContain('LPS')
    const field = py(['markers', f('markers.nii.gz'), f('img.nii.gz'), JSON.stringify(markers)])
    expect(field).toMatchObject({ intent: 1007, shape: [24, 20, 14, 1, 3], dtype: 'float32', units: 'mm' })
    expect(field.maxAbs).toBeGreaterThan(1)
    expect(field.maxDiff).toBeLessThan(1e-4)
    await nora('apply', '--image', f('img.nii.gz'), '--warp', f('markers.nii.gz'), '--out', f('warped-markers.nii.gz'))
    const w = py(['warp', f('warped-markers.nii.gz'), f('img.nii.gz'), f('markers.nii.gz')])
    expect(w.compared).toBeGreaterThan(1000)
    expect(w.maxDisplacement).toBeGreaterThan(1)
    expect(w.maxDiff).toBeLessThan(1e-4)
    // markers added on top of a dumped field: the sum
    await nora('field', '--grid', f('img.nii.gz'), '--marker', markers[1]!.join(','), '--base', f('markers.nii.gz'), '--out', f('twice.nii.gz'))
    const twice = py(['markers', f('twice.nii.gz'), f('img.nii.gz'), JSON.stringify([markers[0], markers[1], markers[1]])])
    expect(twice.maxDiff).toBeLessThan(1e-4)
  }, spawns(16))

  test('a field from a pair of keypoint sets equals scipy RBFInterpolator (gaussian); --warp matches map_coordinates to 1e-4', async () => {
    writeFileSync(f('moving.txt'), '-20 -10 15\n-10 0 20\n# the third stays\n-15 5 12\n')
    writeFileSync(f('fixed.txt'), '-18 -11 16\n-12 2 19\n-15 5 12\n')
    await nora('field', '--grid', f('img.nii.gz'), '--moving-points', f('moving.txt'), '--fixed-points', f('fixed.txt'), '--sigma', '5', '--out', f('pairs.nii.gz'))
    const field = py(['points', f('pairs.nii.gz'), f('img.nii.gz'), f('moving.txt'), f('fixed.txt'), '5'])
    expect(field.maxAbs).toBeGreaterThan(1)
    expect(field.maxDiff).toBeLessThan(1e-4)
    await nora('apply', '--image', f('img.nii.gz'), '--warp', f('pairs.nii.gz'), '--out', f('warped-pairs.nii'))
    const w = py(['warp', f('warped-pairs.nii'), f('img.nii.gz'), f('pairs.nii.gz')])
    expect(w.compared).toBeGreaterThan(1000)
    expect(w.maxDiff).toBeLessThan(1e-4)
  }, spawns(14))

  test('bad input says what is wrong', async () => {
    const cases: [string[], RegExp][] = [
      [['apply', '--image', f('img.nii.gz'), '--out', f('x.nii.gz')], /--affine|--warp/],
      [['apply', '--image', f('img.nii.gz'), '--affine', f('moving.txt'), '--out', f('x.nii.gz')], /4x4 matrix/],
      [['apply', '--image', f('img.nii.gz'), '--affine', f('rigid.txt'), '--voxel', '2', '--out', f('x.nii.gz')], /--grid world/],
      [['apply', '--image', f('img.nii.gz'), '--affine', f('rigid.txt'), '--out', f('x.txt')], /NIfTI/],
      [['apply', '--image', f('img.nii.gz'), '--warp', f('img.nii.gz'), '--out', f('x.nii')], /\(x, y, z, 1, 3\)/],
      [['field', '--grid', f('img.nii.gz'), '--marker', '1,2,3', '--out', f('x.nii')], /X,Y,Z,DX,DY,DZ,SIGMA/],
      [['field', '--grid', f('img.nii.gz'), '--moving-points', f('moving.txt'), '--fixed-points', f('fixed.txt'), '--out', f('x.nii')], /--sigma/],
    ]
    for (const [args, message] of cases) {
      const r = await h.nora(['transform', ...args])
      expect(r.code, args.join(' ')).not.toBe(0)
      expect(r.stderr, args.join(' ')).toMatch(message)
    }
    expect(existsSync(f('x.nii.gz')) || existsSync(f('x.nii'))).toBe(false)
  }, spawns(14))

  test("-p P: archive paths under the caller's rights; outputs are registered", async () => {
    expect((await h.init()).result.code).toBe(0)
    expect((await h.nora(['--createproject', 'moved'])).code).toBe(0)
    const study = join(h.dataRoot, 'projects/moved/P1/S1/anat')
    mkdirSync(study, { recursive: true })
    copyFileSync(f('img.nii.gz'), join(study, 't1.nii.gz'))
    copyFileSync(f('rigid.txt'), join(study, 'rigid.txt'))
    expect((await h.nora(['-p', 'moved', '--add', join(study, 't1.nii.gz')])).code).toBe(0)
    const apply = ['-p', 'moved', 'transform', 'apply', '--image', 'P1/S1/anat/t1.nii.gz', '--affine', 'P1/S1/anat/rigid.txt', '--out', 'P1/S1/aligned/t1.nii.gz']
    const r = await h.nora(apply)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('P1/S1/aligned/t1.nii.gz (project moved)')
    const sel = await h.nora(['-p', 'moved', '--select', 'aligned/*.nii.gz'])
    expect(sel.stdout).toContain('aligned/t1.nii.gz')
    const header = py(['header', join(h.dataRoot, 'projects/moved/P1/S1/aligned/t1.nii.gz'), f('img.nii.gz'), f('rigid.txt')])
    expect(header.affineError).toBeLessThan(1e-4)
    const escape = await h.nora(['-p', 'moved', 'transform', 'apply', '--image', '../../../files/img.nii.gz', '--affine', 'P1/S1/anat/rigid.txt', '--out', 'P1/S1/aligned/x.nii.gz'])
    expect(escape.code).toBe(1)
    expect(escape.stderr).toMatch(/"\.\."/)
    expect((await h.nora(['--admin', 'adduser', 'reader', '--password', 'long enough password 1'])).code).toBe(0)
    expect((await h.nora(['--admin', 'grant', 'reader', 'moved', 'read'])).code).toBe(0)
    const asReader = await h.nora([...apply.slice(0, -1), 'P1/S1/aligned/reader.nii.gz', '--user', 'reader'])
    expect(asReader.code, asReader.stderr).toBe(3)
    expect(existsSync(join(h.dataRoot, 'projects/moved/P1/S1/aligned/reader.nii.gz'))).toBe(false)
  }, spawns(12))
})
