// The ROI engine (src/roi) voxel for voxel against scipy.ndimage, and its statistics against numpy to 1e-6, on
// generated volumes with anisotropic voxels and oblique affines. Reference values come from scipy-reference.py.
import { beforeAll, describe, expect, test } from 'bun:test'
import { centreOfGravity } from '../../../src/roi/centre-of-gravity'
import { label, removeSalt } from '../../../src/roi/components'
import { penVoxels } from '../../../src/roi/brush'
import { magicRange, rangePenVoxels } from '../../../src/roi/range-pen'
import { morph, type MorphOp } from '../../../src/roi/morphology'
import { regionGrow } from '../../../src/roi/region-grow'
import { resample } from '../../../src/roi/resample'
import { stats } from '../../../src/roi/stats'
import { threshold } from '../../../src/roi/threshold'
import { type Connectivity, type Dims, multiplyAffine, type NumericArray } from '../../../src/roi/volume'
import { blobMask, obliqueAffine, Oracle, random, skipWithoutScipy } from './oracle'

const oracle = new Oracle()
let ref: Record<string, Record<string, unknown>> = {}

/** Where two masks differ, as the first few (i,j,k) - empty when equal. */
function differences(a: ArrayLike<number>, b: ArrayLike<number>, dims: Dims): string[] {
  const out: string[] = []
  if (a.length !== b.length) return [`lengths ${a.length} vs ${b.length}`]
  for (let v = 0; v < a.length && out.length < 5; v++)
    if ((a[v] !== 0) !== (b[v] !== 0)) out.push(`(${v % dims[0]},${Math.floor(v / dims[0]) % dims[1]},${Math.floor(v / (dims[0] * dims[1]))}): ${a[v]} vs ${b[v]}`)
  return out
}

/** A smooth-ish image: a few Gaussian bumps over noise, as `Ctor`. */
function image<T extends NumericArray>(dims: Dims, seed: number, Ctor: { new (n: number): T }, scale = 1000): T {
  const rnd = random(seed)
  const [nx, ny, nz] = dims
  const bumps = Array.from({ length: 4 }, () => [rnd() * nx, rnd() * ny, rnd() * nz, 2 + rnd() * 6, rnd() * scale])
  const out = new Ctor(nx * ny * nz)
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        let x = rnd() * scale * 0.2
        for (const [a, b, c, s, h] of bumps) x += h! * Math.exp(-((i - a!) ** 2 + (j - b!) ** 2 + (k - c!) ** 2) / (2 * s! * s!))
        out[i + nx * (j + ny * k)] = Ctor === (Float32Array as unknown) || Ctor === (Float64Array as unknown) ? x - scale * 0.3 : Math.round(x)
      }
  return out
}

const MORPH_GRIDS: Dims[] = [
  [23, 17, 11], // byte path
  [32, 20, 9], // 32-bit word path (nx % 4 == 0)
  [16, 12, 1], // a single slice: the 4-neighbourhood
  [5, 1, 7], // a single row of slices along j
]
const OPS: MorphOp[] = ['erode', 'dilate', 'open', 'close']
const morphCases: { id: string; dims: Dims; op: MorphOp; iterations: number; mask: Uint8Array }[] = []
const labelCases: { id: string; dims: Dims; connectivity: Connectivity; min: number; mask: Uint8Array }[] = []
const growCases: { id: string; dims: Dims; img: NumericArray; dtype: string; seed: [number, number, number]; low: number; high: number; connectivity: Connectivity }[] = []
const statCases: { id: string; dims: Dims; img: NumericArray; dtype: string; mask: Uint8Array; affine: number[]; slope: number; inter: number }[] = []
const resampleCases: { id: string; dims: Dims; tdims: Dims; img: Float32Array; affine: number[]; taffine: number[]; order: 0 | 1 }[] = []
const penCases: { id: string; dims: Dims; affine: number[]; img: NumericArray; centre: [number, number, number]; radius: number; mode: '2d' | '3d'; plane: 0 | 1 | 2; low: number; high: number; connected: boolean; connectivity: Connectivity }[] = []
const ballCases: { id: string; dims: Dims; affine: number[]; centre: [number, number, number]; radius: number; mode: '2d' | '3d'; plane: 0 | 1 | 2 }[] = []

