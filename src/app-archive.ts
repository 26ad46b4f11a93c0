import { ArchiveService } from './archive/archive-service'
import { ArchiveWriter } from './archive/archive-writer'
import { secureInstallation } from './archive/secure-modes'
import { Rights } from './auth/rights'
import type { Config } from './config/load-config'
import type { Db } from './store/db'
import { migrate } from './store/migrate'
import { openDb } from './store/open-db'
import { createRepos, type Repos } from './store/repos'

/** The core every composition starts from: the database (migrated), the repos, rights and the archive. */
export interface ArchiveCore {
  config: Config
  db: Db
  repos: Repos
  rights: Rights
  archive: ArchiveService
}

/**
 * Opens the database and the archive alone: what the CLI's archive commands (--select, --add, --del, --out, tags)
 * need, without loading the converter, DICOM, jobs or HTTP. openServices (app.ts) builds the rest on it.
 */
export async function openArchive(config: Config, opts: { migrate?: boolean } = {}): Promise<ArchiveCore> {
  const db = await openDb(config.main.database)
  secureInstallation(config)
  if (opts.migrate !== false) await migrate(db)
  const repos = createRepos(db)
  const rights = new Rights(repos)
  return { config, db, repos, rights, archive: new ArchiveService(config.dataRoot, repos, rights, new ArchiveWriter(db)) }
}
