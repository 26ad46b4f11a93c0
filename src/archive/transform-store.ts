import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { dirname } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { PathError, TooLargeError, UsageError } from '../core/errors'
import { safeJoin, safeRelativeSegments, safeSegment } from '../core/safe-path'
import type { User } from '../core/types'
import { isGzip } from '../formats/gzip'
import { readNifti } from '../formats/nifti'
import { type NiftiFields, readNiftiFields } from '../formats/nifti-fields'
import { decodeNiftiVolume } from '../roi/nifti-image'
import { resample } from '../roi/resample'
import { type Grid, checkDims, flatAffine, voxelCount } from '../roi/volume'
import { type DisplacementField, type DisplacementMarker, addFields, markersField, pointsField, warp } from '../transform/displacement'
import { movedGrid, worldGrid } from '../transform/grids'
import { IDENTITY, checkMatrix } from '../transform/matrix'
import { encodeField, encodeResampled, withAffine } from '../transform/nifti-write'
import type { Interpolation } from '../transform/sample'
import type { ArchiveService } from './archive-service'
import { resolveProjectFile } from './file-access'

/** The tool named in a transform's provenance sidecar. */
export const NAVIGATION_TOOL = 'nora Navigation tool'

/** The largest grid the server resamples onto (voxels): 512³. */
export const MAX_RESAMPLE_VOXELS = 512 ** 3

/** A file name of a result: letters, digits, '-', '_' and '.', ending .nii or .nii.gz. */
const OUT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,150}\.nii(\.gz)?$/

/** Where the result is shown: WORLD (the box of the given grids at a voxel size) or one archive image's matrix. */
export type GridChoice = { kind: 'world'; voxel: number; grids: { dims: number[]; affine: number[] }[] } | { kind: 'image'; path: string }

/** The deformable part: displacement markers (dumped and new) and pairs of keypoint sets, summed into one field. */
export interface WarpRequest {
  /** Markers rendered ("dumped") before: the base field. */
  dumped?: DisplacementMarker[]
  markers?: DisplacementMarker[]
  pairs?: { moving: number[][]; fixed: number[][]; sigma: number }[]
}

export interface TransformRequest {
  project: string
  /** The moving image, a project-relative path (PID/SID/FOLDER/IMAGE.nii[.gz]). */
  image: string
  /** 16 numbers, row-major: moving -> fixed, RAS mm. Default the identity. */
  matrix?: number[]
  /** The 12 parameters the matrix came from (kept in the sidecar only). */
  parameters?: unknown
  warp?: WarpRequest
  /** Without a grid and a warp: the header changes, the voxels stay. */
  grid?: GridChoice
  interpolation?: Interpolation
  /** 'new': a new file `name` beside the image; 'same': the image itself is replaced. */
  target: 'new' | 'same'
  name?: string
}

export interface AppliedTransform {
  /** Project-relative paths. */
  path: string
  sidecar: string
  field?: string
  mode: 'header' | 'resampled' | 'warped'
  dims: number[]
  interpolation?: Interpolation
}

interface Image {
  rel: string
  raw: Uint8Array
  fields: NiftiFields
  grid: Grid
  gz: boolean
}

/**
 * APPLY of the Navigation tool: the moving image's header moved (sform/qform = M · A, voxels and extensions byte for
 * byte), or the image resampled onto a grid (WORLD or an image's matrix), or warped by a displacement field (markers,
 * dumped markers, keypoint pairs) and written with the field; src/transform does the math, as in `nora transform`.
 * The result goes into a new file beside the image or replaces it, with a provenance sidecar `BASE.transform.json`
 * (source, reference grid, user, time, tool, matrix; earlier entries kept under `history`), written whole (temp
 * file, rename) and registered through the archive writer like saved ROIs.
 */
export class TransformStore {
  constructor(private readonly archive: Pick<ArchiveService, 'open' | 'projectDir' | 'writer'>) {}

