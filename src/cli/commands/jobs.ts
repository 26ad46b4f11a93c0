import type { Services } from '../../app'
import { UsageError } from '../../core/errors'
import type { JobState } from '../../store/repos/jobs-repo'
import { has, one, type ParsedArgs } from '../args'
import { actorOf, type Out } from '../context'
import { jobsOf } from './launch'

const STATES: Record<string, JobState[]> = { q: ['queued'], r: ['running'], e: ['error'], d: ['done'] }

/**
 * `nora jobs [-p P] [--state q|r|e|d] [--json]`: the job list (Gridstats); `nora jobs --kill ID`: kills a job.
 * Jobs whose nora ended while they ran are marked first (lost), so the list tells the truth.
 */
export async function jobsCommand(s: Services, args: ParsedArgs, io: Out): Promise<number> {
  const actor = await actorOf(s, args)
  const jobs = jobsOf(s)
  await jobs.recover()
  const kill = one(args, 'kill')
  if (kill !== undefined) {
    const id = Number(kill)
    if (!Number.isInteger(id) || id <= 0) throw new UsageError(`--kill takes a job id (nora jobs lists them), not "${kill}"`)
    const g = await jobs.kill(actor, id)
    await io.out(`job ${g.id}: ${g.state} (${g.reason})`)
    return 0
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
  await io.out(['ID', 'STATE', 'PROJECT', 'STUDY', 'BATCH', 'JOB', 'EXIT', 'REASON', 'LOG'].join('\t'))
  for (const g of list) {
    const job = JSON.parse(g.job) as { name?: string }
    await io.out([g.id, g.state, g.project, g.psid, g.batchId ?? '', `${g.position + 1}:${job.name ?? ''}`, g.exitCode ?? '', g.reason, g.logPath].join('\t'))
  }
  return 0
}
