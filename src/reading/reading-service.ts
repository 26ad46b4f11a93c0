import { randomBytes, randomInt } from 'node:crypto'
import type { ArchiveService } from '../archive/archive-service'
import { fileUrl, type AutoloadItem, type AutoloadersService } from '../archive/autoloaders'
import type { StudiesService } from '../archive/filter/studies-service'
import type { StudyRowOut } from '../archive/filter/study-query'
import type { TagsService } from '../archive/tags-service'
import type { Rights } from '../auth/rights'
import { ForbiddenError, NotFoundError, UsageError } from '../core/errors'
import type { Project, User } from '../core/types'
import type { Repos } from '../store/repos'
import type { ReadingResultRow, ReadingRow, ReadingSessionRow } from '../store/repos/readings-repo'
import { blindCase, blindResults, caseToken, type ResultView, type SessionCase } from './blind'
import { caseOrder, type CaseRef, type Slot } from './case-order'
import { checkValues } from './form'
import { parseReadingConfig, PHASES, readerView, type Phase, type ReadingConfig } from './reading-config'
import { readingTemplate } from './reading-template'
import { resultsCsv } from './results-csv'
import { matches } from './sql-condition'
import { checkTiming } from './timing'
import { tagChanges } from './use-as-tag'

/** A slot of a session as stored: the slot, and what a sighted reader is shown of its case. */
interface StoredSlot extends Slot {
  pid: string
  sid: string
  image?: string
  label: string
}

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
  archive: Pick<ArchiveService, 'open' | 'select'>
  rights: Pick<Rights, 'can'>
  studies: Pick<StudiesService, 'all'>
  tags: Pick<TagsService, 'apply'>
  autoloaders: Pick<AutoloadersService, 'list'>
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

const MAX_CASES = 20_000
const isPhase = (m: unknown): m is Phase => m === 'training' || m === 'serious'

/**
 * The Reading Tool: readings of a project (config, sessions, results), with the rights of the seed: project read to
 * see a reading you are a reader of; reading admins (the config's admins, project admins, site admins) create and
 * edit readings and see every result; readers see their own. No HTTP here; the API and the CLI call it.
 */
export class ReadingService {
  private readonly now: () => number
  private readonly seed: () => number

