/**
 * Writing NIfTI after a transform, next to src/roi/nifti-mask.ts (masks) and reusing the ROI engine's reader
 * (src/formats readNiftiFields + src/roi decodeNiftiVolume): the header of the input is copied and only its
 * geometry (sform, qform, pixdim) and, for a resampled image, its dims and voxel offset change.
 */
import type { NiftiFields } from '../formats/nifti-fields'
import { type Grid, voxelCount } from '../roi/volume'
import { type DisplacementField, flipRasLps } from './displacement'
import { TransformError } from './transform-error'

const NIFTI_INTENT_VECTOR = 1007
const XFORM_ALIGNED_ANAT = 2

interface Layout {
  dim: [number, 'i16' | 'i64']
  pixdim: [number, 'f32' | 'f64']
  datatype: number
  bitpix: number
  voxOffset: [number, 'f32' | 'i64']
  intent: [number, 'i16' | 'i32']
  codes: [number, 'i16' | 'i32']
  quatern: number
  srow: number
  real: 'f32' | 'f64'
  dataAt: number
}

const NIFTI1: Layout = { dim: [40, 'i16'], pixdim: [76, 'f32'], datatype: 70, bitpix: 72, voxOffset: [108, 'f32'], intent: [68, 'i16'], codes: [252, 'i16'], quatern: 256, srow: 280, real: 'f32', dataAt: 352 }
const NIFTI2: Layout = { dim: [16, 'i64'], pixdim: [104, 'f64'], datatype: 12, bitpix: 14, voxOffset: [168, 'i64'], intent: [504, 'i32'], codes: [344, 'i32'], quatern: 352, srow: 400, real: 'f64', dataAt: 544 }

function put(v: DataView, at: number, kind: string, x: number, le: boolean): void {
  if (kind === 'i16') v.setInt16(at, x, le)
  else if (kind === 'i32') v.setInt32(at, x, le)
  else if (kind === 'i64') v.setBigInt64(at, BigInt(Math.round(x)), le)
  else if (kind === 'f32') v.setFloat32(at, x, le)
  else v.setFloat64(at, x, le)
}
const width = (kind: string) => (kind === 'i16' ? 2 : kind === 'i32' || kind === 'f32' ? 4 : 8)

/**
 * The NIfTI quaternion of an affine whose columns are orthogonal (nifti_mat44_to_quatern): [b, c, d], the
 * offsets, qfac and the voxel sizes; null when the columns are not orthogonal (a shear: only the sform holds it).
 */
export function quaternionOf(a: readonly number[]): { quatern: [number, number, number]; offset: [number, number, number]; qfac: 1 | -1; pixdim: [number, number, number] } | null {
  const col = (c: number) => [a[c]!, a[4 + c]!, a[8 + c]!]
  const cols = [col(0), col(1), col(2)]
  const len = cols.map((c) => Math.hypot(c[0]!, c[1]!, c[2]!))
  if (len.some((l) => !(l > 0))) return null
  const u = cols.map((c, i) => c.map((x) => x / len[i]!))
  const dot = (p: number[], q: number[]) => p[0]! * q[0]! + p[1]! * q[1]! + p[2]! * q[2]!
  if (Math.abs(dot(u[0]!, u[1]!)) > 1e-4 || Math.abs(dot(u[0]!, u[2]!)) > 1e-4 || Math.abs(dot(u[1]!, u[2]!)) > 1e-4) return null
  const det = u[0]![0]! * (u[1]![1]! * u[2]![2]! - u[1]![2]! * u[2]![1]!) - u[1]![0]! * (u[0]![1]! * u[2]![2]! - u[0]![2]! * u[2]![1]!) + u[2]![0]! * (u[0]![1]! * u[1]![2]! - u[0]![2]! * u[1]![1]!)
  const qfac = det > 0 ? 1 : -1
  if (qfac < 0) u[2] = u[2]!.map((x) => -x)
  // R[r][c] = u[c][r]
  const R = (r: number, c: number) => u[c - 1]![r - 1]!
  let qa: number
  let qb: number
  let qc: number
  let qd: number
  const trace = R(1, 1) + R(2, 2) + R(3, 3) + 1
  if (trace > 0.5) {
    qa = 0.5 * Math.sqrt(trace)
    qb = (0.25 * (R(3, 2) - R(2, 3))) / qa
    qc = (0.25 * (R(1, 3) - R(3, 1))) / qa
    qd = (0.25 * (R(2, 1) - R(1, 2))) / qa
  } else {
    const xd = 1 + R(1, 1) - (R(2, 2) + R(3, 3))
    const yd = 1 + R(2, 2) - (R(1, 1) + R(3, 3))
    const zd = 1 + R(3, 3) - (R(1, 1) + R(2, 2))
    if (xd > 1) {
      qb = 0.5 * Math.sqrt(xd)
      qc = (0.25 * (R(1, 2) + R(2, 1))) / qb
      qd = (0.25 * (R(1, 3) + R(3, 1))) / qb
      qa = (0.25 * (R(3, 2) - R(2, 3))) / qb
    } else if (yd > 1) {
      qc = 0.5 * Math.sqrt(yd)
      qb = (0.25 * (R(1, 2) + R(2, 1))) / qc
      qd = (0.25 * (R(2, 3) + R(3, 2))) / qc
      qa = (0.25 * (R(1, 3) - R(3, 1))) / qc
    } else {
      qd = 0.5 * Math.sqrt(zd)
      qb = (0.25 * (R(1, 3) + R(3, 1))) / qd
      qc = (0.25 * (R(2, 3) + R(3, 2))) / qd
      qa = (0.25 * (R(2, 1) - R(1, 2))) / qd
    }
    if (qa < 0) [qb, qc, qd] = [-qb, -qc, -qd]
  }
  return { quatern: [qb, qc, qd], offset: [a[3]!, a[7]!, a[11]!], qfac, pixdim: [len[0]!, len[1]!, len[2]!] }
}

