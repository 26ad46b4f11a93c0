import { histogramPercentiles, percentilesInPlace } from './percentile'
import { type Axis, type Grid, type Mask, type NumericArray, checkMask, checkSize, voxelFaceMm2, voxelVolumeMm3 } from './volume'

export interface RoiStats {
  /** Voxels in the ROI. */
  voxels: number
  /** Values the statistics used: the ROI's voxels whose value is not NaN (a resampled contrast is NaN outside). */
  samples: number
  mean: number
  /** Population standard deviation (ddof = 0, numpy.std's default). */
  std: number
  /** numpy.percentile(values, [50, 25, 75]) with its default linear interpolation. */
  median: number
  p25: number
  p75: number
  /** voxels × the voxel volume (|det| of the affine) in mL. */
  volumeMl: number
  /** For an ROI in a single slice: voxels × the voxel face in that slice, in cm²; otherwise null. */
  areaCm2: number | null
  /** The voxel axis normal to that slice (null when the ROI spans more than one slice on every axis). */
  sliceAxis: Axis | null
}

export interface StatsOptions {
  /** Values are slope * stored + inter (NIfTI scl_slope / scl_inter); default 1 and 0. */
  slope?: number
  inter?: number
}

/** Statistics of `image` inside `mask` on `grid` (image and mask on the same grid; resample the image first). */
export function stats(image: NumericArray, mask: Mask, grid: Grid, options: StatsOptions = {}): RoiStats {
  const { dims } = grid
  checkMask(mask, dims)
  checkSize(image, dims, 'the image')
  const slope = options.slope ?? 1
  const inter = options.inter ?? 0
  const extent = maskExtent(mask, grid)
  const base = hasSmallRange(image) ? histogramStats(image, mask) : selectionStats(image, mask, extent.voxels)
  const scaled = scale(base, slope, inter)
  const vol = voxelVolumeMm3(grid.affine)
  const axis = extent.voxels > 0 ? singleSliceAxis(extent, dims) : null
  return {
    voxels: extent.voxels,
    samples: base.samples,
    ...scaled,
    volumeMl: (extent.voxels * vol) / 1000,
    areaCm2: axis === null ? null : (extent.voxels * voxelFaceMm2(grid.affine, axis)) / 100,
    sliceAxis: axis,
  }
}

type Moments = Pick<RoiStats, 'samples' | 'mean' | 'std' | 'median' | 'p25' | 'p75'>

function scale(m: Moments, slope: number, inter: number): Omit<Moments, 'samples'> {
  if (slope === 1 && inter === 0) return { mean: m.mean, std: m.std, median: m.median, p25: m.p25, p75: m.p75 }
  // A negative slope reverses the order: the 25th percentile becomes the 75th (linear interpolation is symmetric).
  const [p25, p75] = slope >= 0 ? [m.p25, m.p75] : [m.p75, m.p25]
  return { mean: slope * m.mean + inter, std: Math.abs(slope) * m.std, median: slope * m.median + inter, p25: slope * p25 + inter, p75: slope * p75 + inter }
}

function hasSmallRange(image: NumericArray): image is Uint8Array | Int8Array | Uint16Array | Int16Array | Uint8ClampedArray {
  return image instanceof Uint8Array || image instanceof Int8Array || image instanceof Uint16Array || image instanceof Int16Array || image instanceof Uint8ClampedArray
}

/** Integer images of at most 16 bits: a histogram gives exact sums and percentiles without gathering values. */
function histogramStats(image: Uint8Array | Int8Array | Uint16Array | Int16Array | Uint8ClampedArray, mask: Mask): Moments {
  const signed = image instanceof Int8Array || image instanceof Int16Array
  const bits = image instanceof Uint16Array || image instanceof Int16Array ? 16 : 8
  const offset = signed ? 1 << (bits - 1) : 0
  const counts = new Uint32Array(1 << bits)
  const words = wordsOf(mask)
  if (words) {
    // four mask voxels a test: the outside of an ROI is skipped at a quarter of the cost
    for (let w = 0; w < words.length; w++) {
      if (words[w] === 0) continue
      for (let v = w << 2, end = v + 4; v < end; v++) if (mask[v] !== 0) counts[image[v]! + offset]!++
    }
  }
  for (let v = words ? words.length << 2 : 0; v < mask.length; v++) if (mask[v] !== 0) counts[image[v]! + offset]!++
  let n = 0
  let sum = 0
  for (let b = 0; b < counts.length; b++) {
    const c = counts[b]!
    if (c) {
      n += c
      sum += c * (b - offset)
    }
  }
  const mean = n ? sum / n : Number.NaN
  let ss = 0
  for (let b = 0; b < counts.length; b++) {
    const c = counts[b]!
    if (c) {
      const d = b - offset - mean
      ss += c * d * d
    }
  }
  const [median, p25, p75] = histogramPercentiles(counts, (b) => b - offset, n, [50, 25, 75]) as [number, number, number]
  return { samples: n, mean, std: n ? Math.sqrt(ss / n) : Number.NaN, median, p25, p75 }
}

