import type { DicomHeader } from '../dicom/dicom-header'
import { DEFAULT_NAMING, fillNaming } from '../dicom/series-naming'

/** A staged DICOM instance: where it sits in the staging folder, where it came from, what its header says. */
export interface StagedInstance {
  stagedPath: string
  sourceName: string
  header: DicomHeader
}

export interface SeriesPlan {
  seriesUid: string
  /** Folder inside the study, from the naming policy (e.g. `t1_mprage`). */
  folder: string
  /** File name without extension (e.g. `s003`). */
  baseName: string
  description: string
  instances: StagedInstance[]
}

export interface StudyPlan {
  studyUid: string
  patientsId: string
  /** Proposed studies_id; the importer keeps an existing study's id when the StudyInstanceUID is known. */
  studiesId: string
  subject: { name: string; birthDate: string; sex: string }
  study: { studyDate: string; description: string; modality: string; accession: string }
  series: SeriesPlan[]
  /** Set when the study's patients_id or studies_id cannot be a folder: the importer reports it and leaves it out. */
  refused?: string
}

export interface PlanOptions {
  /** --patients_id: one subject for everything. */
  patientsId?: string
  /** --studies_id: one study id for everything. */
  studiesId?: string
  /** --pattern: a regex with named groups patients_id / studies_id, applied to each instance's source path. */
  pattern?: RegExp
  /** The project's series naming template (series-naming.ts). */
  naming?: string
}

/**
 * A name from a DICOM value (ProtocolName, SeriesDescription, PatientID...) as letters, digits, `.`, `_`, `-`:
 * never empty, `.` or `..`. This is naming, not the safety check: the importer joins the result only through
 * core/safe-path's safeJoin.
 */
export function sanitizeName(raw: string, fallback: string, max = 64): string {
  const s = raw
    .normalize('NFKD')
    .replace(/[^\w.-]+/g, '_')
    .replace(/^[._]+|_+$/g, '')
    .slice(0, max)
  return s && s !== '.' && s !== '..' ? s : fallback
}

/** Folder and file name of a series from the project's naming template (default `{protocol|description}/s{series:3}`). */
export function seriesNames(h: DicomHeader, naming = DEFAULT_NAMING): { folder: string; baseName: string } {
  const [folderPart, filePart] = naming.split('/') as [string, string]
  const folder = sanitizeName(fillNaming(folderPart, h), h.modality ? h.modality.toLowerCase() : 'series')
  return { folder, baseName: sanitizeName(fillNaming(filePart, h), 'series') }
}

/** A studies_id from the study's date and time (`20240131_142501`), or a short stable code from its UID. */
export function defaultStudiesId(h: DicomHeader): string {
  const date = /^\d{8}$/.test(h.studyDate) ? h.studyDate : ''
  const time = h.studyTime.replace(/\D/g, '').slice(0, 6)
  if (date) return time.length === 6 ? `${date}_${time}` : date
  return `S${new Bun.CryptoHasher('sha1').update(h.studyInstanceUid).digest('hex').slice(0, 10)}`
}

/**
 * Why an id (a PatientID, or an id from --pattern) cannot name a subject or study folder, or undefined. Spaces,
 * "^" and the like are made "_" by sanitizeName, as labs expect ("Doe^John 12" -> "Doe_John_12"), and so is an
 * inner "/" ("123/45" -> "123_45"). A value that reads as a path step (".", "..", "../x", "a/../b", "/etc") or
 * holds control characters is not a name: made "safe" it would quietly become another patient ("../x" -> "x",
 * ".." -> "UNKNOWN"), so the study is refused with this reason instead.
 */
export function idProblem(raw: string): string | undefined {
  const trimmed = raw.replace(/^\s+|[\s\0]+$/g, '') // padding (a space, or a NUL some devices write) is not part of it
  if (/[\0-\x1f\x7f]/.test(trimmed)) return 'contains control characters'
  if (/^[/\\]/.test(trimmed)) return 'is an absolute path'
  const step = trimmed.split(/[/\\]/).find((p) => p.trim() === '.' || p.trim() === '..')
  if (step !== undefined) return trimmed === step ? `is "${step.trim()}"` : `contains the path step "${step.trim()}"`
  return undefined
}

function overrides(inst: StagedInstance, opts: PlanOptions): { patientsId?: string; studiesId?: string } {
  // The seed applies --pattern to the DICOM's folder ("...(?<patients_id>\w+)$"); the full path is the fallback.
  const folder = inst.sourceName.includes('/') ? inst.sourceName.slice(0, inst.sourceName.lastIndexOf('/')) : ''
  const m = opts.pattern?.exec(folder) ?? opts.pattern?.exec(inst.sourceName)
  return {
    patientsId: opts.patientsId ?? m?.groups?.patients_id,
    studiesId: opts.studiesId ?? m?.groups?.studies_id,
  }
}

/**
 * Groups instances into studies and series and names them. Two series that would get the same folder and file
 * name in one study get `_2`, `_3`... so that none overwrites another. Pure: no I/O.
 */
export function planImport(instances: StagedInstance[], opts: PlanOptions = {}): StudyPlan[] {
  const studies = new Map<string, StudyPlan>()
  const seriesOf = new Map<string, SeriesPlan>()
  for (const inst of instances) {
    const h = inst.header
    const o = overrides(inst, opts)
    const rawPid = o.patientsId ?? h.patientId
    const rawSid = o.studiesId ?? defaultStudiesId(h)
    const pidProblem = idProblem(rawPid)
    const sidProblem = idProblem(rawSid)
    const refused = pidProblem
      ? `${o.patientsId === undefined ? 'PatientID' : 'patients_id'} ${JSON.stringify(rawPid.slice(0, 80))} ${pidProblem}`
      : sidProblem && `studies_id ${JSON.stringify(rawSid.slice(0, 80))} ${sidProblem}`
    // A refused study is kept apart by its raw id, so that it cannot merge into a real subject.
    const patientsId = refused ? rawPid : sanitizeName(rawPid, 'UNKNOWN', 128)
    const studyKey = `${refused ? '\u0001' : ''}${patientsId}\u0000${h.studyInstanceUid}`
    let study = studies.get(studyKey)
    if (!study) {
      study = {
        studyUid: h.studyInstanceUid,
        patientsId,
        studiesId: refused ? rawSid : sanitizeName(rawSid, 'study', 128),
        subject: { name: h.patientName, birthDate: h.birthDate, sex: h.sex },
        study: { studyDate: h.studyDate, description: h.studyDescription, modality: h.modality, accession: h.accessionNumber },
        series: [],
        ...(refused ? { refused: `${refused}: it cannot be a folder name` } : {}),
      }
      studies.set(studyKey, study)
    } else if (study.study.modality && h.modality && !study.study.modality.split('\\').includes(h.modality)) {
      study.study.modality += `\\${h.modality}`
    }
    const seriesKey = `${studyKey}\u0000${h.seriesInstanceUid}`
    let series = seriesOf.get(seriesKey)
    if (!series) {
      const names = seriesNames(h, opts.naming)
      let baseName = names.baseName
      for (let k = 2; study.series.some((s) => s.folder === names.folder && s.baseName === baseName); k++) baseName = `${names.baseName}_${k}`
      series = { seriesUid: h.seriesInstanceUid, folder: names.folder, baseName, description: h.seriesDescription, instances: [] }
      seriesOf.set(seriesKey, series)
      study.series.push(series)
    }
    if (!series.instances.some((i) => i.header.sopInstanceUid === h.sopInstanceUid)) series.instances.push(inst)
  }
  return [...studies.values()]
}
