import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, isAbsolute, join, relative } from 'node:path'
import type { ArchiveService } from '../archive/archive-service'
import { resolveProjectFile } from '../archive/file-access'
import { NotFoundError, UsageError } from '../core/errors'
import { removeInside, safeRelativeSegments } from '../core/safe-path'
import type { User } from '../core/types'
import { DEFAULT_CATEGORY, DEFAULT_TYPE, segDataset, writeSeg } from '../dicom/seg/seg-dataset'
import { framesFromMask, type MaskVolume } from '../dicom/seg/seg-frames'
import { readSegSource } from '../dicom/seg/seg-source'
import { storeFiles, type PushOutcome } from '../dicom/dimse/store-scu'
import { readBundle } from '../importer/dicom-bundle'
import { gunzipSync } from 'node:zlib'
import { isGzip } from '../formats/gzip'
import { readNifti } from '../formats/nifti'
import { decodeNiftiVolume } from '../roi/nifti-image'
import type { PacsService } from './pacs-service'

export interface SegExport {
  /** The Part 10 bytes of the Segmentation. */
  bytes: Uint8Array
  sopInstanceUid: string
  /** A file name for it: `<ROI name>.seg.dcm`. */
  fileName: string
  frames: number
  /** The kept DICOM bundle (project path) whose series the SEG references. */
  sourceBundle: string
}

/**
 * Exports a saved ROI (a NIfTI mask in a study, with the geometry of an image nora converted from DICOM) as a DICOM
 * Segmentation referencing the original series, and pushes it to a node of conf/pacs.conf. The original series is
 * the kept DICOM bundle of the ROI's reference image: `<study>/dicom/<folder>_<stem>.tar.gz` for the image
 * `<study>/<folder>/<stem>[suffix].nii[.gz]` (the importer's naming).
 */
export class SegExportService {
  constructor(private readonly deps: { archive: ArchiveService; pacs: PacsService }) {}

  /**
   * `roi` and `reference` are project paths (`PID/SID/...`); the reference defaults to the one the ROI's JSON
   * sidecar names (written when the ROI tool saves it).
   */
  async export(actor: User, projectName: string, roi: string, opts: { reference?: string; label?: string } = {}): Promise<SegExport> {
    const project = await this.deps.archive.open(actor, projectName, 'read')
    const root = this.deps.archive.projectDir(project)
    const roiAbs = existingFile(root, roi, 'ROI')
    const [pid, sid] = relative(root, roiAbs).split('/')
    if (!pid || !sid) throw new UsageError(`ROI ${roi} must lie in a study folder: PID/SID/...`)
    const studyDir = join(root, pid, sid)
    const reference = opts.reference ?? referenceOf(roiAbs)
    if (!reference) throw new UsageError(`ROI ${roi} has no JSON sidecar naming its reference image: give it (--reference PID/SID/FOLDER/FILE.nii)`)
    const referenceAbs = existingFile(root, reference.includes('/') && reference.split('/').length > 2 ? reference : `${pid}/${sid}/${reference}`, 'reference image')
    const bundle = bundleOf(studyDir, referenceAbs)
    const mask = readMaskVolume(readFileSync(roiAbs), roi)
    const work = mkdtempSync(join(tmpdir(), 'nora-seg-'))
    try {
      const series = readSegSource(await readBundle(bundle, work))
      const frames = framesFromMask(mask, series.slices)
      const name = basename(roiAbs).replace(/\.nii(\.gz)?$/, '')
      const label = (opts.label ?? name).trim() || name
      const { dataset, sopInstanceUid } = segDataset({
        slices: series.slices,
        frames,
        source: series.source,
        segment: { label, algorithm: 'MANUAL', category: DEFAULT_CATEGORY, type: DEFAULT_TYPE },
        seriesDescription: `ROI ${label}`,
        creator: actor.username,
      })
      return { bytes: writeSeg(dataset, sopInstanceUid), sopInstanceUid, fileName: `${name}.seg.dcm`, frames: Number(dataset.NumberOfFrames), sourceBundle: relative(root, bundle) }
    } finally {
      removeInside(tmpdir(), work)
    }
  }

