import { ScanlineFill } from './flood-fill'
import { RoiError } from './roi-error'
import { type Connectivity, type Dims, type Ijk, type Mask, type NumericArray, checkDims, checkMask, checkSize, insideDims, voxelCount, voxelIndex } from './volume'

/**
 * Region growing: the voxels with low <= value <= high connected to `seed` (6- or 26-connectivity), optionally only
 * inside `within`. The mask is empty when the seed's own value is outside [low, high]. Throws a RoiError when the
 * seed is not a voxel of the grid.
 */
export function regionGrow(
  image: NumericArray,
  dims: Dims,
  seed: Ijk,
  low: number,
  high: number,
  connectivity: Connectivity = 6,
  within?: Mask,
): Mask {
  checkDims(dims)
  checkSize(image, dims, 'the image')
  if (within) checkMask(within, dims, 'the constraint mask')
  checkSeed(dims, seed)
  if (connectivity !== 6 && connectivity !== 26) throw new RoiError(`connectivity must be 6 or 26, got ${connectivity}`)
  // The test runs inline on the image (no thresholded copy): the work is the region's size, not the volume's.
  const out = new Uint8Array(voxelCount(dims))
  const nx = dims[0]
  const ok = (v: number): boolean => {
    const x = image[v]!
    return out[v] === 0 && x >= low && x <= high && (within === undefined || within[v] !== 0)
  }
  const seedIndex = voxelIndex(dims, seed[0], seed[1], seed[2])
  if (!ok(seedIndex)) return out
  const fill = new ScanlineFill(dims, connectivity)
  const scan = (from: number, to: number) => {
    let inRun = false
    for (let v = from; v <= to; v++) {
      const x = image[v]!
      if (out[v] === 0 && x >= low && x <= high && (within === undefined || within[v] !== 0)) {
        if (!inRun) fill.push(v)
        inRun = true
      } else inRun = false
    }
  }
  fill.push(seedIndex)
  for (let s = fill.pop(); s >= 0; s = fill.pop()) {
    if (!ok(s)) continue
    const row = s - (s % nx)
    let x0 = s
    let x1 = s
    while (x0 > row && ok(x0 - 1)) x0--
    while (x1 < row + nx - 1 && ok(x1 + 1)) x1++
    out.fill(1, x0, x1 + 1)
    fill.neighbours(s, x0 - row, x1 - row, scan)
  }
  return out
}

/** Throws a RoiError unless the seed is a voxel of the grid. */
export function checkSeed(dims: Dims, seed: readonly number[]): asserts seed is Ijk {
  if (!insideDims(dims, seed)) {
    throw new RoiError(
      `the seed ${seed.join(',')} is not a voxel of the ${dims.join('x')} grid (i, j, k are integers from 0 to ${dims.map((d) => d - 1).join(', ')})`,
    )
  }
}
