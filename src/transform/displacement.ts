/**
 * Displacement fields. A field lives on a grid and holds, for every voxel centre x (RAS mm), a vector u(x) in RAS
 * mm: the warped image's value at x is the moving image's value at x + u(x) (a pull-back field, "fixed -> moving",
 * as ITK and ANTs use them). Vectors are stored component-major (all x, then all y, then all z; each in voxel
 * order, i fastest): the layout of a NIfTI vector image of dims (nx, ny, nz, 1, 3).
 */
import { type Grid, type NumericArray, applyAffine, checkDims, invertAffine, voxelCount } from '../roi/volume'
import { type Interpolation, sampleVoxel } from './sample'
import { TransformError } from './transform-error'

export interface DisplacementField {
  grid: Grid
  /** 3 * nx*ny*nz: ux for every voxel, then uy, then uz (RAS mm) */
  vectors: Float32Array
}

/**
 * A displacement marker: the image content at `centre` moves by `vector` (mm, RAS), its neighbourhood with it,
 * fading as a Gaussian of standard deviation `sigma` mm. As a pull-back field it contributes
 * u(x) = -vector · exp(-|x - (centre + vector)|² / (2 sigma²)): the point centre + vector samples the centre.
 */
export interface DisplacementMarker {
  centre: [number, number, number]
  vector: [number, number, number]
  sigma: number
}

export function zeroField(grid: Grid): DisplacementField {
  checkDims(grid.dims)
  return { grid: { dims: [...grid.dims], affine: [...grid.affine] }, vectors: new Float32Array(3 * voxelCount(grid.dims)) }
}

/** Calls fn(index, x, y, z) with every voxel centre of the grid in world mm. */
function eachVoxelCentre(grid: Grid, fn: (v: number, x: number, y: number, z: number) => void): void {
  const [nx, ny, nz] = grid.dims
  const a = grid.affine
  let v = 0
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++, v++) fn(v, a[0]! * i + a[1]! * j + a[2]! * k + a[3]!, a[4]! * i + a[5]! * j + a[6]! * k + a[7]!, a[8]! * i + a[9]! * j + a[10]! * k + a[11]!)
}

function checkMarker(m: DisplacementMarker, at: number): void {
  if (![...m.centre, ...m.vector].every(Number.isFinite) || m.centre.length !== 3 || m.vector.length !== 3)
    throw new TransformError(`marker ${at + 1}: centre and vector must be three finite numbers (mm) each`)
  if (!(Number.isFinite(m.sigma) && m.sigma > 0)) throw new TransformError(`marker ${at + 1}: the extent (sigma) must be a positive number of mm, got ${m.sigma}`)
}

/**
 * The markers summed into a field on `grid`, on top of `base` (a field on the same grid: the "dumped" markers of
 * before) when given. Returns a new field.
 */
export function markersField(grid: Grid, markers: readonly DisplacementMarker[], base?: DisplacementField): DisplacementField {
  markers.forEach(checkMarker)
  const field = zeroField(grid)
  const n = voxelCount(grid.dims)
  if (base) {
    if (base.grid.dims.some((d, a) => d !== grid.dims[a]) || base.vectors.length !== 3 * n) throw new TransformError('the base field is on another grid than the markers')
    field.vectors.set(base.vectors)
  }
  const u = field.vectors
  for (const m of markers) {
    const target = [m.centre[0] + m.vector[0], m.centre[1] + m.vector[1], m.centre[2] + m.vector[2]]
    const s2 = 2 * m.sigma * m.sigma
    eachVoxelCentre(grid, (v, x, y, z) => {
      const g = Math.exp(-((x - target[0]!) ** 2 + (y - target[1]!) ** 2 + (z - target[2]!) ** 2) / s2)
      u[v] = u[v]! - m.vector[0] * g
      u[n + v] = u[n + v]! - m.vector[1] * g
      u[2 * n + v] = u[2 * n + v]! - m.vector[2] * g
    })
  }
  return field
}

/**
 * The field that takes matching keypoints `moving[i]` (on the moving image) to `fixed[i]` (where they belong):
 * u(fixed[i]) = moving[i] - fixed[i] exactly, interpolated between them by Gaussian radial basis functions of
 * width `sigma` mm centred on the fixed points, u(x) = Σ w_j exp(-|x - fixed_j|² / (2 sigma²)), with no
 * polynomial term (far from every keypoint the field fades to zero). The weights solve the n x n system
 * K w = moving - fixed (scipy.interpolate.RBFInterpolator with kernel 'gaussian', epsilon = 1/(sigma·√2),
 * degree -1 computes the same).
 */
