import { UsageError } from '../core/errors'

/**
 * The time a reader spent on a case: the browser counts the active seconds (from the display to the submit, pauses
 * excluded) and sends them with the display time. The server accepts them when they are plausible: not negative,
 * not more than the wall-clock time from the display to now (plus a little clock skew), and the display not in the
 * future nor before the session began.
 */
export const CLOCK_SKEW_MS = 5_000

export function checkTiming(activeSeconds: unknown, startedAt: unknown, now: number, sessionStart: number): { seconds: number; startedAt: number } {
  const started = typeof startedAt === 'number' ? startedAt : typeof startedAt === 'string' ? Date.parse(startedAt) : Number.NaN
  if (!Number.isFinite(started)) throw new UsageError('startedAt: the time the case was shown (ISO 8601 or ms since 1970)')
  if (started > now + CLOCK_SKEW_MS) throw new UsageError('startedAt lies in the future; check the clock of this computer')
  if (started < sessionStart - CLOCK_SKEW_MS) throw new UsageError('startedAt lies before the session began; start a new session')
  const seconds = typeof activeSeconds === 'number' ? activeSeconds : Number.NaN
  if (!Number.isFinite(seconds) || seconds < 0) throw new UsageError('activeSeconds: the seconds spent on the case, pauses excluded (a number, 0 or more)')
  const wall = (now - started + CLOCK_SKEW_MS) / 1000
  if (seconds > wall) throw new UsageError(`activeSeconds ${seconds} is more than the ${Math.round(wall)} s since the case was shown`)
  return { seconds: Math.round(seconds * 10) / 10, startedAt: Math.min(started, now) }
}
