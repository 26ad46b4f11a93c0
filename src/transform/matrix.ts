/**
 * World-space transforms: 4x4 matrices (16 numbers, row-major, last row 0 0 0 1) acting on RAS+ millimetres, the
 * space of a NIfTI sform (nibabel's `img.affine`). A transform maps a point of the moving image to the fixed
 * (target) space: x_fixed = M · x_moving. Moving an image by M sets its voxel->world affine to M · A.
 *
 * The 12 parameters (AffineParameters) build M = T · C · Rx · Ry · Rz · Z · S · C⁻¹, applied right to left to a
 * point: shear S, then zoom Z, then rotation about z, y, x (right-handed: positive angles turn y towards z, z
 * towards x, x towards y), then translation T; C shifts the origin of rotation, zoom and shear to `centre`
 * (default the world origin). S = [[1, xy, xz], [0, 1, yz], [0, 0, 1]]. This is SPM's spm_matrix order, with
 * degrees and right-handed angles.
 */
import { invertAffine, multiplyAffine } from '../roi/volume'
import { TransformError } from './transform-error'

export type Matrix = number[]

export interface AffineParameters {
  /** mm along R, A, S */
  translate: [number, number, number]
  /** degrees about x, y, z */
  rotate: [number, number, number]
  scale: [number, number, number]
  /** xy, xz, yz */
  shear: [number, number, number]
}

export const IDENTITY: Matrix = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]

export const identityParameters = (): AffineParameters => ({ translate: [0, 0, 0], rotate: [0, 0, 0], scale: [1, 1, 1], shear: [0, 0, 0] })

/** a · b · c ...: the rightmost applies first. */
export function compose(...ms: readonly Matrix[]): Matrix {
  return ms.reduce<Matrix>((acc, m) => multiplyAffine(acc, m), IDENTITY.slice())
}

/** The inverse; throws a TransformError when the matrix is singular or not affine. */
export function invert(m: readonly number[]): Matrix {
  checkMatrix(m)
  try {
    return invertAffine(m)
  } catch {
    throw new TransformError('the matrix is singular (it flattens space): it has no inverse')
  }
}

export function checkMatrix(m: readonly number[], what = 'the matrix'): void {
  if (m.length !== 16 || !m.every(Number.isFinite)) throw new TransformError(`${what} must be 16 finite numbers (4x4), got ${m.length}`)
  const last = m.slice(12)
  if (Math.abs(last[0]!) > 1e-9 || Math.abs(last[1]!) > 1e-9 || Math.abs(last[2]!) > 1e-9 || Math.abs(last[3]! - 1) > 1e-9)
    throw new TransformError(`${what}'s last row must be 0 0 0 1 (an affine), got ${last.join(' ')}`)
}

export const translation = (t: readonly number[]): Matrix => [1, 0, 0, t[0]!, 0, 1, 0, t[1]!, 0, 0, 1, t[2]!, 0, 0, 0, 1]

const rad = (deg: number) => (deg * Math.PI) / 180

export function rotationX(deg: number): Matrix {
  const [c, s] = [Math.cos(rad(deg)), Math.sin(rad(deg))]
  return [1, 0, 0, 0, 0, c, -s, 0, 0, s, c, 0, 0, 0, 0, 1]
}
export function rotationY(deg: number): Matrix {
  const [c, s] = [Math.cos(rad(deg)), Math.sin(rad(deg))]
  return [c, 0, s, 0, 0, 1, 0, 0, -s, 0, c, 0, 0, 0, 0, 1]
}
export function rotationZ(deg: number): Matrix {
  const [c, s] = [Math.cos(rad(deg)), Math.sin(rad(deg))]
  return [c, -s, 0, 0, s, c, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]
}

/** The matrix of 12 parameters (order in the module's doc), about `centre` (mm, default the origin). */
export function fromParameters(p: AffineParameters, centre: readonly number[] = [0, 0, 0]): Matrix {
  const all = [...p.translate, ...p.rotate, ...p.scale, ...p.shear]
  if (all.length !== 12 || !all.every(Number.isFinite)) throw new TransformError('the 12 affine parameters must be finite numbers')
  if (p.scale.some((s) => s === 0)) throw new TransformError('a scale of 0 flattens the image: give non-zero scales')
  const [sx, sy, sz] = p.scale
  const [xy, xz, yz] = p.shear
  const zoomShear = [sx, sx * xy, sx * xz, 0, 0, sy, sy * yz, 0, 0, 0, sz, 0, 0, 0, 0, 1]
  return compose(
    translation(p.translate),
    translation(centre),
    rotationX(p.rotate[0]),
    rotationY(p.rotate[1]),
    rotationZ(p.rotate[2]),
    zoomShear,
    translation([-centre[0]!, -centre[1]!, -centre[2]!]),
  )
}

