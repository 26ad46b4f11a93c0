import type { ArchiveService } from './archive/archive-service'
import { StudiesService } from './archive/filter/studies-service'
import { AutoloadersService } from './archive/autoloaders'
import { JobIndicators } from './archive/job-indicators'
import { TagsService } from './archive/tags-service'
import { ReadingService } from './reading/reading-service'
import { ResultRois } from './reading/result-rois'
import { ReadingHousekeeping } from './reading/reading-housekeeping'
import { JobsService } from './jobs/jobs-service'
import { clusterDefaults, executorDeps } from './jobs/executors'
import { loadSlurmConf } from './config/slurm-conf'
import { Autoexec } from './jobs/autoexec'
import { BatchLibrary } from './jobs/batch-library'
import { PacsService } from './pacs/pacs-service'
import { PushService } from './pacs/push-service'
import { SegExportService } from './pacs/seg-export'
import { PacsQuery } from './pacs/find-view'
import { PullService } from './pacs/pull-service'
import { PullRunner } from './pacs/pull-runner'
import { AuthService } from './auth/auth-service'
import { directoryAccountsFor } from './auth/ldap-accounts'
import type { Rights } from './auth/rights'
import { UsersService } from './auth/users-service'
import type { Config } from './config/load-config'
import type { HttpDeps } from './http/deps'
import { uploadLimits } from './http/upload/upload-limits'
import { createConverter } from './dicom/convert/converter-pool'
import type { Db } from './store/db'
import { ImportQueue } from './importer/import-queue'
import { QueuedImport } from './importer/queued-import'
import type { ImportService } from './importer/import-service'
import type { Pseudonyms } from './importer/pseudonyms'
import { VERSION } from './version'
import { ServiceError } from './core/errors'
import { StoreScp } from './dicom/dimse/store-scp'
import { DicomReceiver } from './importer/dicom-receiver'
import type { Repos } from './store/repos'
import { openArchive } from './app-archive'
import { importerOn } from './app-import'
import { NotificationService } from './notify/notifications'
import { Mailer } from './notify/mailer'
import { SiteSettings } from './config/site-settings'
import { loadSmailConf } from './config/smail-conf'
import { ProjectAdmin } from './archive/project-admin'
import { SharedLinksService } from './sharing/shared-links-service'
import { SharedLinksRepo } from './store/repos/shared-links-repo'

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
  /** The header's bell and notification mails (batches, imports, pulls, quarantine). */
  notifications: NotificationService
  /** The settings a site admin changes while nora runs (admin page). */
  siteSettings: SiteSettings
  /** Describe, trash and fork projects (admin page). */
  projectAdmin: ProjectAdmin
  close(): Promise<void>
}

export async function openServices(config: Config, opts: { migrate?: boolean } = {}): Promise<Services> {
  const { db, repos, rights, archive } = await openArchive(config, opts)
  const converter = createConverter(config.main.import)
  const studies = new StudiesService(db, archive)
  const siteSettings = new SiteSettings({ repo: repos.siteSettings, main: config.main, smailFile: () => loadSmailConf(config.confDir), log: (line) => console.error(line) })
  await siteSettings.apply()
  const notifications = new NotificationService({
    repo: repos.notifications,
    users: repos.users,
    settings: repos.userSettings,
    mailConf: () => siteSettings.mailConf(),
    send: (conf, mail) => new Mailer(conf).send(mail),
    log: (line) => console.error(line),
    siteName: config.main.site.name,
    publicUrl: config.main.http.publicUrl,
  })
  const jobs = new JobsService({ db, jobs: repos.jobs, repos, rights, archive, studies, home: config.home, localWorkers: config.main.jobs.localWorkers, matlab: config.main.jobs.matlab, runAs: config.main.jobs.runAs, noraUrl: () => jobCliUrl(), onBatchEnded: (e) => notifications.batchEnded(e), ...executorDeps(config.main.jobs.queue, loadSlurmConf(config.confDir)) })
  const batchLibrary = new BatchLibrary({ archive, library: repos.batchLibrary })
  const autoexec = new Autoexec({ jobs, library: batchLibrary, users: repos.users, projects: repos.projects, canLaunch: (u, p) => rights.can(u, 'jobs', p), log: (line) => console.log(line) })
  const pacs = new PacsService(config)
  const importQueue = importQueueFor(config, repos, jobs)
  const { importer, pseudonyms } = importerOn({ config, db, repos, rights, archive }, converter, importQueue, (e) => autoexec.afterImport(e), (r, p) => notifications.importEnded(r, p))
  // Where `nora` inside a job sends its commands (cli/job-broker; loaded when the first job starts).
  let broker: typeof import('./cli/job-broker') | undefined
  const jobCliUrl = async () => {
    broker ??= await import('./cli/job-broker')
    return broker.jobCliUrl(services)
  }
  const services: Services = {
    config,
    db,
    repos,
    rights,
    auth: new AuthService(repos, config.main.auth, directoryAccountsFor(config.main.auth.ldap, repos)),
    users: new UsersService(repos),
    archive,
    studies,
    jobs,
    batchLibrary,
    autoexec,
    pacs,
    pulls: new PullService({ pulls: repos.pulls, archive, rights, nodes: pacs }),
    push: new PushService({ dataRoot: config.dataRoot, pulls: repos.pulls, archive, pacs }),
    importer,
    pseudonyms,
    importQueue,
    notifications,
    siteSettings,
    projectAdmin: new ProjectAdmin({ dataRoot: config.dataRoot, archive, repos, onTrash: (p, dest) => readingHousekeeping(services).projectTrashed(p.id, dest('readings')) }),
    async close() {
      broker?.stopBroker(services)
      importQueue.cluster?.stop()
      jobs.stop()
      await notifications.idle() // the mails of the last notifications (a CLI batch) go out before the process ends
      await converter.close()
      await db.close()
    },
  }
  return services
}

