import { inTaskRange, recordArrayId, writeArrayInputs } from './array-inputs'
import { LOST_BY_SCHEDULER, readExitCode, UNREACHABLE, runTool, SchedulerDownError, ToolError, writeJobScript, type Executor, type ExternalState, type SubmitRequest } from './executor'
import { scriptFileOf, type ClusterDefaults } from './slurm-executor'

/**
 * (Son of) Sun Grid Engine through qsub, qstat -xml, qdel, qmod. A finished job leaves qstat at once: its exit
 * code comes from the job's own exit file (accounting, qacct, is not needed).
 */
export class SgeExecutor implements Executor {
  readonly name = 'sge' as const
  private maxArray: Promise<number> | undefined

  constructor(private readonly defaults: ClusterDefaults, private readonly env: Record<string, string | undefined> = process.env) {}

  private tool(argv: string[], timeoutMs = 30_000) {
    return runTool(argv, { env: this.env, timeoutMs })
  }

  /** qsub's options for `req` (name, queue, time) and how the script is started. */
  private options(req: SubmitRequest): string[] {
    const queue = req.resources.queue ?? this.defaults.queue
    const minutes = req.resources.timeMinutes ?? this.defaults.timeMinutes
    // `-b y -shell n`: execd starts `/bin/bash SCRIPT` itself. A spooled script (`qsub -S /bin/bash SCRIPT`) runs
    // under a *login* shell whenever bash is in the cell's login_shells (the default), so the submitting user's
    // profile runs first: its output lands in the job's log (-j y) and its side effects can stall the job (e.g.
    // `pyenv init` waiting 60 s on the rehash lock a killed job left behind). The script sets everything it needs.
    const argv = ['-N', `nora-${req.name}`.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64), '-q', queue, '-j', 'y', '-b', 'y', '-shell', 'n']
    if (minutes > 0) argv.push('-l', `h_rt=${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}:00`)
    return argv
  }

  /** Runs qsub -terse; returns the job number (an unreachable qmaster is SchedulerDownError). */
  private async qsub(argv: string[]): Promise<string> {
    let out: string
    try {
      out = await this.tool(['qsub', '-terse', ...argv])
    } catch (e) {
      if (e instanceof ToolError && UNREACHABLE.test(e.message)) throw new SchedulerDownError('sge', e.message.split('\n')[0]!)
      if (e instanceof ToolError && e.code === 127) throw new SchedulerDownError('sge', `qsub not found (apt-get install gridengine-client): ${e.message}`)
      throw e
    }
    const id = /^(\d+)/.exec(out.trim())?.[1]
    if (!id) throw new Error(`qsub answered "${out.trim()}" instead of a job id`)
    return id
  }

  async submit(req: SubmitRequest): Promise<string> {
    const script = scriptFileOf(req.logPath)
    writeJobScript(script, req.command, req.cwd)
    return this.qsub([...this.options(req), '-o', req.logPath, '-wd', req.cwd, '/bin/bash', script])
  }

  /**
   * One array job (`qsub -t 1-N [-tc arrayLimit]`) for jobs of the same resources: task i reads its inputs from line
   * i of `dir`/tasks (SGE_TASK_ID) and writes its own log. Task ids `JOBID.i`.
   */
  async submitArray(reqs: SubmitRequest[], dir: string): Promise<string[]> {
    const script = writeArrayInputs(dir, reqs, { variable: 'SGE_TASK_ID', first: 1 })
    const limit = this.defaults.arrayLimit ? ['-tc', String(this.defaults.arrayLimit)] : []
    const id = await this.qsub(['-t', `1-${reqs.length}`, ...limit, ...this.options(reqs[0]!), '-o', '/dev/null', '-wd', dir, '/bin/bash', script])
    recordArrayId(dir, id)
    return reqs.map((_, i) => `${id}.${i + 1}`)
  }

  /** max_aj_tasks of the cell (qconf -sconf; 75000, the default, when it cannot be read), or arrayMax when lower. */
  arrayMax(): Promise<number> {
    this.maxArray ??= this.tool(['qconf', '-sconf'], 15_000)
      .then((text) => Number(/^max_aj_tasks\s+(\d+)/m.exec(text)?.[1] ?? 75000) || 75000)
      .catch(() => 75000)
      .then((cell) => Math.max(1, this.defaults.arrayMax ? Math.min(this.defaults.arrayMax, cell) : cell))
    return this.maxArray
  }

  async poll(jobs: { externalId: string; exitFile: string }[]): Promise<Map<string, ExternalState>> {
    const out = new Map<string, ExternalState>()
    if (jobs.length === 0) return out
    let listed: Map<string, string>
    try {
      listed = parseQstatXml(await this.tool(['qstat', '-u', '*', '-xml'], 20_000))
    } catch (e) {
      throw new SchedulerDownError('sge', `qstat failed: ${(e as Error).message.split('\n')[0]}`)
    }
    const stateOf = taskStates(listed)
    for (const j of jobs) {
      const st = stateOf(j.externalId)
      const code = readExitCode(j.exitFile)
      if (st === undefined) out.set(j.externalId, code !== undefined ? { state: 'done', exitCode: code, reason: '' } : { state: 'error', exitCode: null, reason: LOST_BY_SCHEDULER })
      else if (st.includes('E')) out.set(j.externalId, { state: 'error', exitCode: null, reason: `SGE error state (${st}); qstat -j ${j.externalId.split('.')[0]} says why` })
      else if (/[sST]/.test(st) && st.includes('r')) out.set(j.externalId, { state: 'running', exitCode: null, reason: 'suspended', suspended: true })
      else if (/[rtd]/.test(st)) out.set(j.externalId, { state: 'running', exitCode: null, reason: '' })
      else out.set(j.externalId, { state: 'queued', exitCode: null, reason: '' })
    }
    return out
  }

  /** Deletes a job, or one task of an array (`JOBID.i`: qdel JOBID -t i). */
  async cancel(externalId: string): Promise<void> {
    const [job, task] = externalId.split('.')
    await this.tool(task ? ['qdel', job!, '-t', task] : ['qdel', externalId])
  }

  async suspend(externalId: string): Promise<void> {
    await this.tool(['qmod', '-sj', externalId])
  }

  async resume(externalId: string): Promise<void> {
    await this.tool(['qmod', '-usj', externalId])
  }
}

