import { UsageError } from '../../../core/errors'
import type { User } from '../../../core/types'
import { parseBatch, parseOut, type BatchSpec } from '../../../jobs/job-spec'
import { JobInputError, resolveJob } from '../../../jobs/resolve-args'
import type { HttpDeps } from '../../deps'

type Deps = Pick<HttpDeps, 'archive' | 'studies' | 'batchLibrary' | 'jobs'>

export const PREVIEW_MAX = 50

export interface PreviewArg {
  name: string
  type: string
  /** The absolute path, number or text the script gets. */
  value: string
  /** FILE: how many files match (the script gets the first). */
  matches?: number
  /** FILE made by an earlier job of the batch: "job 1 makes it". */
  note?: string
  error?: string
}

export interface PreviewStudy {
  psid: string
  ok: boolean
  jobs: { name: string; args: PreviewArg[]; error?: string }[]
}

/** The studies a launch or preview is for: given, or found by the file filter bar, or the batch's own. */
export async function studiesFor(d: Deps, actor: User, project: string, spec: BatchSpec, sel: { studies?: string[]; filter?: string }): Promise<string[]> {
  const given = sel.studies ?? spec.studies
  if (given) return given
  const filter = sel.filter ?? spec.filter
  if (filter === undefined) throw new UsageError('say which studies: "studies": ["PID#SID", ...] or "filter": "..." (tick studies in the Batchtool\'s selection)')
  const psids: string[] = []
  for await (const rows of d.studies.all(actor, project, { file: filter })) for (const r of rows) if (r.studies_id) psids.push(`${r.patients_id}#${r.studies_id}`)
  return psids
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
export async function previewBatch(d: Deps, actor: User, project: string, raw: unknown, sel: { studies?: string[]; filter?: string }): Promise<{ total: number; shown: number; studies: PreviewStudy[] }> {
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
          const r = await resolveJob(d.archive, actor, project, psid, { ...job, args: [a] })
          const got = r.args[0]!
          args.push({ name: a.name, type: a.type, value: got.value, ...(got.all && { matches: got.all.length }) })
        } catch (e) {
          const message = e instanceof JobInputError ? e.message : (e as Error).message
          args.push({ name: a.name, type: a.type, value: String(a.value), error: message })
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
export async function launchBatch(d: Deps, actor: User, project: string, raw: unknown, sel: { studies?: string[]; filter?: string; throwerror?: boolean }) {
  const spec = parseBatch(raw)
  const studies = await studiesFor(d, actor, project, spec, sel)
  const { batchId, runs } = await d.jobs.launch(actor, project, raw, { studies })
  void d.jobs.run(actor, batchId, undefined, { stopOnError: sel.throwerror === true }).catch((e) => console.error(`batch ${batchId}:`, e))
  return { batchId, runs: runs.length, gridstats: `/gridstats?batch=${batchId}` }
}
