import { ForbiddenError, NotFoundError, UsageError } from '../core/errors'
import type { User } from '../core/types'
import type { GridjobRecord, JobState } from '../store/repos/jobs-repo'
import { SchedulerDownError, type Executor } from './executor'
import type { JobsCore } from './job-core'
import { exitFileOf } from './job-files'
import { LocalExecutor, runnerAlive } from './local-executor'

/** What users do with jobs once launched: list them, kill, suspend and resume them, ask about the scheduler. */
export class JobControl {
  constructor(private readonly core: JobsCore) {}

  /** Gridjobs the user may see (the projects they can read), newest first. */
  async list(actor: User, opts: { states?: JobState[]; project?: string; batchId?: number } = {}): Promise<GridjobRecord[]> {
    const { d } = this.core
    let projectIds: number[] | undefined
    if (opts.project) projectIds = [(await d.archive.open(actor, opts.project, 'read')).id]
    else if (!actor.isSiteAdmin) {
      projectIds = []
      for (const p of await d.repos.projects.list()) if (await d.rights.can(actor, 'read', p)) projectIds.push(p.id)
    }
    return d.jobs.gridjobs({ states: opts.states, projectIds, batchId: opts.batchId })
  }

  /** Kills a queued or running job (write right on its project); its run stops with an error. */
  async kill(actor: User, gridjobId: number): Promise<GridjobRecord> {
    const { d } = this.core
    const g = await this.writableJob(actor, gridjobId, 'kill')
    if (g.state !== 'queued' && g.state !== 'running') throw new UsageError(`job ${gridjobId} is ${g.state} already`)
    const reason = `killed by ${actor.username}`
    await d.jobs.stopGridjob(gridjobId, reason, true)
    await d.jobs.setCommandState(g.commandId, 'error')
    const externalId = this.core.active.get(gridjobId)?.externalId || g.externalId
    // A local id is a pid: only a real one is signalled.
    if (externalId && (g.executor !== 'local' || Number(externalId) > 0)) await this.executorFor(g).cancel(externalId)
    // The owner (if alive) records the run's end when the process exits; with no owner, do it here.
    if (!runnerAlive(g.runner) && g.runId !== null) {
      await d.jobs.setRunState(g.runId, 'error', `job ${g.position + 1}: ${reason}`)
      await d.jobs.cancelQueuedCommands(g.runId, 'skipped')
    }
    return (await d.jobs.gridjob(gridjobId))!
  }

  /** Suspends a running job (SIGSTOP locally, `scontrol suspend` on Slurm, `qmod -sj` on SGE); it stays "running" with reason "suspended". */
  async suspend(actor: User, gridjobId: number): Promise<GridjobRecord> {
    const g = await this.writableJob(actor, gridjobId, 'suspend')
    if (g.state !== 'running' || !g.externalId) throw new UsageError(`job ${gridjobId} is ${g.state}; only a running job can be suspended`)
    await this.executorFor(g).suspend(g.externalId)
    await this.core.d.jobs.setGridjobReason(gridjobId, `suspended by ${actor.username}`)
    return (await this.core.d.jobs.gridjob(gridjobId))!
  }

  /** Resumes a suspended job. */
  async resume(actor: User, gridjobId: number): Promise<GridjobRecord> {
    const g = await this.writableJob(actor, gridjobId, 'resume')
    if (g.state !== 'running' || !g.externalId) throw new UsageError(`job ${gridjobId} is ${g.state}; only a suspended running job can be resumed`)
    await this.executorFor(g).resume(g.externalId)
    await this.core.d.jobs.setGridjobReason(gridjobId, null)
    return (await this.core.d.jobs.gridjob(gridjobId))!
  }

  /** The scheduler's state for `nora jobs`: '' when it answers (or nothing runs there), else what failed. */
  async schedulerCheck(): Promise<string> {
    const { core } = this
    if (core.watcher.local) return ''
    const active = (await core.d.jobs.gridjobs({ states: ['queued', 'running'], executor: core.executor.name, limit: 1000 })).filter((g) => g.externalId)
    if (active.length === 0) return ''
    try {
      await core.executor.poll(active.map((g) => ({ externalId: g.externalId, exitFile: exitFileOf(g.logPath) })))
      return ''
    } catch (e) {
      if (e instanceof SchedulerDownError) return e.message
      throw e
    }
  }

  /** The executor that runs `g` (this service's, or a local one for local jobs). */
  private executorFor(g: GridjobRecord): Executor {
    const { executor } = this.core
    if (g.executor === executor.name) return executor
    if (g.executor === 'local') return new LocalExecutor()
    throw new UsageError(`job ${g.id} runs on ${g.executor}, but this nora is configured for ${executor.name} (jobs.queue in conf/main.conf)`)
  }

  private async writableJob(actor: User, gridjobId: number, verb: string): Promise<GridjobRecord> {
    const { d } = this.core
    const g = await d.jobs.gridjob(gridjobId)
    if (!g) throw new NotFoundError(`no job ${gridjobId}; nora jobs lists them`)
    const project = await d.repos.projects.byId(g.projectId)
    if (!project || !(await d.rights.can(actor, 'write', project))) throw new ForbiddenError(`you may not ${verb} jobs of project "${g.project}"`)
    return g
  }
}
