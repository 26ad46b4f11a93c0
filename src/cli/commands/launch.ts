import { readFileSync } from 'node:fs'
import { NotFoundError, UsageError } from '../../core/errors'
import type { JobsService } from '../../jobs/jobs-service'
import { has, one, type ParsedArgs } from '../args'
import { actorOf, type ActorLookup, type Out } from '../context'
import { progressBar } from '../progress-bar'

/**
 * `nora -p P --launch JSON [--select-studies FILTER] [--throwerror]`, `nora -p P --launchfile FILE ...`: runs a
 * batch on every selected study or subject (on the executor of jobs.queue: local, Slurm or SGE), shows progress, prints a summary. Exit 1 when any run failed;
 * with --throwerror the first failed run stops the batch (running jobs are killed, queued ones do not start).
 */
export async function launchCommand(s: ActorLookup & { jobs: Pick<JobsService, 'recover' | 'launch' | 'run'> }, args: ParsedArgs, io: Out): Promise<number> {
  const project = one(args, 'project')
  if (!project) throw new UsageError('say which project: nora -p PROJECT --launch JSON')
  let text = one(args, 'launch')
  const file = one(args, 'launchfile')
  if (text === undefined && file === undefined) throw new UsageError('give the batch: --launch JSON or --launchfile FILE')
  if (file !== undefined) {
    try {
      text = readFileSync(file, 'utf8')
    } catch (e) {
      throw new NotFoundError(`cannot read ${file}: ${(e as Error).message}`)
    }
  }
  const actor = await actorOf(s, args)
  const jobs = s.jobs
  await jobs.recover()
  const filter = one(args, 'select-studies')
  const { batchId, runs } = await jobs.launch(actor, project, text!, filter !== undefined ? { filter } : {})
  await io.err(`batch ${batchId}: ${runs.length} run(s) of ${project}`)
  const bar = progressBar(io)
  const summary = await jobs.run(actor, batchId, (p) => bar.update(`batch ${batchId}: ${p.running} running, ${p.errors} failed`, p.done + p.errors, p.total), {
    stopOnError: has(args, 'throwerror'),
  })
  bar.end()
  for (const r of summary.runs) if (r.state !== 'done') await io.err(`${r.state.padEnd(7)} ${r.psid}: ${r.reason}`)
  await io.out(`batch ${batchId} ${summary.errors ? 'error' : 'done'}: ${summary.runs.length} runs, ${summary.done} done, ${summary.errors} failed`)
  if (has(args, 'handle_job_result')) await io.out('DONE')
  return summary.errors ? 1 : 0
}
