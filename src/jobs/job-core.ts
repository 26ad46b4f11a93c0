import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import type { ArchiveService } from '../archive/archive-service'
import type { StudiesService } from '../archive/filter/studies-service'
import { resolveInside } from '../archive/archive-paths'
import { groupWritable, projectGroupName, secureProjectDir } from '../archive/project-group'
import type { Rights } from '../auth/rights'
import { RunTokens } from '../auth/run-tokens'
import { NotFoundError } from '../core/errors'
import type { User } from '../core/types'
import { systemUser } from '../core/system-user'
import type { Db } from '../store/db'
import type { Repos } from '../store/repos'
import type { GridjobRecord, JobState, JobsRepo, RunRecord } from '../store/repos/jobs-repo'
import { RunTokensRepo } from '../store/repos/run-tokens-repo'
import { ArraySubmitter } from './array-submitter'
import { CoalescedWrites } from './coalesced-writes'
import type { Executor, JobResources } from './executor'
import { checkReachable, dropArgv, resolveJobAccount, type JobAccount } from './job-account'
import type { JobContext } from './job-command'
import { LOST_DOWN, LOST_NOT_STARTED, type JobEnd } from './job-files'
import type { JobSpec } from './job-spec'
import { JobWatcher } from './job-watcher'
import { LocalExecutor } from './local-executor'
import { jobsArchive, outputFolders, type ArchiveForJobs, type ResolvedJob } from './resolve-args'

export interface JobsDeps {
  db: Db
  jobs: JobsRepo
  repos: Pick<Repos, 'subjects' | 'users' | 'projects' | 'rights' | 'runTokens'>
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
  /** config.main.jobs.runAs: the account job code runs as ('' : nora-jobs when nora is root, else nora's own). */
  runAs?: string
  /** The URL the `nora` CLI inside a job sends its commands to (NORA_URL); unset: `nora` does not work in jobs. */
  noraUrl?: () => Promise<string>
  /** Told once a batch's runs have all ended (notifications); what it throws is logged, never the batch's. */
  onBatchEnded?: (e: { batchId: number; state: 'done' | 'error'; done: number; errors: number }) => unknown
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

export interface JobRow {
  id: number
  position: number
  job: JobSpec
}

/** A job's token, nora URL and account (JobContext fields), for Slurm the uid/gid sbatch starts it as, and its project's group. */
export interface Isolation {
  ctx: Pick<JobContext, 'runToken' | 'noraUrl' | 'runAs'>
  runAs?: { uid: number; gid: number }
  group?: number
}

const FINISHED: JobState[] = ['done', 'error', 'skipped']

const jobRow = (r: { id: number; position: number; job: string }): JobRow => ({ id: r.id, position: r.position, job: JSON.parse(r.job) as JobSpec })

/** Who runs a job recorded without a user (the console). */
const CONSOLE: User = systemUser('console', 'console')

/**
 * What launch, run, recovery and control share: the executor and the one watcher, the jobs this process runs,
 * run tokens, the job account, and the steps that end a job, a run and a batch.
 */
export class JobsCore {
  readonly executor: Executor
  readonly watcher: JobWatcher
  /** Cluster executors: gathers the jobs submitted together into array jobs. */
  readonly arrays: ArraySubmitter | undefined
  /** Where array jobs' inputs are written (data/jobarrays). */
  readonly arraysRoot: string
  /** The archive as argument resolution needs it (with each subject's studies, for study references). */
  readonly forJobs: ArchiveForJobs
  readonly runTokens: RunTokens
  /** Gridjob id -> its external id (pid, Slurm/SGE id) and batch, for the jobs this process waits for. */
  readonly active = new Map<number, { externalId: string; batchId: number }>()
  /** Run id -> the token its jobs get (issued when the run's first job starts in this process). */
  private readonly tokens = new Map<number, string>()
  private jobAccount: JobAccount | undefined
  /** The job homes this process has set up already (data/jobhome/<group>). */
  private readonly jobHomes = new Set<string>()

  readonly d: JobsDeps

  constructor(deps: JobsDeps) {
    // The writes of jobs and run tokens go in one transaction per turn of the event loop (a batch's runs write together).
    const writes = new CoalescedWrites(deps.db)
    const d = (this.d = { ...deps, jobs: deps.jobs.withDb(writes) })
    this.forJobs = jobsArchive(d.archive, d.repos.subjects)
    this.runTokens = new RunTokens({ ...d.repos, runTokens: new RunTokensRepo(writes) })
    this.executor = d.executor ?? new LocalExecutor()
    this.watcher = new JobWatcher(this.executor, d.jobs, d.pollMs ?? 2000, d.log ?? ((l) => console.error(l)))
    this.arraysRoot = join(this.dataRoot, 'jobarrays')
    this.arrays = this.executor.submitArray ? new ArraySubmitter(this.executor, this.arraysRoot) : undefined
  }

  /** The archive's data root (the folder of data/projects). */
  private get dataRoot(): string {
    return resolve(this.d.archive.projectDir({ name: '_' } as never), '..', '..')
  }

  /** Whom job code runs as (jobs.runAs; see job-account.ts). Throws a ServiceError naming the key when jobs would run as root. */
  account(): JobAccount {
    this.jobAccount ??= resolveJobAccount(this.d.runAs ?? '')
    return this.jobAccount
  }

