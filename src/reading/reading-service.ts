import { randomBytes, randomInt } from 'node:crypto'
import type { ArchiveService } from '../archive/archive-service'
import { fileUrl, type AutoloadersService } from '../archive/autoloaders'
import type { StudiesService } from '../archive/filter/studies-service'
import type { TagsService } from '../archive/tags-service'
import type { Rights } from '../auth/rights'
import { ForbiddenError, NotFoundError, UsageError } from '../core/errors'
import type { Project, User } from '../core/types'
import type { Repos } from '../store/repos'
import type { ReadingRow, ReadingSessionRow } from '../store/repos/readings-repo'
import { blindCase, blindResults, caseToken, type ResultView, type SessionCase } from './blind'
import { caseOrder } from './case-order'
import { CaseSource, type StoredSlot } from './case-source'
import { checkValues } from './form'
import { parseReadingConfig, PHASES, readerView, type Phase, type ReadingConfig } from './reading-config'
import { readingTemplate } from './reading-template'
import { csvRowOf, viewOf } from './result-rows'
import type { ResultRois } from './result-rois'
import { resultsCsv } from './results-csv'
import { checkRoiBounds, checkRoiUpload, takesRois, type CheckedRoi, type RoiUpload } from './roi-upload'
import { checkTiming } from './timing'
import { tagChanges } from './use-as-tag'

export interface ReadingSummary {
  id: number
  name: string
  mode: string
  progress: Record<Phase, { done: number; total: number }>
  isAdmin: boolean
  info: { instructions: string; links: { label: string; url: string }[] }
  /** Whether the caller may restart each phase (allowRestartOfTraining / allowRestartOfSerious). */
  allowRestart: Record<Phase, boolean>
}

export interface SessionView {
  sessionId: number
  mode: Phase
  cases: SessionCase[]
  /** The index of the first case not yet done; null when all are. */
  next: number | null
}

export interface SubmitBody {
  sessionId: number
  caseKey: string
  repetition: number
  stage: number
  mode: Phase
  values?: unknown
  annotations?: unknown
  activeSeconds: number
  startedAt: number | string
  /** ROIs drawn on the case (readings with `"tools": {"roi": 1}`): NIfTI masks, .nii.gz in base64. */
  rois?: RoiUpload[]
}

export interface CaseFile {
  path: string
  url: string
  viewport: number
  as: string
  colormap: string
  min?: number
  max?: number
}

export interface ReadingServiceDeps {
  repos: Pick<Repos, 'readings' | 'users'>
  archive: Pick<ArchiveService, 'open' | 'select' | 'projectDir'>
  rights: Pick<Rights, 'can'>
  studies: Pick<StudiesService, 'all'>
  tags: Pick<TagsService, 'apply'>
  autoloaders: Pick<AutoloadersService, 'list'>
  /** Where results' ROIs are kept (without it, a reading takes no ROIs and lists none). */
  rois?: ResultRois
  now?: () => number
  /** The seed of a new session's `full` randomisation (tests fix it). */
  seed?: () => number
}

interface Access {
  project: Project
  row: ReadingRow
  raw: Record<string, unknown>
  config: ReadingConfig
  isAdmin: boolean
}

const isPhase = (m: unknown): m is Phase => m === 'training' || m === 'serious'

/**
 * The Reading Tool: readings of a project (config, sessions, results), with the rights of the seed: project read to
 * see a reading you are a reader of; reading admins (the config's admins, project admins, site admins) create and
 * edit readings and see every result; readers see their own. No HTTP here; the API and the CLI call it.
 */
export class ReadingService {
  private readonly now: () => number
  private readonly seed: () => number
  private readonly source: CaseSource

  constructor(private readonly d: ReadingServiceDeps) {
    this.now = d.now ?? Date.now
    this.seed = d.seed ?? (() => randomInt(0, 2 ** 32))
    this.source = new CaseSource(d)
  }

  // ---- readings ----------------------------------------------------------------------------------------------