export function pointsField(grid: Grid, moving: readonly (readonly number[])[], fixed: readonly (readonly number[])[], sigma: number): DisplacementField {
  if (moving.length !== fixed.length) throw new TransformError(`the two keypoint sets differ in size (${moving.length} and ${fixed.length}): they must match point by point`)
  if (moving.length === 0) throw new TransformError('the keypoint sets are empty')
  if (!(Number.isFinite(sigma) && sigma > 0)) throw new TransformError(`sigma must be a positive number of mm, got ${sigma}`)
  for (const p of [...moving, ...fixed]) if (p.length !== 3 || !p.every(Number.isFinite)) throw new TransformError('a keypoint must be three finite numbers (x y z, RAS mm)')
  const n = fixed.length
  const s2 = 2 * sigma * sigma
  const kernel = (a: readonly number[], b: readonly number[]) => Math.exp(-((a[0]! - b[0]!) ** 2 + (a[1]! - b[1]!) ** 2 + (a[2]! - b[2]!) ** 2) / s2)
  const K = fixed.map((p) => fixed.map((q) => kernel(p, q)))
  const rhs = fixed.map((p, i) => [0, 1, 2].map((c) => moving[i]![c]! - p[c]!))
  const w = solve(K, rhs)
  const field = zeroField(grid)
  const nv = voxelCount(grid.dims)
  const u = field.vectors
  eachVoxelCentre(grid, (v, x, y, z) => {
    let ux = 0
    let uy = 0
    let uz = 0
    for (let j = 0; j < n; j++) {
      const f = fixed[j]!
      const g = Math.exp(-((x - f[0]!) ** 2 + (y - f[1]!) ** 2 + (z - f[2]!) ** 2) / s2)
      ux += w[j]![0]! * g
      uy += w[j]![1]! * g
      uz += w[j]![2]! * g
    }
    u[v] = ux
    u[nv + v] = uy
    u[2 * nv + v] = uz
  })
  return field
}

/** Solves A X = B (Gaussian elimination, partial pivoting); B has 3 columns. */
function solve(A: number[][], B: number[][]): number[][] {
  const n = A.length
  const a = A.map((row, i) => [...row, ...B[i]!])
  for (let c = 0; c < n; c++) {
    let p = c
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[p]![c]!)) p = r
    if (Math.abs(a[p]![c]!) < 1e-12) throw new TransformError('the keypoints are too close together for this sigma (two points at one place?): remove duplicates or choose a smaller sigma')
    ;[a[c], a[p]] = [a[p]!, a[c]!]
    for (let r = 0; r < n; r++) {
      if (r === c) continue
      const f = a[r]![c]! / a[c]![c]!
      if (f !== 0) for (let k = c; k < n + 3; k++) a[r]![k] = a[r]![k]! - f * a[c]![k]!
    }
  }
  return a.map((row, r) => [row[n]! / row[r]!, row[n + 1]! / row[r]!, row[n + 2]! / row[r]!])
}

/** Two fields on the same grid added (a dumped field and new markers, say). */
export function addFields(a: DisplacementField, b: DisplacementField): DisplacementField {
  if (a.grid.dims.some((d, i) => d !== b.grid.dims[i])) throw new TransformError('the two fields are on different grids')
  const out = zeroField(a.grid)
  for (let v = 0; v < out.vectors.length; v++) out.vectors[v] = a.vectors[v]! + b.vectors[v]!
  return out
}

/**
 * The moving image (on `imageGrid`) warped by the field, on the field's grid: out(x) = image(x + u(x)), trilinear
 * or nearest (masks). Points that fall outside the image are NaN.
 */
export function warp(image: NumericArray, imageGrid: Grid, field: DisplacementField, interpolation: Interpolation = 'linear'): Float32Array {
  checkDims(imageGrid.dims)
  const n = voxelCount(field.grid.dims)
  if (field.vectors.length !== 3 * n) throw new TransformError(`the field has ${field.vectors.length} values, its grid needs 3 x ${n}`)
  if (image.length < voxelCount(imageGrid.dims)) throw new TransformError('the image has fewer voxels than its grid')
  const toVoxel = invertAffine(imageGrid.affine)
  const out = new Float32Array(n)
  const u = field.vectors
  eachVoxelCentre(field.grid, (v, x, y, z) => {
    const p = applyAffine(toVoxel, [x + u[v]!, y + u[n + v]!, z + u[2 * n + v]!])
    out[v] = sampleVoxel(image, imageGrid.dims, p[0], p[1], p[2], interpolation)
  })
  return out
}

/** The field as an ITK/ANTs file holds it: vectors in LPS (x and y negated); the same call converts back. */
export function flipRasLps(vectors: Float32Array): Float32Array {
  const n = vectors.length / 3
  const out = vectors.slice()
  for (let v = 0; v < 2 * n; v++) out[v] = -out[v]!
  return out
}

/** `m` (moving -> fixed) composed with a grid: a field on `grid` equivalent to the affine (u(x) = m⁻¹x - x). */
export function affineField(grid: Grid, m: readonly number[]): DisplacementField {
  const inv = invertAffine(m)
  const field = zeroField(grid)
  const n = voxelCount(grid.dims)
  const u = field.vectors
  eachVoxelCentre(grid, (v, x, y, z) => {
    const p = applyAffine(inv, [x, y, z])
    u[v] = p[0] - x
    u[n + v] = p[1] - y
    u[2 * n + v] = p[2] - z
  })
  return field
}
