/**
 * The conventions of the ROI engine (src/roi/), shared by the browser tool and `nora roi`.
 *
 * - A grid is `{ dims: [nx, ny, nz], affine }`: `affine` is 16 numbers, row-major, mapping the voxel (i, j, k, 1)
 *   to millimetres in RAS+ world space, as a NIfTI sform (nibabel's `img.affine`).
 * - A mask is a Uint8Array of nx*ny*nz bytes, 0 or 1; the voxel (i, j, k) is at index i + nx*(j + ny*k)
 *   (i fastest: the order of a NIfTI file's data and of NiiVue's img arrays).
 * - An image is any numeric typed array in the same order (the first nx*ny*nz values are used; a 4-D image's
 *   first volume).
 * - Functions never keep references to their inputs; those that return a mask return a new one unless their name
 *   or doc says they write into one.
 */
import { RoiError } from './roi-error'

export type Dims = [number, number, number]
export type Ijk = [number, number, number]

export interface Grid {
  dims: Dims
  /** 16 numbers, row-major 4x4, voxel (i, j, k, 1) -> mm (RAS+). */
  affine: number[]
}

export type Mask = Uint8Array

export type NumericArray =
  | Uint8Array
  | Uint8ClampedArray
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array

/** 6: faces; 26: faces, edges and corners. */
export type Connectivity = 6 | 26

/** A voxel axis: 0 = i, 1 = j, 2 = k. In 2-D tools, the axis normal to the slice drawn on. */
export type Axis = 0 | 1 | 2

export function voxelCount(dims: Dims): number {
  return dims[0] * dims[1] * dims[2]
}

export function voxelIndex(dims: Dims, i: number, j: number, k: number): number {
  return i + dims[0] * (j + dims[1] * k)
}

/** The (i, j, k) of a voxel index. */
export function voxelIjk(dims: Dims, index: number): Ijk {
  const plane = dims[0] * dims[1]
  const k = Math.floor(index / plane)
  const r = index - k * plane
  const j = Math.floor(r / dims[0])
  return [r - j * dims[0], j, k]
}

export function insideDims(dims: Dims, ijk: readonly number[]): boolean {
  return ijk.length === 3 && ijk.every((v, a) => Number.isInteger(v) && v >= 0 && v < dims[a as Axis])
}

export function emptyMask(dims: Dims): Mask {
  return new Uint8Array(voxelCount(dims))
}

/** Throws a RoiError unless dims are three positive integers. */
export function checkDims(dims: readonly number[]): asserts dims is Dims {
  if (dims.length !== 3 || !dims.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new RoiError(`dims must be three positive integers, got [${dims.join(', ')}]`)
  }
}

/** Throws a RoiError unless `array` holds at least the voxels of `dims` (`what` names it in the message). */
export function checkSize(array: ArrayLike<number>, dims: Dims, what: string): void {
  const n = voxelCount(dims)
  if (array.length < n) throw new RoiError(`${what} has ${array.length} voxels, the grid ${dims.join('x')} needs ${n}`)
}

/** Throws a RoiError unless the mask has exactly the voxels of `dims`. */
export function checkMask(mask: Mask, dims: Dims, what = 'the mask'): void {
  const n = voxelCount(dims)
  if (mask.length !== n) throw new RoiError(`${what} has ${mask.length} voxels, the grid ${dims.join('x')} has ${n}`)
}

/** The 3x3 linear part of an affine, row-major (9 numbers). */
export function linearPart(affine: readonly number[]): number[] {
  return [affine[0]!, affine[1]!, affine[2]!, affine[4]!, affine[5]!, affine[6]!, affine[8]!, affine[9]!, affine[10]!]
}

/** Voxel edge lengths in mm: the lengths of the affine's first three columns. */
export function voxelSizes(affine: readonly number[]): [number, number, number] {
  const col = (c: number) => Math.hypot(affine[c]!, affine[4 + c]!, affine[8 + c]!)
  return [col(0), col(1), col(2)]
}

/** Volume of one voxel in mm³ (|det| of the linear part). */
export function voxelVolumeMm3(affine: readonly number[]): number {
  return Math.abs(det3(linearPart(affine)))
}

/** Area in mm² of a voxel's face normal to `axis` (the parallelogram of the other two columns). */
export function voxelFaceMm2(affine: readonly number[], axis: Axis): number {
  const [a, b] = axis === 0 ? [1, 2] : axis === 1 ? [0, 2] : [0, 1]
  const u = [affine[a!]!, affine[4 + a!]!, affine[8 + a!]!]
  const v = [affine[b!]!, affine[4 + b!]!, affine[8 + b!]!]
  return Math.hypot(u[1]! * v[2]! - u[2]! * v[1]!, u[2]! * v[0]! - u[0]! * v[2]!, u[0]! * v[1]! - u[1]! * v[0]!)
}

export function det3(m: readonly number[]): number {
  return (
    m[0]! * (m[4]! * m[8]! - m[5]! * m[7]!) - m[1]! * (m[3]! * m[8]! - m[5]! * m[6]!) + m[2]! * (m[3]! * m[7]! - m[4]! * m[6]!)
  )
}