  async apply(actor: User, req: TransformRequest): Promise<AppliedTransform> {
    const project = await this.archive.open(actor, req.project, 'write')
    const root = this.archive.projectDir(project)
    const segments = safeRelativeSegments(req.image, 'image')
    if (segments.length < 3) throw new UsageError(`the image ${JSON.stringify(req.image.slice(0, 200))} must be a file in a study: PATIENTS_ID/STUDIES_ID/FOLDER/IMAGE.nii.gz`)
    const image = readImage(resolveProjectFile(root, segments).real, segments.join('/'))
    const matrix = req.matrix ?? IDENTITY.slice()
    checkMatrix(matrix, 'the matrix')
    const moved = movedGrid(image.grid, matrix)
    const warpReq = hasWarp(req.warp) ? req.warp : undefined

    // the output's name, beside the image
    const folder = segments.slice(0, -1)
    const outName = req.target === 'same' ? segments.at(-1)! : outputName(req.name ?? defaultName(segments.at(-1)!, warpReq ? 'warped' : 'moved'))
    if (req.target === 'new' && outName === segments.at(-1)) throw new UsageError(`the new file's name is the image's own (${outName}): choose another name, or "same file"`)
    const outAbs = safeJoin(root, ...folder, outName)
    const base = outName.replace(/\.nii(\.gz)?$/i, '')
    const sidecarName = `${base}.transform.json`
    const fieldName = `${base}_warp.nii.gz`

    let bytes: Uint8Array
    let mode: AppliedTransform['mode']
    let target: Grid = moved
    let interp: Interpolation | undefined
    let field: DisplacementField | undefined
    if (!warpReq && !req.grid) {
      mode = 'header'
      bytes = withAffine(image.raw, image.fields, moved.affine)
    } else {
      target = req.grid ? this.gridOf(root, req.grid, moved) : moved
      if (voxelCount(target.dims) > MAX_RESAMPLE_VOXELS) throw new TooLargeError(`the result grid ${target.dims.join('x')} is larger than ${MAX_RESAMPLE_VOXELS} voxels: choose a larger WORLD voxel size`)
      const volume = decodeNiftiVolume(image.raw, readNifti(image.raw, image.rel), image.rel)
      if (volume.volumes > 1) throw new UsageError(`${image.rel} has ${volume.volumes} volumes: resampling takes 3-D images (without a grid and a warp, the header of a 4-D image moves)`)
      interp = req.interpolation ?? interpolationOf(volume.data, volume.datatype)
      if (warpReq) {
        mode = 'warped'
        field = fieldOf(target, warpReq)
        bytes = encodeResampled(image.raw, image.fields, warp(volume.data, moved, field, interp), target)
      } else {
        mode = 'resampled'
        bytes = encodeResampled(image.raw, image.fields, resample(volume.data, moved, target, interp), target)
      }
    }
    const gz = /\.gz$/i.test(outName)
    const sidecarAbs = safeJoin(root, ...folder, sidecarName)
    const entry = {
      format: 'nora-transform',
      version: 1,
      source: image.rel,
      output: [...folder, outName].join('/'),
      mode,
      reference: req.grid ? (req.grid.kind === 'image' ? req.grid.path : `WORLD ${req.grid.voxel} mm`) : null,
      user: actor.username,
      time: new Date().toISOString(),
      tool: NAVIGATION_TOOL,
      space: 'RAS',
      units: 'mm',
      matrix: [0, 1, 2, 3].map((r) => matrix.slice(r * 4, r * 4 + 4)),
      ...(req.parameters !== undefined ? { parameters: req.parameters } : {}),
      ...(interp ? { interpolation: interp, grid: { dims: target.dims, affine: [0, 1, 2, 3].map((r) => target.affine.slice(r * 4, r * 4 + 4)) } } : {}),
      ...(warpReq ? { warp: { ...warpReq, field: [...folder, fieldName].join('/'), convention: 'LPS mm, pull-back (ITK/ANTs displacement field)' } } : {}),
    }
    const history = previousEntries(sidecarAbs)
    const sidecar = history.length ? { ...entry, history } : entry
    // The right again at the write (the resampling may have taken a while).
    await this.archive.open(actor, req.project, 'write')
    const writes: [string, Uint8Array][] = [[outAbs, gz ? gzipSync(bytes, { level: 6 }) : bytes], [sidecarAbs, new TextEncoder().encode(`${JSON.stringify(sidecar, null, 2)}\n`)]]
    if (field) writes.push([safeJoin(root, ...folder, fieldName), gzipSync(encodeField(field), { level: 6 })])
    writeAll(writes)
    const inStudy = folder.slice(2)
    const placed = writes.map(([abs]) => ({ rel: [...inStudy, abs.slice(dirname(abs).length + 1)].join('/'), abs }))
    await this.archive.writer.register(project, { patientsId: segments[0]!, studiesId: segments[1]! }, placed, { headers: true })
    const rel = (name: string) => [...folder, name].join('/')
    return { path: rel(outName), sidecar: rel(sidecarName), ...(field ? { field: rel(fieldName) } : {}), mode, dims: target.dims, ...(interp ? { interpolation: interp } : {}) }
  }

