import { NotFoundError, UsageError } from '../core/errors'
import type { User } from '../core/types'
import type { RunRecord } from '../store/repos/jobs-repo'
import type { JobsCore } from './job-core'
import { MATLAB_NOT_CONFIGURED } from './job-command'
import { parseBatch, type BatchSpec } from './job-spec'

export type Selection = { studies?: string[]; subjects?: string[]; filter?: string }
export type Launched = { batchId: number; spec: BatchSpec; runs: RunRecord[] }

/**
 * What a batch runs on: `PID#SID` per study (study level) or `PID` per subject (subject level), from the given
 * studies (at subject level: their subjects; `PID` alone works too), subjects, or the file filter bar's selection.
 */
export async function targetsOf(core: JobsCore, actor: User, projectName: string, spec: BatchSpec, opts: Selection = {}): Promise<string[]> {
  const filter = opts.filter ?? spec.filter
  const selected = async (pick: (r: { patients_id: string; studies_id: string | null }) => string | undefined) => {
    const out: string[] = []
    for await (const rows of core.d.studies.all(actor, projectName, { file: filter! })) for (const r of rows) {
      const t = pick(r)
      if (t) out.push(t)
    }
    return out
  }
  if (spec.level === 'subject') {
    const studies = opts.studies ?? spec.studies
    let pids = opts.subjects ?? spec.subjects ?? studies?.map((p) => p.split('#')[0]!)
    if (!pids && filter !== undefined) pids = await selected((r) => r.patients_id || undefined)
    if (!pids) throw new UsageError('say which subjects: "subjects": ["PID", ...], "studies": ["PID#SID", ...] (their subjects) or "filter": "..." in the batch, or --select-studies "FILTER"')
    return [...new Set(pids)]
  }
  let psids = opts.studies ?? spec.studies
  if (!psids && filter !== undefined) psids = await selected((r) => (r.studies_id ? `${r.patients_id}#${r.studies_id}` : undefined))
  if (!psids) throw new UsageError('say which studies: "studies": ["PID#SID", ...] or "filter": "..." in the batch, or --select-studies "FILTER"')
  return psids
}

/** Checks the batch and creates the batch, its runs (one per study or per subject) and their commands (all queued). */
export async function launch(core: JobsCore, actor: User, projectName: string, input: unknown, opts: Selection = {}): Promise<Launched> {
  const { d } = core
  const spec = parseBatch(input)
  if (spec.jobs.some((j) => j.type === 'matlab') && !d.matlab) throw new UsageError(MATLAB_NOT_CONFIGURED)
  const project = await d.archive.open(actor, projectName, 'jobs')
  core.account() // refused here, before anything is queued, when jobs could only run as root
  const psids = await targetsOf(core, actor, projectName, spec, opts)
  if (psids.length === 0) throw new UsageError(`the selection is empty: no ${spec.level} to run the batch on`)
  const targets: { psid: string; subjectId: number; studyId: number | null }[] = []
  const unknown: string[] = []
  for (const psid of psids) {
    const [pid, sid] = psid.split('#') as [string, string | undefined]
    const subject = await d.repos.subjects.subject(project.id, pid)
    if (spec.level === 'subject') {
      if (!subject) unknown.push(psid)
      else targets.push({ psid: pid, subjectId: subject.id, studyId: null })
      continue
    }
    const study = subject && sid ? await d.repos.subjects.study(subject.id, sid) : undefined
    if (!subject || !study) unknown.push(psid)
    else targets.push({ psid, subjectId: subject.id, studyId: study.id })
  }
  if (unknown.length) throw new NotFoundError(`no ${spec.level} ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ` (and ${unknown.length - 5} more)` : ''} in project "${project.name}"`)
  const userId = actor.id > 0 ? actor.id : null
  const batchId = await d.db.transaction(async (tx) => {
    const jobs = d.jobs.withDb(tx)
    const id = await jobs.createBatch(project.id, userId, spec.level, JSON.stringify(spec), spec.name)
    for (const t of targets) {
      const runId = await jobs.createRun(id, project.id, t.subjectId, t.studyId, t.psid)
      for (const [i, job] of spec.jobs.entries())
        await jobs.createCommand({ projectId: project.id, userId, subjectId: t.subjectId, studyId: t.studyId, batchId: id, runId, position: i, job: JSON.stringify(job) })
    }
    return id
  })
  return { batchId, spec, runs: await d.jobs.runs(batchId) }
}

/**
 * A new batch over the runs of `batchId` that ended in error, with the same jobs or `modifiedSpec`'s (its
 * studies/filter are ignored: the failed runs are the selection). Launched, not run.
 */
export async function rerunErrors(core: JobsCore, actor: User, batchId: number, modifiedSpec?: unknown): Promise<Launched> {
  const batch = await core.d.jobs.batch(batchId)
  if (!batch) throw new NotFoundError(`no batch ${batchId}; nora jobs lists batches in the BATCH column`)
  const failed = (await core.d.jobs.runs(batchId)).filter((r) => r.state === 'error').map((r) => r.psid)
  if (failed.length === 0) throw new UsageError(`batch ${batchId} has no run in error: nothing to rerun`)
  const base = parseBatch(modifiedSpec ?? batch.spec)
  const level = parseBatch(batch.spec).level
  if (base.level !== level) throw new UsageError(`batch ${batchId} ran per ${level}; its rerun keeps "level": "${level}" (the failed runs are ${level === 'subject' ? 'subjects' : 'studies'})`)
  const { studies: _s, subjects: _j, filter: _f, ...rest } = base
  return launch(core, actor, batch.project, { ...rest, name: rest.name || `rerun of batch ${batchId}`, ...(base.level === 'subject' ? { subjects: failed } : { studies: failed }) })
}