beforeAll(() => {
  if (skipWithoutScipy) return
  let seed = 1
  for (const dims of MORPH_GRIDS) {
    const mask = blobMask(dims, seed++, 5, 0.03)
    const m = oracle.input(mask)
    for (const op of OPS)
      for (const iterations of [1, 2, 3]) {
        const id = `morph-${dims.join('x')}-${op}-${iterations}`
        morphCases.push({ id, dims, op, iterations, mask })
        oracle.add({ id, op: 'morph', kind: op, mask: m, dims, iterations })
      }
  }
  for (const dims of [[30, 25, 14], [17, 9, 23]] as Dims[]) {
    const mask = blobMask(dims, seed++, 8, 0.08)
    const m = oracle.input(mask)
    for (const connectivity of [6, 26] as Connectivity[]) {
      const id = `label-${dims.join('x')}-${connectivity}`
      labelCases.push({ id, dims, connectivity, min: 4, mask })
      oracle.add({ id, op: 'label', mask: m, dims, connectivity, min: 4 })
    }
  }
  const gdims: Dims = [36, 28, 19]
  for (const [dtype, Ctor] of [['int16', Int16Array], ['float32', Float32Array]] as const) {
    const img = image(gdims, seed++, Ctor as unknown as { new (n: number): NumericArray })
    const path = oracle.input(img)
    const rnd = random(seed++)
    for (const connectivity of [6, 26] as Connectivity[])
      for (let c = 0; c < 3; c++) {
        const s: [number, number, number] = [Math.floor(rnd() * gdims[0]), Math.floor(rnd() * gdims[1]), Math.floor(rnd() * gdims[2])]
        const v = img[s[0] + gdims[0] * (s[1] + gdims[1] * s[2])]!
        const [low, high] = c === 2 ? [v + 1, v + 100] : [v - 40 - c * 60, v + 200]
        const id = `grow-${dtype}-${connectivity}-${c}`
        growCases.push({ id, dims: gdims, img, dtype, seed: s, low, high, connectivity })
        oracle.add({ id, op: 'grow', image: path, dtype, dims: gdims, seed: s, low, high, connectivity })
      }
  }
  const sdims: Dims = [41, 33, 17]
  const oblique = obliqueAffine([0.7, 1.1, 3.2], [0.3, -0.2, 0.5], [-80.5, 12.25, 40])
  const mask = blobMask(sdims, seed++, 4, 0.02)
  const m = oracle.input(mask)
  const slice = new Uint8Array(mask.length)
  for (let v = 0; v < mask.length; v++) if (Math.floor(v / (sdims[0] * sdims[1])) === 8) slice[v] = mask[v]!
  const sl = oracle.input(slice)
  const f64 = image(sdims, seed++, Float64Array)
  f64[17] = Number.NaN
  const types: [string, NumericArray][] = [
    ['float32', image(sdims, seed++, Float32Array)],
    ['float64', f64],
    ['int16', image(sdims, seed++, Int16Array)],
    ['uint8', image(sdims, seed++, Uint8Array, 250)],
    ['int32', image(sdims, seed++, Int32Array, 1e6)],
    ['uint16', image(sdims, seed++, Uint16Array, 60000)],
  ]
  for (const [dtype, img] of types) {
    const p = oracle.input(img)
    for (const [what, mk, mp] of [['blobs', mask, m], ['slice', slice, sl]] as const)
      for (const [slope, inter] of [[1, 0], [-0.25, 7.5]]) {
        const id = `stats-${dtype}-${what}-${slope}`
        statCases.push({ id, dims: sdims, img, dtype, mask: mk, affine: oblique, slope: slope!, inter: inter! })
        oracle.add({ id, op: 'stats', image: p, dtype, mask: mp, dims: sdims, affine: oblique, slope, inter })
      }
  }
  // rows of whole 32-bit words (nx % 4 == 0): the word paths of the mask scans
  const wdims: Dims = [44, 12, 9]
  const wmask = blobMask(wdims, seed++, 3, 0.02)
  const wm = oracle.input(wmask)
  for (const [dtype, img] of [['int16', image(wdims, seed++, Int16Array)], ['float32', image(wdims, seed++, Float32Array)]] as [string, NumericArray][]) {
    const id = `stats-${dtype}-words-1`
    statCases.push({ id, dims: wdims, img, dtype, mask: wmask, affine: oblique, slope: 1, inter: 0 })
    oracle.add({ id, op: 'stats', image: oracle.input(img), dtype, mask: wm, dims: wdims, affine: oblique, slope: 1, inter: 0 })
  }
  const rimg = image(sdims, seed++, Float32Array)
  const rp = oracle.input(rimg)
  // targets inside the source: its affine times a voxel-to-voxel map (rotated, rescaled, shifted)
  const targets: [Dims, number[]][] = [
    [[30, 26, 20], multiplyAffine(oblique, obliqueAffine([1.2, 1.1, 0.75], [0.1, 0.05, -0.2], [3.3, 2.1, 1.4]))],
    [[25, 30, 12], multiplyAffine(oblique, obliqueAffine([1.45, 0.9, 1.3], [-0.05, 0.08, 0.15], [1.7, 0.6, 0.2]))],
  ]
  for (const [t, [tdims, taffine]] of targets.entries())
    for (const order of [0, 1] as const) {
      const id = `resample-${t}-${order}`
      resampleCases.push({ id, dims: sdims, tdims, img: rimg, affine: oblique, taffine, order })
      oracle.add({ id, op: 'resample', image: rp, dtype: 'float32', dims: sdims, affine: oblique, tdims, taffine, order })
    }
  const bdims: Dims = [40, 35, 22]
  for (const [n, [affine, centre, radius, mode, plane]] of (
    [
      [obliqueAffine([0.5, 0.8, 2.5], [0, 0, 0], [0, 0, 0]), [20, 17, 11], 6.2, '3d', 2],
      [obliqueAffine([0.5, 0.8, 2.5], [0.4, -0.3, 0.9], [5, 5, 5]), [3, 30, 20], 9, '3d', 2],
      [obliqueAffine([0.5, 0.8, 2.5], [0.4, -0.3, 0.9], [5, 5, 5]), [20, 17, 11], 7.5, '2d', 2],
      [obliqueAffine([1.5, 0.6, 1.0], [0.2, 0.1, 0], [0, 0, 0]), [10, 5, 11], 4, '2d', 0],
      [obliqueAffine([1.5, 0.6, 1.0], [0, 0, 0], [0, 0, 0]), [10, 5, 11], 0.2, '3d', 1],
    ] as const
  ).entries()) {
    const id = `ball-${n}`
    ballCases.push({ id, dims: bdims, affine: [...affine], centre: [...centre], radius, mode, plane })
    oracle.add({ id, op: 'ball', dims: bdims, affine, centre, radius, mode, plane })
  }
  // threshold and magic pens: footprint x range, connected to the centre or not
  const pimg = image(bdims, seed++, Float32Array)
  const pp = oracle.input(pimg)
  const paff = obliqueAffine([0.5, 0.8, 2.5], [0.4, -0.3, 0.9], [5, 5, 5])
  for (const [n, [centre, radius, mode, plane, connected, connectivity, magic]] of (
    [
      [[20, 17, 11], 8, '3d', 2, false, 6, false],
      [[20, 17, 11], 8, '3d', 2, true, 6, false],
      [[12, 20, 9], 9, '3d', 2, true, 26, true],
      [[30, 10, 4], 7, '2d', 2, true, 6, true],
      [[30, 10, 4], 7, '2d', 1, false, 6, true],
    ] as const
  ).entries()) {
    const v = pimg[centre[0] + bdims[0] * (centre[1] + bdims[1] * centre[2])]!
    const [low, high] = magic ? magicRange(pimg, bdims, [...centre], 60) : [v - 50, Infinity]
    const id = `pen-${n}`
    penCases.push({ id, dims: bdims, affine: paff, img: pimg, centre: [...centre], radius, mode, plane, low, high, connected, connectivity })
    oracle.add({ id, op: 'rangepen', image: pp, dtype: 'float32', dims: bdims, affine: paff, centre, radius, mode, plane, low, high: Number.isFinite(high) ? high : 1e30, connected, connectivity })
  }
  ref = oracle.run()
}, 120_000)

