// The box an ROI edit changed, which the display redraws: it must hold every flipped voxel (numpy's bounding box of
// before != after), and for edits whose flipped runs stay inside rows (a dilated ball's shell) be exactly that box.
import { describe, expect, test } from 'bun:test'
import { pythonJson } from '../../helpers/dicom-fixtures'
import { diffFlips } from '../../../src/web/viewer/roi/undo'
import { flipsBox, indicesBox, unionBox, type VoxelBox } from '../../../src/web/viewer/roi/voxel-box'

// numpy/scipy: masks in x-fastest (Fortran) order, and the bounding box of what differs.
const CASES = `
import json, numpy as np
from scipy import ndimage
out = {}
def box(d):
    nz = np.nonzero(d)
    return {'min': [int(a.min()) for a in nz], 'max': [int(a.max()) for a in nz]}
def flat(m):
    return np.flatnonzero(m.ravel(order='F')).tolist()
dims = (31, 23, 17)
i, j, k = np.meshgrid(*[np.arange(n) for n in dims], indexing='ij')
ball = (i - 14) ** 2 + ((j - 12) * 1.3) ** 2 + ((k - 9) * 1.6) ** 2 <= 36
dil = ndimage.binary_dilation(ball, structure=ndimage.generate_binary_structure(3, 1), iterations=2)
out['dilate'] = {'dims': dims, 'a': flat(ball), 'b': flat(dil), 'box': box(ball != dil)}
rng = np.random.default_rng(11)
a = rng.random(dims) < 0.5
b = a.copy()
for v in [(0, 3, 2), (30, 3, 2), (5, 22, 16), (7, 0, 4)]:
    b[v] = ~b[v]
out['scattered'] = {'dims': dims, 'a': flat(a), 'b': flat(b), 'box': box(a != b)}
dims8 = (32, 9, 6)
a = rng.random(dims8) < 0.5
b = a.copy()
sl = (slice(3, 29), slice(2, 8), slice(1, 5))
b[sl] = b[sl] ^ (rng.random(b[sl].shape) < 0.6)
out['sponge'] = {'dims': dims8, 'a': flat(a), 'b': flat(b), 'box': box(a != b)}
pts = rng.integers(0, 4000, size=40)
out['indices'] = {'dims': (20, 10, 30), 'idx': pts.tolist(), 'box': box(np.isin(np.arange(6000).reshape((20, 10, 30), order='F'), pts))}
print(json.dumps(out))
`

const mask = (n: number, set: number[]) => {
  const m = new Uint8Array(n)
  for (const v of set) m[v] = 1
  return m
}

const contains = (outer: VoxelBox, inner: VoxelBox) => [0, 1, 2].every((a) => outer.min[a]! <= inner.min[a]! && outer.max[a]! >= inner.max[a]!)

describe('ROI edit boxes', () => {
  const ref = pythonJson(CASES)

  test("a dilated ball's flips (runs within rows): exactly numpy's bounding box of the change", () => {
    const c = ref.dilate
    const n = c.dims[0] * c.dims[1] * c.dims[2]
    const d = diffFlips(mask(n, c.a), mask(n, c.b))!
    expect(flipsBox(d.flips, c.dims)).toEqual(c.box)
  })

  test('scattered flips at the row ends (bitset form): a box that holds numpy bounding box', () => {
    const c = ref.scattered
    const n = c.dims[0] * c.dims[1] * c.dims[2]
    const d = diffFlips(mask(n, c.a), mask(n, c.b))!
    const box = flipsBox(d.flips, c.dims)!
    expect(contains(box, c.box)).toBe(true)
    // Flips at x = 0 and x = 30 of separate rows: the box spans x, and y/z as numpy's.
    expect(box).toEqual(c.box)
  })

  test('a sponge-like change (bitset form, rows of whole bytes): exactly numpy bounding box', () => {
    const c = ref.sponge
    const n = c.dims[0] * c.dims[1] * c.dims[2]
    const d = diffFlips(mask(n, c.a), mask(n, c.b))!
    expect('bits' in d.flips).toBe(true)
    expect(flipsBox(d.flips, c.dims)).toEqual(c.box)
    // A bitset starting inside a row, and one flip only.
    const one = new Uint8Array(4)
    one[2] = 0b100
    expect(flipsBox({ start: 40, bits: one }, c.dims)).toEqual({ min: [26, 1, 0], max: [26, 1, 0] })
  })

  test('runs across rows and planes hold whole rows and planes', () => {
    const dims = [10, 4, 5]
    // One run from (8, 3, 1) to (1, 0, 2): across the end of a plane.
    const box = flipsBox({ runs: Int32Array.of(8 + 3 * 10 + 40, 2 + 80) }, dims)!
    expect(box).toEqual({ min: [0, 0, 1], max: [9, 3, 2] })
    expect(flipsBox({ runs: new Int32Array(0) }, dims)).toBeUndefined()
  })

  test("a pen's voxel indices: numpy's bounding box", () => {
    const c = ref.indices
    expect(indicesBox(c.idx, c.dims)).toEqual(c.box)
    expect(indicesBox([], c.dims)).toBeUndefined()
    expect(unionBox({ min: [1, 5, 2], max: [3, 6, 9] }, { min: [2, 0, 4], max: [8, 1, 5] })).toEqual({ min: [1, 0, 2], max: [8, 6, 9] })
  })
})
