import { basename, dirname, join } from 'node:path'
import { LOST_BY_SCHEDULER, readExitCode, UNREACHABLE, runTool, SchedulerDownError, ToolError, writeJobScript, type Executor, type ExternalState, type JobResources, type SubmitRequest } from './executor'

/** Defaults for what a job does not ask for (conf/slurm.conf). */
export interface ClusterDefaults {
  queue: string
  timeMinutes: number
  memMb: number
  cpus: number
}

/** Slurm's final states that mean the scheduler (not the job's own exit) ended the job, and how we say it. */
const ENDED_BY_SLURM: Record<string, string> = {
  TIMEOUT: 'time limit reached (Slurm TIMEOUT)',
  CANCELLED: 'cancelled in Slurm (CANCELLED)',
  NODE_FAIL: 'the node failed (Slurm NODE_FAIL)',
  PREEMPTED: 'preempted by Slurm (PREEMPTED)',
  OUT_OF_MEMORY: 'out of memory (Slurm OUT_OF_MEMORY)',
  BOOT_FAIL: 'the node did not boot (Slurm BOOT_FAIL)',
  DEADLINE: 'deadline passed (Slurm DEADLINE)',
  REVOKED: 'revoked by Slurm (REVOKED)',
  SPECIAL_EXIT: 'special exit (Slurm SPECIAL_EXIT)',
}
const QUEUED = new Set(['PENDING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESV_DEL_HOLD'])
const FINISHED = new Set(['COMPLETED', 'FAILED'])

/** The job script beside the log: `.NAME.log.sh`. */
export const scriptFileOf = (logPath: string) => join(dirname(logPath), `.${basename(logPath)}.sh`)

/** What a job in `slurmState` (with `exitFile` and Slurm's own exit code) means for nora. */
export function slurmStateOf(slurmState: string, reason: string, exitFile: string, slurmExit: number | null): ExternalState {
  const st = slurmState.split(/[ ,+]/)[0]!.toUpperCase()
  if (QUEUED.has(st)) return { state: 'queued', exitCode: null, reason: reason && reason !== 'None' ? reason : '' }
  if (st === 'SUSPENDED') return { state: 'running', exitCode: null, reason: 'suspended', suspended: true }
  const code = readExitCode(exitFile)
  if (FINISHED.has(st) || ENDED_BY_SLURM[st]) {
    // Ended by Slurm: its reason wins over the exit code the signalled job still wrote (143 after SIGTERM), unless the job had finished well.
    if (ENDED_BY_SLURM[st] && code !== 0) return { state: 'error', exitCode: code ?? null, reason: ENDED_BY_SLURM[st]! }
    if (code !== undefined) return { state: 'done', exitCode: code, reason: '' }
    if (FINISHED.has(st)) return slurmExit !== null ? { state: 'done', exitCode: slurmExit, reason: '' } : { state: 'error', exitCode: null, reason: `Slurm ${st} without an exit code` }
    return { state: 'error', exitCode: null, reason: ENDED_BY_SLURM[st]! }
  }
  return { state: 'running', exitCode: null, reason: '' }
}

/** Slurm through its commands: sbatch, squeue --json (openapi v0.0.38 and later), scontrol, scancel. */
export class SlurmExecutor implements Executor {
  readonly name = 'slurm' as const
  constructor(private readonly defaults: ClusterDefaults, private readonly env: Record<string, string | undefined> = process.env) {}

  private tool(argv: string[], timeoutMs = 30_000) {
    return runTool(argv, { env: this.env, timeoutMs })
  }

  resources(r: JobResources = {}): Required<JobResources> {
    return { queue: r.queue ?? this.defaults.queue, timeMinutes: r.timeMinutes ?? this.defaults.timeMinutes, memMb: r.memMb ?? this.defaults.memMb, cpus: r.cpus ?? this.defaults.cpus }
  }

