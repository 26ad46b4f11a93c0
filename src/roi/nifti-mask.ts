import type { NiftiFields } from '../formats/nifti-fields'
import { RoiError } from './roi-error'
import type { Mask } from './volume'

const HEADER = 348
const DATA_AT = 352

/**
 * A mask as an uncompressed NIfTI-1 file (.nii bytes; gzip them for .nii.gz): uint8, 0/1, with exactly the
 * reference image's geometry, copied from its raw header (readNiftiFields): dim[1..3], pixdim, xyzt_units, qform
 * and sform codes, quaternion, offsets and srows. A 4-D reference gives a 3-D mask of its first three dims.
 */
export function encodeNiftiMask(mask: Mask, reference: NiftiFields, description = 'nora ROI'): Uint8Array {
  const [nx, ny, nz] = [reference.dim[1] ?? 1, reference.dim[2] ?? 1, reference.dim[0]! >= 3 ? (reference.dim[3] ?? 1) : 1]
  const n = nx * ny * nz
  if (mask.length !== n) throw new RoiError(`the mask has ${mask.length} voxels, the reference image ${nx}x${ny}x${nz} = ${n}`)
  const out = new Uint8Array(DATA_AT + n)
  const v = new DataView(out.buffer)
  const le = true
  v.setInt32(0, HEADER, le)
  out[38] = 0x72 // regular = 'r'
  const dim = [3, nx, ny, nz, 1, 1, 1, 1]
  dim.forEach((d, i) => v.setInt16(40 + i * 2, d, le))
  v.setInt16(70, 2, le) // datatype uint8
  v.setInt16(72, 8, le) // bitpix
  // pixdim[0] (qfac) and the voxel sizes; the time and further steps stay 0 in a 3-D mask
  for (let i = 0; i < 4; i++) v.setFloat32(76 + i * 4, reference.pixdim[i] ?? 1, le)
  v.setFloat32(108, DATA_AT, le) // vox_offset
  v.setFloat32(112, 1, le) // scl_slope
  v.setFloat32(116, 0, le) // scl_inter
  out[123] = reference.xyztUnits & 0xff
  v.setFloat32(124, 1, le) // cal_max
  v.setFloat32(128, 0, le) // cal_min
  writeText(out, 148, 80, description)
  v.setInt16(252, reference.qformCode, le)
  v.setInt16(254, reference.sformCode, le)
  reference.quatern.forEach((q, i) => v.setFloat32(256 + i * 4, q, le))
  reference.qoffset.forEach((q, i) => v.setFloat32(268 + i * 4, q, le))
  reference.srow.forEach((row, r) => row.forEach((x, c) => v.setFloat32(280 + r * 16 + c * 4, x, le)))
  writeText(out, 344, 4, 'n+1')
  out.set(mask, DATA_AT)
  // 0/1 whatever the caller's non-zero values were
  for (let i = DATA_AT; i < out.length; i++) if (out[i] !== 0) out[i] = 1
  return out
}

function writeText(out: Uint8Array, at: number, max: number, text: string): void {
  const bytes = new TextEncoder().encode(text).subarray(0, max - 1)
  out.set(bytes, at)
}
