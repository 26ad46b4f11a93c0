import type { JobState } from '../store/repos/jobs-repo'
import type { JobResources } from './executor'
import type { JobsCore } from './job-core'
import { WRAPPER } from './job-command'
import { exitFileOf, type JobEnd } from './job-files'
import { importIdOf } from './job-spec'
import { RUNNER_ID, runnerAlive } from './local-executor'

/** The kind of system job a stored job (JSON) is ('import': it names its importId), undefined for a user's job. */
export const systemKindOf = (jobJson: string): 'import' | undefined => (importIdOf(jobJson) !== undefined ? 'import' : undefined)

/** A one-job system batch nora itself runs (an import on the import queue): what to run and where its log goes. */
export interface SystemJobRequest {
  projectId: number
  userId: number | null
  /** The batch's and run's name ("import 12"). */
  name: string
  /** The stored job (JSON in commands.job; Gridstats shows it), e.g. { name: 'import', type: 'bash', script, importId }. */
  job: { name: string; type: string; script: string } & Record<string, unknown>
  /** The command, run through the job wrapper (its exit code lands beside the log). */
  argv: string[]
  env: Record<string, string>
  cwd: string
  logPath: string
  resources: JobResources
  /** A label for the scheduler's listings. */
  label: string
}

/** The rows of a system job. */
export interface SystemJob {
  batchId: number
  runId: number
  commandId: number
  gridjobId: number
  /** The stored job (JSON). */
  job: string
}

/**
 * System batches of the jobs service: one batch, one run, one command, one gridjob, submitted to the service's
 * executor and watched by its one watcher, so that Gridstats, `nora jobs`, kill and recovery see them like any
 * batch. Whoever submits one records what its end means (an import's record) through ended().
 */
export class SystemJobs {
  constructor(private readonly core: JobsCore) {}

  get executorName(): string {
    return this.core.executor.name
  }

  /** Records the batch and submits its job; `externalId` empty with `error` when the executor refused it (the job is failed). */
  async submit(req: SystemJobRequest): Promise<{ job: SystemJob; externalId: string; error?: string }> {
    const { jobs } = this.core.d
    const stored = JSON.stringify(req.job)
    const batchId = await jobs.createBatch(req.projectId, req.userId, 'study', JSON.stringify({ name: req.name, level: 'study', system: req.job.name, jobs: [req.job] }), req.name)
    const runId = await jobs.createRun(batchId, req.projectId, null, null, req.name)
    const commandId = await jobs.createCommand({ projectId: req.projectId, userId: req.userId, subjectId: null, studyId: null, batchId, runId, position: 0, job: stored })
    const gridjobId = await jobs.createGridjob(commandId, req.projectId, this.core.executor.name, RUNNER_ID, req.logPath)
    await jobs.setBatchState(batchId, 'running', RUNNER_ID)
    const job: SystemJob = { batchId, runId, commandId, gridjobId, job: stored }
    const exitFile = exitFileOf(req.logPath)
    try {
      const env = { ...req.env, NORA_EXIT_FILE: exitFile }
      const argv = ['/bin/bash', '-c', WRAPPER, 'nora-job', ...req.argv]
      const externalId = await this.core.executor.submit({ command: { argv, env }, logPath: req.logPath, cwd: req.cwd, exitFile, resources: req.resources, name: req.label })
      await jobs.setGridjobExternalId(gridjobId, externalId)
      return { job, externalId }
    } catch (e) {
      const error = `not submitted to ${this.core.executor.name}: ${(e as Error).message}`
      await this.ended(job, 'error', error, null)
      return { job, externalId: '', error }
    }
  }

  /** How the job ended, as the watcher sees it; `started`: the scheduler runs it already. */
  watch(job: SystemJob, externalId: string, logPath: string, started = false): Promise<JobEnd | undefined> {
    return this.core.watcher.watch({ gridjobId: job.gridjobId, commandId: job.commandId, externalId, exitFile: exitFileOf(logPath), started })
  }

  /** The reason the job was ended from outside (killed), if it was. */
  async killed(job: SystemJob): Promise<string | undefined> {
    const g = await this.core.d.jobs.gridjob(job.gridjobId)
    return g?.state === 'error' ? g.reason || 'killed' : undefined
  }

  /** Records the job's end on its gridjob, command, run and batch. */
  async ended(job: SystemJob, state: Extract<JobState, 'done' | 'error'>, reason: string | null, exitCode: number | null): Promise<void> {
    const { jobs } = this.core.d
    await jobs.gridjobFinished(job.gridjobId, state, exitCode, state === 'done' ? null : reason)
    await jobs.setCommandState(job.commandId, state)
    await jobs.setRunState(job.runId, state, state === 'done' ? null : `job 1 (${JSON.parse(job.job).name}): ${reason}`)
    await jobs.setBatchState(job.batchId, state)
  }

  /**
   * After a restart: the open system jobs of `kind` (their stored job's name) whose nora is gone, taken over by this
   * process (their runner becomes this one) for the caller to watch again; `refId`: what the job is for (the import id).
   */
  async orphans(kind: 'import'): Promise<{ job: SystemJob; refId: number; externalId: string; logPath: string; started: boolean }[]> {
    const { jobs } = this.core.d
    const out = []
    for (const g of await jobs.gridjobs({ states: ['queued', 'running'], executor: this.core.executor.name, limit: 100_000 })) {
      if (g.runner === RUNNER_ID || runnerAlive(g.runner) || g.batchId === null || g.runId === null) continue
      if (systemKindOf(g.job) !== kind) continue
      await jobs.setGridjobRunner(g.id, RUNNER_ID)
      out.push({ job: { batchId: g.batchId, runId: g.runId, commandId: g.commandId, gridjobId: g.id, job: g.job }, refId: importIdOf(g.job)!, externalId: g.externalId, logPath: g.logPath, started: g.state === 'running' })
    }
    return out
  }
}
