import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { removeInside, safeJoin } from '../core/safe-path'
import type { ArchiveService } from '../archive/archive-service'
import type { Config } from '../config/load-config'
import type { User } from '../core/types'
import { systemUser } from '../core/system-user'
import { type DicomHeader, readDicomHeader } from '../dicom/dicom-header'
import type { Association, ReceivedInstance, StoreHandler } from '../dicom/dimse/store-scp'
import { DirectorySync, fsyncDescriptor } from './directory-sync'
import type { ImportService } from './import-service'
import type { ImportCounts } from '../store/repos/imports-repo'
import { routeStudy } from './route-study'
import { spoolKey, studyOfSpoolKey } from './spool-key'
import { instanceUidProblems, uidProblem } from '../dicom/uid'

/** DIMSE statuses the receiver answers with (PS3.4 Table B.2-1; the same in Annex GG, Non-Patient Objects). */
const CANNOT_UNDERSTAND = 0xc000
/**
 * "Error: Data Set does not match SOP Class" (A900-A9FF) for an instance whose Study, Series or SOP Instance UID is
 * not a UID (PS3.5 §9.1: digits and dots, no empty component, at most 64 characters). The data set was parsed, so
 * "Cannot understand" (C000, kept for bytes that are not a readable data set) would be wrong; what is wrong is that
 * a Type 1 attribute of the IOD (General Study, General Series, SOP Common) holds a value its VR does not allow, so
 * the data set does not conform to its SOP Class. dcmtk's storescp answers A900 for a mismatched SOP Instance UID
 * for the same reason. The sender sees a failure, not Success: nothing of the instance is kept.
 */
const NOT_SOP_CLASS = 0xa900
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
  /** The folder's entry in the spool is on disk once this resolves (set when this run created the folder). */
  created?: Promise<void>
  /** Its .sender.json exists. */
  senderKnown?: boolean
  /** Its folder was made (or found) by this run. */
  made?: boolean
}

const MAX_IMPORT_ATTEMPTS = 3

/** Errors of an import that left instances out of the archive (a series kept as DICOM only is archived, not lost). */
const lostInstances = (c: ImportCounts) => c.errors - c.unconverted

/** Active PACS pulls (src/pacs/pull-runner.ts): their studies are imported by the runner into the pull's project, not by routes.conf. */
export interface PullClaims {
  /** True when the spool folder `key` (a StudyInstanceUID, maybe with a `_time` suffix: spool-key.ts) belongs to an active pull, or while claims are loading. */
  holds(key: string): boolean
}

/** The most of a received file read back for its header when the bytes kept as it arrived do not hold it. */
const HEADER_READ_MAX = 1 << 20

/** The header of a spool file: from `head` (its first bytes), else read back from the file. */
function headerOf(fd: number, head: Uint8Array, label: string): DicomHeader {
  try {
    return readDicomHeader(head, label)
  } catch (e) {
    const size = Math.min(fstatSync(fd).size, HEADER_READ_MAX)
    if (head.length >= size) throw e
    const bytes = new Uint8Array(size)
    readSync(fd, bytes, 0, size, 0)
    return readDicomHeader(bytes, label)
  }
}

