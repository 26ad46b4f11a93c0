import type { ArchiveCore } from '../../app-archive'
import { UsageError } from '../../core/errors'
import { removeSalt } from '../../roi/components'
import { type MorphOp, morph } from '../../roi/morphology'
import { regionGrow, checkSeed } from '../../roi/region-grow'
import { resample } from '../../roi/resample'
import { type SetOp, setOp } from '../../roi/set-ops'
import { stats } from '../../roi/stats'
import { type Connectivity, type Grid, checkSameGrid, countVoxels, sameGrid, voxelIndex, voxelVolumeMm3 } from '../../roi/volume'
import { one, type ParsedArgs } from '../args'
import type { Out } from '../context'
import { archiveFiles, diskFiles, maskFileBytes, maskOf, type RoiFiles } from './roi-files'

type OpenArchive = <T>(args: ParsedArgs, fn: (s: ArchiveCore) => Promise<T>) => Promise<T>

/** `nora roi stats|morph|set|salt|grow`: the ROI engine (src/roi) on NIfTI files, from disk or (-p) a project. */
export async function roiCommand(args: ParsedArgs, io: Out, withArchive: OpenArchive): Promise<number> {
  const project = one(args, 'project')
  if (!project) return run(args, io, diskFiles)
  return withArchive(args, async (s) => run(args, io, await archiveFiles(s, args, project)))
}

async function run(args: ParsedArgs, io: Out, files: RoiFiles): Promise<number> {
  const sub = args.positional[1]
  if (sub === 'stats') return statsCommand(args, io, files)
  if (sub === 'morph') return morphCommand(args, io, files)
  if (sub === 'set') return setCommand(args, io, files)
  if (sub === 'salt') return saltCommand(args, io, files)
  if (sub === 'grow') return growCommand(args, io, files)
  throw new UsageError(`nora roi ${sub}: unknown (stats, morph, set, salt, grow, seg)`)
}

const need = (args: ParsedArgs, name: string): string => {
  const v = one(args, name)
  if (v === undefined) throw new UsageError(`--${name} is missing`)
  return v
}

/** A number option; `what` says what it must be. */
function numberOption(args: ParsedArgs, name: string, fallback?: number, integer = false, min = -Infinity): number {
  const raw = one(args, name)
  if (raw === undefined && fallback !== undefined) return fallback
  const v = Number(raw)
  if (raw === undefined || raw.trim() === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min)
    throw new UsageError(`--${name} ${raw ?? ''}: expected ${integer ? 'a whole number' : 'a number'}${min > -Infinity ? ` >= ${min}` : ''}`)
  return v
}

function connectivityOption(args: ParsedArgs): Connectivity {
  const raw = one(args, 'connected') ?? '6'
  if (raw !== '6' && raw !== '26') throw new UsageError(`--connected ${raw}: expected 6 (faces) or 26 (faces, edges, corners)`)
  return Number(raw) as Connectivity
}

const ml = (voxels: number, grid: Grid) => (voxels * voxelVolumeMm3(grid.affine)) / 1000
const fmt = (x: number | null) => (x === null ? '-' : Number.isNaN(x) ? 'nan' : String(Number(x.toPrecision(10))))

async function statsCommand(args: ParsedArgs, io: Out, files: RoiFiles): Promise<number> {
  const [image, roi] = await Promise.all([files.read(need(args, 'image')), files.read(need(args, 'roi'))])
  const mask = maskOf(roi)
  const grid = roi.volume.grid
  const resampled = !sameGrid(image.volume.grid, grid)
  // Resampled from the stored values; their scaling (slope, inter) commutes with linear interpolation.
  const values = resampled ? resample(image.volume.data, image.volume.grid, grid, 'linear') : image.volume.data
  const s = stats(values, mask, grid, { slope: image.volume.slope, inter: image.volume.inter })
  if (args.options.has('json')) {
    await io.out(JSON.stringify({ image: image.name, roi: roi.name, resampled, ...s }))
    return 0
  }
  const rows: [string, string][] = [
    ['image', image.name],
    ['roi', roi.name],
    ['voxels', String(s.voxels)],
    ['volume_ml', fmt(s.volumeMl)],
    ['area_cm2', fmt(s.areaCm2)],
    ['mean', fmt(s.mean)],
    ['std', fmt(s.std)],
    ['median', fmt(s.median)],
    ['p25', fmt(s.p25)],
    ['p75', fmt(s.p75)],
  ]
  if (s.samples !== s.voxels) rows.push(['samples', `${s.samples} (NaN voxels or outside the image skipped)`])
  if (resampled) rows.push(['note', "the image's grid differs from the ROI's: resampled (trilinear) onto the ROI's grid"])
  for (const [k, v] of rows) await io.out(`${k.padEnd(10)} ${v}`)
  return 0
}

