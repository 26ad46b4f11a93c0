import type { ArchiveService } from '../archive/archive-service'
import { NotFoundError, UsageError } from '../core/errors'
import type { User } from '../core/types'
import type { BatchLibraryRepo, SavedBatch } from '../store/repos/batch-library-repo'
import { parseBatch, type BatchSpec } from './job-spec'

const NAME = /^[A-Za-z0-9][A-Za-z0-9 _.+-]{0,127}$/

export interface SavedBatchView {
  name: string
  autoexec: boolean
  updatedAt: number
  /** The batch as saved: what `nora -p P --launchfile FILE` reads. */
  batch: unknown
}

export const viewOf = (b: SavedBatch): SavedBatchView => ({ name: b.name, autoexec: b.autoexec, updatedAt: b.updatedAt, batch: JSON.parse(b.spec) })

/** Checks a batch name: letters, digits, space, `_ . + -`, up to 128 characters. */
export function checkBatchName(name: string): string {
  const n = name.trim()
  if (!NAME.test(n)) throw new UsageError(`batch name "${name}": use letters, digits, space, _ . + - (1-128 characters, starting with a letter or digit)`)
  return n
}

/** The batch list of a project: batches saved by name (write right to save or delete, read right to list). */
export class BatchLibrary {
  constructor(private readonly d: { archive: Pick<ArchiveService, 'open'>; library: BatchLibraryRepo }) {}

  async list(actor: User, project: string): Promise<SavedBatchView[]> {
    const p = await this.d.archive.open(actor, project, 'read')
    return (await this.d.library.list(p.id)).map(viewOf)
  }

  async get(actor: User, project: string, name: string): Promise<SavedBatchView> {
    const p = await this.d.archive.open(actor, project, 'read')
    const b = await this.d.library.get(p.id, name)
    if (!b) throw new NotFoundError(`no saved batch "${name}" in project "${p.name}"; the batch list shows the saved ones`)
    return viewOf(b)
  }

  /** The batch a saved name stands for, checked again (it may have been saved by an older nora). */
  async spec(actor: User, project: string, name: string): Promise<BatchSpec> {
    return parseBatch((await this.get(actor, project, name)).batch)
  }

  /** Saves (or replaces) a batch under a name; the batch must be valid (parseBatch). */
  async save(actor: User, project: string, name: string, batch: unknown): Promise<SavedBatchView> {
    // `jobs`: a saved batch may be the autoexecution queue, which runs on every import.
    const p = await this.d.archive.open(actor, project, 'jobs')
    const n = checkBatchName(name)
    let raw = batch
    if (typeof raw === 'string') {
      try {
        raw = JSON.parse(raw)
      } catch (e) {
        throw new UsageError(`the batch is not valid JSON: ${(e as Error).message}`)
      }
    }
    parseBatch(raw)
    return viewOf(await this.d.library.save(p.id, n, JSON.stringify(raw, null, 2), actor.id > 0 ? actor.id : null))
  }

  async delete(actor: User, project: string, name: string): Promise<void> {
    const p = await this.d.archive.open(actor, project, 'jobs')
    if (!(await this.d.library.delete(p.id, name))) throw new NotFoundError(`no saved batch "${name}" in project "${p.name}"`)
  }

  /** Marks a saved batch as the project's autoexecution queue; null: none. */
  async setAutoexec(actor: User, project: string, name: string | null): Promise<void> {
    const p = await this.d.archive.open(actor, project, 'jobs')
    if (name !== null && !(await this.d.library.get(p.id, name))) throw new NotFoundError(`no saved batch "${name}" in project "${p.name}"; save it first (the Batchtool's Save, or POST /api/projects/${p.name}/batches)`)
    await this.d.library.setAutoexec(p.id, name)
  }

  async autoexecOf(projectId: number): Promise<SavedBatch | undefined> {
    return this.d.library.autoexec(projectId)
  }

  async byProjectId(projectId: number, name: string): Promise<SavedBatch | undefined> {
    return this.d.library.get(projectId, name)
  }
}
