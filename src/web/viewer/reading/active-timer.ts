/**
 * The time a reader spends on a case: from its display to the submit, without pauses. A pause has reasons (the tab
 * hidden, the pause button); the clock runs only while there is none. The clock is injected for tests.
 */
export class ActiveTimer {
  private runningSince?: number
  private spentMs = 0
  private readonly reasons = new Set<string>()
  readonly startedAt: Date

  constructor(private readonly now: () => number = () => performance.now(), wall: () => Date = () => new Date()) {
    this.startedAt = wall()
    this.runningSince = this.now()
  }

  get paused(): boolean {
    return this.reasons.size > 0
  }

  pause(reason: string) {
    if (!this.reasons.size && this.runningSince !== undefined) this.spentMs += this.now() - this.runningSince
    this.reasons.add(reason)
    this.runningSince = undefined
  }

  resume(reason: string) {
    if (!this.reasons.delete(reason) || this.reasons.size) return
    this.runningSince = this.now()
  }

  /** Active seconds so far (to 0.1 s). */
  seconds(): number {
    const ms = this.spentMs + (this.runningSince === undefined ? 0 : this.now() - this.runningSince)
    return Math.round(ms / 100) / 10
  }
}

/** "m:ss" for a number of seconds. */
export function clock(seconds: number): string {
  const s = Math.floor(seconds)
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`
}