/** The import queue; with import.executor "queue" and jobs.queue slurm/sge, accepted imports become jobs on the import queue (DPXimport). */
function importQueueFor(config: Config, repos: Repos, jobs: JobsService): ImportQueue {
  const queue = new ImportQueue(1)
  if (config.main.import.executor !== 'queue' || config.main.jobs.queue === 'local') return queue
  const slurmConf = loadSlurmConf(config.confDir)
  queue.cluster = new QueuedImport({ dataRoot: config.dataRoot, home: config.home, imports: repos.imports, system: jobs.system, resources: clusterDefaults(slurmConf, 'import') })
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
    jobs: s.jobs,
    batchLibrary: s.batchLibrary,
    gridstats: s.repos.gridstats,
    pulls: s.pulls,
    push: s.push,
    segExport: new SegExportService({ archive: s.archive, pacs: s.pacs }),
    pacsQuery: new PacsQuery({ pacs: s.pacs, archive: s.archive, rights: s.rights, pseudonyms: s.pseudonyms }),
    tags: new TagsService(s.repos, s.archive),
    autoloaders: new AutoloadersService(s.repos, s.archive),
    readings: readingServiceOf(s),
    jobIndicators: new JobIndicators(s.db, s.archive),
    uploadsDir: `${s.config.dataRoot}/uploads`,
    uploadLimits: uploadLimits(main, s.config.dataRoot),
    secureCookies: main.http.publicUrl.startsWith('https:'),
    trustedProxies: main.http.trustedProxies,
    notifications: s.notifications,
    sharedLinks: new SharedLinksService({ store: new SharedLinksRepo(s.db), archive: s.archive }),
    admin: {
      users: s.users,
      setEmail: (userId, email) => s.repos.users.setEmail(userId, email),
      projects: s.projectAdmin,
      settings: s.siteSettings,
      logFile: `${s.config.dataRoot}/logs/nora.log`,
    },
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

/** What the DICOM node uses: the configuration, the importer, the archive, the pulls' table and the PACS nodes. */
export type DicomNodeServices = Pick<Services, 'config' | 'importer' | 'archive' | 'repos' | 'pacs'> & { notifications?: NotificationService }

/** Starts the DICOM node (C-ECHO, C-STORE into the spool, import of completed studies) of `nora serve`. */
export async function startDicomNode(s: DicomNodeServices, log: (line: string) => void, opts: { listen?: boolean } = {}): Promise<{ state(): string; stop(): void; pulls?: PullRunner }> {
  const { dicom } = s.config.main
  if (!dicom.enabled) return { state: () => 'disabled', stop() {} }
  let pulls: PullRunner | undefined // PACS pulls: their studies are imported into the pull's project, not routed
  const n = s.notifications
  const onQuarantined = n && (async (q: { project: string; studyUid: string; sender: string; reason: string; importId: number; state: string; series: number }) => n.quarantined({ ...q, projectName: q.project, project: await s.repos.projects.byName(q.project) }))
  const receiver = new DicomReceiver({ config: s.config, importer: s.importer, archive: s.archive, log, pulls: { holds: (key) => pulls?.holds(key) ?? true }, onQuarantined })
  pulls = new PullRunner({ config: s.config, pulls: s.repos.pulls, pacs: s.pacs, archive: s.archive, spool: receiver, log, onPullEnded: n && ((pull, state) => n.pullEnded(pull, state)) })
  const scp = new StoreScp(receiver, { aet: dicom.aet, host: dicom.host, maxPdu: dicom.maxPdu, associationTimeoutMs: dicom.associationTimeoutSeconds * 1000, maxAssociations: dicom.maxAssociations })
  try {
    if (opts.listen !== false) await scp.listen(dicom.port)
  } catch (e) {
    throw new ServiceError(`DICOM port ${dicom.host}:${dicom.port} cannot be opened (${(e as Error).message}); set dicom.port in conf/main.conf or NORA_DICOM_PORT, or dicom.enabled: false`)
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

/** The Reading Tool's service (the HTTP API and `nora -p P --reading ID --csv`). */
export function readingServiceOf(s: Pick<Services, 'repos' | 'archive' | 'rights' | 'studies' | 'config'>): ReadingService {
  return new ReadingService({ repos: s.repos, archive: s.archive, rights: s.rights, studies: s.studies, tags: new TagsService(s.repos, s.archive), autoloaders: new AutoloadersService(s.repos, s.archive), rois: new ResultRois({ repo: s.repos.readingRois, dataRoot: s.config.dataRoot }) })
}

/** Old reading sessions and orphaned ROI folders (`nora serve`, hourly); a trashed project's readings' ROI folders. */
export function readingHousekeeping(s: Pick<Services, 'repos' | 'config'>): ReadingHousekeeping {
  return new ReadingHousekeeping({ readings: s.repos.readings, rois: new ResultRois({ repo: s.repos.readingRois, dataRoot: s.config.dataRoot }) })
}
