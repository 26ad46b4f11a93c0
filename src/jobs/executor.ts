import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import type { JobCommand } from './job-command'

/** What a job asks of the scheduler; unset fields take the defaults of conf/slurm.conf. */
export interface JobResources {
  /** Slurm partition or SGE queue (DPXproc for processing, DPXimport for imports). */
  queue?: string
  timeMinutes?: number
  memMb?: number
  cpus?: number
}

export interface SubmitRequest {
  command: JobCommand
  /** stdout and stderr go here (appended). */
  logPath: string
  cwd: string
  /** The wrapper of the command writes the job's exit code here (how a cluster job's exit code is known). */
  exitFile: string
  resources: JobResources
  /** A label for the scheduler's listings. */
  name: string
}

/**
 * Where a job is, as the scheduler sees it. `done`: the job's own process ended with `exitCode`;
 * `error`: the scheduler ended it or lost it (`reason` says which; exitCode null).
 */
export interface ExternalState {
  state: 'queued' | 'running' | 'done' | 'error'
  exitCode: number | null
  reason: string
  /** Suspended by the scheduler or an operator (state is 'running'). */
  suspended?: boolean
}

/** The scheduler cannot be asked (squeue/qstat failed): nothing is known, jobs stay as they are. */
export class SchedulerDownError extends Error {
  constructor(readonly executor: string, detail: string) {
    super(`scheduler down: ${executor}: ${detail}`)
  }
}

export const LOST_BY_SCHEDULER = 'lost by the scheduler'

/** Words of sbatch/qsub/squeue/qstat when their controller cannot be reached (as opposed to a refused job). */
export const UNREACHABLE = /unable to contact|connect(ion)? (failure|refused)|unable to send message to qmaster|can't connect|communication error|Socket timed out|timed out after/i

/** One interface in front of the local runner, Slurm and SGE. */
export interface Executor {
  readonly name: 'local' | 'slurm' | 'sge'
  /** Hands a job to the scheduler; returns its id there (pid, Slurm job id, SGE job number). */
  submit(req: SubmitRequest): Promise<string>
  /** The state of each id (an id the scheduler does not know, with no exit file, is an error "lost by the scheduler"). Throws SchedulerDownError. */
  poll(jobs: { externalId: string; exitFile: string }[]): Promise<Map<string, ExternalState>>
  cancel(externalId: string): Promise<void>
  suspend(externalId: string): Promise<void>
  resume(externalId: string): Promise<void>
}

/** The job's exit code from the file its wrapper wrote, if it did. */
export function readExitCode(exitFile: string): number | undefined {
  if (!exitFile || !existsSync(exitFile)) return undefined
  const code = Number(readFileSync(exitFile, 'utf8').trim())
  return Number.isInteger(code) ? code : undefined
}

/** A shell word that stands for exactly `s` (single quotes; a quote inside becomes '\''). */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`
}

const SKIP_ENV = /^(SLURM_|SGE_|JOB_ID$|BASH_FUNC_|_$|PWD$|OLDPWD$|SHLVL$)/

/**
 * A batch script that runs `command` exactly: its environment as `export NAME='value'` lines and its argv as
 * single-quoted words. Values never become shell syntax. Written next to the log (`.NAME.sh`), mode 0700.
 */
export function writeJobScript(path: string, command: JobCommand, cwd: string): void {
  const lines = ['#!/bin/bash']
  for (const [k, v] of Object.entries(command.env)) if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) && !SKIP_ENV.test(k)) lines.push(`export ${k}=${shellQuote(v)}`)
  lines.push(`cd ${shellQuote(cwd)} || exit 1`)
  lines.push(`exec ${command.argv.map(shellQuote).join(' ')}`)
  writeFileSync(path, `${lines.join('\n')}\n`, { mode: 0o700 })
}

/** Runs a command (no shell), returns stdout; throws with stderr when it fails. */
export async function runTool(argv: string[], opts: { timeoutMs?: number; env?: Record<string, string | undefined> } = {}): Promise<string> {
  let proc
  try {
    proc = Bun.spawn(argv, { stdout: 'pipe', stderr: 'pipe', env: opts.env ?? process.env })
  } catch (e) {
    throw new ToolError(argv[0]!, `cannot run ${argv[0]}: ${(e as Error).message}`, 127)
  }
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    proc.kill('SIGKILL')
  }, opts.timeoutMs ?? 30_000)
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  clearTimeout(timer)
  if (timedOut) throw new ToolError(argv[0]!, `${argv[0]} timed out after ${(opts.timeoutMs ?? 30_000) / 1000} s (controller unreachable?)`, code)
  if (code !== 0) throw new ToolError(argv[0]!, `${argv.join(' ').slice(0, 200)} failed (exit ${code}): ${err.trim() || out.trim()}`, code)
  return out
}

export class ToolError extends Error {
  constructor(readonly tool: string, message: string, readonly code: number) {
    super(message)
  }
}