  async list(actor: User, projectName: string): Promise<ReadingSummary[]> {
    const project = await this.d.archive.open(actor, projectName, 'read')
    const projectAdmin = await this.d.rights.can(actor, 'admin', project)
    const out: ReadingSummary[] = []
    for (const row of await this.d.repos.readings.list(project.id)) {
      let config: ReadingConfig
      try {
        config = parseReadingConfig(JSON.parse(row.config))
      } catch {
        if (projectAdmin) out.push({ id: row.id, name: row.name, mode: 'invalid', progress: { training: { done: 0, total: 0 }, serious: { done: 0, total: 0 } }, isAdmin: true, info: { instructions: '', links: [] }, allowRestart: { training: false, serious: false } })
        continue
      }
      const isAdmin = projectAdmin || config.admins.includes(actor.username)
      if (!isAdmin && !config.readers.includes(actor.username)) continue
      const access: Access = { project, row, raw: {}, config, isAdmin }
      const progress = { training: { done: 0, total: 0 }, serious: { done: 0, total: 0 } }
      for (const phase of PHASES) progress[phase] = await this.progress(actor, access, phase)
      out.push({ id: row.id, name: row.name, mode: config.mode, progress, isAdmin, info: { instructions: config.instructions, links: config.links }, allowRestart: config.allowRestart })
    }
    return out
  }

  async create(actor: User, projectName: string, config: unknown): Promise<{ id: number }> {
    const project = await this.d.archive.open(actor, projectName, 'read')
    if (!(await this.d.rights.can(actor, 'admin', project))) throw new ForbiddenError(`creating a reading in project "${project.name}" needs the admin right on it`)
    const parsed = parseReadingConfig(config)
    const id = await this.d.repos.readings.create({ projectId: project.id, name: parsed.name, config: JSON.stringify(config), blindKey: randomBytes(32).toString('hex'), createdBy: actor.id })
    return { id }
  }

  async update(actor: User, projectName: string, id: number, config: unknown): Promise<{ id: number }> {
    const a = await this.access(actor, projectName, id, true)
    const parsed = parseReadingConfig(config)
    await this.d.repos.readings.update(a.project.id, id, parsed.name, JSON.stringify(config))
    return { id }
  }

  async delete(actor: User, projectName: string, id: number): Promise<void> {
    const a = await this.access(actor, projectName, id, true)
    await this.d.repos.readings.delete(a.project.id, id)
    await this.d.rois?.removeReading(id)
  }

  /** The reading's config: all of it for admins; readers get it without the admin-only parts (readerView). */
  async get(actor: User, projectName: string, id: number): Promise<{ id: number; name: string; mode: string; isAdmin: boolean; config: Record<string, unknown> }> {
    const a = await this.access(actor, projectName, id)
    return { id, name: a.row.name, mode: a.config.mode, isAdmin: a.isAdmin, config: a.isAdmin ? a.raw : readerView(a.raw) }
  }

  /**
   * The reading tab's template (the seed's reading_template) with the viewer's current state in `viewer` (and the
   * project's active autoloaders when the state has none). `id` 0: for a new reading (project admins).
   */
  async template(actor: User, projectName: string, id: number, viewerState?: unknown): Promise<Record<string, unknown>> {
    if (id === 0) {
      const project = await this.d.archive.open(actor, projectName, 'read')
      if (!(await this.d.rights.can(actor, 'admin', project))) throw new ForbiddenError(`a new reading in project "${project.name}" needs the admin right on it`)
    } else await this.access(actor, projectName, id, true)
    const active = (await this.d.autoloaders.list(actor, projectName)).find((p) => p.active)
    return readingTemplate(viewerState, active?.items ?? [])
  }

  // ---- sessions and results ----------------------------------------------------------------------------------

