import { RoiError } from './roi-error'
import { type Axis, type Grid, type Ijk, type Mask, checkMask, insideDims, invert3, linearPart } from './volume'

export type PenMode = '2d' | '3d'

/** Where a pen acts: a ball (3d) or a disc in the slice through `centre` normal to `plane` (2d), radius in mm. */
export interface PenShape {
  centre: Ijk
  radiusMm: number
  mode: PenMode
  /** 2d: the voxel axis normal to the slice drawn on (see axisNearest); ignored in 3d. */
  plane: Axis
}

/**
 * The voxel indices of a pen's footprint, ascending: voxels whose centre lies within radiusMm (in mm, through the
 * affine, so anisotropic and oblique voxels get a true ball or disc) of the centre voxel's centre. The centre voxel
 * is always in (a radius below half a voxel paints one voxel); the footprint is clipped to the grid.
 */
export function penVoxels(grid: Grid, shape: PenShape): Int32Array {
  const { dims } = grid
  const { centre, radiusMm, mode, plane } = shape
  if (!insideDims(dims, centre)) throw new RoiError(`the pen centre ${centre.join(',')} is not a voxel of the ${dims.join('x')} grid`)
  if (!(radiusMm >= 0) || !Number.isFinite(radiusMm)) throw new RoiError(`the pen radius must be a number of mm >= 0, got ${radiusMm}`)
  const m = linearPart(grid.affine)
  const inv = invert3(m)
  // The ellipsoid |M d| <= r spans r * |row a of M^-1| along voxel axis a.
  const reach = [0, 1, 2].map((a) => Math.floor(radiusMm * Math.hypot(inv[a * 3]!, inv[a * 3 + 1]!, inv[a * 3 + 2]!) + 1e-9))
  if (mode === '2d') reach[plane] = 0
  const lo = [0, 1, 2].map((a) => Math.max(0, centre[a]! - reach[a]!))
  const hi = [0, 1, 2].map((a) => Math.min(dims[a]! - 1, centre[a]! + reach[a]!))
  const r2 = radiusMm * radiusMm * (1 + 1e-9)
  const [nx, ny] = dims
  const out: number[] = []
  for (let k = lo[2]!; k <= hi[2]!; k++) {
    const dk = k - centre[2]
    for (let j = lo[1]!; j <= hi[1]!; j++) {
      const dj = j - centre[1]
      const px = m[1]! * dj + m[2]! * dk
      const py = m[4]! * dj + m[5]! * dk
      const pz = m[7]! * dj + m[8]! * dk
      const row = nx * (j + ny * k)
      for (let i = lo[0]!; i <= hi[0]!; i++) {
        const di = i - centre[0]
        const x = m[0]! * di + px
        const y = m[3]! * di + py
        const z = m[6]! * di + pz
        if (x * x + y * y + z * z <= r2 || (di === 0 && dj === 0 && dk === 0)) out.push(row + i)
      }
    }
  }
  return Int32Array.from(out)
}

/** Sets the voxels at `indices` to `value` (0 or 1); returns how many changed. */
export function paintVoxels(mask: Mask, indices: Int32Array, value: 0 | 1): number {
  let changed = 0
  for (let n = 0; n < indices.length; n++) {
    const v = indices[n]!
    if (mask[v] !== value) {
      mask[v] = value
      changed++
    }
  }
  return changed
}

/**
 * The plain brush: writes `value` (1 draws, 0 erases) into `mask` over a ball (3d) or a disc in the slice normal to
 * `plane` (2d) of radiusMm around `centre`. Returns how many voxels changed.
 */
export function brush(mask: Mask, grid: Grid, centre: Ijk, radiusMm: number, mode: PenMode, plane: Axis, value: 0 | 1): number {
  checkMask(mask, grid.dims)
  return paintVoxels(mask, penVoxels(grid, { centre, radiusMm, mode, plane }), value)
}
