import { dirname } from 'node:path'
import { NoraError } from '../core/errors'
import type { FileEntry, User } from '../core/types'
import type { StudyRef } from '../archive/file-pattern'
import { parseOut, type JobArg, type JobSpec } from './job-spec'
import { candidates, parseStudyReference, StudyReferenceError, type StudyInfo, type StudyReference, type SubjectStudies } from './study-reference'

/** What argument resolution needs from the archive (ArchiveService has it; studiesOf for study references). */
export interface ArchiveForJobs extends Partial<SubjectStudies> {
  select(actor: User, project: string, pattern: string, ref?: StudyRef): AsyncGenerator<FileEntry[]>
  outputPath(actor: User, project: string, pattern: string, ref?: StudyRef, folder?: boolean): Promise<string>
}

export interface ResolvedArg {
  name: string
  type: JobArg['type']
  /** What the script gets: an absolute path, a number, text, true/false. */
  value: string
  /** FILE: every matching file, in path order (value is the first). */
  all?: string[]
  /** FILE with the study reference `all`: the script gets every path of `all` (several argv entries, a MATLAB cell). */
  multi?: boolean
  /** FILE/OUT/PATHOUT: the studies_id(s) the value is from / written to. */
  studies?: string[]
}

export interface ResolvedJob {
  args: ResolvedArg[]
  /** Declared outputs: must exist after exit 0; registered (and tagged) in the archive. */
  outs: { name: string; path: string; tags: string[] }[]
  pathouts: string[]
  /** The study the run's logs go to: its own (study level), the first study by date (subject level). */
  home: StudyRef
}

/** A run cannot start a job because its input is not there: the run errors with this reason, the others go on. */
export class JobInputError extends NoraError {}

/**
 * Resolves a job's arguments for one run: `psid` is `PID#SID` (study level) or `PID` (subject level). FILE patterns
 * become absolute paths in the study their reference names, OUT/PATHOUT absolute output paths.
 */
export async function resolveJob(archive: ArchiveForJobs, actor: User, project: string, psid: string, job: JobSpec): Promise<ResolvedJob> {
  const [patientsId, own] = psid.split('#') as [string, string | undefined]
  let studies: StudyInfo[] | undefined
  const studiesOf = async () => {
    if (!archive.studiesOf) throw new JobInputError('study references need the subject\'s studies, which this caller cannot list')
    return (studies ??= await archive.studiesOf(actor, project, patientsId))
  }
  const defaultRef = (a: JobArg): StudyReference => (a.study ? parseStudyReference(a.study) : own !== undefined ? { kind: 'own' } : { kind: a.type === 'FILE' ? 'any' : 'first' })
  /** The studies a reference stands for, in date order (the own study without asking the archive). */
  const studiesFor = async (ref: StudyReference): Promise<string[]> => {
    if (ref.kind === 'own' && own !== undefined) return [own]
    try {
      return candidates(ref, patientsId, await studiesOf(), own).map((s) => s.studiesId)
    } catch (e) {
      if (e instanceof StudyReferenceError) throw new JobInputError(e.message)
      throw e
    }
  }
  const home: StudyRef = { patientsId, studiesId: own ?? (await studiesFor({ kind: 'first' }))[0] }
  const out: ResolvedJob = { args: [], outs: [], pathouts: [], home }
  for (const a of job.args) {
    switch (a.type) {
      case 'FILE': {
        const pattern = String(a.value)
        const ref = defaultRef(a)
        const sids = await studiesFor(ref)
        const files: string[] = []
        const from: string[] = []
        for (const studiesId of sids) {
          const found: string[] = []
          try {
            for await (const page of archive.select(actor, project, pattern, { patientsId, studiesId })) for (const f of page) found.push(f.absolute)
          } catch (e) {
            throw new JobInputError(`${a.name}: ${(e as Error).message}`)
          }
          if (found.length === 0) continue
          files.push(...found.sort())
          from.push(studiesId)
          if (ref.kind !== 'all') break
        }
        if (files.length === 0) {
          if (ref.kind === 'own') throw new JobInputError(`no file matches ${pattern}`)
          throw new JobInputError(`no file matches ${pattern} in ${sids.length === 1 ? 'study' : 'studies'} ${sids.join(', ')} of ${patientsId}`)
        }
        out.args.push({ name: a.name, type: a.type, value: files[0]!, all: files, studies: from, ...(ref.kind === 'all' && { multi: true }) })
        break
      }
      case 'OUT': {
        const { name, tags } = parseOut(String(a.value))
        const studiesId = (await studiesFor(defaultRef(a)))[0]!
        const path = await outputPath(archive, actor, project, name, { patientsId, studiesId }, false)
        out.outs.push({ name: a.name, path, tags })
        out.args.push({ name: a.name, type: a.type, value: path, studies: [studiesId] })
        break
      }
      case 'PATHOUT': {
        const studiesId = (await studiesFor(defaultRef(a)))[0]!
        const path = (await outputPath(archive, actor, project, String(a.value), { patientsId, studiesId }, true)).replace(/\/+$/, '')
        out.pathouts.push(path)
        out.args.push({ name: a.name, type: a.type, value: path, studies: [studiesId] })
        break
      }
      case 'LOGICAL':
        out.args.push({ name: a.name, type: a.type, value: a.value ? 'true' : 'false' })
        break
      default:
        out.args.push({ name: a.name, type: a.type, value: String(a.value) })
    }
  }
  return out
}

async function outputPath(archive: ArchiveForJobs, actor: User, project: string, name: string, ref: StudyRef, folder: boolean): Promise<string> {
  try {
    return await archive.outputPath(actor, project, name, ref, folder)
  } catch (e) {
    throw new JobInputError((e as Error).message)
  }
}

/** The folders a job's outputs go to (created before it starts). */
export function outputFolders(r: ResolvedJob): string[] {
  return [...new Set([...r.outs.map((o) => dirname(o.path)), ...r.pathouts])]
}

/** The archive as study references need it: its files, output paths, and each subject's studies (read right checked). */
export function jobsArchive(
  archive: Pick<ArchiveForJobs, 'select' | 'outputPath'> & { open(actor: User, project: string, mode: 'read'): Promise<{ id: number }> },
  subjects: { subject(projectId: number, patientsId: string): Promise<{ id: number } | undefined>; studiesOf(subjectId: number): Promise<StudyInfo[]> },
): ArchiveForJobs {
  return {
    select: (actor, project, pattern, ref) => archive.select(actor, project, pattern, ref),
    outputPath: (actor, project, pattern, ref, folder) => archive.outputPath(actor, project, pattern, ref, folder),
    async studiesOf(actor, project, patientsId) {
      const p = await archive.open(actor, project, 'read')
      const subject = await subjects.subject(p.id, patientsId)
      return subject ? (await subjects.studiesOf(subject.id)).map((s) => ({ studiesId: s.studiesId, studyDate: s.studyDate ?? '', description: s.description ?? '', modality: s.modality ?? '' })) : []
    },
  }
}