  /** Starts (or, in joint mode, joins) a session of `mode`: the cases in this session's order, which are done, and the next. */
  async startSession(actor: User, projectName: string, id: number, mode: unknown): Promise<SessionView> {
    if (!isPhase(mode)) throw new UsageError('mode must be "training" or "serious"')
    const a = await this.access(actor, projectName, id)
    const owner = this.ownerOf(a, actor)
    let session = a.config.mode === 'joint' ? await this.d.repos.readings.latestSession(id, owner, mode) : undefined
    if (!session) {
      const seed = this.seed()
      const slots = await this.slots(actor, a, mode, seed)
      session = await this.d.repos.readings.createSession({ readingId: id, userId: actor.id, ownerId: owner, mode, seed, caseOrder: JSON.stringify(slots) })
    }
    return this.sessionView(a, session)
  }

  async submit(actor: User, projectName: string, id: number, body: SubmitBody): Promise<{ ok: true; next: number | null; tagged: string[]; untagged: string[]; skippedTags: string[] }> {
    const a = await this.access(actor, projectName, id)
    if (!isPhase(body.mode)) throw new UsageError('mode must be "training" or "serious"')
    const session = await this.d.repos.readings.session(id, Number(body.sessionId))
    if (!session || session.ownerId !== this.ownerOf(a, actor)) throw new NotFoundError(`no session ${body.sessionId} of yours in reading ${id}; start one (POST .../session)`)
    if (session.mode !== body.mode) throw new UsageError(`session ${session.id} is a ${session.mode} session, not ${body.mode}`)
    const slots = JSON.parse(session.caseOrder) as StoredSlot[]
    const blind = a.config.mode === 'blind'
    const slot = slots.find((s) => (blind ? caseToken(a.row.blindKey, s.caseKey) : s.caseKey) === body.caseKey && s.repetition === Number(body.repetition) && s.stage === Number(body.stage))
    if (!slot) throw new UsageError(`case ${String(body.caseKey).slice(0, 100)} repetition ${body.repetition} stage ${body.stage} is not in session ${session.id}`)
    const values = checkValues(a.config.inputs, body.values)
    const annotations = body.annotations ?? {}
    const annotationsText = JSON.stringify(annotations)
    if (annotationsText.length > 5_000_000) throw new UsageError('annotations: at most 5 MB of JSON; send ROIs as masks in "rois"')
    const now = this.now()
    const timing = checkTiming(body.activeSeconds, body.startedAt, now, session.createdAt)
    const rois = await this.checkedRois(actor, a, slot, body.rois)
    const resultId = await this.d.repos.readings.saveResult({
      readingId: id,
      sessionId: session.id,
      ownerId: session.ownerId,
      userId: actor.id,
      username: actor.username,
      mode: body.mode,
      caseKey: slot.caseKey,
      patientsId: slot.pid,
      studiesId: slot.sid,
      studyPath: slot.image ? `${slot.pid}/${slot.sid}/${slot.image}` : `${slot.pid}/${slot.sid}`,
      repetition: slot.repetition,
      stage: slot.stage,
      values: JSON.stringify(values),
      annotations: annotationsText,
      startedAt: timing.startedAt,
      submittedAt: now,
      secondsSpent: timing.seconds,
    })
    if (this.d.rois) {
      await this.d.rois.save(id, resultId, rois)
      await this.d.rois.prune(id) // the ROIs of the result this submit replaced
    }
    const changes = tagChanges(a.config.inputs, values)
    if (changes.add.length || changes.remove.length) await this.applyTags(actor, a, slot, changes.add, changes.remove)
    const view = await this.sessionView(a, session)
    return { ok: true, next: view.next, tagged: changes.add, untagged: changes.remove, skippedTags: changes.skipped }
  }

  /** Results as JSON rows: admins all, readers their own (in blind mode without ids, values or times). */
  async results(actor: User, projectName: string, id: number): Promise<ResultView[]> {
    const a = await this.access(actor, projectName, id)
    const rois = await this.d.rois?.byResult(id, this.apiBase(projectName, id))
    const rows = (await this.d.repos.readings.results(id)).map((r) => viewOf(r, rois ? (rois.get(r.id) ?? []) : undefined))
    if (a.isAdmin) return rows
    const own = rows.filter((r) => r.user === actor.username)
    return a.config.mode === 'blind' ? blindResults(own, a.row.blindKey, actor.username) : own
  }

