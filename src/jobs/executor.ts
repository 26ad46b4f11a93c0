import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { NoraError, ServiceError } from '../core/errors'
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
  /** Slurm: the account and group the job runs as (sbatch --uid/--gid, nora being root); other executors drop in the command. */
  runAs?: { uid: number; gid: number }
  /** The group job code runs with (the project's, nora being root): what the job reads at run time (array inputs) is given to it alone. */
  group?: number
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
export class SchedulerDownError extends ServiceError {
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
  /**
   * Cluster executors: hands many jobs to the scheduler as one array job whose task i runs `reqs[i]`, their inputs
   * written into `dir` (see array-inputs.ts); returns the task ids in the order of `reqs` (Slurm `JOBID_INDEX`, SGE
   * `JOBID.INDEX`), which poll, cancel, suspend and resume take like any job id.
   */
  submitArray?(reqs: SubmitRequest[], dir: string): Promise<string[]>
  /** The most tasks one array job may have (the cluster's limit, or conf/slurm.conf's arrayMax). */
  arrayMax?(): Promise<number>
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

/** True for a variable a job script exports: a plain shell name, and none the scheduler sets itself. */
export const exportable = (name: string) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !SKIP_ENV.test(name)

/**
 * A batch script that runs `command` exactly: its environment as `export NAME='value'` lines and its argv as
 * single-quoted words. Values never become shell syntax. Written next to the log (`.NAME.sh`), mode 0700.
 */
export function writeJobScript(path: string, command: JobCommand, cwd: string): void {
  const lines = ['#!/bin/bash']
  for (const [k, v] of Object.entries(command.env)) if (exportable(k)) lines.push(`export ${k}=${shellQuote(v)}`)
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
  // sbatch retries by itself while slurmctld refuses jobs (MaxJobCount reached...): its words say so.
  if (timedOut) throw new ToolError(argv[0]!, `${argv[0]} timed out after ${(opts.timeoutMs ?? 30_000) / 1000} s (controller unreachable?)${err.trim() ? `: ${err.trim().split('\n').at(-1)}` : ''}`, code)
  if (code !== 0) throw new ToolError(argv[0]!, `${argv.join(' ').slice(0, 200)} failed (exit ${code}): ${err.trim() || out.trim()}`, code)
  return out
}

/** A scheduler tool (sbatch, squeue, scancel, qsub, ...) failed; the message has its command line and its own words. */
export class ToolError extends NoraError {
  override readonly status = 502
  constructor(readonly tool: string, message: string, readonly code: number) {
    super(message)
  }
}