/**
 * Writes `affine` into a header (in place): sform (its code kept, or 2 = aligned when it was unset), and the
 * qform with the same matrix when its columns are orthogonal (code kept, or the sform's), else qform code 0;
 * pixdim[1..3] = the voxel sizes.
 */
function setAffine(bytes: Uint8Array, fields: NiftiFields, affine: readonly number[]): void {
  const L = fields.version === 1 ? NIFTI1 : NIFTI2
  const le = fields.littleEndian
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const r = L.real
  const w = width(r)
  const sformCode = fields.sformCode > 0 ? fields.sformCode : XFORM_ALIGNED_ANAT
  const q = quaternionOf(affine)
  const qformCode = q ? (fields.qformCode > 0 ? fields.qformCode : sformCode) : 0
  put(v, L.codes[0], L.codes[1], qformCode, le)
  put(v, L.codes[0] + width(L.codes[1]), L.codes[1], sformCode, le)
  for (let row = 0; row < 3; row++) for (let c = 0; c < 4; c++) put(v, L.srow + (row * 4 + c) * w, r, affine[row * 4 + c]!, le)
  const sizes = q ? q.pixdim : ([0, 1, 2].map((c) => Math.hypot(affine[c]!, affine[4 + c]!, affine[8 + c]!)) as [number, number, number])
  const pw = width(L.pixdim[1])
  sizes.forEach((s, i) => put(v, L.pixdim[0] + (i + 1) * pw, L.pixdim[1], s, le))
  if (q) {
    put(v, L.pixdim[0], L.pixdim[1], q.qfac, le)
    q.quatern.forEach((x, i) => put(v, L.quatern + i * w, r, x, le))
    q.offset.forEach((x, i) => put(v, L.quatern + (3 + i) * w, r, x, le))
  }
}

/** The whole file (decompressed .nii bytes) with its geometry changed to `affine`; voxels and extensions untouched. */
export function withAffine(raw: Uint8Array, fields: NiftiFields, affine: readonly number[]): Uint8Array {
  if (fields.magic !== 'n+1' && fields.magic !== 'n+2') throw new TransformError('a .hdr/.img pair: convert it to a single .nii or .nii.gz')
  const out = raw.slice()
  setAffine(out, fields, affine)
  return out
}

const STORE: Record<number, { make: (n: number) => ArrayLike<number> & { [i: number]: number; buffer: ArrayBufferLike }; min: number; max: number; integer: boolean }> = {
  2: { make: (n) => new Uint8Array(n), min: 0, max: 255, integer: true },
  4: { make: (n) => new Int16Array(n), min: -32768, max: 32767, integer: true },
  8: { make: (n) => new Int32Array(n), min: -(2 ** 31), max: 2 ** 31 - 1, integer: true },
  16: { make: (n) => new Float32Array(n), min: -Infinity, max: Infinity, integer: false },
  64: { make: (n) => new Float64Array(n), min: -Infinity, max: Infinity, integer: false },
  256: { make: (n) => new Int8Array(n), min: -128, max: 127, integer: true },
  512: { make: (n) => new Uint16Array(n), min: 0, max: 65535, integer: true },
  768: { make: (n) => new Uint32Array(n), min: 0, max: 2 ** 32 - 1, integer: true },
}

/**
 * A resampled image as a new single-file NIfTI of `reference`'s version, byte order, datatype and scaling (the
 * values are the reference's stored values, resampled): its header copied, dims set to the grid (3-D), the voxel
 * offset right after the header (extensions dropped), the geometry the grid's affine. NaN (outside the image)
 * becomes `fill`; integer types are rounded and clamped.
 */
