/**
 * The ROI model: a binary volume (mask) with the grid of a reference image, the reference's intensities for the
 * pens, where it came from (archive path, PatientID/StudyID), and how it shows (colour, visibility, opacity, outline).
 */
import type { NVImage } from '@niivue/niivue'
import { countVoxels, emptyMask, type Grid, type NumericArray } from '../../../roi/volume'
import { gridOfHeader, voxelMl } from './grid'
import type { NiivueHeader } from './roi-file'
import type { SavedRoi } from './roi-seg'

export interface RoiReference {
  /** The viewer's key of the reference item (its URL, or the local file's identity). */
  key?: string
  /** The reference file's name as the viewer shows it. */
  name: string
  /** Its archive URL (`/api/projects/P/files/PATH`) when it came from the archive. */
  url?: string
  project?: string
  /** Path inside the project (PID/SID/...). */
  path?: string
  patientId?: string
  studyId?: string
}

export interface Roi {
  id: number
  name: string
  grid: Grid
  /** The reference's header as NiiVue read it (the geometry the saved mask copies). */
  header: NiivueHeader
  mask: Uint8Array
  reference: RoiReference
  /** The reference's intensities (scaled by its slope/intercept), in mask order: what the pens read. */
  image: NumericArray
  colormap: string
  visible: boolean
  opacity: number
  outline: boolean
  /** Set voxels, recounted after each edit. */
  voxels: number
  /** Where it was last saved on the server (its DICOM SEG can then be made there). */
  saved?: SavedRoi
}

const COLORMAPS = ['red', 'green', 'blue', 'warm', 'cool', 'violet', 'hot', 'winter']
let nextId = 1

/** Archive URLs look like /api/projects/P/files/PID/SID/...: the project, path, PatientID and StudyID in it. */
export function referenceOf(name: string, url?: string): RoiReference {
  const m = url?.match(/^\/api\/projects\/([^/]+)\/files\/(.+)$/)
  if (!m) return { name, url }
  const path = m[2]!.split('/').map(decodeURIComponent).join('/')
  const [patientId, studyId] = path.split('/')
  return { name, url, project: decodeURIComponent(m[1]!), path, patientId, studyId: path.split('/').length > 2 ? studyId : undefined }
}

/**
 * A reference volume's first frame as intensities: its own typed array (a view, no copy) when it is stored unscaled,
 * else a Float32Array of raw values times scl_slope plus scl_inter.
 */
export function intensities(volume: NVImage, count: number): NumericArray {
  const img = volume.img as NumericArray | undefined
  if (!img || img.length < count) throw new Error(`${volume.name}: its voxels are not loaded`)
  const slope = volume.hdr?.scl_slope || 1
  const inter = Number.isFinite(volume.hdr?.scl_inter) ? volume.hdr!.scl_inter : 0
  if (slope === 1 && inter === 0) return img.subarray(0, count)
  const out = new Float32Array(count)
  for (let i = 0; i < count; i++) out[i] = img[i]! * slope + inter
  return out
}

export function createRoi(volume: NVImage, reference: RoiReference, name?: string): Roi {
  if (!volume.hdr) throw new Error(`${reference.name}: no header`)
  const grid = gridOfHeader(volume.hdr as unknown as { dims: number[]; affine: number[][] })
  const id = nextId++
  const n = grid.dims[0] * grid.dims[1] * grid.dims[2]
  return {
    id,
    name: name ?? `ROI ${id}`,
    grid,
    header: volume.hdr as unknown as NiivueHeader,
    mask: emptyMask(grid.dims),
    reference,
    image: intensities(volume, n),
    colormap: COLORMAPS[(id - 1) % COLORMAPS.length]!,
    visible: true,
    opacity: 0.5,
    outline: false,
    voxels: 0,
  }
}

export function recount(roi: Roi): number {
  roi.voxels = countVoxels(roi.mask)
  return roi.voxels
}

export const roiMl = (roi: Roi) => roi.voxels * voxelMl(roi.grid)