  async submit(req: SubmitRequest): Promise<string> {
    const r = this.resources(req.resources)
    const script = scriptFileOf(req.logPath)
    writeJobScript(script, req.command, req.cwd)
    const argv = ['sbatch', '--parsable', '-J', `nora-${req.name}`.slice(0, 64), '-p', r.queue, '-c', String(r.cpus), '--mem', `${r.memMb}M`, '-o', req.logPath, '-e', req.logPath, '--open-mode=append', '-D', req.cwd]
    if (r.timeMinutes > 0) argv.push('-t', String(r.timeMinutes))
    argv.push(script)
    let out: string
    try {
      out = await this.tool(argv)
    } catch (e) {
      if (e instanceof ToolError && UNREACHABLE.test(e.message)) throw new SchedulerDownError('slurm', e.message.split('\n')[0]!)
      if (e instanceof ToolError && e.code === 127) throw new SchedulerDownError('slurm', `sbatch not found (apt-get install slurm-client): ${e.message}`)
      throw e
    }
    const id = out.trim().split(';')[0]!
    if (!/^\d+$/.test(id)) throw new Error(`sbatch answered "${out.trim()}" instead of a job id`)
    return id
  }

  async poll(jobs: { externalId: string; exitFile: string }[]): Promise<Map<string, ExternalState>> {
    const out = new Map<string, ExternalState>()
    if (jobs.length === 0) return out
    let listed: Map<string, { state: string; reason: string; exit: number | null }>
    try {
      listed = parseSqueueJson(await this.tool(['squeue', '--json'], 20_000))
    } catch (e) {
      throw new SchedulerDownError('slurm', `squeue failed: ${(e as Error).message.split('\n')[0]}`)
    }
    for (const j of jobs) {
      let s = listed.get(j.externalId)
      if (!s) {
        // Gone from squeue: scontrol remembers it for MinJobAge; after that only the exit file tells.
        try {
          const text = await this.tool(['scontrol', '-o', 'show', 'job', j.externalId], 15_000)
          const state = /\bJobState=(\S+)/.exec(text)?.[1]
          const reason = /\bReason=(\S+)/.exec(text)?.[1] ?? ''
          const exit = /\bExitCode=(\d+):/.exec(text)?.[1]
          if (state) s = { state, reason, exit: exit !== undefined ? Number(exit) : null }
        } catch (e) {
          if (!/Invalid job id/i.test((e as Error).message)) throw new SchedulerDownError('slurm', `scontrol failed: ${(e as Error).message.split('\n')[0]}`)
        }
      }
      if (s) out.set(j.externalId, slurmStateOf(s.state, s.reason, j.exitFile, s.exit))
      else {
        const code = readExitCode(j.exitFile)
        out.set(j.externalId, code !== undefined ? { state: 'done', exitCode: code, reason: '' } : { state: 'error', exitCode: null, reason: LOST_BY_SCHEDULER })
      }
    }
    return out
  }

  async cancel(externalId: string): Promise<void> {
    await this.tool(['scancel', externalId])
  }

  async suspend(externalId: string): Promise<void> {
    await this.tool(['scontrol', 'suspend', externalId])
  }

  async resume(externalId: string): Promise<void> {
    await this.tool(['scontrol', 'resume', externalId])
  }

  /** The partitions Slurm knows, with their availability (`sinfo`). */
  async partitions(): Promise<Map<string, string>> {
    const text = await this.tool(['sinfo', '-h', '-o', '%P %a'], 15_000)
    return new Map(text.trim().split('\n').filter(Boolean).map((l) => { const [p, a] = l.trim().split(/\s+/) as [string, string]; return [p.replace(/\*$/, ''), a] }))
  }
}

/** job id -> state, reason, exit code from `squeue --json` (v0.0.38: job_state a string; later: a list). */
export function parseSqueueJson(text: string): Map<string, { state: string; reason: string; exit: number | null }> {
  const doc = JSON.parse(text) as { jobs?: Record<string, unknown>[] }
  const out = new Map<string, { state: string; reason: string; exit: number | null }>()
  for (const j of doc.jobs ?? []) {
    const st = Array.isArray(j.job_state) ? String(j.job_state[0] ?? '') : String(j.job_state ?? '')
    const ex = j.exit_code
    const exit = typeof ex === 'number' ? ex : ex && typeof ex === 'object' && typeof (ex as { return_code?: unknown }).return_code === 'number' ? (ex as { return_code: number }).return_code : null
    out.set(String(j.job_id), { state: st, reason: String(j.state_reason ?? ''), exit })
  }
  return out
}
