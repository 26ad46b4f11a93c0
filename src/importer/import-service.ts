import { existsSync, mkdirSync, rmSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { checkIdSegment, projectDir } from '../archive/archive-paths'
import { placeFile, type ArchiveWriter } from '../archive/archive-writer'
import type { Rights } from '../auth/rights'
import { NotFoundError } from '../core/errors'
import { removeInside, safeJoin, safeRelativeSegments } from '../core/safe-path'
import { isAlive, RUNNER_ID as RUNNER } from '../core/process-alive'
import type { ImportedStudies, Project, User } from '../core/types'
import type { Repos } from '../store/repos'
import { emptyCounts, type ImportCounts, type ImportRecord } from '../store/repos/imports-repo'
import { readBundle, writeBundle } from './dicom-bundle'
import { planImport, type PlanOptions, type SeriesPlan, type StudyPlan } from './import-plan'
import { stageSource, type StageProblem, type StagedExtra } from './stage-source'
import { policyOf, type ProjectPolicy } from '../archive/project-policy'
import type { Pseudonyms } from './pseudonyms'
import type { ImportQueue } from './import-queue'

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

/** How an import is submitted (ImportService.submit). */
export interface SubmitOptions extends ImportOptions {
  /** What the import record shows as its source (default: the source path). */
  label?: string
  /** Runs once the source is no longer needed: the import ended, or its job staged it, or it was refused. */
  cleanup?: () => void
  /** Run now, in this process (the CLI's import with its progress bar), not on the import queue. */
  here?: boolean
  onProgress?: (p: ImportProgress) => void
}

/** A submitted import: its id and project at once; `ended` its record once it ended here, or once it was handed to an import job (state "queued"). */
export interface SubmittedImport {
  id: number
  project: Project
  ended: Promise<ImportRecord>
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

/** Runs `work` over the items, at most `limit` at once. */
async function runPool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) await work(items[next++]!)
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
}

const DICOM_FOLDER = 'dicom'

/**
 * DICOM (zip, tar, tar.gz, folder) to NIfTI in a project: unpack into a staging folder, read headers, sort into
 * subjects/studies/series, convert each series, then move its files into the archive and register them in one
 * transaction. A series is visible completely or not at all; instances seen before are not imported twice, and
 * new instances of a known series re-convert that series from its kept originals.
 */
export class ImportService {
  constructor(
    private readonly deps: { dataRoot: string; writer: ArchiveWriter; repos: Repos; rights: Rights; converter: SeriesConverter; pseudonyms: Pseudonyms; queue: Pick<ImportQueue, 'enqueue' | 'cluster'>; maxParallel: number; onImported?: (e: ImportedStudies) => unknown; onEnded?: (r: ImportRecord, project: Project) => unknown },
  ) {}

  /**
   * The one way into the archive for DICOM: checks the actor may write the project (once), records the import, and
   * runs it on the import queue — here, or as a job on the cluster's import queue when main.conf import.executor is
   * "queue" — or, with `here`, now in this process. `cleanup` runs when the source is no longer needed, also when
   * the import is refused.
   */
  async submit(actor: User, projectName: string, source: string, options: SubmitOptions = {}): Promise<SubmittedImport> {
    const { label, cleanup = () => {}, here, onProgress, ...opts } = options
    let created: { id: number; project: Project }
    try {
      created = await this.create(actor, projectName, label ?? source)
    } catch (e) {
      cleanup()
      throw e
    }
    const { id, project } = created
    const runHere = () => this.run(id, project, source, opts, onProgress).finally(cleanup)
    if (here) return { id, project, ended: runHere() }
    const { queue } = this.deps
    const ended = new Promise<ImportRecord>((resolve, reject) => {
      queue.enqueue(async () => {
        const cluster = queue.cluster
        try {
          if (!cluster) return resolve(await runHere())
          await cluster.submit(id, project, actor.id || null, source, opts, cleanup)
          resolve((await this.deps.repos.imports.get(id))!)
        } catch (e) {
          reject(e)
          throw e // the queue logs it
        }
      })
    })
    ended.catch(() => undefined) // callers that answer at once do not wait for it; the queue has logged the failure
    return { id, project, ended }
  }

