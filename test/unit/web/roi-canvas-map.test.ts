import { describe, expect, test } from 'bun:test'
import type { Niivue } from '@niivue/niivue'
import { toVoxel, type CanvasPoint } from '../../../src/web/viewer/roi/canvas-map'
import { mmToCss } from '../../../src/web/viewer/roi/overlay'
import { growTolerance, thresholdRange, DEFAULT_PEN } from '../../../src/web/viewer/roi/pen-settings'
import { PolygonTool } from '../../../src/web/viewer/roi/polygon-tool'
import type { Roi } from '../../../src/web/viewer/roi/roi'
import type { Viewport } from '../../../src/web/viewer/viewport'

/** numpy: inv(affine) @ [mm, 1] for each point, and the voxel axis most parallel to each world axis. */
function numpyVoxels(affine: number[], points: number[][]): { ijk: number[][]; axes: number[] } {
  const script = `
import sys, json, numpy as np
a = np.array(json.loads(sys.argv[1])).reshape(4, 4); p = np.array(json.loads(sys.argv[2]))
ijk = (np.linalg.inv(a) @ np.c_[p, np.ones(len(p))].T).T[:, :3]
cols = a[:3, :3] / np.linalg.norm(a[:3, :3], axis=0)
print(json.dumps({'ijk': ijk.tolist(), 'axes': [int(np.argmax(np.abs(cols[w, :]))) for w in range(3)]}))`
  const r = Bun.spawnSync(['/usr/bin/python3', '-c', script, JSON.stringify(affine), JSON.stringify(points)])
  if (r.exitCode !== 0) throw new Error(r.stderr.toString())
  return JSON.parse(r.stdout.toString())
}

// Oblique (20° about z, 10° about x), anisotropic (0.8 x 1.2 x 3 mm), flipped i.
const c = Math.cos(0.35), s = Math.sin(0.35), cx = Math.cos(0.17), sx = Math.sin(0.17)
const R = [[c, -s * cx, s * sx], [s, c * cx, -c * sx], [0, sx, cx]]
const size = [-0.8, 1.2, 3]
const affine = [0, 1, 2].flatMap((r) => [...[0, 1, 2].map((col) => R[r]![col]! * size[col]!), [12.5, -40, 7][r]!]).concat([0, 0, 0, 1])
const grid = { dims: [40, 50, 20] as [number, number, number], affine }

describe('canvas -> voxel mapping', () => {
  test('world mm to continuous voxel coordinates and the slice axis match numpy on an oblique, anisotropic grid', () => {
    const points = [[0, 0, 0], [10.3, -22.1, 15], [-7, 3.5, -2.25], [30, 40, 50]]
    const ref = numpyVoxels(affine, points)
    points.forEach((p, n) => {
      for (const normal of [0, 1, 2] as const) {
        const { ijk, axis } = toVoxel(grid, p, normal)
        ijk.forEach((v, a) => expect(v).toBeCloseTo(ref.ijk[n]![a]!, 9))
        expect(axis).toBe(ref.axes[normal]! as 0 | 1 | 2)
      }
    })
  })

  test('mm to CSS pixels in a NiiVue tile: axial, coronal, sagittal, mirrored, device pixel ratio 2', () => {
    // A 200x100 device-pixel tile at (20, 10) showing 100 x 50 mm from (-50, -25).
    const slice = (axCorSag: number, w = 200) => ({ axCorSag, leftTopWidthHeight: [20, 10, w, 100], leftTopMM: [-50, -25], fovMM: [100, 50] })
    const nv = (sl: object) => ({ screenSlices: [sl], uiData: { dpr: 2 } }) as unknown as Niivue
    // Axial: x right, y up. (0, 0) is the tile centre: device (120, 60) -> CSS (60, 30).
    expect(mmToCss(nv(slice(0)), 0, [0, 0, 99])).toEqual([60, 30])
    expect(mmToCss(nv(slice(0)), 0, [50, 25, 0])).toEqual([110, 5])
    // Coronal: x right, z up (y is depth).
    expect(mmToCss(nv(slice(1)), 0, [-50, 99, -25])).toEqual([10, 55])
    // Sagittal: y right, z up.
    expect(mmToCss(nv(slice(2)), 0, [99, 50, 25])).toEqual([110, 5])
    // A mirrored tile (negative width, radiological convention): x runs right to left.
    expect(mmToCss(nv({ ...slice(0, -200), leftTopWidthHeight: [220, 10, -200, 100] }), 0, [50, 0, 0])).toEqual([10, 30])
    // The 3D render tile has no 2D mapping.
    expect(mmToCss(nv(slice(4)), 0, [0, 0, 0])).toBeUndefined()
  })
})

describe('pens and the polygon tool', () => {
  test('threshold range from the window or a number; growing tolerance from the drag', () => {
    const w = { min: 10, max: 210 }
    expect(thresholdRange({ ...DEFAULT_PEN, direction: 'higher', thresholdFrom: 'climL' }, w)).toEqual([10, Infinity])
    expect(thresholdRange({ ...DEFAULT_PEN, direction: 'lower', thresholdFrom: 'climR' }, w)).toEqual([-Infinity, 210])
    expect(thresholdRange({ ...DEFAULT_PEN, direction: 'higher', thresholdFrom: 'number', thresholdValue: 42 }, w)).toEqual([42, Infinity])
    expect(growTolerance(0, w)).toBeCloseTo(10)
    expect(growTolerance(100, w)).toBeCloseTo(110)
    expect(growTolerance(-1000, w)).toBe(0)
  })

  test('an outline clicked point by point, a point moved, rendered into its slice', () => {
    // An axis-aligned 1 x 1 x 2 mm grid; axial clicks (normal z) keep k fixed.
    const g = { dims: [12, 10, 6] as [number, number, number], affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1] }
    const roi = { grid: g, mask: new Uint8Array(12 * 10 * 6) } as unknown as Roi
    const vp = { nv: { tileIndex: () => 0, uiData: { dpr: 1 } } } as unknown as Viewport
    const redraws: unknown[] = []
    const tool = new PolygonTool((v) => redraws.push(v))
    const at = (x: number, y: number): CanvasPoint => ({ mm: [x, y, 6], normal: 2, pxPerMm: 10, css: [0, 0] })
    for (const [x, y] of [[2.4, 2.4], [6.6, 2.4], [6.6, 5.6], [9, 9]] as const) tool.press(vp, at(x, y), roi), tool.release()
    // Move the last point (pressed within 6 px = 0.6 mm of it) to (2.4, 5.6).
    tool.press(vp, at(9.3, 9.2), roi)
    tool.drag(at(2.4, 5.6))
    tool.release()
    expect(tool.outline!.points).toEqual([[2.4, 2.4], [6.6, 2.4], [6.6, 5.6], [2.4, 5.6]])
    expect(tool.outline!.slice).toBe(3)
    expect(tool.render()).toBe(4 * 3) // voxel centres i = 3..6, j = 3..5 in slice k = 3
    const set: number[][] = []
    roi.mask.forEach((v, n) => v && set.push([n % 12, Math.floor(n / 12) % 10, Math.floor(n / 120)]))
    expect(set).toEqual([3, 4, 5].flatMap((j) => [3, 4, 5, 6].map((i) => [i, j, 3])))
    expect(redraws.length).toBeGreaterThan(0)
  })
})
