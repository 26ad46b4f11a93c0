import { type Grid, applyAffine, checkDims } from '../roi/volume'
import { type Matrix, checkMatrix, compose } from './matrix'
import { TransformError } from './transform-error'

/** The grid of an image moved by `m` (moving -> fixed): the same voxels, the affine m · A. */
export function movedGrid(grid: Grid, m: Matrix): Grid {
  checkMatrix(m)
  return { dims: [...grid.dims], affine: compose(m, grid.affine) }
}

/**
 * WORLD: the axis-aligned RAS grid (affine diag(v, v, v), voxel edges along R, A, S) whose box holds the outer
 * voxel edges of every grid given, at voxel size `voxelMm`; its first voxel's centre sits half a voxel inside
 * the box's lowest corner.
 */
export function worldGrid(grids: readonly Grid[], voxelMm: number): Grid {
  if (!(Number.isFinite(voxelMm) && voxelMm > 0)) throw new TransformError(`the WORLD voxel size must be a positive number of mm, got ${voxelMm}`)
  if (grids.length === 0) throw new TransformError('WORLD needs at least one image')
  const lo = [Infinity, Infinity, Infinity]
  const hi = [-Infinity, -Infinity, -Infinity]
  for (const g of grids) {
    checkDims(g.dims)
    for (const ci of [-0.5, g.dims[0] - 0.5])
      for (const cj of [-0.5, g.dims[1] - 0.5])
        for (const ck of [-0.5, g.dims[2] - 0.5]) {
          const p = applyAffine(g.affine, [ci, cj, ck])
          for (let a = 0; a < 3; a++) {
            lo[a] = Math.min(lo[a]!, p[a]!)
            hi[a] = Math.max(hi[a]!, p[a]!)
          }
        }
  }
  // a box a hair larger than n voxels (float error in the corners) does not get a voxel more
  const dims = [0, 1, 2].map((a) => Math.max(1, Math.ceil((hi[a]! - lo[a]!) / voxelMm - 1e-6))) as [number, number, number]
  if (dims[0] * dims[1] * dims[2] > 2 ** 31 - 1) throw new TransformError(`WORLD at ${voxelMm} mm would be ${dims.join('x')} voxels: choose a larger voxel size`)
  const o = lo.map((l) => l + voxelMm / 2)
  return { dims, affine: [voxelMm, 0, 0, o[0]!, 0, voxelMm, 0, o[1]!, 0, 0, voxelMm, o[2]!, 0, 0, 0, 1] }
}
