import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { User } from '../core/types'
import type { JobState, RunRecord } from '../store/repos/jobs-repo'
import { SchedulerDownError, type SubmitRequest } from './executor'
import type { BatchSummary, JobRow, JobsCore } from './job-core'
import { buildCommand } from './job-command'
import { definedOf, defaultNoraDir, exitFileOf } from './job-files'
import type { Reservation } from './array-submitter'
import { RUNNER_ID, WorkerPool } from './local-executor'
import { JobInputError, outputFolders, resolveJob, type ResolvedJob } from './resolve-args'

export interface BatchProgress {
  total: number
  done: number
  errors: number
  running: number
}

class KilledMeanwhile extends Error {}

/**
 * Runs launched batches: the jobs of a run one after the other (a job starts only after the previous one
 * succeeded), the runs side by side. Every job goes the same way through the executor: prepared, submitted, watched
 * until it ends, recorded. Locally at most `localWorkers` processes run at once; on a cluster the jobs that become
 * ready together (a batch's first step, the next jobs of runs that ended in the same poll) go as array jobs
 * (array-submitter.ts) and the scheduler decides the rest.
 */
export class BatchRunner {
  private readonly pool: WorkerPool

  constructor(private readonly core: JobsCore) {
    this.pool = new WorkerPool(Math.max(1, core.d.localWorkers))
  }

  private log(line: string): void {
    const log = this.core.d.log ?? console.error
    log(line)
  }

  /** Runs a launched batch in this process until every run has ended. */
  async run(actor: User, batchId: number, onProgress: (p: BatchProgress) => void = () => {}, opts: { stopOnError?: boolean } = {}): Promise<BatchSummary> {
    const { core } = this
    const project = await core.projectOfBatch(batchId)
    await core.d.jobs.setBatchState(batchId, 'running', RUNNER_ID)
    const runs = await core.d.jobs.runs(batchId)
    const chains = await core.commandsOfBatch(batchId)
    const stop: { reason?: string } = {}
    const progress: BatchProgress = { total: runs.length, done: 0, errors: 0, running: 0 }
    const report = () => onProgress({ ...progress })
    report()
    // Every run reserves its first job before anything is submitted: on a cluster the first step goes as one array.
    const starting = core.arrays?.hold()
    const ended = runs.map(async (run) => {
      const state = await this.runChain(actor, project, run, chains.get(run.id) ?? [], 0, () => {
        progress.running++
        report()
      }, undefined, stop)
      if (state === 'done') progress.done++
      else {
        progress.errors++
        if (opts.stopOnError && !stop.reason) {
          stop.reason = `batch stopped: run ${run.psid} failed (--throwerror)`
          for (const [id, c] of core.active) if (c.batchId === batchId) void core.stopJob(id, stop.reason).catch((e) => this.log(`batch ${batchId}: job ${id} not stopped: ${(e as Error).message}`))
        }
      }
      if (state !== 'queued') progress.running = Math.max(0, progress.running - 1)
      report()
    })
    starting?.()
    await Promise.all(ended)
    return core.finishBatch(batchId)
  }

  /**
   * Runs the jobs of one run from `start` on, one after the other; returns the run's final state. `first`: the
   * outcome of the job at `start` when something else waits for it (an adopted job).
   */
  async runChain(actor: User, project: string, run: RunRecord, jobs: JobRow[], start: number, onStart: () => void, first?: Promise<string | null>, stop: { reason?: string } = {}): Promise<JobState> {
    let started = false
    for (let i = start; i < jobs.length; i++) {
      const row = jobs[i]!
      const failure = i === start && first ? await first : stop.reason ? stop.reason : await this.runJob(actor, project, run, row, () => {
        if (!started) {
          started = true
          onStart()
          void this.core.d.jobs.setRunState(run.id, 'running').catch((e) => this.log(`run ${run.id}: not marked running: ${(e as Error).message}`))
        }
      })
      if (failure !== null) {
        await this.core.failRun(run, row.position, row.job.name, failure)
        await this.core.revokeRun(run.id)
        return 'error'
      }
    }
    await this.core.d.jobs.setRunState(run.id, 'done')
    await this.core.revokeRun(run.id)
    return 'done'
  }

  /** Runs one job of a run; null when it succeeded, else why it failed. */
  private async runJob(actor: User, project: string, run: RunRecord, row: JobRow, onStart: () => void): Promise<string | null> {
    const { core } = this
    // Reserved before the first await: a cluster submission waits until this job is prepared (or failed to be).
    const slot = core.arrays?.reserve()
    try {
      return await this.prepareAndRun(actor, project, run, row, onStart, slot)
    } finally {
      slot?.release()
    }
  }

