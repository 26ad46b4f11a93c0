import { ArchiveService } from './archive/archive-service'
import { StudiesService } from './archive/filter/studies-service'
import { AutoloadersService } from './archive/autoloaders'
import { JobIndicators } from './archive/job-indicators'
import { TagsService } from './archive/tags-service'
import { JobsService } from './jobs/jobs-service'
import { clusterDefaults, executorDeps } from './jobs/executors'
import { loadSlurmConf } from './config/slurm-conf'
import { Autoexec } from './jobs/autoexec'
import { BatchLibrary } from './jobs/batch-library'
import { PacsService } from './pacs/pacs-service'
import { PushService } from './pacs/push-service'
import { PacsQuery } from './pacs/find-view'
import { PullService } from './pacs/pull-service'
import { PullRunner } from './pacs/pull-runner'
import { AuthService } from './auth/auth-service'
import { Rights } from './auth/rights'
import { UsersService } from './auth/users-service'
import type { Config } from './config/load-config'
import type { HttpDeps } from './http/deps'
import { createConverter } from './dicom/convert/converter-pool'
import type { Db } from './store/db'
import { ImportQueue } from './importer/import-queue'
import { QueuedImport } from './importer/queued-import'
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
  batchLibrary: BatchLibrary
  autoexec: Autoexec
  pacs: PacsService
  pulls: PullService
  push: PushService
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
  const jobs = new JobsService({ db, jobs: repos.jobs, repos, rights, archive, studies, home: config.home, localWorkers: config.main.jobs.localWorkers, matlab: config.main.jobs.matlab, ...executorDeps(config.main.jobs.queue, loadSlurmConf(config.confDir)) })
  const batchLibrary = new BatchLibrary({ archive, library: repos.batchLibrary })
  const autoexec = new Autoexec({ jobs, library: batchLibrary, users: repos.users, projects: repos.projects, log: (line) => console.log(line) })
  const pacs = new PacsService(config)
  const pseudonyms = new Pseudonyms(`${config.dataRoot}/keys/site.key`, repos.pseudonyms)
  const importQueue = importQueueFor(config, repos, jobs)
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
    batchLibrary,
    autoexec,
    pacs,
    pulls: new PullService({ pulls: repos.pulls, archive, rights, nodes: pacs }),
    push: new PushService({ dataRoot: config.dataRoot, pulls: repos.pulls, archive, pacs }),
    importer: new ImportService({
      dataRoot: config.dataRoot,
      db,
      repos,
      rights,
      converter,
      pseudonyms,
      maxParallel: config.main.import.maxParallel,
      onImported: (e) => autoexec.afterImport(e),
    }),
    pseudonyms,
    importQueue,
    async close() {
      importQueue.cluster?.stop()
      await converter.close()
      await db.close()
    },
  }
}

/** The import queue; with import.executor "queue" and jobs.queue slurm/sge, accepted imports become jobs on the import queue (DPXimport). */
function importQueueFor(config: Config, repos: Repos, jobs: JobsService): ImportQueue {
  const queue = new ImportQueue(1)
  if (config.main.import.executor !== 'queue' || config.main.jobs.queue === 'local') return queue
  const slurmConf = loadSlurmConf(config.confDir)
  queue.cluster = new QueuedImport({ dataRoot: config.dataRoot, home: config.home, jobs: repos.jobs, imports: repos.imports, executor: jobs.executor, resources: clusterDefaults(slurmConf, 'import'), pollMs: slurmConf.pollMs })
  return queue
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
    jobs: s.jobs,
    batchLibrary: s.batchLibrary,
    gridstats: s.repos.gridstats,
    pulls: s.pulls,
    push: s.push,
    pacsQuery: new PacsQuery({ pacs: s.pacs, archive: s.archive, rights: s.rights, pseudonyms: s.pseudonyms }),
    tags: new TagsService(s.repos, s.archive),
    autoloaders: new AutoloadersService(s.repos, s.archive),
    jobIndicators: new JobIndicators(s.db, s.archive),
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
export async function startDicomNode(s: Services, log: (line: string) => void, opts: { listen?: boolean } = {}): Promise<{ state(): string; stop(): void; pulls?: PullRunner }> {
  const { dicom } = s.config.main
  if (!dicom.enabled) return { state: () => 'disabled', stop() {} }
  let pulls: PullRunner | undefined // PACS pulls: their studies are imported into the pull's project, not routed
  const receiver = new DicomReceiver({ config: s.config, importer: s.importer, importQueue: s.importQueue, archive: s.archive, log, pulls: { holds: (key) => pulls?.holds(key) ?? true } })
  pulls = new PullRunner({ config: s.config, pulls: s.repos.pulls, pacs: s.pacs, archive: s.archive, spool: receiver, log })
  const scp = new StoreScp(receiver, { aet: dicom.aet, maxPdu: dicom.maxPdu, associationTimeoutMs: dicom.associationTimeoutSeconds * 1000 })
  try {
    if (opts.listen !== false) await scp.listen(dicom.port)
  } catch (e) {
    throw new ServiceError(`DICOM port ${dicom.port} cannot be opened (${(e as Error).message}); set dicom.port in conf/main.conf or NORA_DICOM_PORT, or dicom.enabled: false`)
  }
  receiver.start()
  await pulls.start()
  return {
    state: () => scp.state,
    pulls,
    stop() {
      void pulls.stop()
      receiver.stop()
      scp.close()
    },
  }
}
