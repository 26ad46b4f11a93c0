import type { ArchiveService } from '../archive/archive-service'
import type { StudiesService } from '../archive/filter/studies-service'
import type { AuthService } from '../auth/auth-service'
import type { Rights } from '../auth/rights'
import type { ImportQueue } from '../importer/import-queue'
import type { ImportService } from '../importer/import-service'

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
  /** Where uploads are streamed before their import runs. */
  uploadsDir: string
  health(): Promise<HealthInfo>
  /** Set Secure on cookies (behind TLS). */
  secureCookies?: boolean
}
