// The Navigation tool's ring drag turns about an arbitrary world axis through the symbol (rotationAbout, Rodrigues):
// the matrix equals scipy's Rotation.from_rotvec (right-handed), and the 12 fields it leads to give it back.
import { describe, expect, test } from 'bun:test'
import { fromParameters, toParameters } from '../../../src/transform/matrix'
import { rotationAbout } from '../../../src/web/viewer/navigation/navigation-tool'
import { PYTHON, skipWithoutScipy } from '../roi/oracle'

const CASES: [number[], number][] = [
  [[0, 0, 1], 30],
  [[1, 2, 3], -47.5],
  [[-0.3, 0.9, 0.1], 170],
  [[0, 1, 0], 0.25],
]

describe.skipIf(skipWithoutScipy)('navigation: rotation about an axis', () => {
  test('equals scipy Rotation.from_rotvec', () => {
    const script = `
import sys, json, numpy as np
from scipy.spatial.transform import Rotation
out = []
for axis, deg in json.loads(sys.argv[1]):
    a = np.array(axis, float); a /= np.linalg.norm(a)
    out.append(Rotation.from_rotvec(a * np.radians(deg)).as_matrix().tolist())
print(json.dumps(out))
`
    const r = Bun.spawnSync([PYTHON, '-c', script, JSON.stringify(CASES)], { stdout: 'pipe', stderr: 'pipe' })
    expect(r.exitCode).toBe(0)
    const want = JSON.parse(r.stdout.toString()) as number[][][]
    CASES.forEach(([axis, deg], n) => {
      const m = rotationAbout(axis, deg)
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(Math.abs(m[i * 4 + j]! - want[n]![i]![j]!)).toBeLessThan(1e-12)
      expect(m.slice(12)).toEqual([0, 0, 0, 1])
      // the fields (12 parameters about a centre) hold the same matrix
      const centre = [3, -2, 7]
      const back = fromParameters(toParameters(m, centre), centre)
      back.forEach((x, i) => expect(Math.abs(x - m[i]!)).toBeLessThan(1e-9))
    })
  })
})
