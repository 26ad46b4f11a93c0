import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ArchiveService } from '../archive/archive-service'
import type { Config } from '../config/load-config'
import type { User } from '../core/types'
import { readDicomHeader } from '../dicom/dicom-header'
import type { Association, StoreHandler } from '../dicom/dimse/store-scp'
import type { ImportQueue } from './import-queue'
import type { ImportService } from './import-service'
import type { ImportCounts } from '../store/repos/imports-repo'
import { routeStudy } from './route-study'

/** DIMSE statuses the receiver answers with. */
const CANNOT_UNDERSTAND = 0xc000
const SUCCESS = 0

interface PendingStudy {
  dir: string
  lastArrival: number
  /** Associations that sent to this study and are still open. */
  open: Set<number>
  released: boolean
  handedOver: boolean
  /** Imports of this folder that ended with errors; after MAX_IMPORT_ATTEMPTS it moves to spool/failed. */
  attempts?: number
}

const MAX_IMPORT_ATTEMPTS = 3

/** Errors of an import that left instances out of the archive (a series kept as DICOM only is archived, not lost). */
const lostInstances = (c: ImportCounts) => c.errors - c.unconverted

/** Active PACS pulls (src/pacs/pull-runner.ts): their studies are imported by the runner into the pull's project, not by routes.conf. */
export interface PullClaims {
  /** True when the spool folder `key` (a StudyInstanceUID, maybe with a `.time` suffix) belongs to an active pull, or while claims are loading. */
  holds(key: string): boolean
}

/** The receiver acts as this site-admin identity when it imports. */
const RECEIVER: User = { id: 0, username: 'dicom-receiver', displayName: 'DICOM receiver', email: '', isSiteAdmin: true, source: 'local', disabled: false, createdAt: 0 }

const safe = (uid: string) => uid.replace(/[^0-9A-Za-z.]/g, '_').slice(0, 128) || 'unknown'

/**
 * Received instances are spooled durably (fsync'd before success is answered) under data/spool/<StudyUID>/, and a
 * study is handed to the importer once it has been quiet for dicom.quietSeconds, or shortly after every association
 * that sent to it was released. A study sent over several associations is one import; a late instance opens a new
 * spool folder and its import re-converts just that series. Routing follows routes.conf; unroutable data goes to
 * the quarantine project, never away. The spool survives restarts.
 */
export class DicomReceiver implements StoreHandler {
  private readonly spool: string
  private readonly pending = new Map<string, PendingStudy>()
  private timer?: ReturnType<typeof setInterval>
  private seq = 0

  constructor(
    private readonly deps: { config: Config; importer: ImportService; importQueue: ImportQueue; archive: ArchiveService; log(line: string): void; pulls?: PullClaims },
  ) {
    this.spool = join(deps.config.dataRoot, 'spool')
    mkdirSync(join(this.spool, 'incoming'), { recursive: true })
  }

  log(line: string): void {
    this.deps.log(`dicom: ${line}`)
  }

  /** Picks up studies left in the spool by a previous run, and starts the completion timer. */
  start(): void {
    for (const name of readdirSync(this.spool)) {
      const dir = join(this.spool, name)
      if (name === 'incoming' || name === 'failed' || !statSync(dir).isDirectory()) continue
      this.pending.set(name, { dir, lastArrival: statSync(dir).mtimeMs, open: new Set(), released: true, handedOver: false })
    }
    rmSync(join(this.spool, 'incoming'), { recursive: true, force: true })
    mkdirSync(join(this.spool, 'incoming'), { recursive: true })
    this.timer = setInterval(() => this.tick(), 500)
  }

  stop(): void {
    clearInterval(this.timer)
  }

  checkAssociation(a: Association): string | undefined {
    const allowed = this.deps.config.pacs.allowedCallingAets
    if (allowed.length && !allowed.includes(a.callingAet)) return `calling AE "${a.callingAet}" is not in allowedCallingAets (conf/pacs.conf)`
    return undefined
  }

