import type { User } from '../core/types'
import type { GridjobRecord, RunRecord } from '../store/repos/jobs-repo'
import { sweepArrayDirs } from './array-inputs'
import { SchedulerDownError, type Executor, type ExternalState } from './executor'
import type { BatchRunner } from './batch-runner'
import type { JobsCore } from './job-core'
import { exitFileOf, exitOf, LOST_DOWN, LOST_NOT_STARTED } from './job-files'
import type { JobSpec } from './job-spec'
import { systemKindOf } from './system-jobs'
import { LocalExecutor, RUNNER_ID, runnerAlive } from './local-executor'
import { resolveJob } from './resolve-args'

export interface Recovered {
  lost: number
  adopted: Promise<unknown>[]
  schedulerDown?: string
}

/**
 * After a restart: jobs whose owning nora is gone are asked about through their executor (a local pid, a Slurm/SGE
 * job id). Still queued or running -> with `adopt` this process watches them and goes on with their runs; ended ->
 * recorded as a run records them (exit file, outputs), and with `adopt` the rest of the run goes on; never started
 * or gone without an exit code -> lost. A scheduler that cannot be asked changes nothing (and, when adopting, is
 * asked again in 15 s). System jobs (queued imports) are taken over by their owner (SystemJobs.orphans).
 */
export class JobRecovery {
  constructor(private readonly core: JobsCore, private readonly runner: BatchRunner) {}

  async recover(opts: { adopt?: boolean } = {}): Promise<Recovered> {
    const { core } = this
    const out: Recovered = { lost: 0, adopted: [] }
    const touched = new Set<number>()
    const executors: Executor[] = core.watcher.local ? [core.executor] : [core.executor, new LocalExecutor()]
    for (const ex of executors) {
      const down = await this.recoverOn(ex, opts, out, touched)
      if (ex === core.executor && !core.watcher.local) core.watcher.recovered(down ?? '')
      if (down) out.schedulerDown = down
    }
    if (!out.schedulerDown) await this.sweepArrays()
    if (out.adopted.length) void Promise.allSettled(out.adopted).then(() => this.sweepArrays()).catch((e) => (core.d.log ?? console.error)(`array inputs not swept: ${(e as Error).message}`))
    // `nora serve` adopts at start: if the scheduler was down then, it tries again until it answers.
    if (opts.adopt && out.schedulerDown) setTimeout(() => void this.recover(opts).catch((e) => (core.d.log ?? console.error)(`recover: ${(e as Error).message}`)), 15_000).unref()
    // Runs between two jobs when their nora ended: nothing runs them any more.
    for (const run of await core.d.jobs.openRuns()) {
      if (touched.has(run.id)) continue
      const runner = await core.d.jobs.batchRunner(run.batchId)
      if (!runner || runner === RUNNER_ID || runnerAlive(runner)) continue
      await core.markRunLost(run)
      out.lost++
      await core.finishBatch(run.batchId)
    }
    return out
  }

  /** Removes the inputs of array jobs none of whose tasks is queued or running any more (data/jobarrays). */
  private async sweepArrays(): Promise<void> {
    const { core } = this
    if (!core.arrays) return
    await sweepArrayDirs(core.arraysRoot, (arrayId) => core.d.jobs.arrayTasks(core.executor.name, arrayId))
  }