async function morphCommand(args: ParsedArgs, io: Out, files: RoiFiles): Promise<number> {
  const op = args.positional[2] as MorphOp
  const iterations = numberOption(args, 'iterations', 1, true, 1)
  const out = need(args, 'out')
  const roi = await files.read(need(args, 'roi'))
  const mask = maskOf(roi)
  const result = morph(op, mask, roi.volume.grid.dims, iterations)
  const where = await files.write(out, maskFileBytes(result, roi.fields, out))
  await io.out(`${op} x${iterations}: ${countVoxels(mask)} -> ${countVoxels(result)} voxels, written to ${where}`)
  return 0
}

async function setCommand(args: ParsedArgs, io: Out, files: RoiFiles): Promise<number> {
  const op = args.positional[2] as SetOp
  const [aPath, bPath] = [args.positional[3]!, args.positional[4]!]
  const out = need(args, 'out')
  const [a, b] = await Promise.all([files.read(aPath), files.read(bPath)])
  checkSameGrid(a.volume.grid, b.volume.grid, [a.name, b.name])
  const result = setOp(op, maskOf(a), maskOf(b))
  const where = await files.write(out, maskFileBytes(result, a.fields, out))
  const n = countVoxels(result)
  await io.out(`${op}: ${n} voxels (${fmt(ml(n, a.volume.grid))} mL), written to ${where}`)
  return 0
}

async function saltCommand(args: ParsedArgs, io: Out, files: RoiFiles): Promise<number> {
  const min = numberOption(args, 'min', undefined, true, 0)
  const connectivity = connectivityOption(args)
  const out = need(args, 'out')
  const roi = await files.read(need(args, 'roi'))
  const mask = maskOf(roi)
  const result = removeSalt(mask, roi.volume.grid.dims, min, connectivity)
  const where = await files.write(out, maskFileBytes(result, roi.fields, out))
  await io.out(`remove salt (< ${min} voxels, ${connectivity}-connected): ${countVoxels(mask)} -> ${countVoxels(result)} voxels, written to ${where}`)
  return 0
}

async function growCommand(args: ParsedArgs, io: Out, files: RoiFiles): Promise<number> {
  const seedText = need(args, 'seed')
  const seed = seedText.split(',').map((x) => (x.trim() === '' ? Number.NaN : Number(x)))
  const low = numberOption(args, 'low')
  const high = numberOption(args, 'high')
  if (low > high) throw new UsageError(`--low ${low} is above --high ${high}: nothing can grow`)
  const connectivity = connectivityOption(args)
  const out = need(args, 'out')
  const image = await files.read(need(args, 'image'))
  const { grid, data, slope, inter } = image.volume
  if (seed.length !== 3) throw new UsageError(`--seed ${seedText}: give the voxel as i,j,k (three whole numbers, 0-based)`)
  checkSeed(grid.dims, seed)
  // [low, high] are in scaled values; grow on stored values with the bounds mapped back.
  const [lo, hi] = slope > 0 ? [(low - inter) / slope, (high - inter) / slope] : [(high - inter) / slope, (low - inter) / slope]
  const seedValue = slope * data[voxelIndex(grid.dims, ...seed)]! + inter
  if (!(seedValue >= low && seedValue <= high))
    throw new UsageError(`the seed voxel ${seed.join(',')} has the value ${fmt(seedValue)}, outside [${low}, ${high}]: nothing grows from it`)
  const result = regionGrow(data, grid.dims, seed, lo, hi, connectivity)
  const where = await files.write(out, maskFileBytes(result, image.fields, out))
  const n = countVoxels(result)
  await io.out(`grown from ${seed.join(',')} in [${low}, ${high}] (${connectivity}-connected): ${n} voxels (${fmt(ml(n, grid))} mL), written to ${where}`)
  return 0
}
