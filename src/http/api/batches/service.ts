import { UsageError } from '../../../core/errors'
import type { User } from '../../../core/types'
import { parseBatch, parseOut, type BatchSpec } from '../../../jobs/job-spec'
import { JobInputError } from '../../../jobs/resolve-args'
import type { ArchiveService } from '../../../archive/archive-service'
import type { BatchLibrary } from '../../../jobs/batch-library'
import type { JobsService } from '../../../jobs/jobs-service'

/** What launching and previewing batches need. */
export interface BatchesDeps {
  archive: Pick<ArchiveService, 'open'>
  batchLibrary: Pick<BatchLibrary, 'get' | 'list' | 'save' | 'delete'>
  jobs: Pick<JobsService, 'targetsOf' | 'resolve' | 'launch' | 'run'>
}
type Deps = BatchesDeps

export const PREVIEW_MAX = 50

export interface PreviewArg {
  name: string
  type: string
  /** The absolute path, number or text the script gets. */
  value: string
  /** FILE: how many files match (the script gets the first; with the study reference `all`, every one). */
  matches?: number
  /** FILE/OUT/PATHOUT: the study reference as written (unset: the level's default). */
  study?: string
  /** FILE/OUT/PATHOUT at subject level (or with a study reference): the studies_id(s) it resolved to. */
  studies?: string[]
  /** FILE made by an earlier job of the batch: "job 1 makes it". */
  note?: string
  error?: string
}

export interface PreviewStudy {
  /** PID#SID (study level) or PID (subject level). */
  psid: string
  ok: boolean
  jobs: { name: string; args: PreviewArg[]; error?: string }[]
}

/**
 * What a launch or preview is for: `PID#SID` per study, or at subject level `PID` per subject (of the given studies,
 * the given subjects, the file filter bar's selection, or the batch's own).
 */
export async function studiesFor(d: Deps, actor: User, project: string, spec: BatchSpec, sel: { studies?: string[]; subjects?: string[]; filter?: string }): Promise<string[]> {
  if (!(sel.studies ?? sel.subjects ?? spec.studies ?? spec.subjects) && (sel.filter ?? spec.filter) === undefined)
    throw new UsageError(`say which ${spec.level === 'subject' ? 'subjects' : 'studies'}: "studies": ["PID#SID", ...]${spec.level === 'subject' ? ', "subjects": ["PID", ...]' : ''} or "filter": "..." (tick studies in the Batchtool\'s selection)`)
  return d.jobs.targetsOf(actor, project, spec, sel)
}

/** The batch JSON a request names: inline (`batch`) or saved (`name`). */
export async function batchOf(d: Deps, actor: User, project: string, body: { batch?: unknown; name?: string }): Promise<unknown> {
  if (body.batch !== undefined && body.batch !== null) return body.batch
  if (body.name) return (await d.batchLibrary.get(actor, project, body.name)).batch
  throw new UsageError('give the batch: "batch": {...} or "name": "a saved batch"')
}

/**
 * What a launch would give each job of each study, without launching: FILE patterns resolved to paths, OUT and
 * PATHOUT to absolute paths. A FILE that an earlier job of the batch writes is not looked for on disk.
 */
export async function previewBatch(d: Deps, actor: User, project: string, raw: unknown, sel: { studies?: string[]; subjects?: string[]; filter?: string }): Promise<{ total: number; shown: number; studies: PreviewStudy[] }> {
  const spec = parseBatch(raw)
  await d.archive.open(actor, project, 'write')
  const psids = await studiesFor(d, actor, project, spec, sel)
  const out: PreviewStudy[] = []
  for (const psid of psids.slice(0, PREVIEW_MAX)) {
    const study: PreviewStudy = { psid, ok: true, jobs: [] }
    const made = new Map<string, number>()
    for (const [i, job] of spec.jobs.entries()) {
      const args: PreviewArg[] = []
      let error: string | undefined
      for (const a of job.args) {
        const maker = a.type === 'FILE' ? made.get(String(a.value)) : undefined
        if (maker !== undefined) {
          args.push({ name: a.name, type: a.type, value: String(a.value), note: `job ${maker + 1} writes it` })
          continue
        }
        try {
          const r = await d.jobs.resolve(actor, project, psid, { ...job, args: [a] })
          const got = r.args[0]!
          args.push({ name: a.name, type: a.type, value: got.value, ...(a.study && { study: a.study }), ...(got.all && { matches: got.all.length }), ...(got.studies && (spec.level === 'subject' || a.study) && { studies: got.studies }) })
        } catch (e) {
          const message = e instanceof JobInputError ? e.message : (e as Error).message
          args.push({ name: a.name, type: a.type, value: String(a.value), ...(a.study && { study: a.study }), error: message })
          error ??= message
        }
      }
      for (const a of job.args) if (a.type === 'OUT') made.set(parseOut(String(a.value)).name, i)
      if (error) study.ok = false
      study.jobs.push({ name: job.name, args, ...(error && { error }) })
    }
    out.push(study)
  }
  return { total: psids.length, shown: out.length, studies: out }
}

/** Launches a batch and runs it in this (the server's) process; the caller gets the batch id at once. */
export async function launchBatch(d: Deps, actor: User, project: string, raw: unknown, sel: { studies?: string[]; subjects?: string[]; filter?: string; throwerror?: boolean }) {
  const spec = parseBatch(raw)
  const studies = await studiesFor(d, actor, project, spec, sel)
  const { batchId, runs } = await d.jobs.launch(actor, project, raw, { studies })
  void d.jobs.run(actor, batchId, undefined, { stopOnError: sel.throwerror === true }).catch((e) => console.error(`batch ${batchId}:`, e))
  return { batchId, runs: runs.length, gridstats: `/gridstats?batch=${batchId}` }
}