export function encodeResampled(referenceRaw: Uint8Array, reference: NiftiFields, values: Float32Array, grid: Grid, fill = 0): Uint8Array {
  const store = STORE[reference.datatype]
  if (!store) throw new TransformError(`voxels of NIfTI datatype ${reference.datatype} cannot be written (integer or float, one value a voxel)`)
  const n = voxelCount(grid.dims)
  if (values.length !== n) throw new TransformError(`${values.length} values for a ${grid.dims.join('x')} grid`)
  const L = reference.version === 1 ? NIFTI1 : NIFTI2
  const data = store.make(n)
  for (let i = 0; i < n; i++) {
    let x = values[i]!
    if (Number.isNaN(x)) x = fill
    if (store.integer) x = Math.min(store.max, Math.max(store.min, Math.round(x)))
    data[i] = x
  }
  const bytesPer = (data as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT
  const out = new Uint8Array(L.dataAt + n * bytesPer)
  out.set(referenceRaw.subarray(0, reference.headerSize))
  const le = reference.littleEndian
  const v = new DataView(out.buffer)
  const dw = width(L.dim[1])
  ;[3, grid.dims[0], grid.dims[1], grid.dims[2], 1, 1, 1, 1].forEach((d, i) => put(v, L.dim[0] + i * dw, L.dim[1], d, le))
  put(v, L.voxOffset[0], L.voxOffset[1], L.dataAt, le)
  setAffine(out, reference, grid.affine)
  const body = new Uint8Array(data.buffer as ArrayBuffer, 0, n * bytesPer).slice()
  if (!le && bytesPer > 1) for (let at = 0; at < body.length; at += bytesPer) body.subarray(at, at + bytesPer).reverse()
  out.set(body, L.dataAt)
  return out
}

/**
 * A displacement field as a NIfTI-1 vector image the way ITK and ANTs write and read one: float32, dims
 * (nx, ny, nz, 1, 3), intent NIFTI_INTENT_VECTOR (1007), mm, sform and qform = the grid; the vectors in LPS
 * (ITK's physical space: x and y of RAS negated), pull-back (the warped image at x is the moving image at x + u).
 */
export function encodeField(field: DisplacementField): Uint8Array {
  const { grid } = field
  const n = voxelCount(grid.dims)
  const L = NIFTI1
  const out = new Uint8Array(L.dataAt + 3 * n * 4)
  const v = new DataView(out.buffer)
  const le = true
  v.setInt32(0, 348, le)
  out[38] = 0x72
  ;[5, grid.dims[0], grid.dims[1], grid.dims[2], 1, 3, 1, 1].forEach((d, i) => v.setInt16(40 + i * 2, d, le))
  v.setInt16(L.intent[0], NIFTI_INTENT_VECTOR, le)
  v.setInt16(L.datatype, 16, le)
  v.setInt16(L.bitpix, 32, le)
  for (let i = 0; i < 8; i++) v.setFloat32(76 + i * 4, 1, le)
  v.setFloat32(108, L.dataAt, le)
  v.setFloat32(112, 1, le)
  out[123] = 2 // mm
  out.set(new TextEncoder().encode('nora displacement LPS mm'), 148)
  out.set(new TextEncoder().encode('n+1'), 344)
  const fields = { version: 1, littleEndian: true, sformCode: 1, qformCode: 1 } as NiftiFields
  setAffine(out, fields, grid.affine)
  const lps = flipRasLps(field.vectors)
  out.set(new Uint8Array(lps.buffer, lps.byteOffset, lps.byteLength), L.dataAt)
  return out
}

/**
 * A displacement field read back from a single-file NIfTI vector image (dims x, y, z, 1, 3; float32 or float64,
 * vectors in LPS mm as encodeField writes and ITK/ANTs do). `raw`: the decompressed file; `affine`: its voxel ->
 * RAS mm matrix as src/formats reads it (sform, else qform).
 */
export function decodeField(raw: Uint8Array, fields: NiftiFields, affine: readonly number[], name: string): DisplacementField {
  const d = fields.dim
  const components = d[0]! >= 5 ? d[5]! : 1
  if (components !== 3 || (d[0]! >= 4 && d[4]! !== 1) || d.slice(6, d[0]! + 1).some((x) => x !== 1))
    throw new TransformError(`${name}: a displacement field has dims (x, y, z, 1, 3), got (${d.slice(1, d[0]! + 1).join(', ')})`)
  if (fields.intentCode !== NIFTI_INTENT_VECTOR && fields.intentCode !== 0) throw new TransformError(`${name}: intent code ${fields.intentCode}, a displacement field is NIFTI_INTENT_VECTOR (1007)`)
  if (fields.magic !== 'n+1' && fields.magic !== 'n+2') throw new TransformError(`${name}: a .hdr/.img pair; convert it to a single .nii or .nii.gz`)
  const size = fields.datatype === 16 ? 4 : fields.datatype === 64 ? 8 : 0
  if (!size) throw new TransformError(`${name}: a displacement field is float32 or float64, got NIfTI datatype ${fields.datatype}`)
  const grid: Grid = { dims: [d[1]!, d[2]!, d[3]!], affine: [...affine] }
  const n = voxelCount(grid.dims)
  const at = Math.round(fields.voxOffset)
  if (at + 3 * n * size > raw.length) throw new TransformError(`${name}: truncated: ${raw.length} bytes, the header declares ${at + 3 * n * size}`)
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength)
  const lps = new Float32Array(3 * n)
  for (let i = 0; i < 3 * n; i++) lps[i] = size === 4 ? v.getFloat32(at + i * 4, fields.littleEndian) : v.getFloat64(at + i * 8, fields.littleEndian)
  return { grid, vectors: flipRasLps(lps) }
}