/** The receiver acts as this site-admin identity when it imports. */
const RECEIVER: User = systemUser('dicom-receiver', 'DICOM receiver')

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
  private readonly directories = new DirectorySync()

  constructor(
    private readonly deps: { config: Config; importer: Pick<ImportService, 'submit' | 'status'>; archive: Pick<ArchiveService, 'projectExists' | 'createProject'>; log(line: string): void; pulls?: PullClaims; onQuarantined?: (q: { project: string; studyUid: string; sender: string; reason: string; importId: number; state: string; series: number }) => unknown },
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
      const dir = safeJoin(this.spool, name)
      if (name === 'incoming' || name === 'failed' || !statSync(dir).isDirectory()) continue
      this.pending.set(name, { dir, lastArrival: statSync(dir).mtimeMs, open: new Set(), released: true, handedOver: false })
    }
    removeInside(this.spool, join(this.spool, 'incoming'))
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

  async stored(instance: ReceivedInstance, a: Association): Promise<number> {
    const tempFile = instance.path
    let header: DicomHeader
    const fd = instance.fd ?? openSync(tempFile, 'r')
    try {
      // The data goes to disk while the header is read (from the bytes kept as it arrived).
      const durable = fsyncDescriptor(fd)
      try {
        header = headerOf(fd, instance.head, `instance from ${a.callingAet}`)
      } catch (e) {
        await durable.catch(() => {})
        rmSync(tempFile, { force: true })
        this.log(`rejected an instance from ${a.callingAet}: ${(e as Error).message}`)
        return CANNOT_UNDERSTAND
      }
      await durable
    } finally {
      closeSync(fd)
    }
    // UIDs name the spool folder and the file: one that is not a UID is refused, never used as a path.
    const bad = instanceUidProblems(header)
    if (bad.length) {
      rmSync(tempFile, { force: true })
      this.log(`refused an instance from ${a.callingAet}@${a.remote}, status 0x${NOT_SOP_CLASS.toString(16)}: ${bad.join('; ')} (a DICOM UID is digits and dots, at most 64 characters); the instance was not kept`)
      return NOT_SOP_CLASS
    }
    const key = spoolKey(header.studyInstanceUid)
    let study = this.pending.get(key)
    if (!study || study.handedOver) {
      // A late instance after hand-over gets its own folder: a new import that re-opens only its series.
      const name = study?.handedOver ? spoolKey(header.studyInstanceUid, Date.now()) : key
      study = { dir: safeJoin(this.spool, name), lastArrival: Date.now(), open: new Set(), released: false, handedOver: false }
      this.pending.set(name, study)
    }
    // A new study folder's own entry in the spool is made durable too (once; every instance of the study waits for it).
    // Made once per study folder (a recursive mkdir per instance was a tenth of the receive time).
    const made = () => {
      if (mkdirSync(study.dir, { recursive: true })) study.created = this.directories.flush(this.spool)
      study.made = true
    }
    if (!study.made) made()
    if (!study.senderKnown) {
      const sender = `${study.dir}.sender.json`
      if (!existsSync(sender)) writeFileSync(sender, JSON.stringify({ callingAet: a.callingAet, calledAet: a.calledAet }))
      study.senderKnown = true
    }
    const target = safeJoin(study.dir, `${header.sopInstanceUid}.dcm`)
    try {
      renameSync(tempFile, target)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || !existsSync(tempFile)) throw e
      made() // the folder went meanwhile (removed by hand): made again
      renameSync(tempFile, target)
    }
    study.lastArrival = Date.now()
    study.open.add(a.id)
    study.released = false
    // The rename itself is durable before we say Success (one directory fsync for the renames that came together).
    await Promise.all([this.directories.flush(study.dir), study.created])
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
    if (uidProblem(studyUid)) return [] // never a spool folder (stored() refuses such instances)
    return [...this.pending].filter(([k]) => studyOfSpoolKey(k) === studyUid)
  }

  /** Instances of a study waiting in the spool. */
  spooledInstances(studyUid: string): number {
    let n = 0
    for (const [, s] of this.foldersOf(studyUid)) if (!s.handedOver && existsSync(s.dir)) n += readdirSync(s.dir).filter((f) => f.endsWith('.dcm')).length
    return n
  }

  /**
   * Imports a pulled study from the spool into `project` (the pull's, whatever routes.conf says), submitted like
   * every import (ImportService.submit: the import queue, or an import job with import.executor "queue"); the spool
   * folder goes once its import is done or handed to a job. Resolves with how many instances were imported (none yet
   * for a job), or throws with the import's message.
   */
  async importPulled(studyUid: string, project: string, actor: User, source: string): Promise<{ instances: number; imports: number[] }> {
    const result = { instances: 0, imports: [] as number[] }
    for (const [key, s] of this.foldersOf(studyUid)) {
      if (s.handedOver) continue
      s.handedOver = true
      try {
        const { id, ended } = await this.deps.importer.submit(actor, project, s.dir, { label: source })
        result.imports.push(id)
        const record = await ended
        // Gone from the spool: an import job (import.executor "queue") staged it; it runs there, or failed and keeps
        // it in data/imports/queued/ID.
        const taken = !existsSync(s.dir)
        if (taken) this.forget(key, s)
        if (record.state === 'failed' || (!taken && record.state !== 'done')) throw new Error(`import ${id} ${record.state}: ${record.message || 'see nora imports'}`)
        // A series that failed stays in the spool for the retry (a re-import skips what is already in).
        if (!taken && lostInstances(record.counts) > 0) throw new Error(`import ${id} had ${record.counts.errors} error(s)${record.message ? `: ${record.message}` : ''}`)
        result.instances += record.counts.instances
        if (!taken) this.forget(key, s)
      } finally {
        s.handedOver = this.pending.has(key) ? false : s.handedOver
      }
    }
    return result
  }

  /** The spool folder is done with: its files are in the archive, or staged by an import job. */
  private forget(key: string, s: PendingStudy): void {
    if (existsSync(s.dir)) removeInside(this.spool, s.dir)
    rmSync(`${s.dir}.sender.json`, { force: true })
    this.pending.delete(key)
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
        this.importStudy(key, s).catch((e) => this.log(`study in ${s.dir} not imported: ${(e as Error).message}`))
      }
    }
  }

  private async importStudy(key: string, s: PendingStudy): Promise<void> {
    const files = readdirSync(s.dir).filter((f) => f.endsWith('.dcm'))
    if (files.length === 0) return this.forget(key, s)
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
    if (project === this.deps.config.routes.quarantineProject && !(await this.deps.archive.projectExists(project))) {
      // Studies are routed side by side (their imports queue in ImportService.submit): another may create it first.
      await this.deps.archive.createProject(RECEIVER, project, 'unroutable DICOM: routes.conf matched no project').catch(async (e) => {
        if (!(await this.deps.archive.projectExists(project))) throw e
      })
    }
    // routes.conf may name the autoexecution queue; else the project's own (if it has one) runs on the study.
    const { id, ended } = await this.deps.importer.submit(RECEIVER, project, s.dir, { label: `dicom from ${sender.callingAet}`, autoexecQueue: route.autoexecQueue || undefined })
    const record = await ended
    if (!existsSync(s.dir)) {
      // An import job (import.executor "queue") staged the folder: it runs there, or failed and keeps it in data/imports/queued/ID.
      this.log(`study ${header.studyInstanceUid} from ${sender.callingAet} -> ${project} (${route.reason}): import ${id} handed to an import job${record.state === 'failed' ? ` that failed: ${record.message}` : ''}`)
      return this.forget(key, s)
    }
    this.log(`study ${header.studyInstanceUid} from ${sender.callingAet} -> ${project} (${route.reason}): import ${id} ${record.state}, ${record.counts.series} series`)
    if (project === this.deps.config.routes.quarantineProject && this.deps.onQuarantined && !s.attempts) {
      // The admins are told once per study (not again on a retry); what that throws never stops the receiver.
      const q = { project, studyUid: header.studyInstanceUid, sender: sender.callingAet, reason: route.project === project ? route.reason : `project "${route.project}" does not exist`, importId: id, state: record.state, series: record.counts.series }
      await Promise.resolve(this.deps.onQuarantined(q)).catch((e) => this.log(`quarantine notice for ${header.studyInstanceUid}: ${(e as Error).message}`))
    }
    if (record.counts.errors > 0) {
      // What was wrong goes to the log too (the import report has all of it: nora imports, /api/imports/ID).
      const problems = ((await this.deps.importer.status(id))?.problems ?? []).filter((p) => p.kind === 'error')
      for (const p of problems.slice(0, 3)) this.log(`import ${id}: ${p.file}: ${p.message}`)
      if (problems.length > 3) this.log(`import ${id}: ${problems.length - 3} more error(s) in its report`)
    }
    if (record.state === 'done' && lostInstances(record.counts) === 0) this.forget(key, s)
    else if ((s.attempts = (s.attempts ?? 0) + 1) < MAX_IMPORT_ATTEMPTS) {
      s.handedOver = false // kept in the spool; tried again after the next quiet period (a re-import skips what is in)
      s.lastArrival = Date.now()
    } else {
      // Never dropped: kept for an admin, who can import it by hand (nora -p P --import DIR).
      const failed = safeJoin(this.spool, 'failed', `${key}-${Date.now()}`)
      mkdirSync(join(this.spool, 'failed'), { recursive: true })
      renameSync(s.dir, failed)
      if (existsSync(senderFile)) renameSync(senderFile, `${failed}.sender.json`)
      this.pending.delete(key)
      this.log(`study ${header.studyInstanceUid}: import ${id} ${record.state} with ${record.counts.errors} error(s) ${MAX_IMPORT_ATTEMPTS} times; its instances are kept in ${failed}`)
    }
  }
}
