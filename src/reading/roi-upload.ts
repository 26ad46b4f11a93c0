import { gunzipSync } from 'node:zlib'
import { TooLargeError, UsageError } from '../core/errors'
import { FormatError } from '../formats/format-error'
import { isGzip } from '../formats/gzip'
import { readNifti } from '../formats/nifti'
import { decodeNiftiVolume, niftiVoxelLayout } from '../roi/nifti-image'
import { RoiError } from '../roi/roi-error'
import { checkRoiName } from '../roi/roi-name'

/**
 * An ROI sent with a reading result: a NIfTI mask (.nii.gz, base64 in the result's JSON) drawn on the case. Checked
 * here before anything is stored: how many and how large (the bounds below, 413 with what to do), its name, that it
 * is a NIfTI whose grid (dims) is one of the case's images, and what it holds (non-zero voxels and their volume).
 */

/** At most this many ROIs with one result. */
export const MAX_RESULT_ROIS = 20
/** At most this many bytes of .nii.gz per ROI, and for all ROIs of a result together (the JSON stays under 16 MB). */
export const MAX_ROI_BYTES = 4 * 1024 * 1024
export const MAX_RESULT_ROI_BYTES = 10 * 1024 * 1024

export interface RoiUpload {
  name: string
  /** The .nii.gz file, base64. */
  data: string
}

/** An image the case shows, by its path inside the study, with its grid. */
export interface CaseGrid {
  path: string
  dims: [number, number, number]
}

export interface CheckedRoi {
  name: string
  /** The case image whose grid the mask has. */
  reference: string
  /** The file exactly as sent. */
  bytes: Uint8Array
  /** Non-zero voxels. */
  voxels: number
  volumeMl: number
}

const MB = 1024 * 1024
const mb = (n: number) => `${(n / MB).toFixed(1)} MB`
/** mm³ per cubic unit of the header's spatial units. */
const UNIT_MM3: Record<string, number> = { meter: 1e9, mm: 1, micron: 1e-9 }

/** The bounds on the list, before any file is decoded. */
export function checkRoiBounds(uploads: readonly RoiUpload[]): void {
  if (uploads.length > MAX_RESULT_ROIS)
    throw new TooLargeError(`${uploads.length} ROIs sent with one result; at most ${MAX_RESULT_ROIS} are taken: remove or merge (union) ROIs in the ROI tool and submit again`)
  let total = 0
  for (const u of uploads) {
    const bytes = Math.floor((u.data.length * 3) / 4)
    if (bytes > MAX_ROI_BYTES)
      throw new TooLargeError(`ROI "${String(u.name).slice(0, 100)}" is ${mb(bytes)} as .nii.gz; one ROI may be at most ${mb(MAX_ROI_BYTES)}: send a uint8 mask, gzip-compressed`)
    total += bytes
  }
  if (total > MAX_RESULT_ROI_BYTES)
    throw new TooLargeError(`the ROIs of this result are ${mb(total)} as .nii.gz; at most ${mb(MAX_RESULT_ROI_BYTES)} are taken per result: submit fewer or smaller ROIs (uint8 masks, gzip-compressed)`)
}

/** One upload checked against the case's images: its bytes, the image whose grid it has, its voxel count and volume. */
export function checkRoiUpload(u: RoiUpload, grids: readonly CaseGrid[]): CheckedRoi {
  const named = checkRoiName(String(u.name ?? '').trim())
  if ('problem' in named) throw new UsageError(named.problem)
  const label = `ROI "${named.name}"`
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(u.data)) throw new UsageError(`${label}: data must be the .nii.gz file in base64`)
  const bytes = new Uint8Array(Buffer.from(u.data, 'base64'))
  if (!isGzip(bytes)) throw new UsageError(`${label}: send the mask as a gzip-compressed NIfTI file (.nii.gz)`)
  try {
    const header = readNifti(bytes, `${named.name}.nii.gz`)
    const dims = header.dims ?? []
    const grid = [dims[0] ?? 1, dims[1] ?? 1, dims[2] ?? 1] as [number, number, number]
    if (dims.slice(3).some((d) => d !== 1)) throw new UsageError(`${label}: a mask is one 3-D volume, not ${dims.join('x')}`)
    const match = grids.find((g) => g.dims.every((d, i) => d === grid[i]))
    if (!match) {
      const shown = grids.map((g) => `${g.dims.join('x')} (${g.path})`).join(', ')
      throw new UsageError(`${label}: its grid ${grid.join('x')} is not the grid of the case's image${grids.length > 1 ? 's' : ''} ${shown}; draw the ROI on the case's image (New ROI on it) and submit again`)
    }
    const { start, bytesPerVoxel: size } = niftiVoxelLayout(header)
    if (!size) throw new UsageError(`${label}: voxels of type ${header.datatype} are not a mask; save it as uint8 (0 outside, 1 inside)`)
    const expected = start + grid[0] * grid[1] * grid[2] * size
    let raw: Uint8Array
    try {
      raw = gunzipSync(bytes, { maxOutputLength: expected })
    } catch (e) {
      throw new UsageError(`${label}: the file does not inflate to the ${expected} bytes its header declares (${(e as Error).message})`)
    }
    const volume = decodeNiftiVolume(new Uint8Array(raw.buffer, raw.byteOffset, raw.length), header, `${named.name}.nii.gz`)
    let voxels = 0
    const data = volume.data
    for (let i = 0; i < data.length; i++) if (data[i] !== 0 && !Number.isNaN(data[i])) voxels++
    const [x, y, z] = header.voxelSize ?? [1, 1, 1]
    const unit = UNIT_MM3[String((header.extra as { spatialUnits?: string }).spatialUnits)] ?? 1
    const volumeMl = (voxels * (x ?? 1) * (y ?? 1) * (z ?? 1) * unit) / 1000
    return { name: named.name, reference: match.path, bytes, voxels, volumeMl }
  } catch (e) {
    if (e instanceof FormatError) throw new UsageError(`${label}: not a NIfTI mask (${e.message})`)
    if (e instanceof RoiError) throw new UsageError(`${label}: ${e.message}`)
    throw e
  }
}

/** Whether a reading takes ROIs with its results (`"tools": {"roi": 1}` in its reading JSON). */
export function takesRois(readingJson: Record<string, unknown>): boolean {
  const tools = readingJson.tools
  const v = typeof tools === 'object' && tools !== null ? (tools as Record<string, unknown>).roi : undefined
  return v === 1 || v === true || v === '1' || v === 'true'
}

/** The 3-D grid of a case image's raw NIfTI header (a 4-D image's first three dims). */
export function gridOfFields(dim: readonly number[]): [number, number, number] {
  const n = dim[0] ?? 0
  return [1, 2, 3].map((i) => (i <= n ? (dim[i] ?? 1) : 1)) as [number, number, number]
}
