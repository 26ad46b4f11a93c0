import { dirname } from 'node:path'
import type { FileEntry, User } from '../core/types'
import type { StudyRef } from '../archive/file-pattern'
import { parseOut, type JobArg, type JobSpec } from './job-spec'

/** What argument resolution needs from the archive (ArchiveService has it). */
export interface ArchiveForJobs {
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
}

export interface ResolvedJob {
  args: ResolvedArg[]
  /** Declared outputs: must exist after exit 0; registered (and tagged) in the archive. */
  outs: { name: string; path: string; tags: string[] }[]
  pathouts: string[]
}

/** A run cannot start a job because its input is not there: the run errors with this reason, the others go on. */
export class JobInputError extends Error {}

/** Resolves a job's arguments for one study: FILE patterns to absolute paths, OUT/PATHOUT to absolute output paths. */
export async function resolveJob(archive: ArchiveForJobs, actor: User, project: string, psid: string, job: JobSpec): Promise<ResolvedJob> {
  const [patientsId, studiesId] = psid.split('#') as [string, string]
  const ref: StudyRef = { patientsId, studiesId }
  const out: ResolvedJob = { args: [], outs: [], pathouts: [] }
  for (const a of job.args) {
    switch (a.type) {
      case 'FILE': {
        const pattern = String(a.value)
        const files: string[] = []
        try {
          for await (const page of archive.select(actor, project, pattern, ref)) for (const f of page) files.push(f.absolute)
        } catch (e) {
          throw new JobInputError(`${a.name}: ${(e as Error).message}`)
        }
        if (files.length === 0) throw new JobInputError(`no file matches ${pattern}`)
        files.sort()
        out.args.push({ name: a.name, type: a.type, value: files[0]!, all: files })
        break
      }
      case 'OUT': {
        const { name, tags } = parseOut(String(a.value))
        const path = await outputPath(archive, actor, project, name, ref, false)
        out.outs.push({ name: a.name, path, tags })
        out.args.push({ name: a.name, type: a.type, value: path })
        break
      }
      case 'PATHOUT': {
        const path = (await outputPath(archive, actor, project, String(a.value), ref, true)).replace(/\/+$/, '')
        out.pathouts.push(path)
        out.args.push({ name: a.name, type: a.type, value: path })
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
