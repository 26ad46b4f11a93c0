import { ArchiveService } from './archive/archive-service'
import { StudiesService } from './archive/filter/studies-service'
import { JobsService } from './jobs/jobs-service'
import { PacsService } from './pacs/pacs-service'
import { AuthService } from './auth/auth-service'
import { Rights } from './auth/rights'
import { UsersService } from './auth/users-service'
import type { Config } from './config/load-config'
import type { HttpDeps } from './http/deps'
import { createConverter } from './dicom/convert/converter-pool'
import type { Db } from './store/db'
import { ImportQueue } from './importer/import-queue'
import { ImportService } from './importer/import-service'
import { Pseudonyms } from './importer/pseudonyms'
import { VERSION } from './version'
import { ServiceError } from './core/errors'
import { StoreScp } from './dicom/dimse/store-scp'
import { DicomReceiver } from './importer/dicom-receiver'
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
  studies: StudiesService
  jobs: JobsService
  pacs: PacsService
  importer: ImportService
  importQueue: ImportQueue
  pseudonyms: Pseudonyms
  close(): Promise<void>
}

export async function openServices(config: Config, opts: { migrate?: boolean } = {}): Promise<Services> {
  const db = await openDb(config.main.database)
  if (opts.migrate !== false) await migrate(db)
  const repos = createRepos(db)
  const rights = new Rights(repos)
  const converter = createConverter(config.main.import)
  const archive = new ArchiveService(config.dataRoot, repos, rights)
  const studies = new StudiesService(db, archive)
  const jobs = new JobsService({ db, jobs: repos.jobs, repos, rights, archive, studies, home: config.home, localWorkers: config.main.jobs.localWorkers })
  const pseudonyms = new Pseudonyms(`${config.dataRoot}/keys/site.key`, repos.pseudonyms)
  return {
    config,
    db,
    repos,
    rights,
    auth: new AuthService(repos, config.main.auth),
    users: new UsersService(repos),
    archive,
    studies,
    jobs,
    pacs: new PacsService(config),
    importer: new ImportService({
      dataRoot: config.dataRoot,
      db,
      repos,
      rights,
      converter,
      pseudonyms,
      maxParallel: config.main.import.maxParallel,
    }),
    pseudonyms,
    importQueue: new ImportQueue(1),
    async close() {
      await converter.close()
      await db.close()
    },
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
    importer: s.importer,
    studies: s.studies,
    importQueue: s.importQueue,
    uploadsDir: `${s.config.dataRoot}/uploads`,
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

/** Starts the DICOM node (C-ECHO, C-STORE into the spool, import of completed studies) of `nora serve`. */
export async function startDicomNode(s: Services, log: (line: string) => void): Promise<{ state(): string; stop(): void }> {
  const { dicom } = s.config.main
  if (!dicom.enabled) return { state: () => 'disabled', stop() {} }
  const receiver = new DicomReceiver({ config: s.config, importer: s.importer, importQueue: s.importQueue, archive: s.archive, log })
  const scp = new StoreScp(receiver, { aet: dicom.aet, maxPdu: dicom.maxPdu, associationTimeoutMs: dicom.associationTimeoutSeconds * 1000 })
  try {
    await scp.listen(dicom.port)
  } catch (e) {
    throw new ServiceError(`DICOM port ${dicom.port} cannot be opened (${(e as Error).message}); set dicom.port in conf/main.conf or NORA_DICOM_PORT, or dicom.enabled: false`)
  }
  receiver.start()
  return {
    state: () => scp.state,
    stop() {
      receiver.stop()
      scp.close()
    },
  }
}
