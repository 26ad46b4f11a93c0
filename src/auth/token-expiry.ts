import { UsageError } from '../core/errors'

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 }
const MAX_MS = 10 * 366 * 86_400_000

/**
 * When a token given `--expires WHEN` stops working (ms since the epoch): a duration from now (`90m`, `12h`, `30d`,
 * `8w`) or a day (`2026-06-30`: the end of that day, UTC). At most ten years ahead.
 */
export function parseExpiry(when: string, now = Date.now()): number {
  const bad = () => new UsageError(`--expires ${JSON.stringify(when)}: give a duration such as 12h, 30d or 8w (m, h, d, w), or a day such as 2026-06-30`)
  const span = /^([1-9]\d{0,5})([mhdw])$/.exec(when.trim())
  let at: number
  if (span) at = now + Number(span[1]) * UNITS[span[2]!]!
  else {
    const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(when.trim())
    if (!day) throw bad()
    const start = Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3]))
    if (new Date(start).toISOString().slice(0, 10) !== when.trim()) throw bad() // 2026-02-30
    at = start + 86_400_000
    if (at <= now) throw new UsageError(`--expires ${when}: that day is over; give a day to come or a duration such as 30d`)
  }
  if (at - now > MAX_MS) throw new UsageError(`--expires ${when}: at most ten years ahead`)
  return at
}
