// The 12 affine parameters against numpy/scipy (scipy.spatial.transform.Rotation, intrinsic 'XYZ' = Rx·Ry·Rz), the
// round trip matrix -> parameters -> matrix, the quaternion of a rigid affine against nibabel, the WORLD grid.
import { describe, expect, test } from 'bun:test'
import { PYTHON, random, skipWithoutScipy } from '../roi/oracle'
import { fromParameters, invert, compose, parseMatrix, toParameters, type AffineParameters } from '../../../src/transform/matrix'
import { quaternionOf } from '../../../src/transform/nifti-write'
import { worldGrid } from '../../../src/transform/grids'
import { TransformError } from '../../../src/transform/transform-error'

const py = (code: string, input: unknown): unknown => {
  const p = Bun.spawnSync([PYTHON, '-c', code], { stdin: Buffer.from(JSON.stringify(input)), stdout: 'pipe', stderr: 'pipe' })
  if (p.exitCode !== 0) throw new Error(p.stderr.toString())
  return JSON.parse(p.stdout.toString())
}

const REFERENCE = `
import json, sys
import numpy as np
from scipy.spatial.transform import Rotation
out = []
for p, c in json.load(sys.stdin):
    t, r, s, sh = p['translate'], p['rotate'], p['scale'], p['shear']
    m = np.eye(4)
    S = np.array([[1, sh[0], sh[1]], [0, 1, sh[2]], [0, 0, 1]])
    m[:3, :3] = Rotation.from_euler('XYZ', r, degrees=True).as_matrix() @ np.diag(s) @ S
    C = np.eye(4); C[:3, 3] = c
    T = np.eye(4); T[:3, 3] = t
    out.append((T @ C @ m @ np.linalg.inv(C)).ravel().tolist())
print(json.dumps(out))
`

function randomParameters(rnd: () => number): AffineParameters {
  const r = (lo: number, hi: number) => lo + (hi - lo) * rnd()
  return {
    translate: [r(-50, 50), r(-50, 50), r(-50, 50)],
    rotate: [r(-170, 170), r(-80, 80), r(-170, 170)],
    scale: [r(0.5, 2) * (rnd() < 0.3 ? -1 : 1), r(0.5, 2), r(0.5, 2)],
    shear: [r(-0.4, 0.4), r(-0.4, 0.4), r(-0.4, 0.4)],
  }
}

describe.skipIf(skipWithoutScipy)('transform matrices', () => {
  test('fromParameters equals T·C·Rx·Ry·Rz·Z·S·C⁻¹ built by scipy; toParameters gives the parameters back', () => {
    const rnd = random(7)
    const cases = Array.from({ length: 40 }, () => [randomParameters(rnd), [rnd() * 20, rnd() * 20, rnd() * 20]] as [AffineParameters, number[]])
    const want = py(REFERENCE, cases) as number[][]
    cases.forEach(([p, c], i) => {
      const m = fromParameters(p, c)
      m.forEach((x, k) => expect(Math.abs(x - want[i]![k]!)).toBeLessThan(1e-9))
      const back = toParameters(m, c)
      // the same matrix again (a mirror may move between the scales' signs only via the x scale)
      fromParameters(back, c).forEach((x, k) => expect(Math.abs(x - m[k]!)).toBeLessThan(1e-9))
      if (p.scale[0] > 0) {
        for (const key of ['translate', 'rotate', 'scale', 'shear'] as const) back[key].forEach((x, k) => expect(Math.abs(x - p[key][k]!)).toBeLessThan(1e-7))
      }
    })
  }, 60_000)

  test('invert and compose: M · M⁻¹ = I; a singular matrix is refused', () => {
    const m = fromParameters(randomParameters(random(3)))
    compose(m, invert(m)).forEach((x, k) => expect(Math.abs(x - (k % 5 === 0 ? 1 : 0))).toBeLessThan(1e-12))
    expect(() => invert([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])).toThrow(TransformError)
    expect(() => parseMatrix('1 0 0\n0 1 0 0\n0 0 1 0\n0 0 0 1')).toThrow(/4x4/)
    expect(() => parseMatrix('1 0 0 0\n0 1 0 0\n0 0 1 0\n0 0 1 1')).toThrow(/0 0 0 1/)
    expect(parseMatrix('# moving -> fixed\n1,0,0,5\n0 1 0 0\n0 0 1 0\n')).toEqual([1, 0, 0, 5, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])
  })

  test('the quaternion of a rigid affine equals nibabel (set_qform, flips included); a shear has none', () => {
    const rnd = random(11)
    const affines = Array.from({ length: 20 }, () => {
      const p = randomParameters(rnd)
      p.shear = [0, 0, 0]
      return fromParameters(p)
    })
    const want = py(
      `
import json, sys
import numpy as np, nibabel as nib
out = []
for a in json.load(sys.stdin):
    h = nib.Nifti1Header()
    h.set_qform(np.array(a).reshape(4, 4), 1)
    out.append([float(x) for x in [h['quatern_b'], h['quatern_c'], h['quatern_d'], h['pixdim'][0], *h['pixdim'][1:4]]])
print(json.dumps(out))
`,
      affines,
    ) as number[][]
    affines.forEach((a, i) => {
      const q = quaternionOf(a)!
      const [b, c, d, qfac, ...sizes] = want[i]!
      // q and -q are the same rotation: compare up to the sign nibabel chose
      const sign = Math.sign(q.quatern[0] * b! + q.quatern[1] * c! + q.quatern[2] * d!) || 1
      q.quatern.forEach((x, k) => expect(Math.abs(sign * x - [b!, c!, d!][k]!)).toBeLessThan(1e-5))
      expect(q.qfac).toBe(qfac as 1 | -1)
      q.pixdim.forEach((x, k) => expect(Math.abs(x - sizes[k]!)).toBeLessThan(1e-5))
    })
    expect(quaternionOf(fromParameters({ translate: [0, 0, 0], rotate: [10, 0, 0], scale: [1, 1, 1], shear: [0.2, 0, 0] }))).toBeNull()
  }, 60_000)

  test('WORLD holds every grid given, axes along R, A, S at the voxel size', () => {
    const a = { dims: [10, 10, 10] as [number, number, number], affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] }
    const b = { dims: [4, 4, 4] as [number, number, number], affine: [-2, 0, 0, 30, 0, 2, 0, -10, 0, 0, 2, 5, 0, 0, 0, 1] }
    const w = worldGrid([a, b], 0.5)
    // x: a from -0.5 to 9.5, b from 30 - 7 = 23 to 31 -> [-0.5, 31]; y: [-11, 9.5]; z: [-0.5, 12]
    expect(w.dims).toEqual([63, 41, 25])
    expect(w.affine).toEqual([0.5, 0, 0, -0.25, 0, 0.5, 0, -10.75, 0, 0, 0.5, -0.25, 0, 0, 0, 1])
    expect(() => worldGrid([a], 0)).toThrow(/voxel size/)
  })
})