/**
 * The 12 parameters of an affine matrix (about `centre`), the inverse of fromParameters: the linear part L is
 * split as R · U (U upper triangular with a positive diagonal, from the Cholesky factor of LᵀL), U = Z · S. A
 * mirroring matrix (det < 0) gets a negative x scale. Rotations in (-180, 180]; at y = ±90° (gimbal lock) z = 0.
 */
export function toParameters(m: readonly number[], centre: readonly number[] = [0, 0, 0]): AffineParameters {
  checkMatrix(m)
  const L = [m[0]!, m[1]!, m[2]!, m[4]!, m[5]!, m[6]!, m[8]!, m[9]!, m[10]!]
  const col = (c: number) => [L[c]!, L[3 + c]!, L[6 + c]!]
  const dot = (a: number[], b: number[]) => a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!
  // Gram-Schmidt on the columns = QR with R upper triangular
  const c0 = col(0)
  const c1 = col(1)
  const c2 = col(2)
  const u00 = Math.sqrt(dot(c0, c0))
  if (!(u00 > 1e-12)) throw new TransformError('the matrix is singular: no parameters describe it')
  const q0 = c0.map((x) => x / u00)
  const u01 = dot(q0, c1)
  const r1 = c1.map((x, i) => x - u01 * q0[i]!)
  const u11 = Math.sqrt(dot(r1, r1))
  if (!(u11 > 1e-12)) throw new TransformError('the matrix is singular: no parameters describe it')
  const q1 = r1.map((x) => x / u11)
  const u02 = dot(q0, c2)
  const u12 = dot(q1, c2)
  const r2 = c2.map((x, i) => x - u02 * q0[i]! - u12 * q1[i]!)
  const u22 = Math.sqrt(dot(r2, r2))
  if (!(u22 > 1e-12)) throw new TransformError('the matrix is singular: no parameters describe it')
  const q2 = r2.map((x) => x / u22)
  // a right-handed rotation: fold a mirror into the x scale
  let sx = u00
  let q = [q0, q1, q2]
  const det = q0[0]! * (q1[1]! * q2[2]! - q1[2]! * q2[1]!) - q1[0]! * (q0[1]! * q2[2]! - q0[2]! * q2[1]!) + q2[0]! * (q0[1]! * q1[2]! - q0[2]! * q1[1]!)
  const [s01, s02] = [u01 / u00, u02 / u00]
  if (det < 0) {
    // L = R·diag(-1,1,1) · diag(-1,1,1)·U: flip the first column of Q and the first row of U
    q = [q0.map((x) => -x), q1, q2]
    sx = -u00
    // the first row of U is negated: shears xy, xz = U01/U00 and U02/U00 keep their values
  }
  // R columns q[c]: R[r][c] = q[c][r]
  const R = (r: number, c: number) => q[c]![r]!
  const ry = Math.asin(Math.max(-1, Math.min(1, R(0, 2))))
  let rx: number
  let rz: number
  if (Math.abs(Math.cos(ry)) > 1e-9) {
    rx = Math.atan2(-R(1, 2), R(2, 2))
    rz = Math.atan2(-R(0, 1), R(0, 0))
  } else {
    rz = 0
    rx = Math.atan2(R(2, 1), R(1, 1))
  }
  const deg = (r: number) => (r * 180) / Math.PI
  const rotate: [number, number, number] = [deg(rx), deg(ry), deg(rz)]
  const scale: [number, number, number] = [sx, u11, u22]
  const shear: [number, number, number] = [s01, s02, u12 / u11]
  // translation: M = T · C · L · C⁻¹ -> T = t_M - c + L c
  const Lc = [0, 1, 2].map((r) => L[r * 3]! * centre[0]! + L[r * 3 + 1]! * centre[1]! + L[r * 3 + 2]! * centre[2]!)
  const translate: [number, number, number] = [m[3]! - centre[0]! + Lc[0]!, m[7]! - centre[1]! + Lc[1]!, m[11]! - centre[2]! + Lc[2]!]
  return { translate, rotate, scale, shear }
}

/** A matrix file: 4 rows of 4 numbers (or 3 rows, the last taken as 0 0 0 1), separated by blanks or commas; `#` comments. */
export function parseMatrix(text: string, name = 'the matrix file'): Matrix {
  const rows = text
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*/, '').trim())
    .filter((l) => l !== '')
    .map((l) => l.split(/[\s,;]+/).map(Number))
  if ((rows.length !== 4 && rows.length !== 3) || rows.some((r) => r.length !== 4 || !r.every(Number.isFinite)))
    throw new TransformError(`${name}: expected a 4x4 matrix, one row of 4 numbers a line (moving -> fixed, RAS mm)`)
  const m = rows.flat()
  if (m.length === 12) m.push(0, 0, 0, 1)
  checkMatrix(m, name)
  return m
}

export function formatMatrix(m: readonly number[]): string {
  return [0, 1, 2, 3].map((r) => m.slice(r * 4, r * 4 + 4).map((x) => String(Number(x.toPrecision(12)))).join(' ')).join('\n') + '\n'
}