  constructor(private readonly d: ReadingServiceDeps) {
    this.now = d.now ?? Date.now
    this.seed = d.seed ?? (() => randomInt(0, 2 ** 32))
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
    if (annotationsText.length > 5_000_000) throw new UsageError('annotations: at most 5 MB of JSON; save large ROIs in the archive and send their paths')
    const now = this.now()
    const timing = checkTiming(body.activeSeconds, body.startedAt, now, session.createdAt)
    await this.d.repos.readings.saveResult({
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
    const changes = tagChanges(a.config.inputs, values)
    if (changes.add.length || changes.remove.length) await this.applyTags(actor, a, slot, changes.add, changes.remove)
    const view = await this.sessionView(a, session)
    return { ok: true, next: view.next, tagged: changes.add, untagged: changes.remove, skippedTags: changes.skipped }
  }

  /** Results as JSON rows: admins all, readers their own (in blind mode without ids, values or times). */
  async results(actor: User, projectName: string, id: number): Promise<ResultView[]> {
    const a = await this.access(actor, projectName, id)
    const rows = (await this.d.repos.readings.results(id)).map(viewOf)
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
    const csv = resultsCsv(
      a.config.inputs,
      rows.map((r) => ({
        user: r.username,
        mode: r.mode,
        caseKey: r.caseKey,
        patientsId: r.patientsId,
        studiesId: r.studiesId,
        studyPath: r.studyPath,
        repetition: r.repetition,
        stage: r.stage,
        startedAt: r.startedAt,
        submittedAt: r.submittedAt,
        seconds: r.secondsSpent,
        values: JSON.parse(r.values) as Record<string, unknown>,
        annotations: JSON.parse(r.annotations),
      })),
    )
    return { name: a.row.name, csv }
  }

  /** Deletes the caller's results (and sessions) of `mode`, where the reading allows a restart of that mode. */
  async restart(actor: User, projectName: string, id: number, mode: unknown): Promise<{ deleted: number }> {
    if (!isPhase(mode)) throw new UsageError('mode must be "training" or "serious"')
    const a = await this.access(actor, projectName, id)
    if (!a.config.allowRestart[mode])
      throw new ForbiddenError(`reading "${a.row.name}" does not allow a restart of ${mode} (a reading admin can set allowRestartOf${mode === 'training' ? 'Training' : 'Serious'}: 1)`)
    return { deleted: await this.d.repos.readings.deleteOwn(id, actor.id, this.ownerOf(a, actor), mode) }
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
    return (await this.loads(actor, a, slot, stage)).map(({ item: it, file }) => ({
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
      if ((await this.loads(actor, a, slot, stage)).some((l) => l.file.path === path)) return `${slot.pid}/${slot.sid}/${path}`
    throw new NotFoundError(`"${path.slice(0, 200)}" is no file the reading loads for this case`)
  }

  /** What the autoloader loads for a case in a stage (its autoloaders, else the viewer's, else the project's active preset): per item the first file by path. */
  private async loads(actor: User, a: Access, slot: StoredSlot, stage: number): Promise<{ item: AutoloadItem; file: { relative: string; path: string } }[]> {
    const stageDef = a.config.stages[Math.max(0, Math.min(a.config.stages.length - 1, stage - 1))]
    let items: AutoloadItem[] = stageDef?.autoloaders ?? a.config.autoloaders ?? (await this.d.autoloaders.list(actor, a.project.name)).find((p) => p.active)?.items ?? []
    if (slot.image) items = [{ pattern: slot.image, viewport: 1, as: 'background', colormap: items[0]?.colormap ?? 'gray', ...(items[0]?.min !== undefined ? { min: items[0].min } : {}), ...(items[0]?.max !== undefined ? { max: items[0].max } : {}) }]
    const out: { item: AutoloadItem; file: { relative: string; path: string } }[] = []
    for (const item of items) {
      let first: { relative: string; path: string } | undefined
      for await (const page of this.d.archive.select(actor, a.project.name, item.pattern, { patientsId: slot.pid, studiesId: slot.sid })) for (const f of page) if ((!slot.image || f.path === slot.image) && (!first || f.path < first.path)) first = f
      if (first) out.push({ item, file: first })
    }
    return out
  }

  // ---- inside ------------------------------------------------------------------------------------------------

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

  /** The cases of a mode in sort order (the condition checked exactly on the rows the filter bars select). */
  private async cases(actor: User, a: Access, mode: Phase): Promise<{ ref: CaseRef; row: StudyRowOut }[]> {
    const sel = a.config.selection[mode]
    const out: { ref: CaseRef; row: StudyRowOut }[] = []
    for await (const page of this.d.studies.all(actor, a.project.name, sel.bars, { sort: a.config.sortOrder, dir: a.config.sortDirection })) {
      for (const row of page) {
        if (sel.condition && !matches(sel.condition, row)) continue
        const pid = row.patients_id
        const sid = row.studies_id ?? ''
        if (a.config.randomise !== 'image') out.push({ ref: { caseKey: `${pid}#${sid}`, patientsId: pid, studiesId: sid }, row })
        else {
          const pattern = a.config.imagePattern ?? a.config.autoloaders![0]!.pattern
          const files: string[] = []
          for await (const fp of this.d.archive.select(actor, a.project.name, pattern, { patientsId: pid, studiesId: sid })) files.push(...fp.map((f) => f.path))
          for (const f of files.sort()) out.push({ ref: { caseKey: `${pid}#${sid}#${f}`, patientsId: pid, studiesId: sid, image: f }, row })
        }
        if (out.length > MAX_CASES) throw new UsageError(`the ${mode} condition selects more than ${MAX_CASES} cases; narrow it down`)
      }
    }
    return out
  }

  private async slots(actor: User, a: Access, mode: Phase, seed: number): Promise<StoredSlot[]> {
    const cases = await this.cases(actor, a, mode)
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
    const cases = await this.cases(actor, a, mode)
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

function viewOf(r: ReadingResultRow): ResultView {
  return {
    id: r.id,
    user: r.username,
    mode: r.mode,
    caseKey: r.caseKey,
    pid: r.patientsId,
    sid: r.studiesId,
    studyPath: r.studyPath,
    repetition: r.repetition,
    stage: r.stage,
    values: JSON.parse(r.values) as Record<string, unknown>,
    annotations: JSON.parse(r.annotations),
    startedAt: new Date(r.startedAt).toISOString(),
    submittedAt: new Date(r.submittedAt).toISOString(),
    seconds: r.secondsSpent,
  }
}