/** Inverse of a 3x3 matrix (row-major); throws a RoiError when singular. */
export function invert3(m: readonly number[]): number[] {
  const d = det3(m)
  if (!Number.isFinite(d) || Math.abs(d) < 1e-12) throw new RoiError('the affine is singular (a voxel has no volume)')
  const [a, b, c, e, f, g, h, i, j] = m as number[]
  return [
    (f! * j! - g! * i!) / d,
    (c! * i! - b! * j!) / d,
    (b! * g! - c! * f!) / d,
    (g! * h! - e! * j!) / d,
    (a! * j! - c! * h!) / d,
    (c! * e! - a! * g!) / d,
    (e! * i! - f! * h!) / d,
    (b! * h! - a! * i!) / d,
    (a! * f! - b! * e!) / d,
  ]
}

/** Inverse of an affine (16 numbers, row-major, last row 0 0 0 1). */
export function invertAffine(affine: readonly number[]): number[] {
  const r = invert3(linearPart(affine))
  const t = [affine[3]!, affine[7]!, affine[11]!]
  const out = new Array<number>(16).fill(0)
  for (let row = 0; row < 3; row++) {
    out[row * 4] = r[row * 3]!
    out[row * 4 + 1] = r[row * 3 + 1]!
    out[row * 4 + 2] = r[row * 3 + 2]!
    out[row * 4 + 3] = -(r[row * 3]! * t[0]! + r[row * 3 + 1]! * t[1]! + r[row * 3 + 2]! * t[2]!)
  }
  out[15] = 1
  return out
}

/** a · b for two affines (16 numbers each, row-major). */
export function multiplyAffine(a: readonly number[], b: readonly number[]): number[] {
  const out = new Array<number>(16).fill(0)
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) {
      let s = 0
      for (let k = 0; k < 4; k++) s += a[r * 4 + k]! * b[k * 4 + c]!
      out[r * 4 + c] = s
    }
  }
  return out
}

/** Applies an affine to a point. */
export function applyAffine(affine: readonly number[], p: readonly number[]): [number, number, number] {
  const [x, y, z] = p as [number, number, number]
  return [
    affine[0]! * x + affine[1]! * y + affine[2]! * z + affine[3]!,
    affine[4]! * x + affine[5]! * y + affine[6]! * z + affine[7]!,
    affine[8]! * x + affine[9]! * y + affine[10]! * z + affine[11]!,
  ]
}

export function voxelToWorld(grid: Grid, ijk: readonly number[]): [number, number, number] {
  return applyAffine(grid.affine, ijk)
}

/** World mm -> continuous voxel coordinates (not rounded). */
export function worldToVoxel(grid: Grid, xyz: readonly number[]): [number, number, number] {
  return applyAffine(invertAffine(grid.affine), xyz)
}

/** An affine from nibabel's row-major number[][] (what src/formats' readers give) to the 16-number form. */
export function flatAffine(rows: readonly (readonly number[])[]): number[] {
  return [0, 1, 2, 3].flatMap((r) => [0, 1, 2, 3].map((c) => rows[r]?.[c] ?? (r === c ? 1 : 0)))
}

/** Same dims, and affines equal within `toleranceMm` (default 1e-3 mm) at every entry. */
export function sameGrid(a: Grid, b: Grid, toleranceMm = 1e-3): boolean {
  if (a.dims.some((d, i) => d !== b.dims[i])) return false
  return a.affine.every((v, i) => Math.abs(v - b.affine[i]!) <= toleranceMm)
}

/** Throws a RoiError naming both grids unless they are the same (see sameGrid). */
export function checkSameGrid(a: Grid, b: Grid, what: [string, string] = ['the image', 'the ROI']): void {
  if (a.dims.some((d, i) => d !== b.dims[i])) {
    throw new RoiError(`${what[0]} is ${a.dims.join('x')} and ${what[1]} ${b.dims.join('x')}: the grids differ`)
  }
  if (!sameGrid(a, b)) {
    throw new RoiError(
      `${what[0]} and ${what[1]} have the same size but different affines (voxel -> mm): ` +
        `[${fmtAffine(a.affine)}] vs [${fmtAffine(b.affine)}]`,
    )
  }
}

function fmtAffine(affine: readonly number[]): string {
  return affine
    .slice(0, 12)
    .map((v) => Number(v.toFixed(4)))
    .join(' ')
}

/**
 * The voxel axis closest to a world direction (e.g. [0, 0, 1] for axial slices): the slice normal of a 2-D tool on
 * an oblique grid. The axis whose column of the affine is most parallel to `normal`.
 */
export function axisNearest(affine: readonly number[], normal: readonly number[]): Axis {
  let best: Axis = 2
  let bestCos = -1
  const n = Math.hypot(normal[0]!, normal[1]!, normal[2]!) || 1
  for (const a of [0, 1, 2] as Axis[]) {
    const col = [affine[a]!, affine[4 + a]!, affine[8 + a]!]
    const len = Math.hypot(col[0]!, col[1]!, col[2]!) || 1
    const cos = Math.abs(col[0]! * normal[0]! + col[1]! * normal[1]! + col[2]! * normal[2]!) / (len * n)
    if (cos > bestCos) {
      bestCos = cos
      best = a
    }
  }
  return best
}

/** The number of voxels set in a mask. */
export function countVoxels(mask: Mask): number {
  let n = 0
  for (let i = 0; i < mask.length; i++) n += mask[i]! !== 0 ? 1 : 0
  return n
}
