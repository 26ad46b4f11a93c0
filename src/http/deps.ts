import type { ArchiveService } from '../archive/archive-service'
import type { StudiesService } from '../archive/filter/studies-service'
import type { AuthService } from '../auth/auth-service'
import type { Rights } from '../auth/rights'
import type { ImportQueue } from '../importer/import-queue'
import type { ImportService } from '../importer/import-service'
import type { BatchLibrary } from '../jobs/batch-library'
import type { JobsService } from '../jobs/jobs-service'
import type { GridstatsRepo } from '../store/repos/gridstats-repo'
import type { AutoloadersService } from '../archive/autoloaders'
import type { JobIndicators } from '../archive/job-indicators'
import type { TagsService } from '../archive/tags-service'
import type { PacsQuery } from '../pacs/find-view'
import type { PullService } from '../pacs/pull-service'
import type { PushService } from '../pacs/push-service'

export interface HealthInfo {
  status: 'ok' | 'degraded'
  version: string
  database: { dialect: string; ok: boolean; error?: string }
  queue: string
  dicom: { enabled: boolean; aet: string; port: number; state: string }
}

/** What the HTTP layer needs, passed in by the composition root. */
export interface HttpDeps {
  siteName: string
  auth: AuthService
  rights: Rights
  archive: ArchiveService
  importer: ImportService
  studies: StudiesService
  importQueue: ImportQueue
  /** Batches: launch, run (in this process), list, kill. */
  jobs: JobsService
  /** Saved batches per project (the batch list). */
  batchLibrary: BatchLibrary
  /** Gridstats: pages of jobs. */
  gridstats: GridstatsRepo
  /** PACS nodes, echo and C-FIND as the caller may see them (pseudonymised for such projects). */
  pacsQuery: PacsQuery
  /** Durable PACS pulls (create, progress, cancel); the PullRunner of `nora serve` does the moving. */
  pulls: PullService
  /** C-STORE of a study's (or some series') kept DICOM to a node. */
  push: PushService
  /** Tags from the desktop's context menu; autoloader presets; the table's job indicators. */
  tags: TagsService
  autoloaders: AutoloadersService
  jobIndicators: JobIndicators
  /** Where uploads are streamed before their import runs. */
  uploadsDir: string
  health(): Promise<HealthInfo>
  /** Set Secure on cookies (behind TLS). */
  secureCookies?: boolean
}
