import type { QueuedImport } from './queued-import'

/**
 * Runs imports one or a few at a time, off the request path: an upload answers at once with the import's id,
 * and GET /api/imports/:id shows the progress. Failures are recorded by the import itself.
 */
export class ImportQueue {
  private running = 0
  private readonly waiting: (() => Promise<unknown>)[] = []
  private idleWaiters: (() => void)[] = []

  /** Set when main.conf import.executor is "queue" (and jobs.queue slurm/sge): ImportService.submit hands imports to it (system batches of the jobs service). */
  cluster?: QueuedImport

  constructor(private readonly parallel = 1) {}

  enqueue(work: () => Promise<unknown>): void {
    this.waiting.push(work)
    this.pump()
  }

  /** Resolves when nothing runs or waits (tests, shutdown). */
  idle(): Promise<void> {
    if (this.running === 0 && this.waiting.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  /** idle(), and every import job submitted to the cluster has ended and been recorded. */
  async settled(): Promise<void> {
    await this.idle()
    await this.cluster?.idle()
  }

  private pump(): void {
    while (this.running < this.parallel && this.waiting.length) {
      const work = this.waiting.shift()!
      this.running++
      work()
        .catch((e) => console.error('import failed:', e))
        .finally(() => {
          this.running--
          this.pump()
          if (this.running === 0 && this.waiting.length === 0) for (const w of this.idleWaiters.splice(0)) w()
        })
    }
  }
}