  /** Exports and sends the SEG by C-STORE; sending data out of nora takes the project's write right, as pushes do. */
  async push(actor: User, nodeName: string, projectName: string, roi: string, opts: { reference?: string; label?: string } = {}): Promise<PushOutcome & SegExport> {
    await this.deps.archive.open(actor, projectName, 'write') // rights first: node names are not for everyone
    const node = this.deps.pacs.node(nodeName)
    const seg = await this.export(actor, projectName, roi, opts)
    const work = mkdtempSync(join(tmpdir(), 'nora-seg-push-'))
    try {
      const file = join(work, 'seg.dcm')
      writeFileSync(file, seg.bytes)
      return { ...(await storeFiles(node, this.deps.pacs.callingAet, [file])), ...seg }
    } finally {
      removeInside(tmpdir(), work)
    }
  }
}

/** A project path (PID/SID/..., or an absolute path inside the project) of an existing file, symlinks resolved. */
function existingFile(root: string, path: string, what: string): string {
  const segments = safeRelativeSegments(isAbsolute(path) ? relative(root, path) : path, what)
  try {
    return resolveProjectFile(root, segments).real
  } catch (e) {
    if (e instanceof NotFoundError) throw new NotFoundError(`${what} ${path} does not exist in the project (${e.message})`)
    throw e
  }
}

/** The reference image the ROI tool recorded in the sidecar `NAME.json` beside `NAME.nii.gz`, if any. */
function referenceOf(roiAbs: string): string | undefined {
  const sidecar = roiAbs.replace(/\.nii(\.gz)?$/, '.json')
  if (sidecar === roiAbs || !existsSync(sidecar)) return undefined
  try {
    const value = (JSON.parse(readFileSync(sidecar, 'utf8')) as { reference?: unknown }).reference
    return typeof value === 'string' && value ? value : undefined
  } catch {
    return undefined
  }
}

/** The kept DICOM bundle a converted image came from: the longest `<folder>_<stem>` its file name starts with. */
function bundleOf(studyDir: string, imageAbs: string): string {
  const rel = relative(studyDir, imageAbs).split('/')
  if (rel.length !== 2) throw new UsageError(`the reference image must be a converted series file (FOLDER/FILE.nii[.gz] in the study), not ${rel.join('/')}`)
  const [folder, file] = rel as [string, string]
  const stem = file.replace(/\.nii(\.gz)?$/, '')
  const dir = join(studyDir, 'dicom')
  const candidates = existsSync(dir) ? readdirSync(dir).filter((b) => b.endsWith('.tar.gz') && b.startsWith(`${folder}_`)) : []
  const matching = candidates.map((b) => b.slice(folder.length + 1, -'.tar.gz'.length)).filter((s) => stem === s || stem.startsWith(`${s}_`))
  if (!matching.length) throw new NotFoundError(`no kept DICOM series for ${folder}/${file} (dicom/${folder}_${stem}.tar.gz): a SEG needs the originals (the project keeps none with --keepdicom no)`)
  const best = matching.sort((a, b) => b.length - a.length)[0]!
  return join(dir, `${folder}_${best}.tar.gz`)
}

/** A NIfTI mask (.nii or .nii.gz, first 3-D volume, any voxel type; non-zero is inside). */
function readMaskVolume(file: Uint8Array, name: string): MaskVolume {
  const volume = decodeNiftiVolume(isGzip(file) ? gunzipSync(file) : file, readNifti(file, name), name)
  const data = new Uint8Array(volume.data.length)
  for (let i = 0; i < data.length; i++) data[i] = volume.data[i] !== 0 ? 1 : 0
  return { dims: volume.grid.dims, affine: volume.grid.affine, data }
}