  /**
   * What isolates a job: its run token and nora's URL (the `nora` CLI inside it), and, when nora is root, the job
   * account with the project's group only. The project folder is closed to other groups (2770), the study folder,
   * output folders and log folder are made writable for the group, and the job gets a HOME/TMPDIR of its project's
   * own (data/jobhome/<group>), never one shared with other projects.
   */
  async isolation(actor: User, project: string, run: RunRecord, resolved: ResolvedJob, logPath: string): Promise<Isolation> {
    const account = this.account()
    let token = this.tokens.get(run.id)
    if (!token) {
      token = await this.runTokens.issue(actor, run.id, run.projectId)
      this.tokens.set(run.id, token)
    }
    const ctx: Isolation['ctx'] = { runToken: token, noraUrl: await this.d.noraUrl?.() }
    const projectDir = this.d.archive.projectDir({ name: project } as never)
    const studyDir = dirname(dirname(logPath))
    resolveInside(projectDir, dirname(logPath), 'log folder')
    if (!account.drop) return { ctx }
    const gid = secureProjectDir(projectDir, project)!
    groupWritable([studyDir, ...outputFolders(resolved), dirname(logPath)], gid)
    const jobHome = join(this.dataRoot, 'jobhome', projectGroupName(project))
    if (!this.jobHomes.has(jobHome) || !existsSync(jobHome)) {
      mkdirSync(jobHome, { recursive: true })
      chmodSync(join(jobHome, '..'), 0o711)
      groupWritable([jobHome], gid)
      this.jobHomes.add(jobHome)
    }
    checkReachable(studyDir, gid)
    // Slurm starts the job as the account itself (sbatch --uid/--gid: it opens the log as that account too); the
    // local runner and SGE start it through setpriv.
    const bySlurm = this.executor.name === 'slurm'
    ctx.runAs = { argv: bySlurm ? [] : dropArgv(account, gid), name: account.name, home: jobHome }
    return { ctx, group: gid, ...(bySlurm && { runAs: { uid: account.uid, gid } }) }
  }

  async revokeRun(runId: number): Promise<void> {
    this.tokens.delete(runId)
    await this.runTokens.revokeRun(runId)
  }

  /** The batch's final state from its runs. */
  async finishBatch(batchId: number): Promise<BatchSummary> {
    const runs = await this.d.jobs.runs(batchId)
    const errors = runs.filter((r) => r.state === 'error').length
    const open = runs.some((r) => !FINISHED.includes(r.state))
    if (!open) {
      await this.d.jobs.setBatchState(batchId, errors ? 'error' : 'done')
      await this.d.repos.runTokens.revokeBatch(batchId)
      for (const r of runs) this.tokens.delete(r.id)
    }
    const done = runs.filter((r) => r.state === 'done').length
    if (!open && this.d.onBatchEnded) await Promise.resolve(this.d.onBatchEnded({ batchId, state: errors ? 'error' : 'done', done, errors })).catch((e) => (this.d.log ?? console.error)(`after batch ${batchId}: ${(e as Error).message}`))
    return { batchId, runs: runs.map((r) => ({ psid: r.psid, state: r.state, reason: r.reason })), done, errors }
  }

  async projectOfBatch(batchId: number): Promise<string> {
    const b = await this.d.jobs.batch(batchId)
    if (!b) throw new NotFoundError(`no batch ${batchId}`)
    return b.project
  }

  async commandsOf(runId: number): Promise<JobRow[]> {
    return (await this.d.jobs.commands(runId)).map(jobRow)
  }

  /** The commands of every run of a batch, by run id. */
  async commandsOfBatch(batchId: number): Promise<Map<number, JobRow[]>> {
    return new Map([...(await this.d.jobs.commandsOfBatch(batchId))].map(([runId, rows]) => [runId, rows.map(jobRow)]))
  }

  /** A run's job failed: the run errors with the job's reason, its later jobs are skipped. */
  async failRun(run: RunRecord, position: number, jobName: string, failure: string): Promise<void> {
    await this.d.jobs.setRunState(run.id, 'error', `job ${position + 1} (${jobName}): ${failure}`)
    await this.d.jobs.cancelQueuedCommands(run.id, 'skipped')
  }

  /** A run whose runner is gone: done when nothing was left, else lost. */
  async markRunLost(run: RunRecord): Promise<void> {
    await this.revokeRun(run.id)
    if ((await this.d.jobs.queuedCommandCount(run.id)) === 0) await this.d.jobs.setRunState(run.id, 'done')
    else {
      await this.d.jobs.setRunState(run.id, 'error', LOST_NOT_STARTED)
      await this.d.jobs.cancelQueuedCommands(run.id, 'skipped')
    }
  }

  async actorOf(g: GridjobRecord): Promise<User | undefined> {
    if (g.user) return this.d.repos.users.byUsername(g.user)
    return CONSOLE
  }

  /** A gridjob and its command end in error with `reason`. */
  async failJob(gridjobId: number, commandId: number, reason: string, exitCode: number | null = null): Promise<string> {
    await this.d.jobs.gridjobFinished(gridjobId, 'error', exitCode, reason)
    await this.d.jobs.setCommandState(commandId, 'error')
    return reason
  }

  /** Records how a job ended: exit code, declared outputs present, outputs registered and tagged. Null when it succeeded. */
  async finishJob(actor: User, project: string, gridjobId: number, commandId: number, resolved: ResolvedJob, exit: JobEnd | undefined): Promise<string | null> {
    const fail = async (reason: string, code: number | null) => {
      const g = await this.d.jobs.gridjob(gridjobId)
      return this.failJob(gridjobId, commandId, g?.state === 'error' && g.reason ? g.reason : reason, code)
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

  /** Ends a queued or running job with `reason` (its executor stops it; a cancel that fails is reported). */
  async stopJob(gridjobId: number, reason: string): Promise<void> {
    const c = this.active.get(gridjobId)
    await this.d.jobs.stopGridjob(gridjobId, reason)
    if (c?.externalId) await this.executor.cancel(c.externalId).catch((e) => (this.d.log ?? console.error)(`cannot cancel ${this.executor.name} job ${c.externalId}: ${(e as Error).message}`))
  }
}