  /** The orphaned jobs of one executor; returns what failed when its scheduler cannot be asked. */
  private async recoverOn(ex: Executor, opts: { adopt?: boolean }, out: Recovered, touched: Set<number>): Promise<string | undefined> {
    const { core } = this
    const { jobs } = core.d
    const orphans: GridjobRecord[] = []
    for (const g of await jobs.gridjobs({ states: ['queued', 'running'], executor: ex.name, limit: 100_000 })) {
      if (g.runner === RUNNER_ID || runnerAlive(g.runner)) continue
      if (g.runId !== null) touched.add(g.runId)
      if (systemKindOf(g.job) === undefined) orphans.push(g)
    }
    if (orphans.length === 0) return undefined
    let states: Map<string, ExternalState>
    try {
      states = await ex.poll(orphans.filter((g) => g.externalId).map((g) => ({ externalId: g.externalId, exitFile: exitFileOf(g.logPath) })))
    } catch (e) {
      if (e instanceof SchedulerDownError) return e.message
      throw e
    }
    const runsOf = new Map<number, RunRecord[]>()
    for (const g of orphans) {
      if (g.batchId !== null && !runsOf.has(g.batchId)) runsOf.set(g.batchId, await jobs.runs(g.batchId))
      const run = g.batchId !== null ? runsOf.get(g.batchId)!.find((r) => r.id === g.runId) : undefined
      const job = JSON.parse(g.job) as JobSpec
      const actor = await core.actorOf(g)
      const st: ExternalState = (g.externalId && states.get(g.externalId)) || { state: 'error', exitCode: null, reason: LOST_NOT_STARTED }
      if (st.state === 'queued' || st.state === 'running') {
        if (st.state === 'running') {
          await jobs.gridjobStarted(g.id, g.externalId)
          await jobs.setCommandState(g.commandId, 'running')
        }
        if (opts.adopt && run && actor) {
          await this.own(g, run)
          out.adopted.push(this.adopt(ex, g, run, actor, st.state === 'running'))
        }
        continue
      }
      const failure = run && actor ? await this.finishOrphan(actor, g, run, job, st) : await core.failJob(g.id, g.commandId, st.reason || LOST_DOWN, st.exitCode)
      if (failure !== null) out.lost++
      if (!run) continue
      if (failure === null && opts.adopt && actor) {
        // Ended well while nora was down: go on with the rest of its run.
        await this.own(g, run)
        const rows = await core.commandsOf(run.id)
        const next = rows.findIndex((j) => j.id === g.commandId) + 1
        out.adopted.push(this.runner.runChain(actor, g.project, run, rows, next, () => {}).then((s) => core.finishBatch(run.batchId).then(() => s)))
        continue
      }
      if (failure !== null) await core.failRun(run, g.position, job.name, failure)
      else await core.markRunLost(run)
      await core.finishBatch(run.batchId)
    }
    return undefined
  }

  /** A job that ended while nora was down: its exit and outputs recorded (null: it succeeded), else why it failed. */
  private async finishOrphan(actor: User, g: GridjobRecord, run: RunRecord, job: JobSpec, st: ExternalState): Promise<string | null> {
    if (st.state === 'error') return this.core.failJob(g.id, g.commandId, st.reason || LOST_DOWN, st.exitCode)
    let resolved
    try {
      resolved = await resolveJob(this.core.forJobs, actor, g.project, run.psid, job)
    } catch (e) {
      return this.core.failJob(g.id, g.commandId, `ended (exit code ${st.exitCode}) while nora was down, but its outputs cannot be checked: ${(e as Error).message}`, st.exitCode)
    }
    return this.core.finishJob(actor, g.project, g.id, g.commandId, resolved, exitOf(st))
  }

  private async own(g: GridjobRecord, run: RunRecord): Promise<void> {
    await this.core.d.jobs.setGridjobRunner(g.id, RUNNER_ID)
    await this.core.d.jobs.setBatchState(run.batchId, 'running', RUNNER_ID)
  }

  /** Waits (through the watcher) for a job a previous nora started, then goes on with its run. */
  private async adopt(ex: Executor, g: GridjobRecord, run: RunRecord, actor: User, started: boolean) {
    const { core } = this
    const rows = await core.commandsOf(run.id)
    const start = rows.findIndex((j) => j.id === g.commandId)
    core.active.set(g.id, { externalId: g.externalId, batchId: run.batchId })
    const first = (async () => {
      const end = await core.watcher.watch({ gridjobId: g.id, commandId: g.commandId, externalId: g.externalId, exitFile: exitFileOf(g.logPath), started }, ex)
      core.active.delete(g.id)
      const resolved = await resolveJob(core.forJobs, actor, g.project, run.psid, rows[start]!.job)
      return core.finishJob(actor, g.project, g.id, g.commandId, resolved, end)
    })()
    const state = await this.runner.runChain(actor, g.project, run, rows, start, () => {}, first)
    await core.finishBatch(run.batchId)
    return state
  }
}