  private gridOf(root: string, g: GridChoice, moved: Grid): Grid {
    if (g.kind === 'image') {
      const segs = safeRelativeSegments(g.path, 'grid image')
      const f = resolveProjectFile(root, segs)
      return readImage(f.real, f.relative).grid
    }
    const grids: Grid[] = g.grids.map((x) => {
      checkDims(x.dims)
      checkMatrix(x.affine, 'a WORLD image affine')
      return { dims: x.dims, affine: x.affine }
    })
    return worldGrid(grids.length ? grids : [moved], g.voxel)
  }
}

function hasWarp(w: WarpRequest | undefined): w is WarpRequest {
  return !!w && ((w.dumped?.length ?? 0) > 0 || (w.markers?.length ?? 0) > 0 || (w.pairs?.length ?? 0) > 0)
}

/** Dumped markers, new markers and keypoint pairs summed on the grid. */
export function fieldOf(grid: Grid, w: WarpRequest): DisplacementField {
  let field = markersField(grid, w.dumped ?? [])
  if (w.markers?.length) field = markersField(grid, w.markers, field)
  for (const p of w.pairs ?? []) field = addFields(field, pointsField(grid, p.moving, p.fixed, p.sigma))
  return field
}

function readImage(path: string, rel: string): Image {
  const bytes = new Uint8Array(readFileSync(path))
  const gz = isGzip(bytes)
  const raw = gz ? new Uint8Array(gunzipSync(bytes)) : bytes
  const header = readNifti(raw, rel)
  if (header.format !== 'nifti1' && header.format !== 'nifti2') throw new UsageError(`${rel} is not NIfTI: the Navigation tool moves NIfTI images`)
  const dims = header.dims ?? []
  return { rel, raw, gz, fields: readNiftiFields(raw, rel), grid: { dims: [dims[0] ?? 1, dims[1] ?? 1, dims[2] ?? 1], affine: flatAffine(header.affine ?? []) } }
}

/** linear, or nearest for masks (an integer image holding only 0 and 1). */
function interpolationOf(data: ArrayLike<number>, datatype: string): Interpolation {
  if (datatype.startsWith('float')) return 'linear'
  for (let i = 0; i < data.length; i++) if (data[i] !== 0 && data[i] !== 1) return 'linear'
  return 'nearest'
}

function defaultName(image: string, suffix: string): string {
  const m = image.match(/^(.*?)(\.nii(\.gz)?)$/i)
  return m ? `${m[1]}_${suffix}${m[2]}` : `${image}_${suffix}.nii.gz`
}

/** The checked file name of a new result (in the image's folder). */
export function outputName(raw: string): string {
  if (!OUT_NAME.test(raw) || raw.includes('..'))
    throw new PathError(`file name ${JSON.stringify(raw.slice(0, 80))} is not allowed: letters, digits, "-", "_" and "." (not leading, no ".."), ending .nii or .nii.gz`)
  return safeSegment(raw, 'file name')
}

function previousEntries(sidecar: string): unknown[] {
  if (!existsSync(sidecar)) return []
  try {
    const old = JSON.parse(readFileSync(sidecar, 'utf8')) as { history?: unknown[] }
    const { history, ...rest } = old
    return [...(Array.isArray(history) ? history : []), rest]
  } catch {
    return []
  }
}

/** Every file written to a temp name first, then all renamed: no half result is visible. */
function writeAll(files: [string, Uint8Array][]): void {
  const tag = randomBytes(4).toString('hex')
  const temps = files.map(([abs]) => `${dirname(abs)}/.${abs.slice(dirname(abs).length + 1)}.${tag}.part`)
  try {
    files.forEach(([, bytes], i) => writeFileSync(temps[i]!, bytes))
    files.forEach(([abs], i) => renameSync(temps[i]!, abs))
  } finally {
    for (const t of temps) rmSync(t, { force: true })
  }
}
