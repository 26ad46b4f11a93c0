import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import type { Project } from '../core/types'
import type { Executor, ExternalState, JobResources } from '../jobs/executor'
import { WRAPPER } from '../jobs/job-command'
import { importIdOf } from '../jobs/job-spec'
import { exitFileOf, defaultNoraDir } from '../jobs/jobs-service'
import { RUNNER_ID, runnerAlive } from '../jobs/local-executor'
import { Reconciler } from '../jobs/reconciler'
import type { JobsRepo } from '../store/repos/jobs-repo'
import type { ImportsRepo } from '../store/repos/imports-repo'
import type { ImportOptions } from './import-service'

/** What `nora --run-import ID` reads: the staged source and the options of the import the server accepted. */
export interface QueuedImportFile {
  source: string
  opts: ImportOptions
}

export interface QueuedImportDeps {
  dataRoot: string
  /** NORA_HOME, given to the job so that its `nora` opens this installation. */
  home: string
  jobs: JobsRepo
  imports: Pick<ImportsRepo, 'get' | 'update'>
  /** The jobs service's executor (Slurm or SGE). */
  executor: Executor
  /** The import queue of conf/slurm.conf (DPXimport) with its time/memory/cpus defaults. */
  resources: JobResources
  /** How the job starts nora (default: the compiled `nora` beside the running one, else this bun on src/main.ts). */
  noraArgv?: string[]
  pollMs?: number
  log?: (line: string) => void
}


/** Where a queued import keeps its staged source, options and job log until it has succeeded. */
export const queuedImportDir = (dataRoot: string, id: number) => join(dataRoot, 'imports', 'queued', String(id))

/** The source and options of a queued import (for `nora --run-import ID`). */
export function readQueuedImport(dataRoot: string, id: number): QueuedImportFile {
  const path = join(queuedImportDir(dataRoot, id), 'import.json')
  if (!existsSync(path)) throw new Error(`import ${id} has no staged source (${path} is missing); it was not queued by import.executor "queue"`)
  return JSON.parse(readFileSync(path, 'utf8')) as QueuedImportFile
}

/** The command that starts nora in a job: the compiled binary when this is one, else bun on the sources. */
export function defaultNoraArgv(): string[] {
  const dir = defaultNoraDir()
  if (dir) return [join(dir, 'nora')]
  return [process.execPath, 'run', resolve(import.meta.dir, '..', 'main.ts')]
}

/**
 * Imports as cluster jobs (main.conf import.executor "queue"): the accepted source is moved to
 * data/imports/queued/ID, and `nora --run-import ID` is submitted to the import queue (DPXimport). The job is a
 * one-job system batch (batch "import ID", run "import ID", one command, one gridjob), so Gridstats, `nora jobs`,
 * kill and the reconciler treat it like any other job. The job updates the import record itself; a job that
 * fails (non-zero exit, lost or ended by the scheduler) marks the import failed and keeps the staged files.
 */
export class QueuedImport {
  private readonly reconciler: Reconciler
  private readonly inFlight = new Set<Promise<void>>()

  constructor(private readonly d: QueuedImportDeps) {
    this.reconciler = new Reconciler(d.executor, d.jobs, d.pollMs ?? 2000, d.log ?? ((l) => console.error(l)))
  }

  get executorName(): string {
    return this.d.executor.name
  }

  /**
   * Stages `source` (moved; `cleanup` runs after it is safe) and submits its job; resolves once submitted. The
   * job's end is awaited in the background (see idle()).
   */
  async submit(id: number, project: Project, userId: number | null, source: string, opts: ImportOptions = {}, cleanup?: () => void): Promise<{ gridjobId: number }> {
    const dir = queuedImportDir(this.d.dataRoot, id)
    let staged: string
    try {
      mkdirSync(dir, { recursive: true })
      staged = join(dir, basename(source) || 'source')
      moveOrCopy(source, staged)
      writeFileSync(join(dir, 'import.json'), JSON.stringify({ source: staged, opts } satisfies QueuedImportFile))
    } catch (e) {
      await this.d.imports.update(id, { state: 'failed', phase: 'stopped', message: `not queued: cannot stage the source in ${dir}: ${(e as Error).message}` })
      throw e
    } finally {
      cleanup?.()
    }
    const { jobs } = this.d
    const name = `import ${id}`
    const job = { name: 'import', type: 'bash', script: `nora --run-import ${id}`, importId: id }
    const batchId = await jobs.createBatch(project.id, userId, 'study', JSON.stringify({ name, level: 'study', system: 'import', jobs: [job] }), name)
    const runId = await jobs.createRun(batchId, project.id, null, null, name)
    const commandId = await jobs.createCommand({ projectId: project.id, userId, subjectId: null, studyId: null, batchId, runId, position: 0, job: JSON.stringify(job) })
    const logPath = join(dir, 'import.log')
    const exitFile = exitFileOf(logPath)
    const gridjobId = await jobs.createGridjob(commandId, project.id, this.d.executor.name, RUNNER_ID, logPath)
    await jobs.setBatchState(batchId, 'running', RUNNER_ID)
    const ids = { id, batchId, runId, commandId, gridjobId, dir }
    let externalId: string
    try {
      const env: Record<string, string> = {}
      for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v
      Object.assign(env, { NORA_HOME: this.d.home, NORA_EXIT_FILE: exitFile })
      const argv = ['/bin/bash', '-c', WRAPPER, 'nora-job', ...(this.d.noraArgv ?? defaultNoraArgv()), '--run-import', String(id)]
      externalId = await this.d.executor.submit({ command: { argv, env }, logPath, cwd: dir, exitFile, resources: this.d.resources, name: `import-${id}` })
      await jobs.setGridjobExternalId(gridjobId, externalId)
    } catch (e) {
      await this.fail(ids, `not submitted to ${this.d.executor.name}: ${(e as Error).message}`, null)
      return { gridjobId }
    }
    this.follow(ids, externalId, exitFile)
    return { gridjobId }
  }