/** Other images: gather the ROI's values (skipping NaN), two-pass moments, percentiles by selection. */
function selectionStats(image: NumericArray, mask: Mask, voxels: number): Moments {
  const Ctor = (image instanceof Float64Array ? Float64Array : image instanceof Int32Array ? Int32Array : image instanceof Uint32Array ? Uint32Array : Float32Array) as
    | Float64ArrayConstructor
    | Float32ArrayConstructor
    | Int32ArrayConstructor
    | Uint32ArrayConstructor
  const values = new Ctor(voxels)
  let n = 0
  let sum = 0
  for (let v = 0; v < mask.length; v++) {
    if (mask[v] === 0) continue
    const x = image[v]!
    if (x !== x) continue // NaN
    values[n++] = x
    sum += x
  }
  const mean = n ? sum / n : Number.NaN
  let ss = 0
  let comp = 0
  for (let i = 0; i < n; i++) {
    const d = values[i]! - mean
    ss += d * d
    comp += d
  }
  // corrected two-pass (Chan, Golub, LeVeque): removes the rounding left in the mean
  const variance = n ? (ss - (comp * comp) / n) / n : Number.NaN
  const [median, p25, p75] = percentilesInPlace(values, n, [50, 25, 75]) as [number, number, number]
  return { samples: n, mean: n ? mean + comp / n : Number.NaN, std: Math.sqrt(Math.max(0, variance)), median, p25, p75 }
}

interface Extent {
  voxels: number
  lo: [number, number, number]
  hi: [number, number, number]
}

/** The ROI's voxel count and bounding box (voxel indices). */
function maskExtent(mask: Mask, grid: Grid): Extent {
  const [nx, ny, nz] = grid.dims
  const lo: [number, number, number] = [nx, ny, nz]
  const hi: [number, number, number] = [-1, -1, -1]
  let voxels = 0
  let v = 0
  const words = nx % 4 === 0 ? wordsOf(mask) : undefined
  const rowWords = nx >> 2
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      if (words) {
        // an empty row (most rows of most ROIs) costs nx/4 word tests
        let any = 0
        for (let w = v >> 2, end = w + rowWords; w < end && any === 0; w++) any = words[w]!
        if (any === 0) {
          v += nx
          continue
        }
      }
      let first = -1
      let last = -1
      let count = 0
      for (let i = 0; i < nx; i++, v++) {
        if (mask[v] !== 0) {
          if (first < 0) first = i
          last = i
          count++
        }
      }
      if (count) {
        voxels += count
        if (first < lo[0]) lo[0] = first
        if (last > hi[0]) hi[0] = last
        if (j < lo[1]) lo[1] = j
        if (j > hi[1]) hi[1] = j
        if (k < lo[2]) lo[2] = k
        if (k > hi[2]) hi[2] = k
      }
    }
  }
  return { voxels, lo, hi }
}

/** The mask as 32-bit words (4 voxels each; the tail beyond a multiple of 4 is not in it), when it is aligned. */
function wordsOf(mask: Mask): Uint32Array | undefined {
  return mask.byteOffset % 4 === 0 ? new Uint32Array(mask.buffer, mask.byteOffset, mask.length >> 2) : undefined
}

/** The axis the ROI is one slice thick on: an axis of size 1 first, else k, j, i in that order; or null. */
function singleSliceAxis(e: Extent, dims: readonly number[]): Axis | null {
  for (const a of [2, 1, 0] as Axis[]) if (dims[a] === 1) return a
  for (const a of [2, 1, 0] as Axis[]) if (e.lo[a] === e.hi[a]) return a
  return null
}
