/**
 * From a NiiVue volume's header to the ROI engine's grid (src/roi/volume.ts), and the small facts the panel shows.
 */
import { flatAffine, voxelVolumeMm3, type Dims, type Grid } from '../../../roi/volume'

/** The grid of a NiiVue volume as NiiVue reads its header (the affine it displays with: sform or qform). */
export function gridOfHeader(hdr: { dims: number[]; affine: number[][] }): Grid {
  const dims: Dims = [hdr.dims[1]!, Math.max(1, hdr.dims[2] ?? 1), Math.max(1, hdr.dims[3] ?? 1)]
  return { dims, affine: flatAffine(hdr.affine) }
}

/** Volume of one voxel in mL. */
export const voxelMl = (grid: Grid) => voxelVolumeMm3(grid.affine) / 1000

/** Nearest voxel of a continuous voxel position, or undefined outside the grid. */
export function nearestVoxel(dims: readonly number[], v: ArrayLike<number>): [number, number, number] | undefined {
  const r = [Math.round(v[0]!), Math.round(v[1]!), Math.round(v[2]!)] as [number, number, number]
  return r.every((x, a) => x >= 0 && x < dims[a]!) ? r : undefined
}
