import { UsageError } from '../core/errors'
import type { JobsRepo } from '../store/repos/jobs-repo'
import type { Executor } from './executor'
import { exitOf, type JobEnd } from './job-files'
import { LocalExecutor, waitAdopted } from './local-executor'
import { Reconciler, type SchedulerStatus } from './reconciler'

export interface WatchRequest {
  gridjobId: number
  commandId: number
  externalId: string
  exitFile: string
  /** The scheduler has started it already (recorded running). */
  started?: boolean
  /** Called once when the scheduler starts it (the gridjob and command are marked running first). */
  onRunning?: () => void
}

/**
 * The one place that waits for jobs to end, whatever runs them: a child of this process (its exit), a local process
 * of an earlier nora (its pid, then its exit file), or a Slurm/SGE job (the one Reconciler polling the scheduler).
 * Batches and queued imports both wait here.
 */
export class JobWatcher {
  private readonly reconciler: Reconciler | undefined
  private downAtRecover = ''

  constructor(readonly executor: Executor, jobs: JobsRepo, pollMs = 2000, private readonly log: (line: string) => void = (l) => console.error(l)) {
    if (!(executor instanceof LocalExecutor)) this.reconciler = new Reconciler(executor, jobs, pollMs, log)
  }

  /** True when jobs run as children of this process (their start is known at submission). */
  get local(): boolean {
    return this.executor instanceof LocalExecutor
  }

  /** How the job ended; undefined when a local process ended without leaving its exit code. */
  async watch(w: WatchRequest, executor: Executor = this.executor): Promise<JobEnd | undefined> {
    if (executor instanceof LocalExecutor) return executor.exited(w.externalId) ?? waitAdopted(Number(w.externalId), w.exitFile)
    if (executor !== this.executor || !this.reconciler) throw new UsageError(`job ${w.gridjobId} runs on ${executor.name}, but this nora watches ${this.executor.name} (jobs.queue in conf/main.conf)`)
    return exitOf(await this.reconciler.watch(w))
  }

  /** The scheduler as the last poll (or recovery) found it; local: always up. */
  status(): SchedulerStatus {
    return this.reconciler?.status ?? { executor: 'local', down: this.downAtRecover, since: null, lastPoll: null }
  }

  /** A submission failed because the scheduler cannot be reached (`message`), or went through (''). */
  submissionDown(message: string): void {
    const st = this.reconciler?.status
    if (!st) return
    if (!message) {
      if (st.down.startsWith('scheduler down') && this.reconciler!.watching === 0) st.down = ''
      return
    }
    if (!st.down) {
      st.since = Date.now()
      this.log(`${message}; job submissions wait until it answers`)
    }
    st.down = message
  }

  /** What recovery found of the scheduler ('' : it answered). */
  recovered(down: string): void {
    this.downAtRecover = down
  }

  stop(): void {
    this.reconciler?.stop()
  }
}
