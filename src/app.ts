import { ArchiveService } from './archive/archive-service'
import { AuthService } from './auth/auth-service'
import { Rights } from './auth/rights'
import { UsersService } from './auth/users-service'
import type { Config } from './config/load-config'
import type { HttpDeps } from './http/deps'
import type { Db } from './store/db'
import { VERSION } from './version'
import { migrate } from './store/migrate'
import { openDb } from './store/open-db'
import { createRepos, type Repos } from './store/repos'

/** Everything the interfaces (http/, cli/) call. Built once from the Config; no logic here. */
export interface Services {
  config: Config
  db: Db
  repos: Repos
  rights: Rights
  auth: AuthService
  users: UsersService
  archive: ArchiveService
  close(): Promise<void>
}

export async function openServices(config: Config, opts: { migrate?: boolean } = {}): Promise<Services> {
  const db = await openDb(config.main.database)
  if (opts.migrate !== false) await migrate(db)
  const repos = createRepos(db)
  const rights = new Rights(repos)
  return {
    config,
    db,
    repos,
    rights,
    auth: new AuthService(repos, config.main.auth),
    users: new UsersService(repos),
    archive: new ArchiveService(config.dataRoot, repos, rights),
    close: () => db.close(),
  }
}

/** The HTTP layer's view of the services. */
export function httpDeps(s: Services, dicomState: () => string = () => (s.config.main.dicom.enabled ? 'not-running' : 'disabled')): HttpDeps {
  const { main } = s.config
  return {
    siteName: main.site.name,
    auth: s.auth,
    rights: s.rights,
    archive: s.archive,
    secureCookies: main.http.publicUrl.startsWith('https:'),
    async health() {
      let database: { dialect: string; ok: boolean; error?: string } = { dialect: s.db.dialect, ok: true }
      try {
        await s.db.ping()
      } catch (e) {
        database = { dialect: s.db.dialect, ok: false, error: (e as Error).message }
      }
      return {
        status: database.ok ? 'ok' : 'degraded',
        version: VERSION,
        database,
        queue: main.jobs.queue,
        dicom: { enabled: main.dicom.enabled, aet: main.dicom.aet, port: main.dicom.port, state: dicomState() },
      }
    },
  }
}
