import { existsSync, mkdirSync, statSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import type { ArchiveService } from '../archive/archive-service'
import type { StudiesService } from '../archive/filter/studies-service'
import type { Rights } from '../auth/rights'
import { isAlive } from '../core/process-alive'
import { ForbiddenError, NotFoundError, UsageError } from '../core/errors'
import type { User } from '../core/types'
import type { Db } from '../store/db'
import type { Repos } from '../store/repos'
import type { GridjobRecord, JobState, JobsRepo, RunRecord } from '../store/repos/jobs-repo'
import { buildCommand, MATLAB_NOT_CONFIGURED } from './job-command'
import { importIdOf, parseBatch, type BatchSpec, type JobSpec } from './job-spec'
import { killProcessGroup, LocalExecutor, readExitFile, RUNNER_ID, runnerAlive, waitAdopted, WorkerPool, type JobExit } from './local-executor'
import { SchedulerDownError, type Executor, type ExternalState, type JobResources, type SubmitRequest } from './executor'
import { Reconciler, type SchedulerStatus } from './reconciler'
import { jobsArchive, JobInputError, outputFolders, resolveJob, type ArchiveForJobs, type ResolvedJob } from './resolve-args'

export interface JobsDeps {
  db: Db
  jobs: JobsRepo
  repos: Pick<Repos, 'subjects' | 'users' | 'projects'>
  rights: Rights
  archive: ArchiveService
  studies: Pick<StudiesService, 'all'>
  /** NORA_HOME, given to jobs so that `nora` inside them finds this installation. */
  home: string
  /** config.main.jobs.localWorkers: how many jobs run at once in this process. */
  localWorkers: number
  /** The folder with the `nora` executable (default: the running binary's folder when it is nora). */
  noraDir?: string
  /** Where jobs run (default: a LocalExecutor in this process). */
  executor?: Executor
  /** Cluster executors: resources of a job that does not say (conf/slurm.conf defaults, per project). */
  resourcesFor?: (project: string, job: JobSpec) => JobResources
  /** Cluster executors: how often the scheduler is polled. */
  pollMs?: number
  /** Where the reconciler reports (scheduler down, back). */
  log?: (line: string) => void
  /** config.main.jobs.matlab: the matlab executable; unset or empty: MATLAB jobs are refused at launch. */
  matlab?: string
}

export interface RunSummary {
  psid: string
  state: JobState
  reason: string
}

export interface BatchSummary {
  batchId: number
  runs: RunSummary[]
  done: number
  errors: number
}

export interface BatchProgress {
  total: number
  done: number
  errors: number
  running: number
}

interface JobRow {
  id: number
  position: number
  job: JobSpec
}

const FINISHED: JobState[] = ['done', 'error', 'skipped']
const LOST_DOWN = 'lost: the process ended while nora was down'
const LOST_NOT_STARTED = 'lost: nora ended before the job started'

/** The running binary's folder when it is the compiled nora (so `nora` is on a job's PATH). */
export function defaultNoraDir(): string | undefined {
  return basename(process.execPath) === 'nora' ? dirname(process.execPath) : undefined
}

/**
 * Batches: launch one run per selected study (or subject, at subject level), run the jobs of a run one after the other (a job starts only after
 * the previous one succeeded) and the runs side by side, at most `localWorkers` processes at once.
 */
export class JobsService {
  private readonly pool: WorkerPool
  /** Gridjob id -> pid of the jobs this process started. */
  private readonly children = new Map<number, { pid: number; batchId: number }>()
  readonly executor: Executor
  private readonly local: LocalExecutor | undefined
  private readonly reconciler: Reconciler | undefined
  /** Cluster executors: submissions at once (sbatch/qsub calls in flight). */
  private readonly submitPool = new WorkerPool(8)
  /** Cluster executors: gridjob id -> batch id of the jobs this process waits for. */
  private readonly clusterJobs = new Map<number, { externalId: string; batchId: number }>()
  private downAtRecover = ''
  /** The archive as argument resolution needs it (with each subject's studies, for study references). */
  private readonly forJobs: ArchiveForJobs

  constructor(private readonly d: JobsDeps) {
    this.forJobs = jobsArchive(d.archive, d.repos.subjects)
    this.pool = new WorkerPool(Math.max(1, d.localWorkers))
    this.executor = d.executor ?? new LocalExecutor()
    this.local = this.executor instanceof LocalExecutor ? this.executor : undefined
    if (!this.local) this.reconciler = new Reconciler(this.executor, d.jobs, d.pollMs ?? 2000, d.log ?? ((l) => console.error(l)))
  }

  /** The scheduler as the last poll found it (local: always up). */
  schedulerStatus(): SchedulerStatus {
    return this.reconciler?.status ?? { executor: 'local', down: this.downAtRecover, since: null, lastPoll: null }
  }

  /**
   * What a batch runs on: `PID#SID` per study (study level) or `PID` per subject (subject level), from the given
   * studies (at subject level: their subjects; `PID` alone works too), subjects, or the file filter bar's selection.
   */
  async targetsOf(actor: User, projectName: string, spec: BatchSpec, opts: { studies?: string[]; subjects?: string[]; filter?: string } = {}): Promise<string[]> {
    const filter = opts.filter ?? spec.filter
    const selected = async (pick: (r: { patients_id: string; studies_id: string | null }) => string | undefined) => {
      const out: string[] = []
      for await (const rows of this.d.studies.all(actor, projectName, { file: filter! })) for (const r of rows) {
        const t = pick(r)
        if (t) out.push(t)
      }
      return out
    }
    if (spec.level === 'subject') {
      const studies = opts.studies ?? spec.studies
      let pids = opts.subjects ?? spec.subjects ?? studies?.map((p) => p.split('#')[0]!)
      if (!pids && filter !== undefined) pids = await selected((r) => r.patients_id || undefined)
      if (!pids) throw new UsageError('say which subjects: "subjects": ["PID", ...], "studies": ["PID#SID", ...] (their subjects) or "filter": "..." in the batch, or --select-studies "FILTER"')
      return [...new Set(pids)]
    }
    let psids = opts.studies ?? spec.studies
    if (!psids && filter !== undefined) psids = await selected((r) => (r.studies_id ? `${r.patients_id}#${r.studies_id}` : undefined))
    if (!psids) throw new UsageError('say which studies: "studies": ["PID#SID", ...] or "filter": "..." in the batch, or --select-studies "FILTER"')
    return psids
  }

  /** Checks the batch and creates the batch, its runs (one per study or per subject) and their commands (all queued). */
  async launch(actor: User, projectName: string, input: unknown, opts: { studies?: string[]; subjects?: string[]; filter?: string } = {}): Promise<{ batchId: number; spec: BatchSpec; runs: RunRecord[] }> {
    const spec = parseBatch(input)
    if (spec.jobs.some((j) => j.type === 'matlab') && !this.d.matlab) throw new UsageError(MATLAB_NOT_CONFIGURED)
    const project = await this.d.archive.open(actor, projectName, 'write')
    const psids = await this.targetsOf(actor, projectName, spec, opts)
    if (psids.length === 0) throw new UsageError(`the selection is empty: no ${spec.level} to run the batch on`)
    const targets: { psid: string; subjectId: number; studyId: number | null }[] = []
    const unknown: string[] = []
    for (const psid of psids) {
      const [pid, sid] = psid.split('#') as [string, string | undefined]
      const subject = await this.d.repos.subjects.subject(project.id, pid)
      if (spec.level === 'subject') {
        if (!subject) unknown.push(psid)
        else targets.push({ psid: pid, subjectId: subject.id, studyId: null })
        continue
      }
      const study = subject && sid ? await this.d.repos.subjects.study(subject.id, sid) : undefined
      if (!subject || !study) unknown.push(psid)
      else targets.push({ psid, subjectId: subject.id, studyId: study.id })
    }
    if (unknown.length) throw new NotFoundError(`no ${spec.level} ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ` (and ${unknown.length - 5} more)` : ''} in project "${project.name}"`)
    const userId = actor.id > 0 ? actor.id : null
    const batchId = await this.d.db.transaction(async (tx) => {
      const jobs = this.d.jobs.withDb(tx)
      const id = await jobs.createBatch(project.id, userId, spec.level, JSON.stringify(spec), spec.name)
      for (const t of targets) {
        const runId = await jobs.createRun(id, project.id, t.subjectId, t.studyId, t.psid)
        for (const [i, job] of spec.jobs.entries())
          await jobs.createCommand({ projectId: project.id, userId, subjectId: t.subjectId, studyId: t.studyId, batchId: id, runId, position: i, job: JSON.stringify(job) })
      }
      return id
    })
    return { batchId, spec, runs: await this.d.jobs.runs(batchId) }
  }

  /** A job's arguments as a run of `psid` (PID#SID, or PID at subject level) gets them (the batch preview). */
  resolve(actor: User, project: string, psid: string, job: JobSpec): Promise<ResolvedJob> {
    return resolveJob(this.forJobs, actor, project, psid, job)
  }

  /** Runs a launched batch in this process until every run has ended. */
  async run(actor: User, batchId: number, onProgress: (p: BatchProgress) => void = () => {}, opts: { stopOnError?: boolean } = {}): Promise<BatchSummary> {
    const project = await this.projectOfBatch(batchId)
    await this.d.jobs.setBatchState(batchId, 'running', RUNNER_ID)
    const runs = await this.d.jobs.runs(batchId)
    const stop: { reason?: string } = {}
    const progress: BatchProgress = { total: runs.length, done: 0, errors: 0, running: 0 }
    const report = () => onProgress({ ...progress })
    report()
    await Promise.all(
      runs.map(async (run) => {
        const jobs = await this.commandsOf(run.id)
        const state = await this.runChain(actor, project, run, jobs, 0, () => {
          progress.running++
          report()
        }, undefined, stop)
        if (state === 'done') progress.done++
        else {
          progress.errors++
          if (opts.stopOnError && !stop.reason) {
            stop.reason = `batch stopped: run ${run.psid} failed (--throwerror)`
            for (const [id, c] of this.children) if (c.batchId === batchId) void this.stopJob(id, c.pid, stop.reason)
            for (const [id, c] of this.clusterJobs) if (c.batchId === batchId) void this.stopClusterJob(id, c.externalId, stop.reason)
          }
        }
        if (state !== 'queued') progress.running = Math.max(0, progress.running - 1)
        report()
      }),
    )
    return this.finishBatch(batchId)
  }

  /** The batch's final state from its runs. */
  private async finishBatch(batchId: number): Promise<BatchSummary> {
    const runs = await this.d.jobs.runs(batchId)
    const errors = runs.filter((r) => r.state === 'error').length
    const open = runs.some((r) => !FINISHED.includes(r.state))
    if (!open) await this.d.jobs.setBatchState(batchId, errors ? 'error' : 'done')
    return { batchId, runs: runs.map((r) => ({ psid: r.psid, state: r.state, reason: r.reason })), done: runs.filter((r) => r.state === 'done').length, errors }
  }

  private async projectOfBatch(batchId: number): Promise<string> {
    const row = await this.d.db.get<{ name: string }>('SELECT p.name FROM batches b JOIN projects p ON p.id = b.project_id WHERE b.id = ?', [batchId])
    if (!row) throw new NotFoundError(`no batch ${batchId}`)
    return row.name
  }

  private async commandsOf(runId: number): Promise<JobRow[]> {
    const rows = await this.d.db.all<{ id: number; position: number; job: string }>('SELECT id, position, job FROM commands WHERE run_id = ? ORDER BY position', [runId])
    return rows.map((r) => ({ id: Number(r.id), position: Number(r.position), job: JSON.parse(r.job) as JobSpec }))
  }

  /** Runs the jobs of one run from `start` on, one after the other; returns the run's final state. */
  private async runChain(actor: User, project: string, run: RunRecord, jobs: JobRow[], start: number, onStart: () => void, first?: Promise<string | null>, stop: { reason?: string } = {}): Promise<JobState> {
    let started = false
    for (let i = start; i < jobs.length; i++) {
      const row = jobs[i]!
      const failure = i === start && first ? await first : stop.reason ? stop.reason : await this.runJob(actor, project, run, row, () => {
        if (!started) {
          started = true
          onStart()
          void this.d.jobs.setRunState(run.id, 'running')
        }
      })
      if (failure !== null) {
        await this.d.jobs.setRunState(run.id, 'error', `job ${row.position + 1} (${row.job.name}): ${failure}`)
        await this.d.jobs.cancelQueuedCommands(run.id, 'skipped')
        return 'error'
      }
    }
    await this.d.jobs.setRunState(run.id, 'done')
    return 'done'
  }

  /** Runs one job of a run; null when it succeeded, else why it failed. */
  private async runJob(actor: User, project: string, run: RunRecord, row: JobRow, onStart: () => void): Promise<string | null> {
    let resolved: ResolvedJob
    let logPath: string
    try {
      resolved = await resolveJob(this.forJobs, actor, project, run.psid, row.job)
      logPath = await this.d.archive.outputPath(actor, project, `log/batch${run.batchId}_job${row.position + 1}_${row.job.name.replace(/[^A-Za-z0-9_.-]/g, '_')}_${row.id}.log`, resolved.home)
      for (const dir of [...outputFolders(resolved), dirname(logPath)]) mkdirSync(dir, { recursive: true })
    } catch (e) {
      const reason = e instanceof JobInputError ? e.message : `cannot prepare the job: ${(e as Error).message}`
      await this.d.jobs.setCommandState(row.id, 'error')
      const g = await this.d.jobs.createGridjob(row.id, run.projectId, 'local', RUNNER_ID, '')
      await this.d.jobs.gridjobFinished(g, 'error', null, reason)
      return reason
    }
    if (!this.local) return this.runClusterJob(actor, project, run, row, resolved, logPath, onStart)
    const gridjobId = await this.d.jobs.createGridjob(row.id, run.projectId, 'local', RUNNER_ID, logPath)
    const release = await this.pool.acquire()
    try {
      const current = await this.d.jobs.gridjob(gridjobId)
      if (current?.state !== 'queued') {
        await this.d.jobs.setCommandState(row.id, 'error')
        return current?.reason || 'killed before it started'
      }
      const exitFile = exitFileOf(logPath)
      const cmd = buildCommand(row.job, resolved, { project, psid: run.psid, user: actor.username, home: this.d.home, noraDir: this.d.noraDir ?? defaultNoraDir(), exitFile, matlab: this.d.matlab })
      const studyDir = dirname(dirname(logPath))
      const externalId = await this.local.submit({ command: cmd, logPath, cwd: studyDir, exitFile, resources: {}, name: row.job.name })
      const pid = Number(externalId)
      const exited = this.local.exited(externalId)!
      this.children.set(gridjobId, { pid, batchId: run.batchId })
      await this.d.jobs.gridjobStarted(gridjobId, String(pid))
      await this.d.jobs.setCommandState(row.id, 'running')
      onStart()
      const exit = await exited
      this.children.delete(gridjobId)
      return await this.finishJob(actor, project, gridjobId, row.id, resolved, exit)
    } finally {
      release()
    }
  }

  /** One job on Slurm/SGE: submitted, then its end as the reconciler reports it. */
  private async runClusterJob(actor: User, project: string, run: RunRecord, row: JobRow, resolved: ResolvedJob, logPath: string, onStart: () => void): Promise<string | null> {
    const gridjobId = await this.d.jobs.createGridjob(row.id, run.projectId, this.executor.name, RUNNER_ID, logPath)
    const exitFile = exitFileOf(logPath)
    let externalId: string
    const release = await this.submitPool.acquire()
    try {
      const current = await this.d.jobs.gridjob(gridjobId)
      if (current?.state !== 'queued') {
        await this.d.jobs.setCommandState(row.id, 'error')
        return current?.reason || 'killed before it started'
      }
      const cmd = buildCommand(row.job, resolved, { project, psid: run.psid, user: actor.username, home: this.d.home, noraDir: this.d.noraDir ?? defaultNoraDir(), exitFile, matlab: this.d.matlab })
      const resources = { ...this.d.resourcesFor?.(project, row.job), ...definedOf(row.job.resources ?? {}) }
      try {
        externalId = await this.submitWhenUp({ command: cmd, logPath, cwd: dirname(dirname(logPath)), exitFile, resources, name: row.job.name }, gridjobId)
      } catch (e) {
        if (e instanceof KilledMeanwhile) {
          await this.d.jobs.setCommandState(row.id, 'error')
          return e.message
        }
        const reason = `not submitted to ${this.executor.name}: ${(e as Error).message}`
        await this.d.jobs.gridjobFinished(gridjobId, 'error', null, reason)
        await this.d.jobs.setCommandState(row.id, 'error')
        return reason
      }
      await this.d.jobs.setGridjobExternalId(gridjobId, externalId)
    } finally {
      release()
    }
    this.clusterJobs.set(gridjobId, { externalId, batchId: run.batchId })
    const end = await this.reconciler!.watch({ gridjobId, commandId: row.id, externalId, exitFile, onRunning: onStart })
    this.clusterJobs.delete(gridjobId)
    return this.finishJob(actor, project, gridjobId, row.id, resolved, exitOf(end))
  }

  /**
   * Submits; while the scheduler cannot be reached the job stays queued in the table and the submission is retried
   * (status "scheduler down"), unless the job is killed meanwhile. A job the scheduler refuses fails at once.
   */
  private async submitWhenUp(req: SubmitRequest, gridjobId: number): Promise<string> {
    for (let wait = 500; ; wait = Math.min(wait * 2, 10_000)) {
      try {
        const id = await this.executor.submit(req)
        if (this.reconciler!.status.down.startsWith('scheduler down') && this.reconciler!.watching === 0) this.reconciler!.status.down = ''
        return id
      } catch (e) {
        if (!(e instanceof SchedulerDownError) || /not found/.test(e.message)) throw e
        if (!this.reconciler!.status.down) {
          this.reconciler!.status.since = Date.now()
          this.d.log?.(`${e.message}; job submissions wait until it answers`)
        }
        this.reconciler!.status.down = e.message
      }
      await Bun.sleep(wait)
      const g = await this.d.jobs.gridjob(gridjobId)
      if (g?.state !== 'queued') throw new KilledMeanwhile(g?.reason || 'killed before it started')
    }
  }

  /** The scheduler's state for `nora jobs`: '' when it answers (or nothing runs there), else what failed. */
  async schedulerCheck(): Promise<string> {
    if (this.local) return ''
    const active = (await this.d.jobs.gridjobs({ states: ['queued', 'running'], executor: this.executor.name, limit: 1000 })).filter((g) => g.externalId)
    if (active.length === 0) return ''
    try {
      await this.executor.poll(active.map((g) => ({ externalId: g.externalId, exitFile: exitFileOf(g.logPath) })))
      return ''
    } catch (e) {
      if (e instanceof SchedulerDownError) return e.message
      throw e
    }
  }

  /** Records how a job ended: exit code, declared outputs present, outputs registered and tagged. */
  private async finishJob(actor: User, project: string, gridjobId: number, commandId: number, resolved: ResolvedJob, exit: (JobExit & { reason?: string }) | undefined): Promise<string | null> {
    const fail = async (reason: string, code: number | null) => {
      const g = await this.d.jobs.gridjob(gridjobId)
      const why = g?.state === 'error' && g.reason ? g.reason : reason
      await this.d.jobs.gridjobFinished(gridjobId, 'error', code, why)
      await this.d.jobs.setCommandState(commandId, 'error')
      return why
    }
    if (!exit) return fail(LOST_DOWN, null)
    if (exit.reason) return fail(exit.reason, exit.code)
    if (exit.code !== 0) return fail(exit.signal ? `ended by signal ${exit.signal}` : `exit code ${exit.code}`, exit.code)
    const missing = resolved.outs.filter((o) => !existsSync(o.path) || !statSync(o.path).isFile())
    if (missing.length) return fail(`output missing: ${missing.map((m) => m.path).join(', ')}`, 0)
    try {
      for (const o of resolved.outs) await this.d.archive.addFiles(actor, project, [o.path], o.tags)
    } catch (e) {
      return fail(`outputs not registered: ${(e as Error).message}`, 0)
    }
    await this.d.jobs.gridjobFinished(gridjobId, 'done', 0, null)
    await this.d.jobs.setCommandState(commandId, 'done')
    return null
  }

  /**
   * After a restart: jobs whose owning nora is gone are re-adopted when their process still runs (`adopt`: this
   * process waits for them and goes on with their runs), else marked as lost. Returns what it did.
   */
  async recover(opts: { adopt?: boolean } = {}): Promise<{ lost: number; adopted: Promise<unknown>[]; schedulerDown?: string }> {
    let lost = 0
    const adopted: Promise<unknown>[] = []
    let schedulerDown: string | undefined
    const touchedRuns = new Set<number>()
    if (!this.local) {
      const r = await this.recoverCluster(opts)
      lost += r.lost
      adopted.push(...r.adopted)
      schedulerDown = r.schedulerDown
      for (const id of r.touched) touchedRuns.add(id)
      // `nora serve` adopts at start: if the scheduler was down then, it tries again until it answers.
      if (opts.adopt && schedulerDown) setTimeout(() => void this.recover(opts).catch((e) => this.d.log?.(`recover: ${(e as Error).message}`)), 15_000).unref()
    }
    const active = await this.d.jobs.gridjobs({ states: ['queued', 'running'], executor: 'local', limit: 100_000 })
    for (const g of active) {
      if (g.runner === RUNNER_ID || runnerAlive(g.runner)) continue
      const pid = Number(g.externalId)
      const run = g.runId !== null ? (await this.d.jobs.runs(g.batchId!)).find((r) => r.id === g.runId) : undefined
      if (run) touchedRuns.add(run.id)
      if (g.state === 'running' && pid > 0 && isAlive(pid)) {
        // Still running: adopt it (wait for it, then go on with its run), or leave it to a nora that adopts.
        if (opts.adopt && run) {
          await this.d.jobs.setGridjobRunner(g.id, RUNNER_ID)
          await this.d.jobs.setBatchState(run.batchId, 'running', RUNNER_ID)
          adopted.push(this.adopt(g, run, pid))
        }
        continue
      }
      // The process is gone: if it wrote its exit code, the job's outcome is known after all.
      const exit = g.state === 'running' ? readExitFile(exitFileOf(g.logPath)) : undefined
      const actor = await this.actorOf(g)
      const job = JSON.parse(g.job) as JobSpec
      let failure: string | null
      if (exit && run && actor) {
        const resolved = await resolveJob(this.forJobs, actor, g.project, run.psid, job).catch(() => undefined)
        failure = resolved ? await this.finishJob(actor, g.project, g.id, g.commandId, resolved, exit) : LOST_DOWN
      } else {
        failure = g.state === 'running' ? LOST_DOWN : LOST_NOT_STARTED
        await this.d.jobs.gridjobFinished(g.id, 'error', null, failure)
        await this.d.jobs.setCommandState(g.commandId, 'error')
      }
      if (failure !== null) lost++
      if (run) {
        if (failure !== null) {
          await this.d.jobs.setRunState(run.id, 'error', `job ${g.position + 1} (${job.name}): ${failure}`)
          await this.d.jobs.cancelQueuedCommands(run.id, 'skipped')
        } else await this.markRunLost(run)
        await this.finishBatch(run.batchId)
      }
    }
    // Runs between two jobs when their nora ended: nothing runs them any more.
    for (const run of await this.d.jobs.openRuns()) {
      if (touchedRuns.has(run.id)) continue
      const runner = await this.d.jobs.batchRunner(run.batchId)
      if (!runner || runner === RUNNER_ID || runnerAlive(runner)) continue
      await this.markRunLost(run)
      lost++
      await this.finishBatch(run.batchId)
    }
    return { lost, adopted, ...(schedulerDown && { schedulerDown }) }
  }

  /**
   * Cluster jobs whose nora ended: the scheduler kept them. Each is asked about by its external id: still queued or
   * running -> `adopt` watches it and goes on with its run (without adopt: its state is brought up to date);
   * ended -> recorded as the local path does (exit file, outputs; the rest of its run is lost unless adopted);
   * unknown to the scheduler -> error "lost by the scheduler". Scheduler down: nothing changes.
   */
  private async recoverCluster(opts: { adopt?: boolean }): Promise<{ lost: number; adopted: Promise<unknown>[]; schedulerDown?: string; touched: number[] }> {
    let lost = 0
    const adopted: Promise<unknown>[] = []
    // Import jobs (import.executor "queue") are recovered by QueuedImport, which records the import's end.
    const orphans = (await this.d.jobs.gridjobs({ states: ['queued', 'running'], executor: this.executor.name, limit: 100_000 })).filter(
      (g) => g.runner !== RUNNER_ID && !runnerAlive(g.runner) && importIdOf(g.job) === undefined,
    )
    const touched = orphans.map((g) => g.runId).filter((id): id is number => id !== null)
    if (orphans.length === 0) return { lost, adopted, touched }
    const submitted = orphans.filter((g) => g.externalId)
    let states: Map<string, ExternalState>
    try {
      states = await this.executor.poll(submitted.map((g) => ({ externalId: g.externalId, exitFile: exitFileOf(g.logPath) })))
    } catch (e) {
      if (e instanceof SchedulerDownError) {
        this.downAtRecover = e.message
        return { lost, adopted, schedulerDown: e.message, touched }
      }
      throw e
    }
    this.downAtRecover = ''
    const runsOf = new Map<number, RunRecord[]>()
    for (const g of orphans) {
      if (g.batchId !== null && !runsOf.has(g.batchId)) runsOf.set(g.batchId, await this.d.jobs.runs(g.batchId))
      const run = g.batchId !== null ? runsOf.get(g.batchId)!.find((r) => r.id === g.runId) : undefined
      const job = JSON.parse(g.job) as JobSpec
      const actor = await this.actorOf(g)
      const st: ExternalState = g.externalId ? states.get(g.externalId)! : { state: 'error', exitCode: null, reason: LOST_NOT_STARTED }
      if (st.state === 'queued' || st.state === 'running') {
        if (st.state === 'running') {
          await this.d.jobs.gridjobStarted(g.id, g.externalId)
          await this.d.jobs.setCommandState(g.commandId, 'running')
        }
        if (opts.adopt && run && actor) {
          await this.d.jobs.setGridjobRunner(g.id, RUNNER_ID)
          await this.d.jobs.setBatchState(run.batchId, 'running', RUNNER_ID)
          adopted.push(this.adoptCluster(g, run, actor, st.state === 'running'))
        }
        continue
      }
      let failure: string | null
      const resolved = run && actor ? await resolveJob(this.forJobs, actor, g.project, run.psid, job).catch(() => undefined) : undefined
      if (resolved && actor) failure = await this.finishJob(actor, g.project, g.id, g.commandId, resolved, exitOf(st))
      else {
        failure = st.reason || LOST_DOWN
        await this.d.jobs.gridjobFinished(g.id, 'error', st.exitCode, failure)
        await this.d.jobs.setCommandState(g.commandId, 'error')
      }
      if (failure !== null) lost++
      if (!run) continue
      if (failure === null && opts.adopt && actor) {
        // Ended well while nora was down: go on with the rest of its run.
        await this.d.jobs.setGridjobRunner(g.id, RUNNER_ID)
        await this.d.jobs.setBatchState(run.batchId, 'running', RUNNER_ID)
        const jobs = await this.commandsOf(run.id)
        const next = jobs.findIndex((j) => j.id === g.commandId) + 1
        adopted.push(this.runChain(actor, g.project, run, jobs, next, () => {}).then((s) => this.finishBatch(run.batchId).then(() => s)))
        continue
      }
      if (failure !== null) {
        await this.d.jobs.setRunState(run.id, 'error', `job ${g.position + 1} (${job.name}): ${failure}`)
        await this.d.jobs.cancelQueuedCommands(run.id, 'skipped')
      } else await this.markRunLost(run)
      await this.finishBatch(run.batchId)
    }
    return { lost, adopted, touched }
  }

  /** Waits (through the reconciler) for a cluster job a previous nora submitted, then goes on with its run. */
  private async adoptCluster(g: GridjobRecord, run: RunRecord, actor: User, started: boolean): Promise<JobState> {
    const jobs = await this.commandsOf(run.id)
    const start = jobs.findIndex((j) => j.id === g.commandId)
    this.clusterJobs.set(g.id, { externalId: g.externalId, batchId: run.batchId })
    const first = (async () => {
      const end = await this.reconciler!.watch({ gridjobId: g.id, commandId: g.commandId, externalId: g.externalId, exitFile: exitFileOf(g.logPath), started })
      this.clusterJobs.delete(g.id)
      const resolved = await resolveJob(this.forJobs, actor, g.project, run.psid, jobs[start]!.job)
      return this.finishJob(actor, g.project, g.id, g.commandId, resolved, exitOf(end))
    })()
    const state = await this.runChain(actor, g.project, run, jobs, start, () => {}, first)
    await this.finishBatch(run.batchId)
    return state
  }

  private async markRunLost(run: RunRecord): Promise<void> {
    const left = await this.d.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM commands WHERE run_id = ? AND state = 'queued'", [run.id])
    if (Number(left?.n ?? 0) === 0) await this.d.jobs.setRunState(run.id, 'done')
    else {
      await this.d.jobs.setRunState(run.id, 'error', LOST_NOT_STARTED)
      await this.d.jobs.cancelQueuedCommands(run.id, 'skipped')
    }
  }

  private async adopt(g: GridjobRecord, run: RunRecord, pid: number): Promise<JobState> {
    const actor = (await this.actorOf(g))!
    const jobs = await this.commandsOf(run.id)
    const start = jobs.findIndex((j) => j.id === g.commandId)
    const first = (async () => {
      const exit = await waitAdopted(pid, exitFileOf(g.logPath))
      const resolved = await resolveJob(this.forJobs, actor, g.project, run.psid, jobs[start]!.job)
      return this.finishJob(actor, g.project, g.id, g.commandId, resolved, exit)
    })()
    const state = await this.runChain(actor, g.project, run, jobs, start, () => {}, first)
    await this.finishBatch(run.batchId)
    return state
  }

  private async actorOf(g: GridjobRecord): Promise<User | undefined> {
    if (g.user) return this.d.repos.users.byUsername(g.user)
    return { id: 0, username: 'console', displayName: 'console', email: '', isSiteAdmin: true, source: 'local', disabled: false, createdAt: 0 }
  }

  private async stopClusterJob(gridjobId: number, externalId: string, reason: string): Promise<void> {
    await this.d.db.run("UPDATE gridjobs SET state = 'error', reason = ? WHERE id = ? AND state IN ('queued', 'running')", [reason, gridjobId])
    await this.executor.cancel(externalId).catch((e) => this.d.log?.(`cannot cancel ${this.executor.name} job ${externalId}: ${(e as Error).message}`))
  }

  private async stopJob(gridjobId: number, pid: number, reason: string): Promise<void> {
    await this.d.db.run("UPDATE gridjobs SET state = 'error', reason = ? WHERE id = ? AND state IN ('queued', 'running')", [reason, gridjobId])
    killProcessGroup(pid)
  }

  /** Gridjobs the user may see (the projects they can read), newest first. */
  async list(actor: User, opts: { states?: JobState[]; project?: string; batchId?: number } = {}): Promise<GridjobRecord[]> {
    let projectIds: number[] | undefined
    if (opts.project) projectIds = [(await this.d.archive.open(actor, opts.project, 'read')).id]
    else if (!actor.isSiteAdmin) {
      projectIds = []
      for (const p of await this.d.repos.projects.list()) if (await this.d.rights.can(actor, 'read', p)) projectIds.push(p.id)
    }
    return this.d.jobs.gridjobs({ states: opts.states, projectIds, batchId: opts.batchId })
  }

  /** Kills a queued or running job (write right on its project); its run stops with an error. */
  async kill(actor: User, gridjobId: number): Promise<GridjobRecord> {
    const g = await this.d.jobs.gridjob(gridjobId)
    if (!g) throw new NotFoundError(`no job ${gridjobId}; nora jobs lists them`)
    const project = await this.d.repos.projects.byId(g.projectId)
    if (!project || !(await this.d.rights.can(actor, 'write', project))) throw new ForbiddenError(`you may not kill jobs of project "${g.project}"`)
    if (g.state !== 'queued' && g.state !== 'running') throw new UsageError(`job ${gridjobId} is ${g.state} already`)
    const reason = `killed by ${actor.username}`
    await this.d.db.run("UPDATE gridjobs SET state = 'error', reason = ?, finished_at = ? WHERE id = ? AND state IN ('queued', 'running')", [reason, Date.now(), gridjobId])
    await this.d.jobs.setCommandState(g.commandId, 'error')
    if (g.executor === 'local') {
      const pid = this.children.get(gridjobId)?.pid ?? Number(g.externalId)
      if (g.state === 'running' && pid > 0) killProcessGroup(pid)
    } else if (g.externalId) await this.executorFor(g).cancel(g.externalId)
    // The owner (if alive) records the run's end when the process exits; with no owner, do it here.
    if (!runnerAlive(g.runner) && g.runId !== null) {
      await this.d.jobs.setRunState(g.runId, 'error', `job ${g.position + 1}: ${reason}`)
      await this.d.jobs.cancelQueuedCommands(g.runId, 'skipped')
    }
    return (await this.d.jobs.gridjob(gridjobId))!
  }

  /** The executor that runs `g` (this service's, or a local one for local jobs). */
  private executorFor(g: GridjobRecord): Executor {
    if (g.executor === this.executor.name) return this.executor
    if (g.executor === 'local') return new LocalExecutor()
    throw new UsageError(`job ${g.id} runs on ${g.executor}, but this nora is configured for ${this.executor.name} (jobs.queue in conf/main.conf)`)
  }

  private async writableJob(actor: User, gridjobId: number, verb: string): Promise<GridjobRecord> {
    const g = await this.d.jobs.gridjob(gridjobId)
    if (!g) throw new NotFoundError(`no job ${gridjobId}; nora jobs lists them`)
    const project = await this.d.repos.projects.byId(g.projectId)
    if (!project || !(await this.d.rights.can(actor, 'write', project))) throw new ForbiddenError(`you may not ${verb} jobs of project "${g.project}"`)
    return g
  }

  /** Suspends a running job (SIGSTOP locally, `scontrol suspend` on Slurm, `qmod -sj` on SGE); it stays "running" with reason "suspended". */
  async suspend(actor: User, gridjobId: number): Promise<GridjobRecord> {
    const g = await this.writableJob(actor, gridjobId, 'suspend')
    if (g.state !== 'running' || !g.externalId) throw new UsageError(`job ${gridjobId} is ${g.state}; only a running job can be suspended`)
    await this.executorFor(g).suspend(g.externalId)
    await this.d.jobs.setGridjobReason(gridjobId, `suspended by ${actor.username}`)
    return (await this.d.jobs.gridjob(gridjobId))!
  }

  /** Resumes a suspended job. */
  async resume(actor: User, gridjobId: number): Promise<GridjobRecord> {
    const g = await this.writableJob(actor, gridjobId, 'resume')
    if (g.state !== 'running' || !g.externalId) throw new UsageError(`job ${gridjobId} is ${g.state}; only a suspended running job can be resumed`)
    await this.executorFor(g).resume(g.externalId)
    await this.d.jobs.setGridjobReason(gridjobId, null)
    return (await this.d.jobs.gridjob(gridjobId))!
  }

  /**
   * A new batch over the runs of `batchId` that ended in error, with the same jobs or `modifiedSpec`'s (its
   * studies/filter are ignored: the failed runs are the selection). Launched, not run: call run() next.
   */
  async rerunErrors(actor: User, batchId: number, modifiedSpec?: unknown): Promise<{ batchId: number; spec: BatchSpec; runs: RunRecord[] }> {
    const row = await this.d.db.get<{ spec: string; name: string }>('SELECT b.spec, p.name FROM batches b JOIN projects p ON p.id = b.project_id WHERE b.id = ?', [batchId])
    if (!row) throw new NotFoundError(`no batch ${batchId}; nora jobs lists batches in the BATCH column`)
    const failed = (await this.d.jobs.runs(batchId)).filter((r) => r.state === 'error').map((r) => r.psid)
    if (failed.length === 0) throw new UsageError(`batch ${batchId} has no run in error: nothing to rerun`)
    const base = parseBatch(modifiedSpec ?? row.spec)
    const level = parseBatch(row.spec).level
    if (base.level !== level) throw new UsageError(`batch ${batchId} ran per ${level}; its rerun keeps "level": "${level}" (the failed runs are ${level === 'subject' ? 'subjects' : 'studies'})`)
    const { studies: _s, subjects: _j, filter: _f, ...rest } = base
    return this.launch(actor, String(row.name), { ...rest, name: rest.name || `rerun of batch ${batchId}`, ...(base.level === 'subject' ? { subjects: failed } : { studies: failed }) })
  }
}

class KilledMeanwhile extends Error {}

/** A scheduler's final report as the exit the rest of the service understands. */
const exitOf = (s: ExternalState): JobExit & { reason?: string } => (s.state === 'done' ? { code: s.exitCode, signal: null } : { code: s.exitCode, signal: null, reason: s.reason || 'ended by the scheduler' })

const definedOf = (r: JobResources): JobResources => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined && v !== '' && v !== 0)) as JobResources

export const exitFileOf = (logPath: string) => join(dirname(logPath), `.${basename(logPath)}.exit`)
