import { readFileSync } from 'node:fs'
import { NotFoundError, UsageError } from '../../core/errors'
import type { JobsService } from '../../jobs/jobs-service'
import type { JobState } from '../../store/repos/jobs-repo'
import { has, one, type ParsedArgs } from '../args'
import { actorOf, type ActorLookup, type Out } from '../context'
import { progressBar } from '../progress-bar'

const STATES: Record<string, JobState[]> = { q: ['queued'], r: ['running'], e: ['error'], d: ['done'] }

const jobId = (flag: string, raw: string) => {
  const id = Number(raw)
  if (!Number.isInteger(id) || id <= 0) throw new UsageError(`--${flag} takes a job id (nora jobs lists them), not "${raw}"`)
  return id
}

/**
 * `nora jobs [-p P] [--state q|r|e|d] [--json]`: the job list (Gridstats); `--kill ID`, `--suspend ID`, `--resume ID`
 * act on one job; `--rerun-errors BATCH [--launchfile FILE | --launch JSON]` runs the failed runs of a batch again.
 * Jobs whose nora ended are reconciled first (lost, or their scheduler's state), so the list tells the truth.
 */
export async function jobsCommand(s: ActorLookup & { jobs: JobsService }, args: ParsedArgs, io: Out): Promise<number> {
  const actor = await actorOf(s, args)
  const jobs = s.jobs
  const recovered = await jobs.recover()
  const down = recovered.schedulerDown ?? (await jobs.schedulerCheck())
  if (down) await io.err(`${down}: job states as last known`)
  for (const [flag, act] of [['kill', jobs.kill], ['suspend', jobs.suspend], ['resume', jobs.resume]] as const) {
    const raw = one(args, flag)
    if (raw === undefined) continue
    const g = await act.call(jobs, actor, jobId(flag, raw))
    await io.out(`job ${g.id}: ${g.state}${g.reason ? ` (${g.reason})` : ''}`)
    return 0
  }
  const rerun = one(args, 'rerun-errors')
  if (rerun !== undefined) {
    const batch = Number(rerun)
    if (!Number.isInteger(batch) || batch <= 0) throw new UsageError(`--rerun-errors takes a batch id (the BATCH column of nora jobs), not "${rerun}"`)
    let modified: string | undefined = one(args, 'launch')
    const file = one(args, 'launchfile')
    if (file !== undefined) {
      try {
        modified = readFileSync(file, 'utf8')
      } catch (e) {
        throw new NotFoundError(`cannot read ${file}: ${(e as Error).message}`)
      }
    }
    const { batchId, runs } = await jobs.rerunErrors(actor, batch, modified)
    await io.err(`batch ${batchId}: rerun of ${runs.length} failed run(s) of batch ${batch}`)
    const bar = progressBar(io)
    const summary = await jobs.run(actor, batchId, (p) => bar.update(`batch ${batchId}: ${p.running} running, ${p.errors} failed`, p.done + p.errors, p.total))
    bar.end()
    for (const r of summary.runs) if (r.state !== 'done') await io.err(`${r.state.padEnd(7)} ${r.psid}: ${r.reason}`)
    await io.out(`batch ${batchId} ${summary.errors ? 'error' : 'done'}: ${summary.runs.length} runs, ${summary.done} done, ${summary.errors} failed`)
    return summary.errors ? 1 : 0
  }
  const stateArg = one(args, 'state')
  let states: JobState[] | undefined
  if (stateArg !== undefined) {
    states = [...new Set(stateArg.split(',').flatMap((x) => STATES[x.trim().toLowerCase()] ?? (() => { throw new UsageError(`--state takes q, r, e or d (queued, running, error, done), not "${x}"`) })()))]
  }
  const list = await jobs.list(actor, { states, project: one(args, 'project') })
  if (has(args, 'json')) {
    await io.out(JSON.stringify(list.map(({ job, ...g }) => ({ ...g, job: JSON.parse(job) }))))
    return 0
  }
  if (list.length === 0) {
    await io.out('no jobs')
    return 0
  }
  await io.out(['ID', 'STATE', 'PROJECT', 'STUDY', 'BATCH', 'JOB', 'EXECUTOR', 'EXIT', 'REASON', 'LOG'].join('\t'))
  for (const g of list) {
    const job = JSON.parse(g.job) as { name?: string }
    await io.out([g.id, g.state, g.project, g.psid, g.batchId ?? '', `${g.position + 1}:${job.name ?? ''}`, g.externalId ? `${g.executor}:${g.externalId}` : g.executor, g.exitCode ?? '', g.reason, g.logPath].join('\t'))
  }
  return 0
}
