import type { User } from '../../core/types'
import type { Db } from '../../store/db'
import type { ArchiveService } from '../archive-service'
import type { FilterBars } from './compile-filter'
import { MAX_LIMIT, queryStudies, type StudyPage, type StudyQueryOptions, type StudyRowOut } from './study-query'

/** The subject/study table behind the filter bars, for the HTTP API and the CLI: checks the read right, then queries. */
export class StudiesService {
  constructor(
    private readonly db: Db,
    private readonly archive: Pick<ArchiveService, 'open'>,
  ) {}

  /** One page of the rows of `projectName` that pass every bar. */
  async list(actor: User, projectName: string, bars: FilterBars, options: StudyQueryOptions = {}): Promise<StudyPage> {
    const project = await this.archive.open(actor, projectName, 'read')
    return queryStudies(this.db, project.id, bars, options)
  }

  /** Every matching row, page by page (the CLI's `--filter`). */
  async *all(actor: User, projectName: string, bars: FilterBars, options: Omit<StudyQueryOptions, 'limit' | 'offset'> = {}): AsyncGenerator<StudyRowOut[]> {
    const project = await this.archive.open(actor, projectName, 'read')
    for (let offset = 0; ; offset += MAX_LIMIT) {
      const page = await queryStudies(this.db, project.id, bars, { ...options, limit: MAX_LIMIT, offset })
      if (page.rows.length > 0) yield page.rows
      if (page.rows.length < MAX_LIMIT) return
    }
  }
}
