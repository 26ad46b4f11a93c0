/**
 * Runs imports one or a few at a time, off the request path: an upload answers at once with the import's id,
 * and GET /api/imports/:id shows the progress. Failures are recorded by the import itself.
 */
export class ImportQueue {
  private running = 0
  private readonly waiting: (() => Promise<unknown>)[] = []
  private idleWaiters: (() => void)[] = []

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
