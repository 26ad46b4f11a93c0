import type { ArchiveService } from '../archive/archive-service'
import type { Config } from '../config/load-config'
import type { User } from '../core/types'
import { systemUser } from '../core/system-user'
import { getStudy, moveStudy, type RetrieveOutcome, type StoreSink } from '../dicom/dimse/retrieve'
import type { PullClaims } from '../importer/dicom-receiver'
import { studyOfSpoolKey } from '../importer/spool-key'
import type { PullRow, PullsRepo, PullStudyRow } from '../store/repos/pulls-repo'
import type { PacsService } from './pacs-service'

/** What the runner needs of the DICOM receiver: its spool (C-GET writes into it) and the import of a pulled study. */
export interface PullSpool extends StoreSink {
  spooledInstances(studyUid: string): number
  importPulled(studyUid: string, project: string, actor: User, source: string): Promise<{ instances: number; imports: number[] }>
}

export interface PullRunnerDeps {
  config: Pick<Config, 'pacs'> & { main: { dicom: { aet: string; pullParallel: number; pullMaxAttempts: number; pullRetrySeconds: number } } }
  pulls: PullsRepo
  pacs: PacsService
  archive: ArchiveService
  spool: PullSpool
  log(line: string): void
  /** How often the database is polled for new pulls and due retries. Default 1 s. */
  pollMs?: number
  /** Told when a pull ends, done or failed (notifications); what it throws is logged. */
  onPullEnded?: (pull: PullRow, state: 'done' | 'failed') => unknown
}

/** Pulls import as this site-admin identity (the right to write the project was checked when the pull was made). */
const PULLER: User = systemUser('pacs-pull', 'PACS pull')

/**
 * Runs the studies of the pulls in the database: at most dicom.pullParallel C-MOVE/C-GET at once; each study is
 * retrieved into the spool, its instance count checked against the C-FIND count, then imported into the pull's
 * project. A failure is retried with exponential backoff up to dicom.pullMaxAttempts. On start, studies left
 * `moving` by a killed nora are pending again and studies left `received` are imported from the spool; the import
 * is idempotent, so no study is imported twice.
 */
export class PullRunner implements PullClaims {
  private claims: Set<string> | null = null
  private readonly running = new Map<number, Promise<void>>()
  private timer?: ReturnType<typeof setInterval>
  private ticking = false
  private stopped = false

  constructor(private readonly deps: PullRunnerDeps) {}

  /** While claims load, every spooled study is held back from routes.conf (a pull's study must not go elsewhere). */
  holds(key: string): boolean {
    if (!this.claims) return true
    return this.claims.has(studyOfSpoolKey(key)) // a late arrival's folder "<UID>_<ms>" belongs to its study too
  }

  async start(): Promise<void> {
    const { pulls } = this.deps
    for (const s of await pulls.inState('moving')) await pulls.transition(s.id, ['moving'], 'pending', { reason: 'nora stopped during the retrieve; retried' })
    await this.refreshClaims()
    for (const s of await pulls.inState('received')) {
      if (this.deps.spool.spooledInstances(s.studyInstanceUid) > 0) this.track(s.id, this.importStudy(s))
      else await pulls.transition(s.id, ['received'], 'pending', { reason: 'not in the spool after a restart; retrieved again' })
    }
    this.timer = setInterval(() => void this.tick(), this.deps.pollMs ?? 1000)
    void this.tick()
  }

  /** Stops taking new studies; resolves when the running ones are done. */
  async stop(): Promise<void> {
    this.stopped = true
    clearInterval(this.timer)
    await Promise.allSettled([...this.running.values()])
  }

  /** Resolves when no study is running and none is due (tests, the CLI's in-process runner). */
  get busy(): number {
    return this.running.size
  }

  private async refreshClaims(): Promise<void> {
    this.claims = new Set((await this.deps.pulls.activeClaims()).map((c) => c.studyInstanceUid))
  }

  private track(id: number, p: Promise<void>): void {
    this.running.set(
      id,
      p
        .catch((e) => this.deps.log(`pull: study row ${id}: ${(e as Error).message}`))
        .finally(() => {
          this.running.delete(id)
          if (!this.stopped) void this.tick()
        }),
    )
  }

  async tick(): Promise<void> {
    if (this.ticking || this.stopped) return
    this.ticking = true
    try {
      await this.refreshClaims()
      const { pullParallel, pullMaxAttempts } = this.deps.config.main.dicom
      const free = pullParallel - this.running.size
      if (free <= 0) return
      for (const s of await this.deps.pulls.due(Date.now(), pullMaxAttempts, free)) {
        if (this.running.has(s.id)) continue
        if (await this.deps.pulls.transition(s.id, ['pending', 'failed'], 'moving', { attempts: s.attempts + 1, reason: '' })) this.track(s.id, this.retrieve({ ...s, attempts: s.attempts + 1 }))
      }
    } catch (e) {
      this.deps.log(`pull: ${(e as Error).message}`)
    } finally {
      this.ticking = false
    }
  }

