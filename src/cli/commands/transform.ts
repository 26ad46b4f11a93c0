import { gunzipSync, gzipSync } from 'node:zlib'
import type { ArchiveCore } from '../../app-archive'
import { UsageError } from '../../core/errors'
import { isGzip } from '../../formats/gzip'
import { readNifti } from '../../formats/nifti'
import { type NiftiFields, readNiftiFields } from '../../formats/nifti-fields'
import { decodeNiftiVolume } from '../../roi/nifti-image'
import { resample } from '../../roi/resample'
import { type Grid, flatAffine, voxelSizes } from '../../roi/volume'
import { type DisplacementMarker, markersField, pointsField, warp } from '../../transform/displacement'
import { movedGrid, worldGrid } from '../../transform/grids'
import { parseMatrix } from '../../transform/matrix'
import { decodeField, encodeField, encodeResampled, withAffine } from '../../transform/nifti-write'
import type { Interpolation } from '../../transform/sample'
import { many, one, type ParsedArgs } from '../args'
import type { Out } from '../context'
import { archiveFiles, bytesAt, diskFiles, type RoiFiles } from './roi-files'

type OpenArchive = <T>(args: ParsedArgs, fn: (s: ArchiveCore) => Promise<T>) => Promise<T>

/** `nora transform apply|field`: the transform engine (src/transform) on NIfTI files, from disk or (-p) a project. */
export async function transformCommand(args: ParsedArgs, io: Out, withArchive: OpenArchive): Promise<number> {
  const project = one(args, 'project')
  if (!project) return run(args, io, diskFiles)
  return withArchive(args, async (s) => run(args, io, await archiveFiles(s, args, project)))
}

async function run(args: ParsedArgs, io: Out, files: RoiFiles): Promise<number> {
  const sub = args.positional[1]
  if (sub === 'apply') return applyCommand(args, io, files)
  if (sub === 'field') return fieldCommand(args, io, files)
  throw new UsageError(`nora transform ${sub}: unknown (apply, field)`)
}

interface Nifti {
  name: string
  raw: Uint8Array
  fields: NiftiFields
  grid: Grid
}

async function readNiftiFile(files: RoiFiles, path: string): Promise<Nifti> {
  const { name, bytes } = await bytesAt(files, path)
  const raw = isGzip(bytes) ? new Uint8Array(gunzipSync(bytes)) : bytes
  const header = readNifti(raw, name)
  if (header.format !== 'nifti1' && header.format !== 'nifti2') throw new UsageError(`${name} is not NIfTI`)
  const dims = header.dims ?? []
  return { name, raw, fields: readNiftiFields(raw, name), grid: { dims: [dims[0] ?? 1, dims[1] ?? 1, dims[2] ?? 1], affine: flatAffine(header.affine ?? []) } }
}

const need = (args: ParsedArgs, name: string): string => {
  const v = one(args, name)
  if (v === undefined) throw new UsageError(`--${name} is missing`)
  return v
}

function positive(args: ParsedArgs, name: string): number | undefined {
  const raw = one(args, name)
  if (raw === undefined) return undefined
  const v = Number(raw)
  if (raw.trim() === '' || !(Number.isFinite(v) && v > 0)) throw new UsageError(`--${name} ${raw}: expected a positive number of mm`)
  return v
}

function niftiOut(out: string, nii: Uint8Array): Uint8Array {
  if (!/\.nii(\.gz)?$/i.test(out)) throw new UsageError(`--out ${out}: the result is NIfTI; name it .nii.gz or .nii`)
  return /\.gz$/i.test(out) ? gzipSync(nii, { level: 6 }) : nii
}

/** linear, or nearest for masks: --interp, else nearest when the image holds only 0 and 1 in an integer type. */
function interpolationOf(args: ParsedArgs, data: ArrayLike<number>, datatype: string): Interpolation {
  const raw = one(args, 'interp')
  if (raw !== undefined) {
    if (raw !== 'linear' && raw !== 'nearest') throw new UsageError(`--interp ${raw}: expected linear or nearest`)
    return raw
  }
  if (datatype.startsWith('float')) return 'linear'
  for (let i = 0; i < data.length; i++) if (data[i] !== 0 && data[i] !== 1) return 'linear'
  return 'nearest'
}

async function applyCommand(args: ParsedArgs, io: Out, files: RoiFiles): Promise<number> {
  const out = need(args, 'out')
  const affinePath = one(args, 'affine')
  const warpPath = one(args, 'warp')
  if ((affinePath === undefined) === (warpPath === undefined)) throw new UsageError('give either --affine M.txt (4x4, moving -> fixed, RAS mm) or --warp FIELD.nii.gz')
  const gridArg = one(args, 'grid')
  const image = await readNiftiFile(files, need(args, 'image'))
  if (affinePath !== undefined) {
    const matrix = parseMatrix(new TextDecoder().decode((await bytesAt(files, affinePath)).bytes), affinePath)
    const moved = movedGrid(image.grid, matrix)
    if (gridArg === undefined) {
      if (one(args, 'voxel') !== undefined) throw new UsageError('--voxel sets the WORLD grid: give it with --grid world')
      const where = await files.write(out, niftiOut(out, withAffine(image.raw, image.fields, moved.affine)))
      await io.out(`header moved (sform/qform; voxels untouched), written to ${where}`)
      return 0
    }
    const target = await targetGrid(args, files, gridArg, moved)
    return writeResampled(args, io, files, image, out, target, (data, interp) => resample(data, moved, target, interp))
  }
  if (gridArg !== undefined || one(args, 'voxel') !== undefined) throw new UsageError('--warp resamples onto the field\'s grid: --grid and --voxel go with --affine')
  const f = await readNiftiFile(files, warpPath!)
  const field = decodeField(f.raw, f.fields, f.grid.affine, f.name)
  return writeResampled(args, io, files, image, out, field.grid, (data, interp) => warp(data, image.grid, field, interp))
}