  tempPath(): string {
    return join(this.spool, 'incoming', `${process.pid}-${Date.now()}-${++this.seq}.part`)
  }

  async stored(tempFile: string, a: Association): Promise<number> {
    const fd = openSync(tempFile, 'r+')
    let header
    try {
      fsyncSync(fd)
      const head = new Uint8Array(Math.min(statSync(tempFile).size, 1 << 20))
      readSync(fd, head, 0, head.length, 0)
      header = readDicomHeader(head, `instance from ${a.callingAet}`)
    } catch (e) {
      rmSync(tempFile, { force: true })
      this.log(`rejected an instance from ${a.callingAet}: ${(e as Error).message}`)
      return CANNOT_UNDERSTAND
    } finally {
      closeSync(fd)
    }
    const key = safe(header.studyInstanceUid)
    let study = this.pending.get(key)
    if (!study || study.handedOver) {
      // A late instance after hand-over gets its own folder: a new import that re-opens only its series.
      const dir = join(this.spool, study?.handedOver ? `${key}.${Date.now()}` : key)
      study = { dir, lastArrival: Date.now(), open: new Set(), released: false, handedOver: false }
      this.pending.set(study.dir.slice(this.spool.length + 1), study)
    }
    mkdirSync(study.dir, { recursive: true })
    const sender = `${study.dir}.sender.json`
    if (!existsSync(sender)) writeFileSync(sender, JSON.stringify({ callingAet: a.callingAet, calledAet: a.calledAet }))
    renameSync(tempFile, join(study.dir, `${safe(header.sopInstanceUid)}.dcm`))
    const dirFd = openSync(study.dir, 'r')
    fsyncSync(dirFd) // the rename itself is durable before we say Success
    closeSync(dirFd)
    study.lastArrival = Date.now()
    study.open.add(a.id)
    study.released = false
    return SUCCESS
  }

  failed(tempFile: string, a: Association, error: Error): void {
    rmSync(tempFile, { force: true })
    this.log(`could not store an instance from ${a.callingAet}: ${error.message}`)
  }

  released(a: Association): void {
    for (const s of this.pending.values()) {
      if (s.open.delete(a.id) && s.open.size === 0) s.released = true
    }
  }

  /** The spool folders of one study (a late instance may have opened a second one). */
  private foldersOf(studyUid: string): [string, PendingStudy][] {
    const key = safe(studyUid)
    return [...this.pending].filter(([k]) => k === key || k.startsWith(`${key}.`))
  }

  /** Instances of a study waiting in the spool. */
  spooledInstances(studyUid: string): number {
    let n = 0
    for (const [, s] of this.foldersOf(studyUid)) if (!s.handedOver && existsSync(s.dir)) n += readdirSync(s.dir).filter((f) => f.endsWith('.dcm')).length
    return n
  }

  /**
   * Imports a pulled study from the spool into `project` (the pull's, whatever routes.conf says), through the import
   * queue; the spool folder goes once its import is done. Resolves with how many instances were imported, or throws
   * with the import's message.
   */
  importPulled(studyUid: string, project: string, actor: User, source: string): Promise<{ instances: number; imports: number[] }> {
    return new Promise((resolve, reject) => {
      this.deps.importQueue.enqueue(async () => {
        try {
          const result = { instances: 0, imports: [] as number[] }
          for (const [key, s] of this.foldersOf(studyUid)) {
            if (s.handedOver) continue
            s.handedOver = true
            try {
              const { id, project: p } = await this.deps.importer.create(actor, project, source)
              result.imports.push(id)
              const record = await this.deps.importer.run(id, p, s.dir)
              if (record.state !== 'done') throw new Error(`import ${id} ${record.state}: ${record.message || 'see nora imports'}`)
              // A series that failed stays in the spool for the retry (a re-import skips what is already in).
              if (lostInstances(record.counts) > 0) throw new Error(`import ${id} had ${record.counts.errors} error(s)${record.message ? `: ${record.message}` : ''}`)
              result.instances += record.counts.instances
              rmSync(s.dir, { recursive: true, force: true })
              rmSync(`${s.dir}.sender.json`, { force: true })
              this.pending.delete(key)
            } finally {
              s.handedOver = this.pending.has(key) ? false : s.handedOver
            }
          }
          resolve(result)
        } catch (e) {
          reject(e)
        }
      })
    })
  }