describe.skipIf(skipWithoutScipy)('ROI engine against scipy.ndimage and numpy', () => {
  test('erode, dilate, open, close (6-neighbourhood, iterations 1-3) equal scipy voxel for voxel', () => {
    expect(morphCases.length).toBe(MORPH_GRIDS.length * 12)
    for (const c of morphCases) {
      const ours = morph(c.op, c.mask, c.dims, c.iterations)
      expect(differences(ours, oracle.uint8(c.id), c.dims), c.id).toEqual([])
    }
    // the cases are not trivial: erosion removes, dilation adds
    const e = morphCases.find((c) => c.op === 'erode' && c.iterations === 1)!
    expect(ref[e.id]!.voxels as number).toBeGreaterThan(0)
    expect(ref[e.id]!.voxels as number).toBeLessThan(e.mask.reduce((a, b) => a + b, 0))
  })

  test('the centre of gravity equals scipy.ndimage.center_of_mass', () => {
    for (const c of morphCases.filter((m) => m.op === 'erode' && m.iterations === 1)) {
      const ours = centreOfGravity(c.mask, { dims: c.dims, affine: obliqueAffine([1, 1, 1], [0, 0, 0], [0, 0, 0]) })!
      const want = ref[c.id]!.centre as number[]
      ours.ijk.forEach((x, a) => expect(Math.abs(x - want[a]!)).toBeLessThan(1e-9))
    }
  })

  test('the input mask is left as it was', () => {
    const c = morphCases[0]!
    const copy = c.mask.slice()
    morph('close', c.mask, c.dims, 2)
    expect(differences(copy, c.mask, c.dims)).toEqual([])
  })

  test('label (6 and 26) gives the same components as scipy (up to numbering); remove salt too', () => {
    for (const c of labelCases) {
      const ours = label(c.mask, c.dims, c.connectivity)
      const theirs = oracle.int32(c.id)
      expect(ours.count, c.id).toBe(ref[c.id]!.count as number)
      expect(ours.count).toBeGreaterThan(3)
      // a bijection between our labels and scipy's
      const map = new Map<number, number>()
      const back = new Map<number, number>()
      let bad = 0
      for (let v = 0; v < theirs.length; v++) {
        const a = ours.labels[v]!
        const b = theirs[v]!
        if ((a === 0) !== (b === 0)) bad++
        if (a === 0) continue
        if ((map.get(a) ?? b) !== b || (back.get(b) ?? a) !== a) bad++
        map.set(a, b)
        back.set(b, a)
      }
      expect(bad, c.id).toBe(0)
      const sizes = Array.from(ours.sizes.subarray(1)).reduce((s, x) => s + x, 0)
      expect(sizes).toBe(c.mask.reduce((s, x) => s + x, 0))
      expect(differences(removeSalt(c.mask, c.dims, c.min, c.connectivity), oracle.uint8(c.id, '.salt'), c.dims), `${c.id} salt`).toEqual([])
    }
  })

  test('region growing (6 and 26) equals the seed component of scipy.ndimage.label of the threshold', () => {
    for (const c of growCases) {
      const ours = regionGrow(c.img, c.dims, c.seed, c.low, c.high, c.connectivity)
      expect(differences(ours, oracle.uint8(c.id), c.dims), c.id).toEqual([])
    }
    expect(growCases.some((c) => (ref[c.id]!.voxels as number) > 100)).toBe(true)
    expect(growCases.some((c) => ref[c.id]!.voxels === 0)).toBe(true) // a seed outside its own range grows nothing
  })

  test('region growing within a mask is the grow of the masked threshold', () => {
    const c = growCases[0]!
    const within = blobMask(c.dims, 99, 3, 0)
    const ours = regionGrow(c.img, c.dims, c.seed, c.low, c.high, 6, within)
    const inside = threshold(c.img, c.low, c.high)
    for (let v = 0; v < ours.length; v++) expect(ours[v]! <= (inside[v]! & within[v]!)).toBe(true)
  })

  test('statistics equal numpy (mean, std ddof 0, percentiles 50/25/75 linear) to 1e-6; volume and area', () => {
    for (const c of statCases) {
      const grid = { dims: c.dims, affine: c.affine }
      const ours = stats(c.img, c.mask, grid, { slope: c.slope, inter: c.inter })
      const r = ref[c.id]!
      expect(ours.voxels, c.id).toBe(r.voxels as number)
      expect(ours.samples, c.id).toBe(r.samples as number)
      for (const k of ['mean', 'std', 'median', 'p25', 'p75', 'volumeMl'] as const) {
        const want = r[k] as number
        expect(Math.abs(ours[k] - want), `${c.id} ${k}: ${ours[k]} vs ${want}`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want)))
      }
      if (c.id.includes('slice')) {
        // one slice along k: area = voxels x the parallelogram of the i and j columns
        const a = c.affine
        const u = [a[0]!, a[4]!, a[8]!]
        const w = [a[1]!, a[5]!, a[9]!]
        const face = Math.hypot(u[1]! * w[2]! - u[2]! * w[1]!, u[2]! * w[0]! - u[0]! * w[2]!, u[0]! * w[1]! - u[1]! * w[0]!)
        expect(ours.sliceAxis).toBe(2)
        expect(Math.abs(ours.areaCm2! - (ours.voxels * face) / 100)).toBeLessThan(1e-9)
      } else expect(ours.areaCm2).toBeNull()
    }
  })

  test('resampling (nearest, trilinear) between oblique grids equals scipy.ndimage.map_coordinates', () => {
    for (const c of resampleCases) {
      const ours = resample(c.img, { dims: c.dims, affine: c.affine }, { dims: c.tdims, affine: c.taffine }, c.order === 0 ? 'nearest' : 'linear')
      const theirs = oracle.float64(c.id)
      let bad = 0
      let inside = 0
      for (let v = 0; v < theirs.length; v++) {
        const a = ours[v]!
        const b = theirs[v]!
        if (Number.isNaN(b)) {
          if (!Number.isNaN(a)) bad++
          continue
        }
        inside++
        if (!(Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b)))) bad++
      }
      expect(bad, c.id).toBe(0)
      expect(inside).toBeGreaterThan(theirs.length / 4)
    }
  })

  test('the brush footprint is the ball (or disc) in mm through the affine, anisotropic and oblique', () => {
    for (const c of ballCases) {
      const ours = new Uint8Array(c.dims[0] * c.dims[1] * c.dims[2])
      for (const v of penVoxels({ dims: c.dims, affine: c.affine }, { centre: c.centre, radiusMm: c.radius, mode: c.mode, plane: c.plane })) ours[v] = 1
      expect(differences(ours, oracle.uint8(c.id), c.dims), c.id).toEqual([])
      expect(ref[c.id]!.voxels as number).toBeGreaterThan(0)
    }
  })

  test('threshold and magic pens (connected or not) equal footprint x range, and scipy.ndimage.label for connected', () => {
    for (const c of penCases) {
      const ours = new Uint8Array(c.dims[0] * c.dims[1] * c.dims[2])
      for (const v of rangePenVoxels(c.img, { dims: c.dims, affine: c.affine }, { centre: c.centre, radiusMm: c.radius, mode: c.mode, plane: c.plane, low: c.low, high: c.high, connected: c.connected, connectivity: c.connectivity })) ours[v] = 1
      expect(differences(ours, oracle.uint8(c.id), c.dims), c.id).toEqual([])
      expect(ref[c.id]!.voxels as number, c.id).toBeGreaterThan(1)
    }
    // connected takes fewer voxels than unconnected somewhere (the cases are not trivial)
    expect(ref['pen-1']!.voxels as number).toBeLessThan(ref['pen-0']!.voxels as number)
  })
})
