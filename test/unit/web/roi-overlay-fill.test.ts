// The CPU fill of an ROI layer's overlay colours: a mask on the background's grid with axes swapped and flipped (as
// NiiVue's RAS order makes them) must land on the background voxels numpy's transpose + flip puts them on.
import { describe, expect, test } from 'bun:test'
import { pythonJson } from '../../helpers/dicom-fixtures'
import { fillBox, voxelMapping } from '../../../src/web/viewer/roi/overlay-fill'

// numpy: a 0/1 mask (x fastest: Fortran order) and, for each case, the background array: axes in `perm` order, `flips`.
const CASES = `
import json, numpy as np
rng = np.random.default_rng(2)
dims = (7, 5, 4)
m = (rng.random(dims) < 0.45).astype(np.uint8)
out = {'dims': dims, 'mask': m.ravel(order='F').tolist(), 'cases': []}
for perm, flips in [((0, 1, 2), (False, False, False)), ((1, 0, 2), (True, False, False)), ((2, 0, 1), (False, True, True)), ((1, 2, 0), (True, True, True))]:
    b = np.transpose(m, perm)
    for r, f in enumerate(flips):
        if f:
            b = np.flip(b, axis=r)
    sub = b[1:, 1:3, :]
    out['cases'].append({'perm': perm, 'flips': flips, 'back': list(b.shape), 'all': b.ravel(order='F').tolist(), 'sub': sub.ravel(order='F').tolist()})
print(json.dumps(out))
`

/** NiiVue's layer frac -> background frac matrix (column-major; row r at 4r) for such a placement. */
function forwardOf(perm: number[], flips: boolean[]): number[] {
  const f = new Array(16).fill(0)
  for (let r = 0; r < 3; r++) {
    f[r * 4 + perm[r]!] = flips[r] ? -1 : 1
    f[r * 4 + 3] = flips[r] ? 1 : 0
  }
  f[15] = 1
  return f
}

describe('ROI overlay fill', () => {
  const ref = pythonJson(CASES)
  const mask = Uint8Array.from(ref.mask as number[])
  const colours = Uint32Array.of(0x10203040, 0xa0b0c0d0)
  const colour = (v: number) => (v ? colours[1]! : colours[0]!)

  test('swapped and flipped axes: every background voxel gets its mask voxel colour (numpy transpose + flip)', () => {
    for (const c of ref.cases) {
      const map = voxelMapping(forwardOf(c.perm, c.flips), ref.dims, c.back)
      expect(map).toBeDefined()
      const [bx, by, bz] = c.back as number[]
      const all = new Uint32Array(bx! * by! * bz!)
      fillBox(all, { min: [0, 0, 0], max: [bx! - 1, by! - 1, bz! - 1] }, mask, map!, colours)
      expect(Array.from(all)).toEqual((c.all as number[]).map(colour))
      const sub = new Uint32Array((bx! - 1) * 2 * bz!)
      fillBox(sub, { min: [1, 1, 0], max: [bx! - 1, 2, bz! - 1] }, mask, map!, colours)
      expect(Array.from(sub)).toEqual((c.sub as number[]).map(colour))
    }
  })

  test('any other placement is refused: another size, a shift of half a voxel, an oblique axis', () => {
    const dims = ref.dims as number[]
    const id = forwardOf([0, 1, 2], [false, false, false])
    expect(voxelMapping(id, dims, [dims[0]! * 2, dims[1]!, dims[2]!])).toBeUndefined()
    const shifted = [...id]
    shifted[3] = 0.5 / dims[0]!
    expect(voxelMapping(shifted, dims, dims)).toBeUndefined()
    const oblique = [...id]
    oblique[1] = 0.1
    expect(voxelMapping(oblique, dims, dims)).toBeUndefined()
  })
})