  /**
   * After a restart: the import jobs an earlier nora submitted and did not see end (their gridjobs are open and
   * their runner is gone) are watched again and recorded as they end. Returns how many.
   */
  async recover(): Promise<number> {
    const open = (await this.d.jobs.gridjobs({ states: ['queued', 'running'], executor: this.d.executor.name, limit: 100_000 })).filter(
      (g) => g.runner !== RUNNER_ID && !runnerAlive(g.runner) && importIdOf(g.job) !== undefined,
    )
    for (const g of open) {
      const id = importIdOf(g.job)!
      const ids = { id, batchId: g.batchId!, runId: g.runId!, commandId: g.commandId, gridjobId: g.id, dir: queuedImportDir(this.d.dataRoot, id) }
      await this.d.jobs.setGridjobRunner(g.id, RUNNER_ID)
      if (!g.externalId) await this.fail(ids, 'lost: nora ended before the job was submitted', null)
      else this.follow(ids, g.externalId, exitFileOf(g.logPath), g.state === 'running')
    }
    return open.length
  }

  /** Waits in the background for the job's end (the reconciler polls the scheduler) and records it. */
  private follow(ids: Ids, externalId: string, exitFile: string, started = false): void {
    const watching = this.reconciler
      .watch({ gridjobId: ids.gridjobId, commandId: ids.commandId, externalId, exitFile, started })
      .then((end) => this.finish(ids, end))
      .catch((e) => this.d.log?.(`import ${ids.id}: ${(e as Error).message}`))
    this.inFlight.add(watching)
    void watching.finally(() => this.inFlight.delete(watching))
  }

  /** Resolves when every submitted import job has ended and been recorded (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight])
  }

  stop(): void {
    this.reconciler.stop()
  }

  private async finish(ids: Ids, end: ExternalState): Promise<void> {
    const killed = await this.d.jobs.gridjob(ids.gridjobId)
    if (killed?.state === 'error') return this.fail(ids, killed.reason || 'killed', end.exitCode)
    const record = await this.d.imports.get(ids.id)
    if (end.state === 'done' && end.exitCode === 0 && record?.state === 'done') {
      await this.d.jobs.gridjobFinished(ids.gridjobId, 'done', 0, null)
      await this.d.jobs.setCommandState(ids.commandId, 'done')
      await this.d.jobs.setRunState(ids.runId, 'done')
      await this.d.jobs.setBatchState(ids.batchId, 'done')
      rmSync(ids.dir, { recursive: true, force: true })
      return
    }
    const why = end.state === 'error' ? end.reason || 'ended by the scheduler' : end.exitCode !== 0 ? `exit code ${end.exitCode}` : `the import ended ${record?.state ?? 'unknown'}`
    return this.fail(ids, why, end.exitCode)
  }

  /** The job failed: gridjob, command, run and batch in error; the import failed with the reason; staged files kept. */
  private async fail(ids: Ids, reason: string, exitCode: number | null): Promise<void> {
    await this.d.jobs.gridjobFinished(ids.gridjobId, 'error', exitCode, reason)
    await this.d.jobs.setCommandState(ids.commandId, 'error')
    await this.d.jobs.setRunState(ids.runId, 'error', `job 1 (import): ${reason}`)
    await this.d.jobs.setBatchState(ids.batchId, 'error')
    const record = await this.d.imports.get(ids.id)
    const own = record?.state === 'failed' && record.message ? `${record.message}; ` : ''
    await this.d.imports.update(ids.id, {
      state: 'failed',
      phase: record?.state === 'failed' ? record.phase : 'stopped',
      message: `${own}import job ${ids.gridjobId} on ${this.d.executor.name} failed: ${reason}; its staged files and log are kept in ${ids.dir}`,
    })
  }
}

interface Ids {
  id: number
  batchId: number
  runId: number
  commandId: number
  gridjobId: number
  dir: string
}

/** Moves a file or folder (copies across file systems). */
function moveOrCopy(from: string, to: string): void {
  try {
    renameSync(from, to)
  } catch (e) {
    if ((e as { code?: string }).code !== 'EXDEV') throw e
    if (statSync(from).isDirectory()) cpSync(from, to, { recursive: true })
    else copyFileSync(from, to)
  }
}
