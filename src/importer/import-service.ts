import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, statSync, unlinkSync } from 'node:fs'
import { hostname } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { checkIdSegment, projectDir } from '../archive/archive-paths'
import { fileTypeOf } from '../archive/file-types'
import type { Rights } from '../auth/rights'
import { NotFoundError } from '../core/errors'
import { isAlive } from '../core/process-alive'
import type { Project, User } from '../core/types'
import type { Db } from '../store/db'
import { createRepos, type Repos } from '../store/repos'
import { emptyCounts, type ImportCounts, type ImportRecord } from '../store/repos/imports-repo'
import { readBundle, writeBundle } from './dicom-bundle'
import { planImport, type PlanOptions, type SeriesPlan, type StudyPlan } from './import-plan'
import { stageSource, type StageProblem, type StagedExtra } from './stage-source'
import { anonymizeDicomFile } from '../dicom/anonymize'
import { policyOf, type ProjectPolicy } from '../archive/project-policy'
import type { Pseudonyms } from './pseudonyms'
import type { StagedInstance } from './import-plan'

/** What the importer needs of a DICOM-to-NIfTI converter (src/dicom/convert implements it). */
export interface SeriesConverter {
  convertSeries(inputFiles: string[], outDir: string, opts: { filename?: string; anonymize?: boolean; compress?: boolean }): Promise<{ outputs: string[]; log: string[] }>
}

export interface ImportOptions extends PlanOptions {
  /** --extrafiles_filter: extensions of non-DICOM files to keep (e.g. nii, hdr, img). */
  extraExtensions?: string[]
  /** The autoexecution queue to launch on the imported studies: undefined or 'DEFAULT' the project's, 'none' none. */
  autoexecQueue?: string
}

/** What a finished import reports to `onImported` (autoexecution): the studies that got new or changed series. */
export interface ImportedStudies {
  importId: number
  project: Project
  userId: number | null
  psids: string[]
  autoexecQueue?: string
}

export interface ImportProgress {
  phase: string
  done: number
  total: number
  counts: ImportCounts
}

interface StudyTarget {
  plan: StudyPlan
  patientsId: string
  studiesId: string
  /** Set once the study row exists. */
  studyId?: number
}

const OUT_STEM = 'nora_out'
const RUNNER = `${hostname()}:${process.pid}`

/** Runs `work` over the items, at most `limit` at once. */
async function runPool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) await work(items[next++]!)
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
}

const DICOM_FOLDER = 'dicom'

/** Moves a file, across file systems too. */
function moveFile(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true })
  try {
    renameSync(from, to)
  } catch (e) {
    if ((e as { code?: string }).code !== 'EXDEV') throw e
    copyFileSync(from, `${to}.tmp`)
    renameSync(`${to}.tmp`, to)
    unlinkSync(from)
  }
}

/**
 * DICOM (zip, tar, tar.gz, folder) to NIfTI in a project: unpack into a staging folder, read headers, sort into
 * subjects/studies/series, convert each series, then move its files into the archive and register them in one
 * transaction. A series is visible completely or not at all; instances seen before are not imported twice, and
 * new instances of a known series re-convert that series from its kept originals.
 */
export class ImportService {
  constructor(
    private readonly deps: { dataRoot: string; db: Db; repos: Repos; rights: Rights; converter: SeriesConverter; pseudonyms: Pseudonyms; maxParallel: number; onImported?: (e: ImportedStudies) => unknown },
  ) {}

  /** Checks the user may write the project, and records a queued import. */
  async create(actor: User, projectName: string, source: string): Promise<{ id: number; project: Project }> {
    const project = await this.deps.repos.projects.byName(projectName)
    if (!project) throw new NotFoundError(`no project "${projectName}"; nora --admin projects lists them`)
    await this.deps.rights.require(actor, 'write', project)
    // A source's name may name the patient: pseudonymised projects do not keep it.
    const pseudonymized = policyOf(await this.deps.repos.projects.settings(project.id)).identity === 'pseudonymize'
    const label = pseudonymized ? source.split(' ')[0]!.replace(/^\/.*/, 'path') : source
    const id = await this.deps.repos.imports.create(project.id, actor.id || null, label)
    await this.deps.repos.imports.update(id, { runner: RUNNER })
    return { id, project }
  }

  /**
   * Marks imports whose process on this host is gone (killed, crashed, machine restarted) as failed, and removes
   * their staging folders. Series they committed stay; running the same import again completes the rest.
   */
  async recoverInterrupted(): Promise<number[]> {
    const [host] = RUNNER.split(':')
    const dead: number[] = []
    for (const u of await this.deps.repos.imports.unfinished()) {
      const [h, pid] = u.runner.split(':')
      if (h !== host || !pid || isAlive(Number(pid))) continue
      if (existsSync(join(this.deps.dataRoot, 'imports', 'queued', String(u.id)))) continue // a queued import's job runs it (QueuedImport.recover)
      await this.deps.repos.imports.update(u.id, { state: 'failed', phase: 'interrupted', message: 'interrupted: the process running it ended; run the same import again to complete it' })
      rmSync(join(this.deps.dataRoot, 'imports', String(u.id)), { recursive: true, force: true })
      dead.push(u.id)
    }
    return dead
  }

