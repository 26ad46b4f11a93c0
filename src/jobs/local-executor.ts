import { spawn } from 'node:child_process'
import { closeSync, constants, existsSync, openSync, readFileSync } from 'node:fs'
import { NotFoundError } from '../core/errors'
import { isAlive } from '../core/process-alive'
import type { JobCommand } from './job-command'
import { readExitCode, type Executor, type ExternalState, type SubmitRequest } from './executor'

export { RUNNER_ID, runnerAlive } from '../core/process-alive'

/** A counting semaphore: at most `size` holders at once, served in arrival order. */
export class WorkerPool {
  private active = 0
  private readonly waiting: (() => void)[] = []
  constructor(readonly size: number) {}

  async acquire(): Promise<() => void> {
    if (this.active >= this.size) await new Promise<void>((r) => this.waiting.push(r))
    else this.active++
    let released = false
    return () => {
      if (released) return
      released = true
      const next = this.waiting.shift()
      if (next) next()
      else this.active--
    }
  }

  get running(): number {
    return this.active
  }
}

export interface JobExit {
  /** The exit code, or null when a signal ended the job. */
  code: number | null
  signal: string | null
}

/**
 * Starts a job as a child process in its own process group (a Ctrl-C on the launching terminal does not reach it;
 * `kill(-pid)` reaches the job and everything it started). stdout and stderr go straight to the log file by file
 * descriptor: nora never holds the output in memory.
 */
export function startLocal(cmd: JobCommand, logPath: string, cwd: string): { pid: number; exited: Promise<JobExit> } {
  // Never through a symlink a job may have left in its (group-writable) log folder.
  const fd = openSync(logPath, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o660)
  try {
    const child = spawn(cmd.argv[0]!, cmd.argv.slice(1), { env: cmd.env, cwd, stdio: ['ignore', fd, fd], detached: true })
    const exited = new Promise<JobExit>((resolve) => {
      child.once('error', (e) => resolve({ code: 127, signal: null, ...{ error: e } }))
      child.once('exit', (code, signal) => resolve({ code, signal }))
    })
    if (child.pid === undefined) return { pid: -1, exited }
    return { pid: child.pid, exited }
  } finally {
    closeSync(fd)
  }
}

/** Waits until a process this nora did not start (an adopted job) has ended; its exit code comes from the exit file. */
export async function waitAdopted(pid: number, exitFile: string, pollMs = 200): Promise<JobExit | undefined> {
  while (isAlive(pid)) await Bun.sleep(pollMs)
  return readExitFile(exitFile)
}

export function readExitFile(exitFile: string): JobExit | undefined {
  if (!existsSync(exitFile)) return undefined
  const code = Number(readFileSync(exitFile, 'utf8').trim())
  return Number.isInteger(code) ? { code, signal: null } : undefined
}

/** Ends a job and everything it started (its process group). */
export function killProcessGroup(pid: number, signal: NodeJS.Signals = 'SIGTERM'): boolean {
  const send = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig)
      return true
    } catch {
      try {
        process.kill(pid, sig)
        return true
      } catch {
        return false
      }
    }
  }
  const sent = send(signal)
  // A suspended (SIGSTOPped) job acts on SIGTERM only once it runs again: wake it so that the kill takes effect.
  if (sent && signal !== 'SIGSTOP' && signal !== 'SIGCONT' && signal !== 'SIGKILL') send('SIGCONT')
  return sent
}

/**
 * The local runner behind the Executor interface: a job is a child process of this nora (pid as its id); `exited`
 * gives the child's own exit, `poll` serves jobs of other nora processes (pid alive, else the exit file).
 */
export class LocalExecutor implements Executor {
  readonly name = 'local' as const
  private readonly children = new Map<string, Promise<JobExit>>()

  async submit(req: SubmitRequest): Promise<string> {
    const { pid, exited } = startLocal(req.command, req.logPath, req.cwd)
    const id = String(pid)
    this.children.set(id, exited)
    void exited.then(() => this.children.delete(id))
    return id
  }

  /** How a job this process started ended (undefined for one it did not start). */
  exited(externalId: string): Promise<JobExit> | undefined {
    return this.children.get(externalId)
  }

  async poll(jobs: { externalId: string; exitFile: string }[]): Promise<Map<string, ExternalState>> {
    const out = new Map<string, ExternalState>()
    for (const j of jobs) {
      const pid = Number(j.externalId)
      if (pid > 0 && isAlive(pid)) {
        out.set(j.externalId, { state: 'running', exitCode: null, reason: '' })
        continue
      }
      const code = readExitCode(j.exitFile)
      out.set(j.externalId, code !== undefined ? { state: 'done', exitCode: code, reason: '' } : { state: 'error', exitCode: null, reason: 'lost: the process ended while nora was down' })
    }
    return out
  }

  async cancel(externalId: string): Promise<void> {
    killProcessGroup(Number(externalId))
  }

  async suspend(externalId: string): Promise<void> {
    if (!killProcessGroup(Number(externalId), 'SIGSTOP')) throw new NotFoundError(`process ${externalId} is gone: the job has ended`)
  }

  async resume(externalId: string): Promise<void> {
    if (!killProcessGroup(Number(externalId), 'SIGCONT')) throw new NotFoundError(`process ${externalId} is gone: the job has ended`)
  }
}
