import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'

/** True while the process runs. A zombie (exited, waiting for a parent or init to reap it) counts as gone. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM'
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return true // no /proc: trust the signal
  }
}

/** `host:pid` of this nora process: the runner written on the jobs and imports it runs. */
export const RUNNER_ID = `${hostname()}:${process.pid}`

/** True when `runner` (host:pid) names a nora process that still runs on this host (another host: assumed alive). */
export function runnerAlive(runner: string): boolean {
  const i = runner.lastIndexOf(':')
  if (i < 0) return false
  if (runner.slice(0, i) !== hostname()) return true
  return isAlive(Number(runner.slice(i + 1)))
}