  /** The CSV of results (reading admins: all; readers: their own, not in blind mode). */
  async csv(actor: User, projectName: string, id: number): Promise<{ name: string; csv: string }> {
    const a = await this.access(actor, projectName, id)
    if (!a.isAdmin && a.config.mode === 'blind') throw new ForbiddenError('in a blind reading only the reading admins export the results')
    let rows = await this.d.repos.readings.results(id)
    if (!a.isAdmin) rows = rows.filter((r) => r.userId === actor.id)
    const rois = await this.d.rois?.byResult(id, this.apiBase(projectName, id))
    const withRois = takesRois(a.config.readingJson) || rows.some((r) => rois?.has(r.id))
    return { name: a.row.name, csv: resultsCsv(a.config.inputs, rows.map((r) => csvRowOf(r, rois?.get(r.id))), withRois) }
  }

  /** Deletes the caller's results (and sessions) of `mode`, where the reading allows a restart of that mode. */
  async restart(actor: User, projectName: string, id: number, mode: unknown): Promise<{ deleted: number }> {
    if (!isPhase(mode)) throw new UsageError('mode must be "training" or "serious"')
    const a = await this.access(actor, projectName, id)
    if (!a.config.allowRestart[mode])
      throw new ForbiddenError(`reading "${a.row.name}" does not allow a restart of ${mode} (a reading admin can set allowRestartOf${mode === 'training' ? 'Training' : 'Serious'}: 1)`)
    const deleted = await this.d.repos.readings.deleteOwn(id, actor.id, this.ownerOf(a, actor), mode)
    await this.d.rois?.prune(id) // the deleted results' ROIs, files too
    return { deleted }
  }

  /**
   * The stored file of a result's ROI: readers only their own results' (not in blind mode, where what a reader
   * answered is not shown to them), reading admins every result's.
   */
  async resultRoi(actor: User, projectName: string, id: number, resultId: number, n: number): Promise<{ path: string; name: string }> {
    const a = await this.access(actor, projectName, id)
    const result = (await this.d.repos.readings.results(id)).find((r) => r.id === resultId)
    const missing = new NotFoundError(`no ROI ${n} of result ${resultId} in reading ${id}${a.isAdmin ? '' : ' among your results'}`)
    if (!result || (!a.isAdmin && result.username !== actor.username)) throw missing
    if (!a.isAdmin && a.config.mode === 'blind') throw new ForbiddenError('in a blind reading only the reading admins open the results\' ROIs')
    const file = await this.d.rois?.file(id, resultId, n)
    if (!file) throw missing
    return { path: file.path, name: `reading-${id}-result-${resultId}-${n}-${file.row.name}.nii.gz` }
  }

  /**
   * The files the autoloader loads for a case (the stage's autoloaders, else the viewer's, else the project's active
   * preset): per item the first file matching its pattern. Blind readers get paths inside the study and URLs of this
   * reading (`.../cases/TOKEN/file?path=...`), never the archive's PID/SID path.
   */
  async caseFiles(actor: User, projectName: string, id: number, caseKey: string, stage = 1): Promise<CaseFile[]> {
    const a = await this.access(actor, projectName, id)
    const slot = await this.slotOf(a, actor, caseKey)
    const blind = a.config.mode === 'blind' && !a.isAdmin
    return (await this.source.loads(actor, a, slot, stage)).map(({ item: it, file }) => ({
      path: blind ? file.path : file.relative,
      url: blind
        ? `/api/projects/${encodeURIComponent(projectName)}/readings/${id}/cases/${encodeURIComponent(caseToken(a.row.blindKey, slot.caseKey))}/file?path=${encodeURIComponent(file.path)}`
        : fileUrl(projectName, file.relative),
      viewport: it.viewport,
      as: it.as,
      colormap: it.colormap,
      ...(it.min !== undefined ? { min: it.min } : {}),
      ...(it.max !== undefined ? { max: it.max } : {}),
    }))
  }

