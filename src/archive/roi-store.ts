import { closeSync, existsSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import { PathError, TooLargeError, UsageError } from '../core/errors'
import { safeJoin, safeRelativeSegments, safeSegment } from '../core/safe-path'
import type { Project, User } from '../core/types'
import { gunzipPrefix, isGzip } from '../formats/gzip'
import { NIFTI_MAX_PREFIX, type NiftiFields, readNiftiFields } from '../formats/nifti-fields'
import { encodeNiftiMask } from '../roi/nifti-mask'
import { checkRoiName } from '../roi/roi-name'
import type { ArchiveService } from './archive-service'
import { checkIdSegment } from './archive-paths'
import { resolveProjectFile } from './file-access'


/** The tool named in a saved ROI's sidecar. */
export const ROI_TOOL = 'nora ROI tool'

/** Where a saved ROI goes: a study of a project, its name, and the study's image whose geometry it has. */
export interface RoiTarget {
  project: string
  patientsId: string
  studiesId: string
  /** NAME of rois/NAME.nii.gz (a trailing .nii or .nii.gz is dropped). */
  name: string
  /** The reference image, a project-relative path inside that study (PID/SID/.../image.nii[.gz]). */
  reference: string
}

/** A target checked before the mask is read: how many bytes the mask must have. */
export interface PreparedRoi {
  project: Project
  target: RoiTarget
  name: string
  /** The reference's path inside the project, as stored in the sidecar. */
  reference: string
  fields: NiftiFields
  dims: [number, number, number]
  /** nx*ny*nz: the mask's exact length in bytes. */
  voxels: number
}

export interface SavedRoi {
  /** Project-relative paths of the mask and its sidecar. */
  path: string
  sidecar: string
  voxels: number
  dims: [number, number, number]
  replaced: boolean
}

export interface RoiStoreDeps {
  archive: Pick<ArchiveService, 'open' | 'projectDir' | 'writer'>
  /** The largest mask taken, in bytes (http.maxUploadMb). */
  maxBytes: number
}

/**
 * Saved ROIs: `rois/NAME.nii.gz` (uint8 NIfTI-1, the reference image's geometry) and `rois/NAME.json` (provenance)
 * in a study, written whole (temp file, rename) and registered through the archive writer, so they show in the file
 * tree, take tags and match file patterns. Saving again replaces both.
 */
export class RoiStore {
  constructor(private readonly deps: RoiStoreDeps) {}

  /** Everything checked before the mask is read: write right, names, the reference image and its size. */
  async prepare(actor: User, t: RoiTarget): Promise<PreparedRoi> {
    const project = await this.deps.archive.open(actor, t.project, 'write')
    checkIdSegment(t.patientsId, 'patients_id')
    checkIdSegment(t.studiesId, 'studies_id')
    safeSegment(t.patientsId, 'patients_id')
    safeSegment(t.studiesId, 'studies_id')
    const name = roiName(t.name)
    const segments = safeRelativeSegments(t.reference, 'reference')
    if (segments.length < 3 || segments[0] !== t.patientsId || segments[1] !== t.studiesId)
      throw new UsageError(`the reference ${JSON.stringify(t.reference.slice(0, 200))} must be an image of the study itself: ${t.patientsId}/${t.studiesId}/FOLDER/IMAGE.nii.gz`)
    const file = resolveProjectFile(this.deps.archive.projectDir(project), segments)
    const fields = readNiftiHead(file.real, file.relative)
    const dims = maskDims(fields, file.relative)
    const voxels = dims[0] * dims[1] * dims[2]
    if (voxels > this.deps.maxBytes)
      throw new TooLargeError(`a mask of ${file.relative}'s grid (${dims.join('x')}) is ${voxels} bytes, more than http.maxUploadMb allows`)
    return { project, target: t, name, reference: file.relative, fields, dims, voxels }
  }

  /** Writes and registers the mask (exactly `voxels` bytes, non-zero = inside) and its sidecar. */
  async save(actor: User, p: PreparedRoi, mask: Uint8Array): Promise<SavedRoi> {
    if (mask.length !== p.voxels) throw new UsageError(`the mask must be exactly ${p.voxels} bytes (${p.dims.join('x')} voxels, one byte each), got ${mask.length}`)
    // The right again, at the write (it may have been revoked while the body came in).
    const project = await this.deps.archive.open(actor, p.target.project, 'write')
    const root = this.deps.archive.projectDir(project)
    const folder = safeJoin(root, p.target.patientsId, p.target.studiesId, 'rois')
    mkdirSync(folder, { recursive: true })
    const niiRel = `rois/${p.name}.nii.gz`
    const jsonRel = `rois/${p.name}.json`
    const niiAbs = safeJoin(folder, `${p.name}.nii.gz`)
    const jsonAbs = safeJoin(folder, `${p.name}.json`)
    let count = 0
    for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) count++
    const sidecar = {
      reference: p.reference,
      user: actor.username,
      time: new Date().toISOString(),
      tool: ROI_TOOL,
      voxels: count,
      dims: p.dims,
    }
    const replaced = existsSync(niiAbs)
    const tag = randomBytes(4).toString('hex')
    const niiTmp = safeJoin(folder, `.${p.name}.nii.gz.${tag}.part`)
    const jsonTmp = safeJoin(folder, `.${p.name}.json.${tag}.part`)
    try {
      writeFileSync(niiTmp, gzipSync(encodeNiftiMask(mask, p.fields), { level: 6 }))
      writeFileSync(jsonTmp, `${JSON.stringify(sidecar, null, 2)}\n`)
      renameSync(niiTmp, niiAbs)
      renameSync(jsonTmp, jsonAbs)
    } finally {
      rmSync(niiTmp, { force: true })
      rmSync(jsonTmp, { force: true })
    }
    const study = { patientsId: p.target.patientsId, studiesId: p.target.studiesId }
    await this.deps.archive.writer.register(project, study, [{ rel: niiRel, abs: niiAbs }, { rel: jsonRel, abs: jsonAbs }], { headers: true })
    const base = `${p.target.patientsId}/${p.target.studiesId}`
    return { path: `${base}/${niiRel}`, sidecar: `${base}/${jsonRel}`, voxels: count, dims: p.dims, replaced }
  }
}

/** The checked NAME of an ROI (a trailing .nii / .nii.gz dropped). */
export function roiName(raw: string): string {
  const r = checkRoiName(raw) // the rule the browser's rename checks too (src/roi/roi-name.ts)
  if ('problem' in r) throw new PathError(r.problem)
  return safeSegment(r.name, 'ROI name')
}

/** The raw NIfTI header fields of a file (.nii, .nii.gz, .hdr), from its first bytes only. */
export function readNiftiHead(path: string, name: string): NiftiFields {
  const fd = openSync(path, 'r')
  let prefix: Uint8Array
  try {
    const buf = new Uint8Array(64 * 1024)
    prefix = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0))
  } finally {
    closeSync(fd)
  }
  return readNiftiFields(isGzip(prefix) ? gunzipPrefix(prefix, NIFTI_MAX_PREFIX, name) : prefix, name)
}

/** The 3-D grid of a reference header (a 4-D image's first three dims). */
function maskDims(f: NiftiFields, name: string): [number, number, number] {
  const n = f.dim[0]!
  const d = [1, 2, 3].map((i) => (i <= n ? f.dim[i]! : 1))
  if (!(n >= 1 && n <= 7) || d.some((x) => !(Number.isInteger(x) && x >= 1))) throw new UsageError(`${name} has no usable image grid (dim ${f.dim.join(',')})`)
  return d as [number, number, number]
}