  async status(id: number): Promise<(ImportRecord & { problems: StageProblem[] }) | undefined> {
    const r = await this.deps.repos.imports.get(id)
    return r && { ...r, problems: await this.deps.repos.imports.problems(id) }
  }

  /** Runs an import to its end; never throws for bad input: problems are recorded and the rest imports. */
  async run(id: number, project: Project, source: string, opts: ImportOptions = {}, onProgress?: (p: ImportProgress) => void): Promise<ImportRecord> {
    const { repos } = this.deps
    const staging = join(this.deps.dataRoot, 'imports', String(id))
    const counts = emptyCounts()
    let lastSave = 0
    const progress = async (phase: string, done: number, total: number, force = false) => {
      onProgress?.({ phase, done, total, counts })
      if (force || Date.now() - lastSave > 250) {
        lastSave = Date.now()
        await repos.imports.update(id, { phase, done, total, counts })
      }
    }
    const policy = policyOf(await repos.projects.settings(project.id))
    let scrub = (text: string) => text
    const problem = async (p: StageProblem) => {
      if (p.kind === 'error') counts.errors++
      else counts.skipped++
      await repos.imports.addProblem(id, { ...p, file: scrub(p.file), message: scrub(p.message) })
    }
    try {
      await repos.imports.update(id, { state: 'running', phase: 'unpacking', runner: RUNNER })
      const staged = await stageSource(source, join(staging, 'in'), {
        extraExtensions: opts.extraExtensions ?? [],
        onEntry: (n) => void progress('unpacking', n, 0),
      })
      if (policy.identity === 'pseudonymize') {
        const lost = await this.pseudonymize(project, policy, staged.instances, opts)
        scrub = lost.scrub
        staged.instances = staged.instances.filter((i) => !lost.failed.has(i))
        for (const p of lost.problems) await problem(p)
      }
      for (const p of staged.problems) await problem(p)
      const plans = planImport(staged.instances, { ...opts, naming: policy.naming })
      const totalSeries = plans.reduce((n, s) => n + s.series.length, 0)
      let doneSeries = 0
      const subjects = new Set<string>()
      // Series are converted maxParallel at a time; each commits on its own, so the order does not matter.
      const tasks: { target: StudyTarget; series: SeriesPlan; work: string }[] = []
      for (const study of plans) {
        const target = await this.resolveStudy(project, study)
        for (const series of study.series) tasks.push({ target, series, work: join(staging, `s${tasks.length}`) })
      }
      const committed = new Set<StudyTarget>()
      await runPool(tasks, this.deps.maxParallel, async ({ target, series, work }) => {
        const before = counts.series
        try {
          await this.importSeries(project, target, series, work, counts, policy)
        } catch (e) {
          await problem({ file: `${target.patientsId}/${target.studiesId}/${series.folder}/${series.baseName}`, kind: 'error', message: (e as Error).message })
        }
        if (counts.series > before) committed.add(target)
        rmSync(work, { recursive: true, force: true })
        await progress('converting', ++doneSeries, totalSeries)
      })
      for (const t of committed) subjects.add(t.patientsId)
      counts.studies = committed.size
      counts.patients = subjects.size
      await this.placeExtras(project, staged.extras, plans, opts, counts, problem, scrub)
      // Finished: problems with single files do not fail the import; they are in the report, the rest is in.
      await repos.imports.update(id, { state: 'done', phase: 'finished', done: totalSeries, total: totalSeries, counts, message: counts.errors ? `finished with ${counts.errors} error(s); see the report` : '' })
      if (committed.size && this.deps.onImported) {
        const userId = (await repos.imports.get(id))?.userId ?? null
        const psids = [...committed].map((t) => `${t.patientsId}#${t.studiesId}`)
        await Promise.resolve(this.deps.onImported({ importId: id, project, userId, psids, autoexecQueue: opts.autoexecQueue })).catch((e) => console.error(`after import ${id}:`, e))
      }
    } catch (e) {
      await repos.imports.update(id, { state: 'failed', phase: 'stopped', counts, message: (e as Error).message })
    } finally {
      rmSync(staging, { recursive: true, force: true })
    }
    return (await repos.imports.get(id))!
  }