async function targetGrid(args: ParsedArgs, files: RoiFiles, gridArg: string, moved: Grid): Promise<Grid> {
  if (gridArg === 'world') {
    const voxel = positive(args, 'voxel') ?? Math.min(...voxelSizes(moved.affine))
    return worldGrid([moved], voxel)
  }
  if (one(args, 'voxel') !== undefined) throw new UsageError('--voxel sets the WORLD grid (--grid world); a reference image brings its own voxels')
  return (await readNiftiFile(files, gridArg)).grid
}

async function writeResampled(
  args: ParsedArgs,
  io: Out,
  files: RoiFiles,
  image: Nifti,
  out: string,
  target: Grid,
  sample: (data: ArrayLike<number> & Parameters<typeof resample>[0], interp: Interpolation) => Float32Array,
): Promise<number> {
  const volume = decodeNiftiVolume(image.raw, readNifti(image.raw, image.name), image.name)
  if (volume.volumes > 1) throw new UsageError(`${image.name} has ${volume.volumes} volumes: resampling takes 3-D images (--affine alone moves the header of a 4-D image)`)
  const interp = interpolationOf(args, volume.data, volume.datatype)
  const values = sample(volume.data, interp)
  const where = await files.write(out, niftiOut(out, encodeResampled(image.raw, image.fields, values, target)))
  await io.out(`resampled (${interp}) onto ${target.dims.join('x')} voxels of ${voxelSizes(target.affine).map((v) => Number(v.toFixed(4))).join('x')} mm, written to ${where}`)
  return 0
}

/** `x,y,z,dx,dy,dz,sigma` (mm, RAS): a displacement marker. */
function parseMarker(text: string): DisplacementMarker {
  const v = text.split(',').map((x) => (x.trim() === '' ? Number.NaN : Number(x)))
  if (v.length !== 7 || !v.every(Number.isFinite) || !(v[6]! > 0))
    throw new UsageError(`--marker ${text}: give X,Y,Z,DX,DY,DZ,SIGMA (centre, displacement and extent in RAS mm; sigma > 0)`)
  return { centre: [v[0]!, v[1]!, v[2]!], vector: [v[3]!, v[4]!, v[5]!], sigma: v[6]! }
}

/** A keypoint file: one point a line, `x y z` (RAS mm, blanks or commas), `#` comments. */
function parsePoints(text: string, name: string): number[][] {
  const points = text
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*/, '').trim())
    .filter((l) => l !== '')
    .map((l) => l.split(/[\s,;]+/).map(Number))
  if (points.some((p) => p.length !== 3 || !p.every(Number.isFinite))) throw new UsageError(`${name}: expected one point a line, x y z in RAS mm`)
  return points
}

async function fieldCommand(args: ParsedArgs, io: Out, files: RoiFiles): Promise<number> {
  const out = need(args, 'out')
  const markers = many(args, 'marker').map(parseMarker)
  const movingPath = one(args, 'moving-points')
  const fixedPath = one(args, 'fixed-points')
  if (markers.length > 0 === (movingPath !== undefined || fixedPath !== undefined))
    throw new UsageError('give either --marker X,Y,Z,DX,DY,DZ,SIGMA (one or more) or --moving-points A.txt --fixed-points B.txt --sigma MM')
  const grid = (await readNiftiFile(files, need(args, 'grid'))).grid
  let field
  if (markers.length > 0) {
    const basePath = one(args, 'base')
    const base = basePath === undefined ? undefined : await readNiftiFile(files, basePath).then((f) => decodeField(f.raw, f.fields, f.grid.affine, f.name))
    field = markersField(grid, markers, base)
  } else {
    if (movingPath === undefined || fixedPath === undefined) throw new UsageError('--moving-points and --fixed-points go together')
    const sigma = positive(args, 'sigma')
    if (sigma === undefined) throw new UsageError('--sigma MM is missing: the width of the Gaussian between keypoints')
    const read = async (p: string) => parsePoints(new TextDecoder().decode((await bytesAt(files, p)).bytes), p)
    field = pointsField(grid, await read(movingPath), await read(fixedPath), sigma)
  }
  const where = await files.write(out, niftiOut(out, encodeField(field)))
  await io.out(`displacement field ${grid.dims.join('x')}x3 (LPS mm, pull-back, ITK/ANTs convention), written to ${where}`)
  return 0
}

