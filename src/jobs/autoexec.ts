import { NotFoundError, UsageError } from '../core/errors'
import type { ImportedStudies, Project, User } from '../core/types'
import { systemUser } from '../core/system-user'
import type { BatchLibrary } from './batch-library'
import { parseBatch } from './job-spec'
import type { JobsService } from './jobs-service'

/** Who runs an autoexecution queue when no user started the import (DICOM receiver). */
export const AUTOEXEC_ACTOR: User = systemUser('autoexec', 'autoexecution')

export interface AutoexecLaunch {
  batchId: number
  queue: string
  /** Resolves when every run of the batch has ended. */
  done: Promise<unknown>
}

/**
 * Autoexecution queues: a saved batch of the project's batch list, marked as the project's queue (`nora -p P
 * --autoexec NAME`) or named by routes.conf (`autoexecQueue`) or `--autoexec_queue NAME`, launched on each study an
 * import brings in. The batch runs in this process (the server for uploads and received DICOM).
 */
export class Autoexec {
  private readonly running = new Set<Promise<unknown>>()

  constructor(
    private readonly d: {
      jobs: Pick<JobsService, 'launch' | 'run'>
      library: BatchLibrary
      users: { byId(id: number): Promise<User | undefined> }
      projects: { byName(name: string): Promise<Project | undefined> }
      /** Whether a user may launch jobs on a project (the `jobs` right); unset: everyone may. */
      canLaunch?: (user: User, project: Project) => Promise<boolean>
      log?: (line: string) => void
    },
  ) {}

  /** Launches the queue (`DEFAULT` or undefined: the project's own) on the studies; undefined when there is none. */
  async launch(actor: User, project: Project, psids: string[], queue?: string): Promise<AutoexecLaunch | undefined> {
    if (queue === 'none' || psids.length === 0) return undefined
    const saved = !queue || queue === 'DEFAULT' ? await this.d.library.autoexecOf(project.id) : await this.d.library.byProjectId(project.id, queue)
    if (!saved) {
      if (!queue || queue === 'DEFAULT') return undefined
      throw new NotFoundError(`no saved batch "${queue}" in project "${project.name}" to use as autoexecution queue`)
    }
    const raw = JSON.parse(saved.spec) as Record<string, unknown>
    const spec = parseBatch(raw)
    const { batchId } = await this.d.jobs.launch(actor, project.name, { ...raw, name: spec.name || `autoexec ${saved.name}` }, { studies: psids })
    const done = this.d.jobs
      .run(actor, batchId)
      .catch((e) => this.d.log?.(`autoexec batch ${batchId} (${saved.name}) of ${project.name} stopped: ${(e as Error).message}`))
    this.running.add(done)
    void done.finally(() => this.running.delete(done))
    this.d.log?.(`autoexec: batch ${batchId} (${saved.name}) launched on ${psids.length} stud${psids.length === 1 ? 'y' : 'ies'} of ${project.name}`)
    return { batchId, queue: saved.name, done }
  }

  /** `nora -p P --launch_autoexec PID#SID`: the project's queue on one study. */
  async launchFor(actor: User, projectName: string, psid: string, queue?: string): Promise<AutoexecLaunch> {
    if (!/^[^#/]+#[^#/]+$/.test(psid)) throw new UsageError(`--launch_autoexec: give the study as PATIENTS_ID#STUDIES_ID (got "${psid}")`)
    const project = await this.d.projects.byName(projectName)
    if (!project) throw new NotFoundError(`no project "${projectName}"; nora --admin projects lists them`)
    const launched = await this.launch(actor, project, [psid], queue)
    if (!launched) throw new NotFoundError(`project "${project.name}" has no autoexecution queue; set one with nora -p ${project.name} --autoexec NAME (a saved batch)`)
    return launched
  }

  /** The import hook: never throws (an import that finished stays finished); problems go to the log. */
  async afterImport(e: ImportedStudies): Promise<AutoexecLaunch | undefined> {
    try {
      // The queue was set up by someone with the jobs right (--autoexec needs it) and only such users change saved
      // batches: an import by a user without it still runs the queue, as the autoexecution actor.
      const importer = e.userId ? await this.d.users.byId(e.userId) : undefined
      const actor = importer && (!this.d.canLaunch || (await this.d.canLaunch(importer, e.project))) ? importer : AUTOEXEC_ACTOR
      return await this.launch(actor, e.project, e.psids, e.autoexecQueue)
    } catch (err) {
      this.d.log?.(`autoexec after import ${e.importId} into ${e.project.name}: ${(err as Error).message}`)
      return undefined
    }
  }

  /** Resolves when every batch this process started has ended (the CLI waits before it exits). */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running])
  }
}