  private async retrieve(s: PullStudyRow): Promise<void> {
    const pull = await this.deps.pulls.byId(s.pullId)
    if (!pull) return
    const { aet } = this.deps.config.main.dicom
    try {
      const conf = this.deps.config.pacs.nodes[pull.node]
      const node = this.deps.pacs.node(pull.node)
      // Progress writes are chained: unchained, a late "3 received" could land after the final count (seen on MariaDB).
      let written = Promise.resolve()
      const progress = (o: RetrieveOutcome) => {
        written = written.then(() => this.deps.pulls.setReceived(s.id, o.completed + o.warning)).catch((e) => this.deps.log(`pull ${pull.id}: progress not recorded: ${(e as Error).message}`))
      }
      const spooled = this.deps.spool.spooledInstances(s.studyInstanceUid)
      if (s.expected !== null && s.expected > 0 && spooled >= s.expected) {
        // A retry after a failed import: everything is still in the spool, no need to ask the PACS again.
        await this.deps.pulls.transition(s.id, ['moving'], 'received', { received: spooled })
        await this.importStudy({ ...s, state: 'received' })
        return
      }
      const outcome = conf?.retrieve === 'get' ? await getStudy(node, aet, s.studyInstanceUid, this.deps.spool, { onProgress: progress }) : await moveStudy(node, aet, aet, s.studyInstanceUid, { onProgress: progress })
      await written
      const received = this.deps.spool.spooledInstances(s.studyInstanceUid)
      const expected = s.expected ?? outcome.completed + outcome.warning
      await this.deps.pulls.setReceived(s.id, received)
      if (outcome.failed > 0) throw new Error(`${outcome.failed} of ${outcome.completed + outcome.failed + outcome.warning} instances failed to arrive (${conf?.retrieve === 'get' ? 'C-GET' : 'C-MOVE'} sub-operations)`)
      if (received < expected) throw new Error(`received ${received} of ${expected} instances`)
      if (received === 0) throw new Error(`${pull.node} sent no instances of this study (is it still on the PACS?)`)
      if (!(await this.deps.pulls.transition(s.id, ['moving'], 'received', { received }))) return
      this.deps.log(`pull ${pull.id}: study ${s.studyInstanceUid} received (${received} instances)`)
    } catch (e) {
      await this.fail(s, (e as Error).message, ['moving'])
      return
    }
    await this.importStudy({ ...s, state: 'received' })
  }

  private async importStudy(s: PullStudyRow): Promise<void> {
    const pull = await this.deps.pulls.byId(s.pullId)
    if (!pull) return
    try {
      const r = await this.deps.spool.importPulled(s.studyInstanceUid, pull.project, { ...PULLER, username: pull.user || PULLER.username }, `pull ${pull.id} from ${pull.node}`)
      await this.deps.pulls.transition(s.id, ['received'], 'imported', { reason: '' })
      this.deps.log(`pull ${pull.id}: study ${s.studyInstanceUid} imported into ${pull.project} (import ${r.imports.join(', ') || 'none'})`)
    } catch (e) {
      await this.fail(s, `import failed: ${(e as Error).message}`, ['received'])
    }
    await this.settle(s.pullId)
  }

  private async fail(s: PullStudyRow, reason: string, from: ('moving' | 'received')[]): Promise<void> {
    const { pullMaxAttempts, pullRetrySeconds } = this.deps.config.main.dicom
    const last = s.attempts >= pullMaxAttempts
    const delay = pullRetrySeconds * 1000 * 2 ** Math.max(0, s.attempts - 1)
    await this.deps.pulls.transition(s.id, from, 'failed', { reason: last ? `${reason} (gave up after ${s.attempts} attempts)` : reason, nextAttemptAt: Date.now() + delay })
    this.deps.log(`pull ${s.pullId}: study ${s.studyInstanceUid} failed (attempt ${s.attempts}): ${reason}${last ? '' : `; retried in ${Math.round(delay / 1000)} s`}`)
    await this.settle(s.pullId)
  }

  /** A pull is done when every study is imported, failed when the rest failed for good. */
  private async settle(pullId: number): Promise<void> {
    const pull = await this.deps.pulls.byId(pullId)
    if (!pull || pull.state !== 'running') return
    const studies = await this.deps.pulls.studies(pullId)
    const max = this.deps.config.main.dicom.pullMaxAttempts
    const ended = studies.every((x) => x.state === 'imported') ? 'done' : studies.every((x) => x.state === 'imported' || (x.state === 'failed' && x.attempts >= max)) ? 'failed' : undefined
    if (!ended) return
    await this.deps.pulls.setPullState(pullId, ended)
    if (this.deps.onPullEnded) await Promise.resolve(this.deps.onPullEnded(pull, ended)).catch((e) => this.deps.log(`after pull ${pullId}: ${(e as Error).message}`))
  }
}