  private async prepareAndRun(actor: User, project: string, run: RunRecord, row: JobRow, onStart: () => void, slot: Reservation | undefined): Promise<string | null> {
    const { core } = this
    const { d, executor, watcher } = core
    let resolved: ResolvedJob
    let logPath: string
    let isolation: Awaited<ReturnType<JobsCore['isolation']>>
    try {
      resolved = await resolveJob(core.forJobs, actor, project, run.psid, row.job)
      logPath = await d.archive.outputPath(actor, project, `log/batch${run.batchId}_job${row.position + 1}_${row.job.name.replace(/[^A-Za-z0-9_.-]/g, '_')}_${row.id}.log`, resolved.home)
      // Asynchronously: the folders of many runs are made side by side.
      await Promise.all([...outputFolders(resolved), dirname(logPath)].map((dir) => mkdir(dir, { recursive: true })))
      isolation = await core.isolation(actor, project, run, resolved, logPath)
    } catch (e) {
      const reason = e instanceof JobInputError ? e.message : `cannot prepare the job: ${(e as Error).message}`
      await d.jobs.setCommandState(row.id, 'error')
      const g = await d.jobs.createGridjob(row.id, run.projectId, 'local', RUNNER_ID, '')
      await d.jobs.gridjobFinished(g, 'error', null, reason)
      return reason
    }
    const gridjobId = await d.jobs.createGridjob(row.id, run.projectId, executor.name, RUNNER_ID, logPath)
    const exitFile = exitFileOf(logPath)
    // Locally the slot is held while the process runs; on a cluster the submitter gathers the jobs into arrays.
    const release = watcher.local ? await this.pool.acquire() : () => {}
    try {
      // Locally it may have waited for a worker; on a cluster a kill meanwhile is seen when its id is recorded.
      const current = watcher.local ? await d.jobs.gridjob(gridjobId) : undefined
      if (current && current.state !== 'queued') {
        await d.jobs.setCommandState(row.id, 'error')
        return current.reason || 'killed before it started'
      }
      const command = buildCommand(row.job, resolved, { project, psid: run.psid, user: actor.username, home: d.home, noraDir: d.noraDir ?? defaultNoraDir(), exitFile, matlab: d.matlab, ...isolation.ctx })
      const resources = watcher.local ? {} : { ...d.resourcesFor?.(project, row.job), ...definedOf(row.job.resources ?? {}) }
      const req: SubmitRequest = { command, logPath, cwd: dirname(dirname(logPath)), exitFile, resources, name: row.job.name, ...(isolation.runAs && { runAs: isolation.runAs }), ...(isolation.group !== undefined && { group: isolation.group }) }
      let externalId: string
      try {
        externalId = watcher.local ? await executor.submit(req) : await this.submitWhenUp(req, gridjobId, slot)
      } catch (e) {
        if (e instanceof KilledMeanwhile) {
          await d.jobs.setCommandState(row.id, 'error')
          return e.message
        }
        return core.failJob(gridjobId, row.id, `not submitted to ${executor.name}: ${(e as Error).message}`)
      }
      core.active.set(gridjobId, { externalId, batchId: run.batchId })
      if (watcher.local) {
        // A local job runs from its submission on.
        await d.jobs.gridjobStarted(gridjobId, externalId)
        await d.jobs.setCommandState(row.id, 'running')
        onStart()
      } else if (!(await d.jobs.setGridjobExternalId(gridjobId, externalId))) {
        // Killed while it waited to be submitted with the rest of its array: cancelled at once.
        await executor.cancel(externalId).catch((e) => this.log(`cannot cancel ${executor.name} job ${externalId}: ${(e as Error).message}`))
      }
      const end = await watcher.watch({ gridjobId, commandId: row.id, externalId, exitFile, onRunning: onStart })
      core.active.delete(gridjobId)
      core.arrays?.ended(externalId)
      return await core.finishJob(actor, project, gridjobId, row.id, resolved, end)
    } finally {
      release()
    }
  }

  /**
   * Submits (through the array submitter when there is one: `slot` first); while the scheduler cannot be reached the
   * job stays queued in the table and the submission is retried (status "scheduler down"), unless the job is killed
   * meanwhile. A job the scheduler refuses fails at once.
   */
  private async submitWhenUp(req: SubmitRequest, gridjobId: number, slot: Reservation | undefined): Promise<string> {
    const { executor, watcher, d, arrays } = this.core
    for (let wait = 500; ; wait = Math.min(wait * 2, 10_000)) {
      try {
        const id = slot ? await slot.submit(req) : arrays ? await arrays.submit(req) : await executor.submit(req)
        watcher.submissionDown('')
        return id
      } catch (e) {
        if (!(e instanceof SchedulerDownError) || /not found/.test(e.message)) throw e
        watcher.submissionDown(e.message)
      }
      slot = undefined
      await Bun.sleep(wait)
      const g = await d.jobs.gridjob(gridjobId)
      if (g?.state !== 'queued') throw new KilledMeanwhile(g?.reason || 'killed before it started')
    }
  }
}
