import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { randomBytes } from 'node:crypto'
import { gunzipSync, gzipSync } from 'node:zlib'
import type { ArchiveCore } from '../../app-archive'
import { resolveProjectFile } from '../../archive/file-access'
import { NotFoundError, UsageError } from '../../core/errors'
import { safeJoin, safeRelativeSegments } from '../../core/safe-path'
import { isGzip } from '../../formats/gzip'
import { readNifti } from '../../formats/nifti'
import { type NiftiFields, readNiftiFields } from '../../formats/nifti-fields'
import { decodeNiftiVolume, type NiftiVolume } from '../../roi/nifti-image'
import { encodeNiftiMask } from '../../roi/nifti-mask'
import { RoiError } from '../../roi/roi-error'
import type { Mask } from '../../roi/volume'
import { actorOf } from '../context'

/** A NIfTI file as `nora roi` uses it: its volume (first 3-D volume) and raw header (the geometry masks copy). */
export interface NiftiFile {
  name: string
  volume: NiftiVolume
  fields: NiftiFields
}

/** Where `nora roi` (and `nora transform`, `nora markers`) read and write: the disk, or (with -p) a project's archive. */
export interface RoiFiles {
  /** A file to read, checked (exists, is a file; in a project: inside it, read right): where it is and its name to show. */
  locate(path: string): Promise<{ real: string; name: string }>
  read(path: string): Promise<NiftiFile>
  /** Writes a finished file whole (temp file, rename); returns where it went (a path to show). */
  write(path: string, bytes: Uint8Array): Promise<string>
}

/** Parses NIfTI bytes (.nii or .nii.gz) through src/formats, then decodes the voxels. */
export function parseNifti(bytes: Uint8Array, name: string): NiftiFile {
  const raw = isGzip(bytes) ? new Uint8Array(gunzipSync(bytes)) : bytes
  const header = readNifti(raw, name)
  if (header.format !== 'nifti1' && header.format !== 'nifti2') throw new UsageError(`${name} is not NIfTI`)
  return { name, volume: decodeNiftiVolume(raw, header, name), fields: readNiftiFields(raw, name) }
}

/** A NIfTI file read as a mask: one 3-D volume, non-zero (after scaling) = inside. */
export function maskOf(file: NiftiFile): Mask {
  const { data, slope, inter, volumes } = file.volume
  if (volumes > 1) throw new RoiError(`${file.name} has ${volumes} volumes; a mask is one 3-D volume`)
  const out = new Uint8Array(data.length)
  for (let v = 0; v < data.length; v++) out[v] = slope * data[v]! + inter !== 0 ? 1 : 0
  return out
}

/** The bytes of a mask file named `out` (.nii, or gzip-compressed .nii.gz) with `reference`'s geometry. */
export function maskFileBytes(mask: Mask, reference: NiftiFields, out: string): Uint8Array {
  if (!/\.nii(\.gz)?$/i.test(out)) throw new UsageError(`--out ${out}: a mask is written as NIfTI; name it .nii.gz or .nii`)
  const nii = encodeNiftiMask(mask, reference)
  return /\.gz$/i.test(out) ? gzipSync(nii, { level: 6 }) : nii
}

function writeWhole(target: string, bytes: Uint8Array): void {
  const temp = `${target}.${randomBytes(4).toString('hex')}.part`
  try {
    writeFileSync(temp, bytes)
    renameSync(temp, target)
  } finally {
    rmSync(temp, { force: true })
  }
}

/** Files on disk. */
export const diskFiles: RoiFiles = {
  async locate(path) {
    if (!existsSync(path)) throw new NotFoundError(`no file ${path}`)
    if (!statSync(path).isFile()) throw new UsageError(`${path} is not a file`)
    return { real: path, name: path }
  },
  read: (path) => readNiftiAt(diskFiles, path),
  async write(path, bytes) {
    if (!existsSync(dirname(path) || '.')) throw new NotFoundError(`the folder of --out ${path} does not exist`)
    writeWhole(path, bytes)
    return path
  },
}

/**
 * Files of a project: paths inside it (PID/SID/FOLDER/FILE, or PID#SID/FOLDER/FILE), proven inside the project
 * folder (symlinks followed); reading needs the read right, writing the write right, and a written file is
 * registered in the archive (as --add does).
 */
export async function archiveFiles(s: ArchiveCore, args: Parameters<typeof actorOf>[1], project: string): Promise<RoiFiles> {
  const actor = await actorOf(s, args)
  const segmentsOf = (path: string) => safeRelativeSegments(path.replace('#', '/'), 'path in the project')
  const files: RoiFiles = {
    async locate(path) {
      const p = await s.archive.open(actor, project, 'read')
      const file = resolveProjectFile(s.archive.projectDir(p), segmentsOf(path))
      return { real: file.real, name: file.relative }
    },
    read: (path) => readNiftiAt(files, path),
    async write(path, bytes) {
      const p = await s.archive.open(actor, project, 'write')
      const segments = segmentsOf(path)
      if (segments.length < 3) throw new UsageError(`--out ${path}: name a file in a study, PATIENTS_ID/STUDIES_ID/FOLDER/NAME.nii.gz`)
      const target = safeJoin(s.archive.projectDir(p), ...segments)
      mkdirSync(dirname(target), { recursive: true })
      writeWhole(target, bytes)
      await s.archive.addFiles(actor, project, [target])
      return `${segments.join('/')} (project ${project})`
    },
  }
  return files
}

/** The whole bytes of a file `files` locates, with its name to show. */
export async function bytesAt(files: RoiFiles, path: string): Promise<{ name: string; bytes: Uint8Array }> {
  const { real, name } = await files.locate(path)
  return { name, bytes: new Uint8Array(await Bun.file(real).arrayBuffer()) }
}

async function readNiftiAt(files: RoiFiles, path: string): Promise<NiftiFile> {
  const { name, bytes } = await bytesAt(files, path)
  return parseNifti(bytes, name)
}
