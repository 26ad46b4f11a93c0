import type { JobsRepo } from '../store/repos/jobs-repo'
import { LOST_BY_SCHEDULER, SchedulerDownError, type Executor, type ExternalState } from './executor'

interface Watch {
  gridjobId: number
  commandId: number
  externalId: string
  exitFile: string
  started: boolean
  /** Polls in a row that found the job unknown to the scheduler (lost only when two agree). */
  unknown: number
  onRunning?: () => void
  resolve: (s: ExternalState) => void
}

export interface SchedulerStatus {
  executor: string
  /** Empty while the scheduler answers; else what failed and since when. */
  down: string
  since: number | null
  lastPoll: number | null
}

/**
 * Keeps gridjobs and commands (the single truth) in step with a scheduler: polls it for the jobs this nora waits
 * for, marks a job running when the scheduler starts it, and hands each job's end to whoever waits for it. When
 * the scheduler cannot be asked, nothing changes (status says "scheduler down") until it answers again.
 */
export class Reconciler {
  private readonly watches = new Map<string, Watch>()
  private timer: ReturnType<typeof setInterval> | undefined
  private polling = false
  readonly status: SchedulerStatus

  constructor(private readonly executor: Executor, private readonly jobs: JobsRepo, private readonly pollMs = 1000, private readonly log: (line: string) => void = () => {}) {
    this.status = { executor: executor.name, down: '', since: null, lastPoll: null }
  }

  /** Resolves when the scheduler reports the job ended (done with its exit code, or error with the reason). */
  watch(w: { gridjobId: number; commandId: number; externalId: string; exitFile: string; started?: boolean; onRunning?: () => void }): Promise<ExternalState> {
    return new Promise((resolve) => {
      this.watches.set(w.externalId, { ...w, started: w.started ?? false, unknown: 0, resolve })
      this.ensureTimer()
    })
  }

  get watching(): number {
    return this.watches.size
  }

  private ensureTimer() {
    if (this.timer) return
    this.timer = setInterval(() => void this.tick(), this.pollMs)
  }

  /** One round: ask the scheduler about every watched job and act on the answers. */
  async tick(): Promise<void> {
    if (this.polling) return
    this.polling = true
    try {
      const list = [...this.watches.values()]
      if (list.length === 0) {
        clearInterval(this.timer)
        this.timer = undefined
        return
      }
      let states: Map<string, ExternalState>
      try {
        states = await this.executor.poll(list.map((w) => ({ externalId: w.externalId, exitFile: w.exitFile })))
      } catch (e) {
        if (!(e instanceof SchedulerDownError)) throw e
        if (!this.status.down) {
          this.status.since = Date.now()
          this.log(`${e.message}; ${list.length} job(s) kept as they are until it answers`)
        }
        this.status.down = e.message
        return
      }
      if (this.status.down) this.log(`${this.executor.name}: the scheduler answers again; reconciling ${list.length} job(s)`)
      this.status.down = ''
      this.status.since = null
      this.status.lastPoll = Date.now()
      for (const w of list) {
        const s = states.get(w.externalId)
        if (!s) continue
        // A scheduler in the middle of a restart may answer with a short list: "lost" counts when two polls agree.
        if (s.state === 'error' && s.reason === LOST_BY_SCHEDULER && ++w.unknown < 2) continue
        if (s.reason !== LOST_BY_SCHEDULER) w.unknown = 0
        if (!w.started && s.state !== 'queued') {
          w.started = true
          await this.jobs.gridjobStarted(w.gridjobId, w.externalId)
          await this.jobs.setCommandState(w.commandId, 'running')
          w.onRunning?.()
        }
        if (s.state === 'done' || s.state === 'error') {
          this.watches.delete(w.externalId)
          w.resolve(s)
        }
      }
    } catch (e) {
      this.log(`reconciler: ${(e as Error).message}`)
    } finally {
      this.polling = false
    }
  }

  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
  }
}
