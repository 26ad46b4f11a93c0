import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { placeFile } from '../archive/archive-writer'
import { NotFoundError } from '../core/errors'
import { defaultNoraDir } from '../core/nora-dir'
import { removeInside, safeJoin } from '../core/safe-path'
import type { Project } from '../core/types'
import type { JobResources } from '../jobs/executor'
import type { JobEnd } from '../jobs/job-files'
import type { SystemJob, SystemJobs } from '../jobs/system-jobs'
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
  imports: Pick<ImportsRepo, 'get' | 'update'>
  /** The jobs service's system batches (JobsService.system): its executor (Slurm or SGE) runs the job, its one watcher sees it end. */
  system: Pick<SystemJobs, 'executorName' | 'submit' | 'watch' | 'killed' | 'ended' | 'orphans'>
  /** The import queue of conf/slurm.conf (DPXimport) with its time/memory/cpus defaults. */
  resources: JobResources
  /** How the job starts nora (default: the compiled `nora` beside the running one, else this bun on src/main.ts). */
  noraArgv?: string[]
  log?: (line: string) => void
}

/** Where a queued import keeps its staged source, options and job log until it has succeeded. */
export const queuedImportDir = (dataRoot: string, id: number) => join(dataRoot, 'imports', 'queued', String(id))

/**
 * The log of an import's job: beside the staged imports, not in the staging folder, so that it outlives a successful
 * import (Gridstats' log link reads it; see http/api/jobs/service.ts).
 */
export const importJobLog = (dataRoot: string, id: number) => join(dataRoot, 'imports', 'logs', `${id}.log`)

/** The source and options of a queued import (for `nora --run-import ID`). */
export function readQueuedImport(dataRoot: string, id: number): QueuedImportFile {
  const path = join(queuedImportDir(dataRoot, id), 'import.json')
  if (!existsSync(path)) throw new NotFoundError(`import ${id} has no staged source (${path} is missing); it was not queued by import.executor "queue"`)
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
 * kill and the jobs service's one watcher (its reconciler) treat it like any other job; its log is
 * data/imports/logs/ID.log. The job updates the import record itself; a job that fails (non-zero exit, lost or
 * ended by the scheduler) marks the import failed and keeps the staged files.
 */
export class QueuedImport {
  private readonly inFlight = new Set<Promise<void>>()
  private stopped = false

  constructor(private readonly d: QueuedImportDeps) {}

  get executorName(): string {
    return this.d.system.executorName
  }

  /**
   * Stages `source` (moved; `cleanup` runs after it is safe) and submits its job; resolves once submitted. The
   * job's end is awaited in the background (see idle()).
   */
  async submit(id: number, project: Project, userId: number | null, source: string, opts: ImportOptions = {}, cleanup?: () => void): Promise<{ gridjobId: number }> {
    const dir = queuedImportDir(this.d.dataRoot, id)
    const logPath = importJobLog(this.d.dataRoot, id)
    let staged: string
    try {
      mkdirSync(dir, { recursive: true })
      mkdirSync(dirname(logPath), { recursive: true })
      staged = safeJoin(dir, basename(source) || 'source')
      placeFile(source, staged)
      writeFileSync(join(dir, 'import.json'), JSON.stringify({ source: staged, opts } satisfies QueuedImportFile))
    } catch (e) {
      await this.d.imports.update(id, { state: 'failed', phase: 'stopped', message: `not queued: cannot stage the source in ${dir}: ${(e as Error).message}` })
      throw e
    } finally {
      cleanup?.()
    }
    const env: Record<string, string> = {}
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v
    env.NORA_HOME = this.d.home
    const { job, externalId, error } = await this.d.system.submit({
      projectId: project.id,
      userId,
      name: `import ${id}`,
      job: { name: 'import', type: 'bash', script: `nora --run-import ${id}`, importId: id },
      argv: [...(this.d.noraArgv ?? defaultNoraArgv()), '--run-import', String(id)],
      env,
      cwd: dir,
      logPath,
      resources: this.d.resources,
      label: `import-${id}`,
    })
    const queued = { id, job, dir }
    if (error) await this.importFailed(queued, error)
    else this.follow(queued, externalId, logPath)
    return { gridjobId: job.gridjobId }
  }

  /**
   * After a restart: the import jobs an earlier nora submitted and did not see end (their gridjobs are open and
   * their runner is gone) are watched again and recorded as they end. Returns how many.
   */
  async recover(): Promise<number> {
    const open = await this.d.system.orphans('import')
    for (const o of open) {
      const id = o.refId
      const queued = { id, job: o.job, dir: queuedImportDir(this.d.dataRoot, id) }
      if (!o.externalId) await this.fail(queued, 'lost: nora ended before the job was submitted', null)
      else this.follow(queued, o.externalId, o.logPath, o.started)
    }
    return open.length
  }

  /** Waits in the background for the job's end (the jobs service's watcher) and records it. */
  private follow(q: Queued, externalId: string, logPath: string, started = false): void {
    const watching = this.d.system
      .watch(q.job, externalId, logPath, started)
      .then((end) => (this.stopped ? undefined : this.finish(q, end)))
      .catch((e) => (this.d.log ?? console.error)(`import ${q.id}: its end was not recorded: ${(e as Error).message}`))
    this.inFlight.add(watching)
    void watching.finally(() => this.inFlight.delete(watching))
  }

  /** Resolves when every submitted import job has ended and been recorded (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight])
  }

  /** Records no more job ends (shutdown): a later nora recovers the jobs still open. */
  stop(): void {
    this.stopped = true
  }

  private async finish(q: Queued, end: JobEnd | undefined): Promise<void> {
    const code = end?.code ?? null
    const killed = await this.d.system.killed(q.job)
    if (killed) return this.fail(q, killed, code)
    const record = await this.d.imports.get(q.id)
    if (end && !end.reason && code === 0 && record?.state === 'done') {
      await this.d.system.ended(q.job, 'done', null, 0)
      removeInside(join(this.d.dataRoot, 'imports', 'queued'), q.dir)
      return
    }
    const why = !end ? 'lost: the job ended without its exit code' : end.reason ? end.reason : code !== 0 ? `exit code ${code}` : `the import ended ${record?.state ?? 'unknown'}`
    return this.fail(q, why, code)
  }

  /** The job failed: gridjob, command, run and batch in error; the import failed with the reason; staged files kept. */
  private async fail(q: Queued, reason: string, exitCode: number | null): Promise<void> {
    await this.d.system.ended(q.job, 'error', reason, exitCode)
    await this.importFailed(q, reason)
  }

  private async importFailed(q: Queued, reason: string): Promise<void> {
    const record = await this.d.imports.get(q.id)
    const own = record?.state === 'failed' && record.message ? `${record.message}; ` : ''
    await this.d.imports.update(q.id, {
      state: 'failed',
      phase: record?.state === 'failed' ? record.phase : 'stopped',
      message: `${own}import job ${q.job.gridjobId} on ${this.d.system.executorName} failed: ${reason}; its staged files are kept in ${q.dir}, its log is ${importJobLog(this.d.dataRoot, q.id)}`,
    })
  }
}

/** A queued import: its id, its system job, its staging folder. */
interface Queued {
  id: number
  job: SystemJob
  dir: string
}
