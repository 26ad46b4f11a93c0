import { type Grid, type Mask, checkMask, voxelToWorld } from './volume'

/** The mean voxel position (i, j, k, fractional) and its world point in mm of a mask; null when it is empty. */
export function centreOfGravity(mask: Mask, grid: Grid): { ijk: [number, number, number]; mm: [number, number, number] } | null {
  checkMask(mask, grid.dims)
  const [nx, ny, nz] = grid.dims
  let n = 0
  let si = 0
  let sj = 0
  let sk = 0
  let v = 0
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, v++) {
        if (mask[v] === 0) continue
        n++
        si += i
        sj += j
        sk += k
      }
    }
  }
  if (n === 0) return null
  const ijk: [number, number, number] = [si / n, sj / n, sk / n]
  return { ijk, mm: voxelToWorld(grid, ijk) }
}