  /**
   * The subject/study ids a planned study goes to, without creating anything: the same StudyInstanceUID keeps
   * its studies_id; a new study whose id is taken gets _2, _3... Rows are created with the first series.
   */
  private async resolveStudy(project: Project, plan: StudyPlan): Promise<StudyTarget> {
    const { subjects } = this.deps.repos
    checkIdSegment(plan.patientsId, 'patients_id')
    const subject = await subjects.subject(project.id, plan.patientsId)
    const studies = subject ? await subjects.studiesOf(subject.id) : []
    const existing = studies.find((s) => s.studyUid === plan.studyUid)
    let studiesId = existing?.studiesId ?? plan.studiesId
    for (let k = 2; !existing && studies.some((s) => s.studiesId === studiesId); k++) studiesId = `${plan.studiesId}_${k}`
    checkIdSegment(studiesId, 'studies_id')
    return { plan, patientsId: plan.patientsId, studiesId, studyId: existing?.id }
  }

  /** Creates (or finds) the subject and study rows, inside the caller's transaction. */
  private async createStudy(r: Repos, project: Project, t: StudyTarget): Promise<number> {
    const subject = await r.subjects.ensureSubject(project.id, t.patientsId, t.plan.subject)
    const study = await r.subjects.ensureStudy(project.id, subject.id, t.studiesId, {
      studyDate: t.plan.study.studyDate,
      description: t.plan.study.description,
      modality: t.plan.study.modality,
      studyUid: t.plan.studyUid,
    })
    t.studyId = study.id
    return study.id
  }

