import { basename, dirname, join } from 'node:path'
import { arrayIdOf, inTaskRange, recordArrayId, writeArrayInputs } from './array-inputs'
import { LOST_BY_SCHEDULER, readExitCode, UNREACHABLE, runTool, SchedulerDownError, ToolError, writeJobScript, type Executor, type ExternalState, type JobResources, type SubmitRequest } from './executor'

/** Defaults for what a job does not ask for (conf/slurm.conf). */
export interface ClusterDefaults {
  queue: string
  timeMinutes: number
  memMb: number
  cpus: number
  /** At most this many tasks of one array job run at once (sbatch --array=...%N, qsub -tc N); 0: as the scheduler decides. */
  arrayLimit?: number
  /** At most this many tasks in one array job; 0: the cluster's own limit (Slurm MaxArraySize, SGE max_aj_tasks). */
  arrayMax?: number
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
/** `CANCELLED` of `CANCELLED by 0`, `COMPLETING+...`. */
const baseState = (state: string) => state.split(/[ ,+]/)[0]!.toUpperCase()

/** The job script beside the log: `.NAME.log.sh`. */
export const scriptFileOf = (logPath: string) => join(dirname(logPath), `.${basename(logPath)}.sh`)

/** What a job in `slurmState` (with `exitFile` and Slurm's own exit code) means for nora. */
export function slurmStateOf(slurmState: string, reason: string, exitFile: string, slurmExit: number | null): ExternalState {
  const st = baseState(slurmState)
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

/** What squeue or scontrol says of one job or array task. */
interface SlurmJob {
  state: string
  reason: string
  exit: number | null
}

/** Slurm through its commands: sbatch (one job, or an array job), squeue, scontrol, scancel. */
export class SlurmExecutor implements Executor {
  readonly name = 'slurm' as const
  private maxArray: Promise<number> | undefined

  constructor(private readonly defaults: ClusterDefaults, private readonly env: Record<string, string | undefined> = process.env) {}

  private tool(argv: string[], timeoutMs = 30_000) {
    return runTool(argv, { env: this.env, timeoutMs })
  }

  resources(r: JobResources = {}): Required<JobResources> {
    return { queue: r.queue ?? this.defaults.queue, timeMinutes: r.timeMinutes ?? this.defaults.timeMinutes, memMb: r.memMb ?? this.defaults.memMb, cpus: r.cpus ?? this.defaults.cpus }
  }

  /** sbatch's options for `req` (name, partition, cpus, memory, time, account) without output, folder and script. */
  private options(req: SubmitRequest): string[] {
    const r = this.resources(req.resources)
    const argv = ['-J', `nora-${req.name}`.slice(0, 64), '-p', r.queue, '-c', String(r.cpus), '--mem', `${r.memMb}M`]
    if (r.timeMinutes > 0) argv.push('-t', String(r.timeMinutes))
    if (req.runAs) argv.push(`--uid=${req.runAs.uid}`, `--gid=${req.runAs.gid}`)
    return argv
  }

  /** Runs sbatch; returns the job id (an unreachable controller is SchedulerDownError). */
  private async sbatch(argv: string[]): Promise<string> {
    let out: string
    try {
      out = await this.tool(['sbatch', '--parsable', ...argv])
    } catch (e) {
      if (e instanceof ToolError && UNREACHABLE.test(e.message)) throw new SchedulerDownError('slurm', e.message.split('\n')[0]!)
      if (e instanceof ToolError && e.code === 127) throw new SchedulerDownError('slurm', `sbatch not found (apt-get install slurm-client): ${e.message}`)
      throw e
    }
    const id = out.trim().split(';')[0]!
    if (!/^\d+$/.test(id)) throw new Error(`sbatch answered "${out.trim()}" instead of a job id`)
    return id
  }

  async submit(req: SubmitRequest): Promise<string> {
    const script = scriptFileOf(req.logPath)
    writeJobScript(script, req.command, req.cwd)
    return this.sbatch([...this.options(req), '-o', req.logPath, '-e', req.logPath, '--open-mode=append', '-D', req.cwd, script])
  }

  /**
   * One array job (`sbatch --array=0-N[%arrayLimit]`) for jobs of the same resources and account: task i reads its
   * inputs from line i+1 of `dir`/tasks (SLURM_ARRAY_TASK_ID) and writes its own log. Task ids `JOBID_i`.
   */
  async submitArray(reqs: SubmitRequest[], dir: string): Promise<string[]> {
    const script = writeArrayInputs(dir, reqs, { variable: 'SLURM_ARRAY_TASK_ID', first: 0 })
    const limit = this.defaults.arrayLimit ? `%${this.defaults.arrayLimit}` : ''
    const id = await this.sbatch([`--array=0-${reqs.length - 1}${limit}`, ...this.options(reqs[0]!), '-o', '/dev/null', '-e', '/dev/null', '-D', dir, script])
    recordArrayId(dir, id)
    return reqs.map((_, i) => `${id}_${i}`)
  }

  /** MaxArraySize of the cluster (scontrol show config; 1001, Slurm's default, when it cannot be read), or arrayMax when lower. */
  arrayMax(): Promise<number> {
    this.maxArray ??= this.tool(['scontrol', 'show', 'config'], 15_000)
      .then((text) => Number(/^MaxArraySize\s*=\s*(\d+)/m.exec(text)?.[1] ?? 1001))
      .catch(() => 1001)
      .then((cluster) => Math.max(1, this.defaults.arrayMax ? Math.min(this.defaults.arrayMax, cluster) : cluster))
    return this.maxArray
  }

  async poll(jobs: { externalId: string; exitFile: string }[]): Promise<Map<string, ExternalState>> {
    const out = new Map<string, ExternalState>()
    if (jobs.length === 0) return out
    let listed: Map<string, SlurmJob>
    try {
      listed = parseSqueue(await this.tool(['squeue', '-h', '-r', '-t', 'all', '-o', '%i|%T|%r'], 20_000))
    } catch (e) {
      throw new SchedulerDownError('slurm', `squeue failed: ${(e as Error).message.split('\n')[0]}`)
    }
    // Gone from squeue, or ended without an exit file (Slurm's exit code is wanted): scontrol remembers the job for
    // MinJobAge, asked once per array or job; after that only the exit file tells.
    const ask = jobs.filter((j) => {
      const s = listed.get(j.externalId)
      return !s || (FINISHED.has(baseState(s.state)) && readExitCode(j.exitFile) === undefined)
    })
    const known = new Map<string, SlurmRecords>()
    for (const key of new Set(ask.map((j) => arrayIdOf(j.externalId) ?? j.externalId))) {
      try {
        known.set(key, parseScontrol(await this.tool(['scontrol', '-o', 'show', 'job', key], 15_000)))
      } catch (e) {
        if (!/Invalid job id|not found/i.test((e as Error).message)) throw new SchedulerDownError('slurm', `scontrol failed: ${(e as Error).message.split('\n')[0]}`)
      }
    }
    for (const j of ask) {
      const s = known.get(arrayIdOf(j.externalId) ?? j.externalId)?.find(j.externalId)
      if (s) listed.set(j.externalId, s)
    }
    for (const j of jobs) {
      const s = listed.get(j.externalId)
      if (s) out.set(j.externalId, slurmStateOf(s.state, s.reason, j.exitFile, s.exit))
      else {
        const code = readExitCode(j.exitFile)
        out.set(j.externalId, code !== undefined ? { state: 'done', exitCode: code, reason: '' } : { state: 'error', exitCode: null, reason: LOST_BY_SCHEDULER })
      }
    }
    return out
  }

  /** Cancels a job or one task of an array (`JOBID_i`). */
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

/** Job id (`123`, or `123_4` for task 4 of array 123) -> state and reason, from `squeue -h -r -t all -o '%i|%T|%r'`. */
export function parseSqueue(text: string): Map<string, SlurmJob> {
  const out = new Map<string, SlurmJob>()
  for (const line of text.split('\n')) {
    const [id, state, reason] = line.trim().split('|')
    if (id && state) out.set(id, { state, reason: reason ?? '', exit: null })
  }
  return out
}

/** What `scontrol -o show job ID` says: one line per job or array task; pending tasks of an array as one line with their range. */
export interface SlurmRecords {
  find(externalId: string): SlurmJob | undefined
}

export function parseScontrol(text: string): SlurmRecords {
  const single = new Map<string, SlurmJob>()
  const ranges: { array: string; tasks: string; job: SlurmJob }[] = []
  for (const line of text.split('\n')) {
    const field = (k: string) => new RegExp(`\\b${k}=(\\S+)`).exec(line)?.[1]
    const state = field('JobState')
    if (!state) continue
    const exit = /\bExitCode=(\d+):/.exec(line)?.[1]
    const job: SlurmJob = { state, reason: field('Reason') ?? '', exit: exit !== undefined ? Number(exit) : null }
    const array = field('ArrayJobId')
    const task = field('ArrayTaskId')
    if (array && task && /^\d+$/.test(task)) single.set(`${array}_${task}`, job)
    else if (array && task) ranges.push({ array, tasks: task, job })
    else single.set(field('JobId') ?? '', job)
  }
  return {
    find(externalId) {
      const hit = single.get(externalId)
      if (hit) return hit
      const m = /^(\d+)_(\d+)$/.exec(externalId)
      return m ? ranges.find((r) => r.array === m[1] && inTaskRange(r.tasks, Number(m[2])))?.job : undefined
    },
  }
}
