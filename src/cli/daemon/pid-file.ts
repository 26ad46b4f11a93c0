import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { isAlive } from '../../core/process-alive'

export const pidPath = (dataRoot: string) => join(dataRoot, 'nora.pid')
export const logPath = (dataRoot: string) => join(dataRoot, 'logs', 'nora.log')

/** True when the process runs `nora serve` (a recycled pid of another program is no nora). */
function isNoraServer(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('serve')
  } catch {
    return isAlive(pid) // no /proc: trust the pid
  }
}

/**
 * The pid of a running nora server for this data root, or undefined. A stale file is left alone: the data
 * root may be shared with other machines (a Slurm node) whose process table does not show the server.
 */
export function runningPid(dataRoot: string): number | undefined {
  const path = pidPath(dataRoot)
  if (!existsSync(path)) return undefined
  const pid = Number(readFileSync(path, 'utf8').trim())
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) && isNoraServer(pid) ? pid : undefined
}

export function writePid(dataRoot: string, pid = process.pid): void {
  mkdirSync(dirname(pidPath(dataRoot)), { recursive: true })
  writeFileSync(pidPath(dataRoot), `${pid}\n`)
}

export function removePid(dataRoot: string): void {
  const path = pidPath(dataRoot)
  if (existsSync(path) && Number(readFileSync(path, 'utf8').trim()) === process.pid) rmSync(path, { force: true })
}