/**
 * Job -> state letters (qw, r, t, s, Eqw, dr...) from `qstat -xml`: `JOBID` for a job, `JOBID.i` for task i of an
 * array, `JOBID.2-9:1` for the pending tasks of an array (listed as one).
 */
export function parseQstatXml(xml: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const m of xml.matchAll(/<job_list\b[^>]*>([\s\S]*?)<\/job_list>/g)) {
    const id = /<JB_job_number>(\d+)<\/JB_job_number>/.exec(m[1]!)?.[1]
    const state = /<state>([^<]*)<\/state>/.exec(m[1]!)?.[1]
    const tasks = /<tasks>([^<]*)<\/tasks>/.exec(m[1]!)?.[1]
    if (id && state !== undefined) out.set(tasks ? `${id}.${tasks}` : id, state)
  }
  return out
}

/** The state of a job or array task (`JOBID.i`, also when qstat lists it among its array's pending tasks). */
function taskStates(listed: Map<string, string>): (externalId: string) => string | undefined {
  const ranges = [...listed].flatMap(([key, state]) => {
    const m = /^(\d+)\.(.*[-,].*)$/.exec(key)
    return m ? [{ job: m[1]!, tasks: m[2]!, state }] : []
  })
  return (externalId) => {
    const hit = listed.get(externalId)
    if (hit !== undefined) return hit
    const m = /^(\d+)\.(\d+)$/.exec(externalId)
    return m ? ranges.find((r) => r.job === m[1] && inTaskRange(r.tasks, Number(m[2])))?.state : undefined
  }
}
