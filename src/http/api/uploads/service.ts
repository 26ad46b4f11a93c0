import { closeSync, existsSync, mkdirSync, openSync, readSync, rmSync } from 'node:fs'
import { checkIdSegment } from '../../../archive/archive-paths'
import type { ArchiveService } from '../../../archive/archive-service'
import { placeFile } from '../../../archive/archive-writer'
import { fileUrl } from '../../../archive/autoloaders'
import { checkRelative, parsePsid } from '../../../archive/file-pattern'
import { randomToken } from '../../../auth/secrets'
import { ConflictError, UsageError } from '../../../core/errors'
import { removeInside, safeJoin, safeRelativeSegments, safeSegment } from '../../../core/safe-path'
import type { User } from '../../../core/types'
import { hasDicomMagic } from '../../../dicom/dicom-header'
import type { ImportService } from '../../../importer/import-service'

/** Where an uploaded file goes: a study (`PID#SID`, created when new) and a folder in it, or the DICOM's own PID. */
export interface UploadTarget {
  /** The file's name on the user's disk: one plain segment (no folder, no "..", not absolute). */
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

/** What taking dropped files needs: the archive (right, folders, writer), the import and the upload folder. */
export interface FileUploadsDeps {
  archive: Pick<ArchiveService, 'open' | 'projectDir' | 'writer'>
  importer: Pick<ImportService, 'submit'>
  uploadsDir: string
}

/**
 * Files dropped on the desktop. DICOM files and zip/tar archives go through the import pipeline (into the chosen
 * study, or with "native PID" into the subject/study their headers name); any other file (NIfTI, NRRD, ...) is
 * stored into the chosen study's folder and registered as `--add` does, with its header.
 */
export class FileUploads {
  constructor(private readonly deps: FileUploadsDeps) {}

  /**
   * Checks the target before the body is read: right, names, study. The right is checked here, before the body,
   * and again where the upload goes in (ImportService.submit, or accept for other files), not in between.
   */
  async check(actor: User, projectName: string, t: UploadTarget): Promise<void> {
    await this.deps.archive.open(actor, projectName, 'write')
    this.checkNames(t)
  }

  /** The names of the target, without the right: file name, study, folder. */
  private checkNames(t: UploadTarget): void {
    const name = baseName(t.name)
    if (t.native) return
    if (!t.psid) throw new UsageError(`say where "${name}" goes: psid=PATIENTS_ID#STUDIES_ID, or native=1 for DICOM`)
    const { patientsId, studiesId } = parsePsid(t.psid)
    if (!studiesId) throw new UsageError(`"${t.psid}" names a subject; upload into a study: PATIENTS_ID#STUDIES_ID`)
    checkIdSegment(patientsId, 'patients_id')
    checkIdSegment(studiesId, 'studies_id')
    safeSegment(patientsId, 'patients_id')
    safeSegment(studiesId, 'studies_id')
    if (t.folder) folderSegments(t.folder)
  }

  /** Takes an uploaded file (already streamed to `upload.path`) into the archive. */
  async accept(actor: User, projectName: string, t: UploadTarget, upload: { path: string; bytes: number; discard(): void }): Promise<UploadResult> {
    try {
      const name = baseName(t.name)
      this.checkNames(t)
      const ids = t.psid ? parsePsid(t.psid) : undefined
      const isArchive = ARCHIVE.test(name)
      if (isArchive || looksDicom(upload.path, name)) {
        let source = upload.path
        let cleanup = upload.discard
        if (!isArchive) {
          // One DICOM file: the import reads folders, zips and tars; give it a folder holding the file.
          const uploads = this.deps.uploadsDir
          const dir = safeJoin(uploads, `${Date.now()}-${randomToken(8)}.dir`)
          mkdirSync(dir, { recursive: true })
          placeFile(upload.path, safeJoin(dir, name))
          source = dir
          cleanup = () => removeInside(uploads, dir)
        }
        const opts = t.native ? {} : { patientsId: ids!.patientsId, studiesId: ids!.studiesId }
        const { id } = await this.deps.importer.submit(actor, projectName, source, { label: `upload of ${name} (${upload.bytes} bytes)`, cleanup, ...opts })
        return { kind: 'import', id, state: 'queued', status: `/api/imports/${id}`, bytes: upload.bytes }
      }
      if (t.native) throw new UsageError(`"${name}" is not DICOM: "use native PID" reads the patient from DICOM headers; pick a target study for it`)
      const project = await this.deps.archive.open(actor, projectName, 'write')
      const root = this.deps.archive.projectDir(project)
      const segments = [safeSegment(ids!.patientsId, 'patients_id'), safeSegment(ids!.studiesId!, 'studies_id'), ...(t.folder ? folderSegments(t.folder) : []), name]
      const rel = segments.join('/')
      const target = safeJoin(root, ...segments)
      if (existsSync(target)) throw new ConflictError(`${rel} exists already in project "${projectName}"; rename the file or delete the old one first`)
      placeFile(upload.path, target)
      try {
        await this.deps.archive.writer.register(project, { patientsId: ids!.patientsId, studiesId: ids!.studiesId! }, [{ rel: segments.slice(2).join('/'), abs: target }], { headers: true })
        return { kind: 'file', path: rel, url: fileUrl(projectName, rel), bytes: upload.bytes }
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

/**
 * A client's file name, which must be one plain path segment: "../x", "/etc/x", "a/b", NUL and control characters
 * are refused (PathError, 400, naming the file), as are hidden names and "#".
 */
export function baseName(name: string): string {
  const base = safeSegment(String(name ?? ''), 'file name')
  if (base.startsWith('.') || base.includes('#'))
    throw new UsageError(`file name ${JSON.stringify(base.slice(0, 100))}: give a plain name (not hidden, no "#")`)
  return base
}

/** The folder in the study, relative: every segment checked; "..", absolute paths and NUL are refused. */
function folderSegments(folder: string): string[] {
  checkRelative(folder, 'folder')
  return safeRelativeSegments(folder, 'folder')
}
