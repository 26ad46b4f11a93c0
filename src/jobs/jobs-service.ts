import type { User } from '../core/types'
import type { GridjobRecord, JobState } from '../store/repos/jobs-repo'
import type { RunTokens } from '../auth/run-tokens'
import type { Executor } from './executor'
import { launch, rerunErrors, targetsOf, type Launched, type Selection } from './batch-launch'
import { BatchRunner, type BatchProgress } from './batch-runner'
import { JobControl } from './job-control'
import { JobsCore, type BatchSummary, type JobsDeps } from './job-core'
import type { JobAccount } from './job-account'
import type { BatchSpec, JobSpec } from './job-spec'
import { JobRecovery, type Recovered } from './job-recovery'
import type { SchedulerStatus } from './reconciler'
import { SystemJobs } from './system-jobs'
import { resolveJob, type ResolvedJob } from './resolve-args'

export type { BatchProgress } from './batch-runner'
export type { BatchSummary, JobsDeps, RunSummary } from './job-core'
export { defaultNoraDir, exitFileOf } from './job-files'

/**
 * Batches: launch one run per selected study (or subject, at subject level), run the jobs of a run one after the
 * other and the runs side by side, recover after a restart, and control jobs. The work is done by batch-launch.ts
 * (launch), batch-runner.ts (run), job-recovery.ts (recovery) and job-control.ts (control) over one JobsCore
 * (executor, the one watcher, run tokens); this class is their one front.
 */
export class JobsService {
  private readonly core: JobsCore
  private readonly runner: BatchRunner
  private readonly recovery: JobRecovery
  private readonly control: JobControl

  constructor(d: JobsDeps) {
    this.core = new JobsCore(d)
    this.runner = new BatchRunner(this.core)
    this.recovery = new JobRecovery(this.core, this.runner)
    this.control = new JobControl(this.core)
    this.system = new SystemJobs(this.core)
  }

  get executor(): Executor {
    return this.core.executor
  }

  /** One-job system batches (queued imports), run and watched like any batch. */
  readonly system: SystemJobs

  get runTokens(): RunTokens {
    return this.core.runTokens
  }

  /** Whom job code runs as (jobs.runAs; see job-account.ts). Throws a ServiceError naming the key when jobs would run as root. */
  account(): JobAccount {
    return this.core.account()
  }

  /** The scheduler as the last poll found it (local: always up). */
  schedulerStatus(): SchedulerStatus {
    return this.core.watcher.status()
  }

  targetsOf(actor: User, projectName: string, spec: BatchSpec, opts: Selection = {}): Promise<string[]> {
    return targetsOf(this.core, actor, projectName, spec, opts)
  }

  launch(actor: User, projectName: string, input: unknown, opts: Selection = {}): Promise<Launched> {
    return launch(this.core, actor, projectName, input, opts)
  }

  /** A job's arguments as a run of `psid` (PID#SID, or PID at subject level) gets them (the batch preview). */
  resolve(actor: User, project: string, psid: string, job: JobSpec): Promise<ResolvedJob> {
    return resolveJob(this.core.forJobs, actor, project, psid, job)
  }

  /** Runs a launched batch in this process until every run has ended. */
  run(actor: User, batchId: number, onProgress?: (p: BatchProgress) => void, opts: { stopOnError?: boolean } = {}): Promise<BatchSummary> {
    return this.runner.run(actor, batchId, onProgress, opts)
  }

  /** A new batch over the failed runs of `batchId` (launched, not run: call run() next). */
  rerunErrors(actor: User, batchId: number, modifiedSpec?: unknown): Promise<Launched> {
    return rerunErrors(this.core, actor, batchId, modifiedSpec)
  }

  /** After a restart: orphaned jobs re-adopted (`adopt`) or recorded as they ended, else lost. */
  recover(opts: { adopt?: boolean } = {}): Promise<Recovered> {
    return this.recovery.recover(opts)
  }

  schedulerCheck(): Promise<string> {
    return this.control.schedulerCheck()
  }

  list(actor: User, opts: { states?: JobState[]; project?: string; batchId?: number } = {}): Promise<GridjobRecord[]> {
    return this.control.list(actor, opts)
  }

  kill(actor: User, gridjobId: number): Promise<GridjobRecord> {
    return this.control.kill(actor, gridjobId)
  }

  suspend(actor: User, gridjobId: number): Promise<GridjobRecord> {
    return this.control.suspend(actor, gridjobId)
  }

  resume(actor: User, gridjobId: number): Promise<GridjobRecord> {
    return this.control.resume(actor, gridjobId)
  }

  /** Stops watching the scheduler (shutdown). */
  stop(): void {
    this.core.watcher.stop()
    this.core.arrays?.stop()
  }
}
