import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { PathError } from '../core/errors'
import { safeJoin, safeRelativeSegments, safeSegment } from '../core/safe-path'
import type { Project, User } from '../core/types'
import { pointSetFromJson, pointSetJson, type PointSet } from '../markers'
import type { ArchiveService } from './archive-service'
import { checkIdSegment } from './archive-paths'

/** What an annotation name may be: letters, digits, '-', '_' and '.', starting with a letter or digit, at most 100. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/

/** The tool named in a saved set. */
export const MARKER_TOOL = 'nora Marker tool'

/** The largest annotation body taken: 16 MB (a set of 100,000 points is about 10 MB of JSON). */
export const MAX_ANNOTATION_BYTES = 16 * 1024 * 1024

export interface AnnotationTarget {
  project: string
  patientsId: string
  studiesId: string
  /** NAME of annotations/NAME.json (a trailing .json is dropped). */
  name: string
}

export interface PreparedAnnotation {
  project: Project
  target: AnnotationTarget
  name: string
}

export interface SavedAnnotation {
  /** Project-relative path of the file. */
  path: string
  points: number
  replaced: boolean
}

/**
 * Saved marker sets (pointsets, freelines): `annotations/NAME.json` in a study, nora's marker format (src/markers)
 * with who saved it and when, written whole (temp file, rename) and registered through the archive writer, so it
 * shows in the file tree and matches `--select 'annotations/*'`. Saving again replaces it.
 */
export class AnnotationStore {
  constructor(private readonly archive: Pick<ArchiveService, 'open' | 'projectDir' | 'writer'>) {}

  /** Checked before the body is read: the write right and the names. */
  async prepare(actor: User, t: AnnotationTarget): Promise<PreparedAnnotation> {
    const project = await this.archive.open(actor, t.project, 'write')
    checkIdSegment(t.patientsId, 'patients_id')
    checkIdSegment(t.studiesId, 'studies_id')
    safeSegment(t.patientsId, 'patients_id')
    safeSegment(t.studiesId, 'studies_id')
    return { project, target: t, name: annotationName(t.name) }
  }

  /** Checks the set (nora's marker JSON, parsed), writes and registers it. */
  async save(actor: User, p: PreparedAnnotation, body: unknown): Promise<SavedAnnotation> {
    const set: PointSet = pointSetFromJson(body, 'the annotation')
    if (set.reference) safeRelativeSegments(set.reference, 'reference')
    // The right again, at the write (it may have been revoked while the body came in).
    const project = await this.archive.open(actor, p.target.project, 'write')
    const folder = safeJoin(this.archive.projectDir(project), p.target.patientsId, p.target.studiesId, 'annotations')
    mkdirSync(folder, { recursive: true })
    const rel = `annotations/${p.name}.json`
    const abs = safeJoin(folder, `${p.name}.json`)
    const replaced = existsSync(abs)
    const temp = safeJoin(folder, `.${p.name}.json.${randomBytes(4).toString('hex')}.part`)
    const doc = { ...pointSetJson(set), user: actor.username, time: new Date().toISOString(), tool: MARKER_TOOL }
    try {
      writeFileSync(temp, `${JSON.stringify(doc, null, 2)}\n`)
      renameSync(temp, abs)
    } finally {
      rmSync(temp, { force: true })
    }
    await this.archive.writer.register(project, { patientsId: p.target.patientsId, studiesId: p.target.studiesId }, [{ rel, abs }])
    return { path: `${p.target.patientsId}/${p.target.studiesId}/${rel}`, points: set.points.length, replaced }
  }
}

/** The checked NAME of an annotation (a trailing .json dropped). */
export function annotationName(raw: string): string {
  const name = raw.replace(/\.json$/i, '')
  if (!NAME.test(name) || name.includes('..'))
    throw new PathError(`annotation name ${JSON.stringify(raw.slice(0, 80))} is not allowed: use letters, digits, "-", "_" and "." (not leading, no ".."), at most 100 characters`)
  return safeSegment(name, 'annotation name')
}