  /**
   * Checks the user may write the project, and records a queued import without running it: submit's first step,
   * public only for tests that hand the record to an import job themselves (import-queue-slurm).
   */
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
      removeInside(this.stagingRoot(), this.stagingOf(u.id))
      dead.push(u.id)
    }
    return dead
  }

  /** data/imports: staging folders of running imports (data/imports/<id>) live here. */
  private stagingRoot(): string {
    return join(this.deps.dataRoot, 'imports')
  }

  private stagingOf(id: number): string {
    return safeJoin(this.stagingRoot(), String(id))
  }

  async status(id: number): Promise<(ImportRecord & { problems: StageProblem[] }) | undefined> {
    const r = await this.deps.repos.imports.get(id)
    return r && { ...r, problems: await this.deps.repos.imports.problems(id) }
  }

  /**
   * Runs a recorded import to its end (submit's, or a queued import's job: nora --run-import); never throws for bad
   * input: problems are recorded and the rest imports.
   */
  async run(id: number, project: Project, source: string, opts: ImportOptions = {}, onProgress?: (p: ImportProgress) => void): Promise<ImportRecord> {
    const { repos } = this.deps
    const staging = this.stagingOf(id)
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
        copy: policy.identity === 'pseudonymize', // pseudonymizeStaged rewrites the staged files
      })
      if (policy.identity === 'pseudonymize') {
        const { pseudonymizeStaged } = await import('./pseudonymize-staged') // dcmjs: loaded only for these projects
        const lost = await pseudonymizeStaged(this.deps.pseudonyms, project, policy, staged.instances, opts.patientsId)
        scrub = lost.scrub
        staged.instances = staged.instances.filter((i) => !lost.failed.has(i))
        for (const p of lost.problems) await problem(p)
      }
      for (const p of staged.problems) await problem(p)
      const planned = planImport(staged.instances, { ...opts, naming: policy.naming })
      // A study whose id cannot be a folder (PatientID "..") is reported and left out; the rest imports.
      for (const study of planned.filter((p) => p.refused)) {
        const instances = study.series.flatMap((s) => s.instances)
        await problem({ file: instances[0]!.sourceName, kind: 'error', message: `study ${study.studyUid} (${instances.length} instance(s)) left out: ${study.refused}; import it with --patients_id/--studies_id` })
      }
      const plans = planned.filter((p) => !p.refused)
      const totalSeries = plans.reduce((n, s) => n + s.series.length, 0)
      let doneSeries = 0
      const subjects = new Set<string>()
      // Series are converted maxParallel at a time; each commits on its own, so the order does not matter.
      const tasks: { target: StudyTarget; series: SeriesPlan; work: string }[] = []
      for (const study of plans) {
        const target = await this.resolveStudy(project, study)
        for (const series of study.series) tasks.push({ target, series, work: safeJoin(staging, `s${tasks.length}`) })
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
        removeInside(staging, work)
        await progress('converting', ++doneSeries, totalSeries)
      })
      for (const t of committed) subjects.add(t.patientsId)
      counts.studies = committed.size
      counts.patients = subjects.size
      await this.placeExtras(project, staged.extras, planned, opts, counts, problem, scrub)
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
      removeInside(this.stagingRoot(), staging)
    }
    const record = (await repos.imports.get(id))!
    // Whoever started it is told (notifications); what that throws never fails the import.
    if (this.deps.onEnded) await Promise.resolve(this.deps.onEnded(record, project)).catch((e) => console.error(`after import ${id}:`, e))
    return record
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

  private async importSeries(project: Project, ids: StudyTarget, series: SeriesPlan, work: string, counts: ImportCounts, policy: ProjectPolicy): Promise<void> {
    const anonymize = policy.identity === 'pseudonymize'
    const { repos } = this.deps
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
    // Every path from here is joined by safeJoin: ids, folder and names come from DICOM values (sanitised by the
    // plan) or from the database, and none may leave the study's folder.
    const studyDir = safeJoin(projectDir(this.deps.dataRoot, project.name), ids.patientsId, ids.studiesId)
    const inStudy = (rel: string) => safeJoin(studyDir, ...safeRelativeSegments(rel, 'series file'))
    const bundlePath = safeJoin(studyDir, DICOM_FOLDER, `${folder}_${baseName}.tar.gz`)
    const inputs = fresh.map((i) => ({ path: i.stagedPath, name: `${i.header.sopInstanceUid}.dcm` }))
    // New instances of a known series re-convert it from its kept originals. Were they dropped (policy), the new
    // instances are converted on their own, beside the earlier files: s003_n121.nii from the 121st instance on.
    // So too in pseudonymised projects: their kept originals have no private attributes, which dcm2niix may need.
    const dropped = known !== undefined && (anonymize || !existsSync(bundlePath))
    if (known && !dropped) {
      for (const p of await readBundle(bundlePath, safeJoin(work, 'old'))) inputs.push({ path: p, name: basename(p).replace(/^old-\d+-/, '') })
    }
    const stem = dropped ? `${baseName}_n${known.instances.size + 1}` : baseName
    const out = safeJoin(work, 'out')
    mkdirSync(out, { recursive: true })
    // The originals' bundle is packed while dcm2niix converts (another core), into the work folder: it enters the
    // archive with the NIfTIs. Pseudonymised projects pack theirs after conversion (private attributes go first).
    const bundled = safeJoin(work, 'bundle.tar.gz')
    const packing = policy.keepDicom && !anonymize ? writeBundle(bundled, inputs) : undefined
    packing?.catch(() => undefined) // awaited below; a failure is the series' error there
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
    await packing
    // Everything is staged: move files into place, then make them visible in one transaction.
    const placed: { rel: string; abs: string }[] = []
    for (const p of made) {
      const rel = `${folder}/${stem}${basename(p).slice(OUT_STEM.length)}`
      const abs = safeJoin(studyDir, folder, `${stem}${basename(p).slice(OUT_STEM.length)}`)
      placeFile(p, abs)
      placed.push({ rel, abs })
    }
    // What an earlier conversion of this series made and this one did not (e.g. an _Eq_1 volume of a partial
    // series) goes, with the new files becoming visible.
    // When this conversion failed, what the earlier one made stays.
    const outputs = why ? (known?.outputs ?? []) : [...(dropped ? known.outputs : []), ...placed.map((f) => f.rel)]
    const stale = (known?.outputs ?? []).filter((rel) => !outputs.includes(rel))
    // The originals are kept by policy, and always for a series dcm2niix could not convert: nothing is lost.
    if (policy.keepDicom || why) {
      const rel = `${DICOM_FOLDER}/${folder}_${stem}.tar.gz`
      const abs = safeJoin(studyDir, DICOM_FOLDER, `${folder}_${stem}.tar.gz`)
      if (!packing) {
        if (anonymize) {
          const { removePrivateFromFile } = await import('../dicom/anonymize')
          for (const i of inputs) removePrivateFromFile(i.path) // the Basic Profile's last row; converted already
        }
        await writeBundle(bundled, inputs)
      }
      placeFile(bundled, abs)
      placed.push({ rel, abs })
    }
    const study = { patientsId: ids.patientsId, studiesId: ids.studiesId, subject: ids.plan.subject, study: { studyDate: ids.plan.study.studyDate, description: ids.plan.study.description, modality: ids.plan.study.modality, studyUid: ids.plan.studyUid } }
    const { studyId } = await this.deps.writer.register(project, study, placed, {
      stale,
      also: (r, tx, studyId) => r.dicom.record(tx, { projectId: project.id, studyId, seriesUid: series.seriesUid, folder, baseName, description: series.description, sopUids: series.instances.map((i) => i.header.sopInstanceUid), outputs }),
    })
    ids.studyId = studyId
    for (const rel of stale) rmSync(inStudy(rel), { force: true })
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
      if (plan?.refused) {
        await problem({ file: extra.sourceName, kind: 'skipped', message: `extra file of a study that was left out (${plan.refused})` })
        continue
      }
      const pid = plan?.patientsId ?? opts.patientsId
      const sid = plan ? (await this.resolveStudy(project, plan)).studiesId : opts.studiesId
      if (!pid || !sid) {
        await problem({ file: extra.sourceName, kind: 'skipped', message: 'extra file with no study to go to; give --patients_id and --studies_id' })
        continue
      }
      const name = scrub(basename(extra.sourceName)).replace(/[^\w.-]/g, '_')
      const rel = `extra/${name}`
      let abs: string
      try {
        abs = safeJoin(projectDir(this.deps.dataRoot, project.name), pid, sid, 'extra', name)
      } catch (e) {
        await problem({ file: extra.sourceName, kind: 'error', message: `extra file not placed: ${(e as Error).message}` })
        continue
      }
      placeFile(extra.stagedPath, abs)
      await this.deps.writer.register(project, { patientsId: pid, studiesId: sid }, [{ rel, abs }])
      counts.files++
    }
  }
}
