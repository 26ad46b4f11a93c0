import type { ArchiveService } from '../archive/archive-service'
import type { StudiesService } from '../archive/filter/studies-service'
import type { AuthService } from '../auth/auth-service'
import type { Rights } from '../auth/rights'
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
import type { SegExportService } from '../pacs/seg-export'
import type { HealthInfo } from './api/health'
import type { SharedLinksService } from '../sharing/shared-links-service'
import type { ReadingService } from '../reading/reading-service'
import type { UploadLimits } from './upload/upload-limits'
import type { NotificationService } from '../notify/notifications'
import type { AdminDeps } from './pages/admin'

/** What the HTTP layer needs, passed in by the composition root (app.ts); create-app.ts hands each route plugin its few. */
export interface HttpDeps {
  siteName: string
  auth: AuthService
  rights: Rights
  archive: ArchiveService
  importer: ImportService
  studies: StudiesService
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
  /** Saved ROIs as DICOM SEG: download, and C-STORE to a node. */
  segExport: SegExportService
  /** Tags from the desktop's context menu; autoloader presets; the table's job indicators. */
  tags: TagsService
  autoloaders: AutoloadersService
  /** The Reading Tool: readings, sessions, results. */
  readings: ReadingService
  jobIndicators: JobIndicators
  /** Shared links (saved viewer states): create, open with the read right, overwrite, list, delete. */
  sharedLinks: SharedLinksService
  /** Where uploads are streamed before their import runs. */
  uploadsDir: string
  /** The largest upload (http.maxUploadMb) and the free space kept on the data disk (data.minFreeMb). */
  uploadLimits: UploadLimits
  health(): Promise<HealthInfo>
  /** The header's bell, the notifications page and API. */
  notifications: NotificationService
  /** The admin pages (site admins): users, projects, the server log, live settings. */
  admin: Omit<AdminDeps, 'auth' | 'siteName' | 'archive'>
  /** Set Secure on cookies (behind TLS). */
  secureCookies?: boolean
  /** Reverse proxies whose X-Forwarded-For is believed (http.trustedProxies); none: the socket's peer counts. */
  trustedProxies?: readonly string[]
}