  /**
   * A case's file for the blind URL: the project-relative path (`PID/SID/series/file`) of a file the autoloader loads
   * for that case in one of its stages; nothing else of the study (a sidecar with the patient's name) is served.
   */
  async caseFilePath(actor: User, projectName: string, id: number, token: string, path: string): Promise<string> {
    const a = await this.access(actor, projectName, id)
    const slot = await this.slotOf(a, actor, token)
    if (!path || path.includes('\0') || path.split('/').some((s) => s === '' || s === '.' || s === '..')) throw new UsageError('path: a file inside the case, like series/file.nii.gz')
    for (let stage = 1; stage <= a.config.stages.length; stage++)
      if ((await this.source.loads(actor, a, slot, stage)).some((l) => l.file.path === path)) return `${slot.pid}/${slot.sid}/${path}`
    throw new NotFoundError(`"${path.slice(0, 200)}" is no file the reading loads for this case`)
  }

  // ---- inside ------------------------------------------------------------------------------------------------

  private apiBase(projectName: string, id: number): string {
    return `/api/projects/${encodeURIComponent(projectName)}/readings/${id}`
  }

  /** A submit's ROIs checked (bounds, names, NIfTI, the grid of one of the case's images) before anything is stored. */
  private async checkedRois(actor: User, a: Access, slot: StoredSlot, uploads: RoiUpload[] | undefined): Promise<CheckedRoi[]> {
    if (!uploads?.length) return []
    if (!this.d.rois || !takesRois(a.config.readingJson))
      throw new UsageError(`reading "${a.row.name}" takes no ROIs with its results; a reading admin can turn the ROI tool on ("tools": {"roi": 1})`)
    checkRoiBounds(uploads)
    const grids = await this.source.grids(actor, a, slot)
    if (!grids.length) throw new UsageError('this case shows no NIfTI image, so there is no grid to check the ROIs against; submit without ROIs')
    return uploads.map((u) => checkRoiUpload(u, grids))
  }

  private async access(actor: User, projectName: string, id: number, adminOnly = false): Promise<Access> {
    const project = await this.d.archive.open(actor, projectName, 'read')
    const row = Number.isSafeInteger(id) && id > 0 ? await this.d.repos.readings.get(project.id, id) : undefined
    if (!row) throw new NotFoundError(`no reading ${id} in project "${project.name}"`)
    const raw = JSON.parse(row.config) as Record<string, unknown>
    const projectAdmin = await this.d.rights.can(actor, 'admin', project)
    let config: ReadingConfig
    try {
      config = parseReadingConfig(raw)
    } catch (e) {
      if (!projectAdmin) throw new NotFoundError(`no reading ${id} in project "${project.name}"`)
      if (adminOnly) return { project, row, raw, config: undefined as unknown as ReadingConfig, isAdmin: true }
      throw e
    }
    const isAdmin = projectAdmin || config.admins.includes(actor.username)
    if (!isAdmin && !config.readers.includes(actor.username)) throw new ForbiddenError(`user "${actor.username}" is no reader of reading "${row.name}"; a reading admin can add them to its readers`)
    if (adminOnly && !isAdmin) throw new ForbiddenError(`only the admins of reading "${row.name}" (and project admins) may change it`)
    return { project, row, raw, config, isAdmin }
  }

  private ownerOf(a: Access, actor: User): number {
    return a.config.mode === 'joint' ? 0 : actor.id
  }

  private async slots(actor: User, a: Access, mode: Phase, seed: number): Promise<StoredSlot[]> {
    const cases = await this.source.cases(actor, a, mode)
    const byKey = new Map(cases.map((c) => [c.ref.caseKey, c]))
    const order = caseOrder(
      cases.map((c) => c.ref),
      { random: a.config.random, randomise: a.config.randomise, repetitions: a.config.repetitions, stages: a.config.stages.length },
      seed,
    )
    return order.map((s) => {
      const c = byKey.get(s.caseKey)!
      const label = [c.row.name || c.ref.patientsId, c.ref.studiesId, c.row.study_date ?? '', c.ref.image ?? ''].filter(Boolean).join(' / ')
      return { ...s, pid: c.ref.patientsId, sid: c.ref.studiesId, ...(c.ref.image ? { image: c.ref.image } : {}), label }
    })
  }

