import type { User } from '../core/types'
import type { Db } from '../store/db'
import type { ArchiveService } from './archive-service'
import { jobCountsOf, type JobCounts } from './filter/study-query'

export type { JobCounts }

/** The table's job indicators: queued/running/error commands per study of a project (read right). */
export class JobIndicators {
  constructor(
    private readonly db: Db,
    private readonly archive: Pick<ArchiveService, 'open'>,
  ) {}

  async of(actor: User, projectName: string, keys: { patients_id: string; studies_id: string }[]): Promise<Map<string, JobCounts>> {
    const project = await this.archive.open(actor, projectName, 'read')
    return jobCountsOf(this.db, project.id, keys)
  }
}
