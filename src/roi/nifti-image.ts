import type { ImageHeader } from '../formats/header'
import { RoiError } from './roi-error'
import { type Dims, type Grid, type NumericArray, flatAffine } from './volume'

/** A NIfTI volume as the engine takes it: its grid, its first 3-D volume's stored values, and their scaling. */
export interface NiftiVolume {
  grid: Grid
  data: NumericArray
  /** value = slope * stored + inter (NIfTI scl_slope / scl_inter; 1 and 0 when unset). */
  slope: number
  inter: number
  datatype: string
  /** Volumes along the 4th dimension (only the first is in `data`). */
  volumes: number
}

const ARRAYS: Record<string, { new (buffer: ArrayBuffer, offset: number, length: number): NumericArray; BYTES_PER_ELEMENT: number }> = {
  uint8: Uint8Array,
  int8: Int8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  float32: Float32Array,
  float64: Float64Array,
}

/**
 * Where a single-file NIfTI's voxels start (vox_offset, or the header's own size when it is unset) and how many bytes
 * one voxel of its type takes; `bytesPerVoxel` is undefined for a type the ROI engine does not take.
 */
export function niftiVoxelLayout(header: ImageHeader): { start: number; bytesPerVoxel: number | undefined } {
  const extra = (header.extra ?? {}) as { voxOffset?: number }
  return { start: extra.voxOffset || (header.format === 'nifti2' ? 544 : 352), bytesPerVoxel: ARRAYS[header.datatype ?? '']?.BYTES_PER_ELEMENT }
}

/**
 * The first 3-D volume of a single-file NIfTI (.nii; the bytes already decompressed) whose header src/formats read
 * (readNifti). Big-endian data is swapped; the values stay as stored (apply slope/inter, or hand them to stats).
 */
export function decodeNiftiVolume(bytes: Uint8Array, header: ImageHeader, name: string): NiftiVolume {
  const dims = [...(header.dims ?? [])]
  if (dims.length < 3 && dims.length > 0) dims.push(...new Array<number>(3 - dims.length).fill(1))
  if (dims.length > 4 && dims.slice(4).some((d) => d !== 1)) throw new RoiError(`${name}: a ${dims.length}-D image (${dims.join('x')}); the ROI tools take 3-D or 4-D volumes`)
  const extra = (header.extra ?? {}) as { endianness?: string; dataFile?: string; sclSlope?: number; sclInter?: number }
  if (extra.dataFile) throw new RoiError(`${name}: a .hdr/.img pair; convert it to a single .nii or .nii.gz`)
  const type = header.datatype ?? ''
  const Ctor = ARRAYS[type]
  if (!Ctor) throw new RoiError(`${name}: voxels of type ${type} are not supported (integer or float, one value a voxel)`)
  const grid: Grid = { dims: [dims[0]!, dims[1]!, dims[2]!] as Dims, affine: flatAffine(header.affine ?? []) }
  const n = grid.dims[0] * grid.dims[1] * grid.dims[2]
  const size = Ctor.BYTES_PER_ELEMENT
  const { start } = niftiVoxelLayout(header)
  if (start + n * size > bytes.length) throw new RoiError(`${name}: truncated: ${bytes.length} bytes, the header declares ${start + n * size}`)
  // A copy: aligned for the typed array, and independent of the file's buffer.
  const raw = bytes.slice(start, start + n * size)
  if (extra.endianness === 'big' && size > 1) swapBytes(raw, size)
  const slope = extra.sclSlope ?? 1
  return {
    grid,
    data: new Ctor(raw.buffer, 0, n),
    slope: Number.isFinite(slope) && slope !== 0 ? slope : 1,
    inter: extra.sclSlope !== undefined ? (extra.sclInter ?? 0) : 0,
    datatype: type,
    volumes: dims[3] ?? 1,
  }
}

function swapBytes(b: Uint8Array, size: number): void {
  for (let at = 0; at < b.length; at += size) {
    for (let x = 0, y = size - 1; x < y; x++, y--) {
      const t = b[at + x]!
      b[at + x] = b[at + y]!
      b[at + y] = t
    }
  }
}