  private async progress(actor: User, a: Access, mode: Phase): Promise<{ done: number; total: number }> {
    const cases = await this.source.cases(actor, a, mode)
    const total = cases.length * a.config.repetitions * a.config.stages.length
    const keys = new Set(cases.map((c) => c.ref.caseKey))
    const owner = this.ownerOf(a, actor)
    const done = (await this.d.repos.readings.results(a.row.id, { ownerId: owner, mode })).filter((r) => keys.has(r.caseKey) && r.repetition <= a.config.repetitions && r.stage <= a.config.stages.length).length
    return { done, total }
  }

  private async sessionView(a: Access, session: ReadingSessionRow): Promise<SessionView> {
    const slots = JSON.parse(session.caseOrder) as StoredSlot[]
    const done = new Set((await this.d.repos.readings.results(a.row.id, { ownerId: session.ownerId, mode: session.mode })).map(slotKey))
    const blind = a.config.mode === 'blind'
    const cases = slots.map((s, index) => {
      const c: SessionCase = {
        index,
        caseKey: s.caseKey,
        repetition: s.repetition,
        stage: s.stage,
        pid: s.pid,
        sid: s.sid,
        studyPath: s.image ? `${s.pid}/${s.sid}/${s.image}` : `${s.pid}/${s.sid}`,
        label: s.label,
        done: done.has(slotKey(s)),
      }
      return blind ? blindCase(c, a.row.blindKey, s.image) : c
    })
    const next = cases.findIndex((c) => !c.done)
    return { sessionId: session.id, mode: session.mode, cases, next: next < 0 ? null : next }
  }

  /** The case a key (or, in blind mode, its token) names, among the caller's latest sessions of this reading. */
  private async slotOf(a: Access, actor: User, key: string): Promise<StoredSlot> {
    const owner = this.ownerOf(a, actor)
    const tokensOnly = a.config.mode === 'blind' && !a.isAdmin
    for (const mode of PHASES) {
      const s = await this.d.repos.readings.latestSession(a.row.id, owner, mode)
      if (!s) continue
      const slot = (JSON.parse(s.caseOrder) as StoredSlot[]).find((x) => caseToken(a.row.blindKey, x.caseKey) === key || (!tokensOnly && x.caseKey === key))
      if (slot) return slot
    }
    if (!tokensOnly) {
      // Sighted readers and admins may name a study of the project directly (PID#SID[#image]); they may read it anyway.
      const [pid, sid, ...image] = key.split('#')
      if (pid && sid) return { caseKey: key, repetition: 1, stage: 1, pid, sid, ...(image.length ? { image: image.join('#') } : {}), label: key }
    }
    throw new NotFoundError(`no case ${key.slice(0, 100)} in your sessions of reading ${a.row.id}`)
  }

  /** Tags of useastag items, applied with the rights of the reading's creator (who configured them), else the reader's. */
  private async applyTags(actor: User, a: Access, slot: StoredSlot, add: string[], remove: string[]): Promise<void> {
    const creator = a.row.createdBy !== null ? await this.d.repos.users.byId(a.row.createdBy) : undefined
    const tagger = creator && !creator.disabled ? creator : actor
    const target = a.config.tagTarget === 'patient' ? 'subject' : 'study'
    const item = target === 'subject' ? slot.pid : `${slot.pid}#${slot.sid}`
    for (const tag of add) await this.d.tags.apply(tagger, a.project.name, { target, items: [item], tag })
    for (const tag of remove) await this.d.tags.apply(tagger, a.project.name, { target, items: [item], tag }, true)
  }
}

const slotKey = (s: { caseKey: string; repetition: number; stage: number }) => `${s.repetition}|${s.stage}|${s.caseKey}`
