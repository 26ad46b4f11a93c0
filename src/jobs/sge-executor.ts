import { LOST_BY_SCHEDULER, readExitCode, UNREACHABLE, runTool, SchedulerDownError, ToolError, writeJobScript, type Executor, type ExternalState, type SubmitRequest } from './executor'
import { scriptFileOf, type ClusterDefaults } from './slurm-executor'

/**
 * (Son of) Sun Grid Engine through qsub, qstat -xml, qdel, qmod. A finished job leaves qstat at once: its exit
 * code comes from the job's own exit file (accounting, qacct, is not needed).
 */
export class SgeExecutor implements Executor {
  readonly name = 'sge' as const
  constructor(private readonly defaults: ClusterDefaults, private readonly env: Record<string, string | undefined> = process.env) {}

  private tool(argv: string[], timeoutMs = 30_000) {
    return runTool(argv, { env: this.env, timeoutMs })
  }

  async submit(req: SubmitRequest): Promise<string> {
    const queue = req.resources.queue ?? this.defaults.queue
    const minutes = req.resources.timeMinutes ?? this.defaults.timeMinutes
    const script = scriptFileOf(req.logPath)
    writeJobScript(script, req.command, req.cwd)
    // `-b y -shell n`: execd starts `/bin/bash SCRIPT` itself. A spooled script (`qsub -S /bin/bash SCRIPT`) runs
    // under a *login* shell whenever bash is in the cell's login_shells (the default), so the submitting user's
    // profile runs first: its output lands in the job's log (-j y) and its side effects can stall the job (e.g.
    // `pyenv init` waiting 60 s on the rehash lock a killed job left behind). The script sets everything it needs.
    const argv = ['qsub', '-terse', '-N', `nora-${req.name}`.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64), '-q', queue, '-o', req.logPath, '-j', 'y', '-wd', req.cwd, '-b', 'y', '-shell', 'n']
    if (minutes > 0) argv.push('-l', `h_rt=${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}:00`)
    argv.push('/bin/bash', script)
    let out: string
    try {
      out = await this.tool(argv)
    } catch (e) {
      if (e instanceof ToolError && UNREACHABLE.test(e.message)) throw new SchedulerDownError('sge', e.message.split('\n')[0]!)
      if (e instanceof ToolError && e.code === 127) throw new SchedulerDownError('sge', `qsub not found (apt-get install gridengine-client): ${e.message}`)
      throw e
    }
    const id = /^(\d+)/.exec(out.trim())?.[1]
    if (!id) throw new Error(`qsub answered "${out.trim()}" instead of a job id`)
    return id
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
    for (const j of jobs) {
      const st = listed.get(j.externalId)
      const code = readExitCode(j.exitFile)
      if (st === undefined) out.set(j.externalId, code !== undefined ? { state: 'done', exitCode: code, reason: '' } : { state: 'error', exitCode: null, reason: LOST_BY_SCHEDULER })
      else if (st.includes('E')) out.set(j.externalId, { state: 'error', exitCode: null, reason: `SGE error state (${st}); qstat -j ${j.externalId} says why` })
      else if (/[sST]/.test(st) && st.includes('r')) out.set(j.externalId, { state: 'running', exitCode: null, reason: 'suspended', suspended: true })
      else if (/[rtd]/.test(st)) out.set(j.externalId, { state: 'running', exitCode: null, reason: '' })
      else out.set(j.externalId, { state: 'queued', exitCode: null, reason: '' })
    }
    return out
  }

  async cancel(externalId: string): Promise<void> {
    await this.tool(['qdel', externalId])
  }

  async suspend(externalId: string): Promise<void> {
    await this.tool(['qmod', '-sj', externalId])
  }

  async resume(externalId: string): Promise<void> {
    await this.tool(['qmod', '-usj', externalId])
  }
}

/** job number -> state letters (qw, r, t, s, Eqw, dr...) from `qstat -xml`. */
export function parseQstatXml(xml: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const m of xml.matchAll(/<job_list\b[^>]*>([\s\S]*?)<\/job_list>/g)) {
    const id = /<JB_job_number>(\d+)<\/JB_job_number>/.exec(m[1]!)?.[1]
    const state = /<state>([^<]*)<\/state>/.exec(m[1]!)?.[1]
    if (id && state !== undefined) out.set(id, state)
  }
  return out
}
