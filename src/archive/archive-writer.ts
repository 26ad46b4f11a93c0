import { copyFileSync, cpSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { randomBytes } from 'node:crypto'
import type { Project } from '../core/types'
import type { Db } from '../store/db'
import { createRepos, type Repos } from '../store/repos'
import type { StudyFields, SubjectFields } from '../store/repos/subjects-repo'
import { headerOfFile } from './file-header'
import { fileTypeOf } from './file-types'

/** A file already in place in a study folder: `rel` is its path in the study, `abs` where it lies. */
export interface PlacedFile {
  rel: string
  abs: string
}

/** The study files are written into; created (subject and study rows) in the same transaction when new. */
export interface StudyRef {
  patientsId: string
  studiesId: string
  subject?: SubjectFields
  study?: StudyFields
}

/**
 * Moves a staged file (or folder) into place: when it cannot be renamed there (another file system) it is first
 * copied beside the target, under a hidden temporary name, and that copy renamed; the target appears whole or not
 * at all, and the staged file is gone afterwards in both cases. `to` must already be checked (safeJoin) by the caller.
 */
export function placeFile(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true })
  try {
    renameSync(from, to)
    return
  } catch (e) {
    if ((e as { code?: string }).code !== 'EXDEV') throw e
  }
  const folder = statSync(from).isDirectory()
  const temp = join(dirname(to), `.${basename(to)}.${randomBytes(4).toString('hex')}.part`)
  try {
    if (folder) cpSync(from, temp, { recursive: true })
    else copyFileSync(from, temp)
    renameSync(temp, to)
  } catch (e) {
    rmSync(temp, { force: true, recursive: folder })
    throw e
  }
  rmSync(from, { force: true, recursive: folder })
}

/**
 * The one way files enter the archive's store: files placed in a study folder (by placeFile, or written there by a
 * job) are registered, with their study, in one transaction, so a reader sees all of them or none.
 *
 * `files.meta` holds the image header (src/formats) of files that come from outside the import: `--add`, desktop
 * drops and job outputs ask for it with `headers` (one read of each file, before the transaction). The DICOM
 * import does not: its series are described by dicom_series and dcm2niix's JSON sidecars, and reading back every
 * converted volume would double the import's disk reads.
 */
export class ArchiveWriter {
  constructor(private readonly db: Db) {}

  /**
   * Registers `files` (sizes read now; with `headers` their image headers, problems told to `warn`) in the study, removes the rows of `stale` paths, and runs `also` (further
   * rows of the same change, e.g. the DICOM series record) in the same transaction. Returns the study id and the
   * files' ids in order.
   */
  async register(project: Project, study: StudyRef, files: PlacedFile[], opts: { stale?: string[]; headers?: boolean; warn?: (m: string) => void; also?: (r: Repos, tx: Db, studyId: number) => Promise<void> } = {}): Promise<{ studyId: number; ids: number[] }> {
    const sizes = files.map((f) => statSync(f.abs).size)
    const metas = files.map((f) => {
      if (!opts.headers) return null
      const { header, problem } = headerOfFile(f.abs, f.rel)
      if (problem) opts.warn?.(`${f.abs}: registered without image metadata: ${problem}`)
      return header ?? null
    })
    return this.db.transaction(async (tx) => {
      const r = createRepos(tx)
      const subject = await r.subjects.ensureSubject(project.id, study.patientsId, study.subject)
      const studyId = (await r.subjects.ensureStudy(project.id, subject.id, study.studiesId, study.study)).id
      for (const rel of opts.stale ?? []) await r.files.deletePath(studyId, rel)
      const ids: number[] = []
      for (const [i, f] of files.entries()) ids.push(await r.files.upsert(project.id, studyId, f.rel, sizes[i]!, fileTypeOf(f.rel), metas[i]))
      await opts.also?.(r, tx, studyId)
      return { studyId, ids }
    })
  }
}
