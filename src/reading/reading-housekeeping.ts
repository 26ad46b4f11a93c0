import type { ReadingsRepo } from '../store/repos/readings-repo'
import type { ResultRois } from './result-rois'

/**
 * How long a reading session may sit idle (no result submitted in it) before it is pruned, when a newer session of
 * the same reader and mode replaced it or it never got a result. A week: longer than any sitting, so a tab left open
 * over a weekend still submits; after that the reader's next start makes a new session (progress is per case, kept).
 */
export const SESSION_IDLE_MS = 7 * 24 * 3600_000

export interface ReadingHousekeepingDeps {
  readings: Pick<ReadingsRepo, 'list' | 'ids' | 'idleSessions' | 'deleteSessions'>
  rois: Pick<ResultRois, 'moveReadings' | 'folderIds' | 'removeFolders'>
}

/**
 * What the Reading Tool keeps tidy without a user asking: old sessions (`nora serve`, hourly, with the other prunes)
 * and the ROI folders of readings that are gone (a deleted project's readings move to its trash; folders whose
 * reading vanished otherwise are removed by the same sweep). No rights here: the system runs it.
 */
export class ReadingHousekeeping {
  constructor(private readonly d: ReadingHousekeepingDeps) {}

  /** Prunes idle sessions (results stay) and the ROI folders of readings that no longer exist. */
  async prune(now = Date.now()): Promise<{ sessions: number; folders: number }> {
    const sessions = await this.d.readings.deleteSessions(await this.d.readings.idleSessions(now - SESSION_IDLE_MS))
    const onDisk = this.d.rois.folderIds() // before the ids: a reading made meanwhile is never taken for gone
    const known = new Set(await this.d.readings.ids())
    const folders = this.d.rois.removeFolders(onDisk.filter((id) => !known.has(id)))
    return { sessions, folders }
  }

  /**
   * A project goes to the trash: its readings' ROI folders go with it, to `to/<readingId>` (the rows go by the
   * foreign keys when the project's row does). Call before the project's rows are deleted.
   */
  async projectTrashed(projectId: number, to: string): Promise<number> {
    const ids = (await this.d.readings.list(projectId)).map((r) => r.id)
    return this.d.rois.moveReadings(ids, to)
  }
}
