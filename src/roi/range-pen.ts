import { type PenShape, paintVoxels, penVoxels } from './brush'
import { floodFill } from './flood-fill'
import { type Connectivity, type Dims, type Grid, type Mask, type NumericArray, checkMask, checkSize, voxelIndex } from './volume'

/** A pen that takes the voxels of its footprint whose value is in [low, high], connected to the centre or not. */
export interface RangePen extends PenShape {
  low: number
  high: number
  /** Only voxels connected to the centre voxel inside the footprint (the "RGrow" and "connected" variants). */
  connected: boolean
  /** Connectivity of `connected` (default 6). */
  connectivity?: Connectivity
}

/**
 * The voxel indices (ascending) a range pen takes: the footprint's voxels with low <= value <= high; when
 * `connected`, only those connected to the centre voxel through such voxels of the footprint (none if the centre
 * itself is out of range). Works in the footprint's bounding box only, so it is cheap for a live preview.
 * Threshold pen "Higher": low = threshold, high = Infinity; "Lower": low = -Infinity, high = threshold.
 * Magic pen: [low, high] from magicRange.
 */
export function rangePenVoxels(image: NumericArray, grid: Grid, pen: RangePen): Int32Array {
  checkSize(image, grid.dims, 'the image')
  const foot = penVoxels(grid, pen)
  const taken = new Int32Array(foot.length)
  let n = 0
  for (let f = 0; f < foot.length; f++) {
    const x = image[foot[f]!]!
    if (x >= pen.low && x <= pen.high) taken[n++] = foot[f]!
  }
  const inRange = taken.subarray(0, n)
  return pen.connected ? connectedToCentre(inRange, grid.dims, voxelIndex(grid.dims, ...pen.centre), pen.connectivity ?? 6) : inRange.slice()
}

/** Magic pen similarity: the values within `tolerance` of the centre voxel's value. */
export function magicRange(image: NumericArray, dims: Dims, centre: [number, number, number], tolerance: number): [number, number] {
  const x = image[voxelIndex(dims, ...centre)]!
  return [x - Math.abs(tolerance), x + Math.abs(tolerance)]
}

/** Applies a range pen: writes `value` (1 draws, 0 erases) at its voxels; returns how many changed. */
export function rangePen(mask: Mask, image: NumericArray, grid: Grid, pen: RangePen, value: 0 | 1): number {
  checkMask(mask, grid.dims)
  return paintVoxels(mask, rangePenVoxels(image, grid, pen), value)
}

/** Of ascending voxel indices, those connected to `centre`, by a flood fill in their bounding box. */
function connectedToCentre(indices: Int32Array, dims: Dims, centre: number, connectivity: Connectivity): Int32Array {
  if (indices.length === 0) return new Int32Array(0)
  const [nx, ny] = dims
  const plane = nx * ny
  const lo = [Infinity, Infinity, Infinity]
  const hi = [-1, -1, -1]
  const ijk = (v: number): [number, number, number] => {
    const k = (v / plane) | 0
    const j = ((v - k * plane) / nx) | 0
    return [v - k * plane - j * nx, j, k]
  }
  for (let n = 0; n < indices.length; n++) {
    const p = ijk(indices[n]!)
    for (let a = 0; a < 3; a++) {
      if (p[a]! < lo[a]!) lo[a] = p[a]!
      if (p[a]! > hi[a]!) hi[a] = p[a]!
    }
  }
  const box: Dims = [hi[0]! - lo[0]! + 1, hi[1]! - lo[1]! + 1, hi[2]! - lo[2]! + 1]
  const local = (p: [number, number, number]) => p[0] - lo[0]! + box[0] * (p[1] - lo[1]! + box[1] * (p[2] - lo[2]!))
  const state = new Uint8Array(box[0] * box[1] * box[2])
  for (let n = 0; n < indices.length; n++) state[local(ijk(indices[n]!))] = 1
  const c = ijk(centre)
  if (c.some((x, a) => x < lo[a]! || x > hi[a]!)) return new Int32Array(0)
  floodFill(state, box, local(c), connectivity)
  const out: number[] = []
  for (let n = 0; n < indices.length; n++) if (state[local(ijk(indices[n]!))] === 2) out.push(indices[n]!)
  return Int32Array.from(out)
}
