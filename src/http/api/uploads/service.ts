import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readSync, renameSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { checkIdSegment, resolveInside } from '../../../archive/archive-paths'
import type { ArchiveService } from '../../../archive/archive-service'
import { fileUrl } from '../../../archive/autoloaders'
import { checkRelative, parsePsid } from '../../../archive/file-pattern'
import { randomToken } from '../../../auth/secrets'
import { ConflictError, UsageError } from '../../../core/errors'
import type { User } from '../../../core/types'
import { hasDicomMagic } from '../../../dicom/dicom-header'
import type { ImportQueue } from '../../../importer/import-queue'
import type { ImportService } from '../../../importer/import-service'

/** Where an uploaded file goes: a study (`PID#SID`, created when new) and a folder in it, or the DICOM's own PID. */
export interface UploadTarget {
  /** The file's name on the user's disk (its last path segment is used). */
  name: string
  psid?: string
  folder?: string
  /** "use native PID": DICOM only; subject and study come from the headers. */
  native?: boolean
}

export type UploadResult =
  | { kind: 'file'; path: string; url: string; bytes: number }
  | { kind: 'import'; id: number; state: 'queued'; status: string; bytes: number }

const ARCHIVE = /\.(zip|tar|tgz|tar\.gz)$/i

function looksDicom(path: string, name: string): boolean {
  if (/\.dcm$/i.test(name)) return true
  const fd = openSync(path, 'r')
  try {
    const head = Buffer.alloc(132)
    return hasDicomMagic(head.subarray(0, readSync(fd, head, 0, 132, 0)))
  } finally {
    closeSync(fd)
  }
}

function moveFile(from: string, to: string): void {
  try {
    renameSync(from, to)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e
    copyFileSync(from, to)
    rmSync(from, { force: true })
  }
}

/**
 * Files dropped on the desktop. DICOM files and zip/tar archives go through the import pipeline (into the chosen
 * study, or with "native PID" into the subject/study their headers name); any other file (NIfTI, NRRD, ...) is
 * stored into the chosen study's folder and registered as `--add` does, with its header.
 */
export class FileUploads {
  constructor(
    private readonly deps: {
      archive: Pick<ArchiveService, 'open' | 'projectDir' | 'addFiles'>
      importer: Pick<ImportService, 'create' | 'run'>
      importQueue: Pick<ImportQueue, 'accept'>
      uploadsDir: string
    },
  ) {}

  /** Checks the target before the body is read: right, names, study. */
  async check(actor: User, projectName: string, t: UploadTarget): Promise<void> {
    await this.deps.archive.open(actor, projectName, 'write')
    const name = baseName(t.name)
    if (t.native) return
    if (!t.psid) throw new UsageError(`say where "${name}" goes: psid=PATIENTS_ID#STUDIES_ID, or native=1 for DICOM`)
    const { patientsId, studiesId } = parsePsid(t.psid)
    if (!studiesId) throw new UsageError(`"${t.psid}" names a subject; upload into a study: PATIENTS_ID#STUDIES_ID`)
    checkIdSegment(patientsId, 'patients_id')
    checkIdSegment(studiesId, 'studies_id')
    if (t.folder) checkRelative(t.folder, 'folder')
  }

  /** Takes an uploaded file (already streamed to `upload.path`) into the archive. */
  async accept(actor: User, projectName: string, t: UploadTarget, upload: { path: string; bytes: number; discard(): void }): Promise<UploadResult> {
    const name = baseName(t.name)
    try {
      await this.check(actor, projectName, t)
      const ids = t.psid ? parsePsid(t.psid) : undefined
      const isArchive = ARCHIVE.test(name)
      if (isArchive || looksDicom(upload.path, name)) {
        let source = upload.path
        let cleanup = upload.discard
        if (!isArchive) {
          // One DICOM file: the import reads folders, zips and tars; give it a folder holding the file.
          const dir = join(this.deps.uploadsDir, `${Date.now()}-${randomToken(8)}.dir`)
          mkdirSync(dir, { recursive: true })
          moveFile(upload.path, join(dir, name))
          source = dir
          cleanup = () => rmSync(dir, { recursive: true, force: true })
        }
        try {
          const { id, project } = await this.deps.importer.create(actor, projectName, `upload of ${name} (${upload.bytes} bytes)`)
          const opts = t.native ? {} : { patientsId: ids!.patientsId, studiesId: ids!.studiesId }
          this.deps.importQueue.accept({ id, project, userId: actor.id || null, source, opts, cleanup }, () => this.deps.importer.run(id, project, source, opts).finally(cleanup))
          return { kind: 'import', id, state: 'queued', status: `/api/imports/${id}`, bytes: upload.bytes }
        } catch (e) {
          cleanup()
          throw e
        }
      }
      if (t.native) throw new UsageError(`"${name}" is not DICOM: "use native PID" reads the patient from DICOM headers; pick a target study for it`)
      const project = await this.deps.archive.open(actor, projectName, 'write')
      const root = this.deps.archive.projectDir(project)
      const rel = [ids!.patientsId, ids!.studiesId, ...(t.folder ? [t.folder] : []), name].join('/')
      const target = resolveInside(root, join(root, rel), 'upload target')
      if (existsSync(target)) throw new ConflictError(`${rel} exists already in project "${projectName}"; rename the file or delete the old one first`)
      mkdirSync(dirname(target), { recursive: true })
      moveFile(upload.path, target)
      try {
        const [entry] = await this.deps.archive.addFiles(actor, projectName, [target])
        return { kind: 'file', path: entry!.relative, url: fileUrl(projectName, entry!.relative), bytes: upload.bytes }
      } catch (e) {
        rmSync(target, { force: true })
        throw e
      }
    } catch (e) {
      upload.discard()
      throw e
    }
  }
}

/** The last segment of a client's file name, checked as one safe path segment. */
export function baseName(name: string): string {
  const base = String(name ?? '').split(/[\\/]/).pop() ?? ''
  if (!base || base === '.' || base === '..' || base.startsWith('.') || /[\0-\x1f#]/.test(base) || base.length > 255)
    throw new UsageError(`file name "${String(name).slice(0, 100)}": give a plain name (not hidden, no "#" or control characters, at most 255 characters)`)
  return base
}