  /** Studies due for import: quiet long enough, or released by all their senders and quiet for a second. */
  private tick(): void {
    const quiet = this.deps.config.main.dicom.quietSeconds * 1000
    const now = Date.now()
    for (const [key, s] of this.pending) {
      if (s.handedOver || this.deps.pulls?.holds(key)) continue // a pull's study: its runner imports it into the pull's project
      const idle = now - s.lastArrival
      if (idle >= quiet || (s.released && idle >= 1000)) {
        s.handedOver = true
        this.deps.importQueue.enqueue(() => this.importStudy(key, s))
      }
    }
  }

  private async importStudy(key: string, s: PendingStudy): Promise<void> {
    const files = readdirSync(s.dir).filter((f) => f.endsWith('.dcm'))
    if (files.length === 0) {
      rmSync(s.dir, { recursive: true, force: true })
      rmSync(`${s.dir}.sender.json`, { force: true })
      this.pending.delete(key)
      return
    }
    const senderFile = `${s.dir}.sender.json`
    const sender = existsSync(senderFile) ? JSON.parse(readFileSync(senderFile, 'utf8')) : { callingAet: '', calledAet: '' }
    const header = readDicomHeader(readFileSync(join(s.dir, files[0]!)), files[0]!)
    const route = routeStudy(this.deps.config.routes, sender, header)
    let project = route.project
    if (project !== this.deps.config.routes.quarantineProject && !(await this.deps.archive.projectExists(project))) {
      const quarantine = this.deps.config.routes.quarantineProject
      this.log(`project "${project}" (${route.reason}) does not exist: study ${header.studyInstanceUid} goes to "${quarantine}"`)
      project = quarantine
    }
    if (project === this.deps.config.routes.quarantineProject && !(await this.deps.archive.projectExists(project))) await this.deps.archive.createProject(RECEIVER, project, 'unroutable DICOM: routes.conf matched no project')
    const { id, project: p } = await this.deps.importer.create(RECEIVER, project, `dicom from ${sender.callingAet}`)
    // routes.conf may name the autoexecution queue; else the project's own (if it has one) runs on the study.
    const record = await this.deps.importer.run(id, p, s.dir, { autoexecQueue: route.autoexecQueue || undefined })
    this.log(`study ${header.studyInstanceUid} from ${sender.callingAet} -> ${project} (${route.reason}): import ${id} ${record.state}, ${record.counts.series} series`)
    if (record.state === 'done' && lostInstances(record.counts) === 0) {
      rmSync(s.dir, { recursive: true, force: true })
      rmSync(senderFile, { force: true })
      this.pending.delete(key)
    } else if ((s.attempts = (s.attempts ?? 0) + 1) < MAX_IMPORT_ATTEMPTS) {
      s.handedOver = false // kept in the spool; tried again after the next quiet period (a re-import skips what is in)
      s.lastArrival = Date.now()
    } else {
      // Never dropped: kept for an admin, who can import it by hand (nora -p P --import DIR).
      const failed = join(this.spool, 'failed', `${key}-${Date.now()}`)
      mkdirSync(join(this.spool, 'failed'), { recursive: true })
      renameSync(s.dir, failed)
      if (existsSync(senderFile)) renameSync(senderFile, `${failed}.sender.json`)
      this.pending.delete(key)
      this.log(`study ${header.studyInstanceUid}: import ${id} ${record.state} with ${record.counts.errors} error(s) ${MAX_IMPORT_ATTEMPTS} times; its instances are kept in ${failed}`)
    }
  }
}