  /**
   * Replaces each patient by a pseudonym, in the staged files themselves (so that neither dcm2niix, the sidecars
   * nor the kept DICOM see the original) and in the headers the plan uses. Returns a scrubber for report texts
   * and the instances that could not be rewritten (they are reported and left out: the source still has them).
   */
  private async pseudonymize(project: Project, policy: ProjectPolicy, instances: StagedInstance[], opts: ImportOptions) {
    const originals = new Set<string>()
    const failed = new Set<StagedInstance>()
    const problems: StageProblem[] = []
    const byPatient = new Map<string, string>()
    for (const inst of instances) {
      const h = inst.header
      for (const s of [h.patientId, h.patientName, ...h.patientName.split(/[\^\s]+/)]) if (s.trim().length >= 3) originals.add(s.trim())
      const key = opts.patientsId ?? h.patientId
      let pseudonym = byPatient.get(key)
      if (!pseudonym) {
        pseudonym = opts.patientsId ?? (await this.deps.pseudonyms.pseudonymFor(project, policy.pseudonymMode, { patientId: h.patientId, patientName: h.patientName, birthDate: h.birthDate }))
        byPatient.set(key, pseudonym)
      }
      const birthYear = h.birthDate.slice(0, 4)
      try {
        anonymizeDicomFile(inst.stagedPath, { pseudonym, birthYear })
      } catch (e) {
        failed.add(inst)
        problems.push({ file: inst.sourceName, kind: 'error', message: `could not be pseudonymised, left out (${(e as Error).message})` })
        continue
      }
      inst.header = { ...h, patientId: pseudonym, patientName: pseudonym, birthDate: birthYear }
    }
    const patterns = [...originals].sort((a, b) => b.length - a.length).map((o) => o.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    const re = patterns.length ? new RegExp(patterns.join('|'), 'g') : undefined
    return { scrub: (text: string) => (re ? text.replace(re, '[pseudonymised]') : text), failed, problems }
  }

  private async importSeries(project: Project, ids: StudyTarget, series: SeriesPlan, work: string, counts: ImportCounts, policy: ProjectPolicy): Promise<void> {
    const anonymize = policy.identity === 'pseudonymize'
    const { repos, db } = this.deps
    const known = ids.studyId === undefined ? undefined : await repos.dicom.series(ids.studyId, series.seriesUid)
    const fresh = series.instances.filter((i) => !known?.instances.has(i.header.sopInstanceUid))
    if (fresh.length === 0) {
      counts.unchanged++ // every instance imported before: nothing changes
      return
    }
    let { folder, baseName } = known ?? series
    if (!known) {
      const taken = ids.studyId === undefined ? new Map() : await repos.dicom.takenNames(ids.studyId)
      const base = baseName
      for (let k = 2; taken.has(`${folder}/${baseName}`); k++) baseName = `${base}_${k}`
    }
    const studyDir = join(projectDir(this.deps.dataRoot, project.name), ids.patientsId, ids.studiesId)
    const bundlePath = join(studyDir, DICOM_FOLDER, `${folder}_${baseName}.tar.gz`)
    const inputs = fresh.map((i) => ({ path: i.stagedPath, name: `${i.header.sopInstanceUid}.dcm` }))
    // New instances of a known series re-convert it from its kept originals. Were they dropped (policy), the new
    // instances are converted on their own, beside the earlier files: s003_n121.nii from the 121st instance on.
    const dropped = known !== undefined && !existsSync(bundlePath)
    if (known && !dropped) {
      for (const p of await readBundle(bundlePath, join(work, 'old'))) inputs.push({ path: p, name: basename(p).replace(/^old-\d+-/, '') })
    }
    const stem = dropped ? `${baseName}_n${known.instances.size + 1}` : baseName
    const out = join(work, 'out')
    mkdirSync(out, { recursive: true })
    // A series dcm2niix cannot convert is still kept, as its DICOM bundle: nothing is lost, and it is reported.
    let made: string[] = []
    let why = ''
    try {
      const result = await this.deps.converter.convertSeries(
        inputs.map((i) => i.path),
        out,
        { filename: OUT_STEM, anonymize },
      )
      made = result.outputs.filter((p) => basename(p).startsWith(OUT_STEM))
      if (!made.some((p) => /\.nii(\.gz)?$/.test(p))) {
        why = `dcm2niix made no NIfTI (${result.log.filter(Boolean).slice(-2).join(' ').slice(0, 300)})`
        made = []
      }
    } catch (e) {
      why = `conversion failed (${(e as Error).message.slice(0, 300)})`
    }
    // Everything is staged: move files into place, then make them visible in one transaction.
    const placed: { rel: string; abs: string }[] = []
    for (const p of made) {
      const rel = `${folder}/${stem}${basename(p).slice(OUT_STEM.length)}`
      moveFile(p, join(studyDir, rel))
      placed.push({ rel, abs: join(studyDir, rel) })
    }
    // What an earlier conversion of this series made and this one did not (e.g. an _Eq_1 volume of a partial
    // series) goes, with the new files becoming visible.
    // When this conversion failed, what the earlier one made stays.
    const outputs = why ? (known?.outputs ?? []) : [...(dropped ? known.outputs : []), ...placed.map((f) => f.rel)]
    const stale = (known?.outputs ?? []).filter((rel) => !outputs.includes(rel))
    // The originals are kept by policy, and always for a series dcm2niix could not convert: nothing is lost.
    if (policy.keepDicom || why) {
      const rel = `${DICOM_FOLDER}/${folder}_${stem}.tar.gz`
      await writeBundle(join(studyDir, rel), inputs)
      placed.push({ rel, abs: join(studyDir, rel) })
    }
    await db.transaction(async (tx) => {
      const r = createRepos(tx)
      const studyId = await this.createStudy(r, project, ids)
      for (const rel of stale) await r.files.deletePath(studyId, rel)
      for (const f of placed) await r.files.upsert(project.id, studyId, f.rel, statSync(f.abs).size, fileTypeOf(f.rel))
      await r.dicom.record(tx, {
        projectId: project.id,
        studyId,
        seriesUid: series.seriesUid,
        folder,
        baseName,
        description: series.description,
        sopUids: series.instances.map((i) => i.header.sopInstanceUid),
        outputs,
      })
    })
    for (const rel of stale) rmSync(join(studyDir, rel), { force: true })
    counts.series++
    counts.instances += fresh.length
    counts.files += placed.length
    if (why) {
      counts.unconverted++
      throw new Error(`${fresh.length} instance(s) of series "${series.description || series.seriesUid}" kept as DICOM only in ${DICOM_FOLDER}/${folder}_${stem}.tar.gz: ${why}`)
    }
  }

  /** Extra (non-DICOM) files go into the study whose DICOM shared their source folder, or the only study. */
  private async placeExtras(project: Project, extras: StagedExtra[], plans: StudyPlan[], opts: ImportOptions, counts: ImportCounts, problem: (p: StageProblem) => Promise<void>, scrub: (t: string) => string): Promise<void> {
    for (const extra of extras) {
      const dir = dirname(extra.sourceName)
      const byFolder = plans.find((s) => s.series.some((se) => se.instances.some((i) => dirname(i.sourceName) === dir)))
      const plan = byFolder ?? (plans.length === 1 ? plans[0] : undefined)
      const pid = plan?.patientsId ?? opts.patientsId
      const sid = plan ? (await this.resolveStudy(project, plan)).studiesId : opts.studiesId
      if (!pid || !sid) {
        await problem({ file: extra.sourceName, kind: 'skipped', message: 'extra file with no study to go to; give --patients_id and --studies_id' })
        continue
      }
      const subject = await this.deps.repos.subjects.ensureSubject(project.id, pid)
      const study = await this.deps.repos.subjects.ensureStudy(project.id, subject.id, sid)
      const rel = `extra/${scrub(basename(extra.sourceName)).replace(/[^\w.-]/g, '_')}`
      const abs = join(projectDir(this.deps.dataRoot, project.name), pid, sid, rel)
      moveFile(extra.stagedPath, abs)
      await this.deps.repos.files.upsert(project.id, study.id, rel, statSync(abs).size, fileTypeOf(rel))
      counts.files++
    }
  }
}
