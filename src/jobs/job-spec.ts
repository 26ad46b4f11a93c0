import { UsageError } from '../core/errors'
import { checkReference, formatStudyReference, parseStudyReference } from './study-reference'
import { ARG_TYPES, PREFIX_ORDER, scriptReferences, splitOutTags, typeOfName, type ArgType } from './job-args'

// The argument names and the script parser are shared with the browser's Batchtool (job-args.ts has no server imports).
export { ARG_TYPES, PREFIX_TYPES, scriptReferences, typeOfName, type ArgType } from './job-args'

/** matlab: `$f1`... in the script become MATLAB literals and the script runs as `matlab -batch SCRIPT` (needs jobs.matlab). */
export type JobType = 'bash' | 'python' | 'matlab'
export const JOB_TYPES: readonly JobType[] = ['bash', 'python', 'matlab']

export interface JobArg {
  name: string
  type: ArgType
  /** FILE: a file pattern relative to the run's study; OUT/PATHOUT: a name (OUT may end in ` TAG(a,b)`); others: the value. */
  value: string | number | boolean
  /**
   * FILE/OUT/PATHOUT: the study reference (study-reference.ts), normalised: in which study of the run's subject a
   * FILE looks, to which study an output is written. Unset: the run's own study at study level; at subject level
   * `any` for FILE (the first study by date in which the pattern matches) and `first` for OUT/PATHOUT (the
   * earliest study by date; the run's logs go there too).
   */
  study?: string
}

export interface JobSpec {
  type: JobType
  /** A label for listings; the type when not given. */
  name: string
  script: string
  args: JobArg[]
  /** python only: the interpreter (default /usr/bin/python3 where it exists, else python3 from PATH). */
  interpreter?: string
  /** Slurm/SGE: what the job asks for (unset: the project's or conf/slurm.conf's defaults). */
  resources?: { queue?: string; timeMinutes?: number; memMb?: number; cpus?: number }
}

/** study: one run per study (psid `PID#SID`); subject: one run per subject (psid `PID`), its studies chosen by study references. */
export type BatchLevel = 'study' | 'subject'

export interface BatchSpec {
  level: BatchLevel
  /** PATIENTS_ID#STUDIES_ID of each study the batch runs on (given, or found by `filter`); at subject level their subjects. */
  studies?: string[]
  /** Subject level: the PATIENTS_IDs to run on. */
  subjects?: string[]
  /** The file search bar's language (as `--filter`): the studies it lists. */
  filter?: string
  name: string
  jobs: JobSpec[]
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,31}$/
const RESERVED = new Set(['PATH', 'HOME', 'NORA_USER', 'NORA_PSID', 'NORA_HOME', 'NORA_PROJECT', 'NORA_RUN_TOKEN', 'NORA_URL', 'TMPDIR', 'IFS', 'BASH_ENV', 'ENV', 'PYTHONPATH', 'PYTHONSTARTUP', 'LD_PRELOAD', 'LD_LIBRARY_PATH'])

/** `out/x.txt TAG(done, qc)` -> the name and its tags. */
export function parseOut(value: string): { name: string; tags: string[] } {
  const m = splitOutTags(value)
  if (!m) {
    if (/TAG\(/.test(value)) throw new UsageError(`output "${value}": write the tags as "name TAG(tag1,tag2)"`)
    return { name: value.trim(), tags: [] }
  }
  const tags = m[1]
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
  return { name: m[0].trim(), tags }
}

function parseArg(job: string, name: string, raw: unknown): JobArg {
  if (!NAME.test(name) || RESERVED.has(name) || name.startsWith('NORA_')) throw new UsageError(`${job}: "${name}" cannot name an argument (letters, digits, _; not ${[...RESERVED].slice(0, 4).join(', ')}...)`)
  let type = typeOfName(name)
  let value: unknown = raw
  let study: string | undefined
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    const o = raw as { type?: unknown; value?: unknown; study?: unknown }
    if (o.type !== undefined || !type) {
      if (typeof o.type !== 'string' || !ARG_TYPES.includes(o.type.toUpperCase() as ArgType)) throw new UsageError(`${job}: argument ${name} needs a "type", one of ${ARG_TYPES.join(', ')}`)
      const given = o.type.toUpperCase() as ArgType
      if (type && type !== given) throw new UsageError(`${job}: argument ${name} is a ${type} by its name, not a ${given}`)
      type = given
    }
    value = o.value
    if (o.study !== undefined && o.study !== null && o.study !== '') {
      if (type !== 'FILE' && type !== 'OUT' && type !== 'PATHOUT') throw new UsageError(`${job}: argument ${name} is a ${type}: only FILE, OUT and PATHOUT carry a study reference`)
      if (typeof o.study !== 'string') throw new UsageError(`${job}: the study reference of ${name} must be text like "first", "MOD:CT" or "SDESC:T1*"`)
      study = formatStudyReference(parseStudyReference(o.study))
    }
  }
  if (!type) throw new UsageError(`${job}: argument "${name}" needs a type: { "type": "LOGICAL", "value": true } (f1..f9, o1..o9, p1..p9, n1..n9, s1..s9 have theirs by name)`)
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') throw new UsageError(`${job}: argument ${name} needs a value (text, number or true/false)`)
  switch (type) {
    case 'FILE':
    case 'OUT':
    case 'PATHOUT':
      if (typeof value !== 'string' || !value.trim()) throw new UsageError(`${job}: ${type} argument ${name} needs a ${type === 'FILE' ? 'file pattern' : 'name'}`)
      if (type === 'OUT') parseOut(value)
      break
    case 'NUMERIC': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN
      if (!Number.isFinite(n)) throw new UsageError(`${job}: NUMERIC argument ${name} is not a number: ${JSON.stringify(value)}`)
      value = n
      break
    }
    case 'LOGICAL':
      if (typeof value === 'string') {
        if (!/^(true|false|1|0|yes|no)$/i.test(value)) throw new UsageError(`${job}: LOGICAL argument ${name} is true or false, not ${JSON.stringify(value)}`)
        value = /^(true|1|yes)$/i.test(value)
      } else value = Boolean(value)
      break
    default:
      value = String(value)
  }
  if (typeof value === 'string' && value.includes('\0')) throw new UsageError(`${job}: argument ${name} contains a NUL byte`)
  return { name, type, value: value as string | number | boolean, ...(study && { study }) }
}

/** Checks and normalises one job of a batch description. */
export function parseJob(raw: unknown, index: number): JobSpec {
  const where = `job ${index + 1}`
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new UsageError(`${where} is not an object { "type": "bash", "script": "...", "args": {...} }`)
  const o = raw as Record<string, unknown>
  const type = String(o.type ?? '').toLowerCase() as JobType
  if (!JOB_TYPES.includes(type)) throw new UsageError(`${where}: "type" must be one of ${JOB_TYPES.join(', ')} (got ${JSON.stringify(o.type)})`)
  if (typeof o.script !== 'string' || !o.script.trim()) throw new UsageError(`${where}: "script" is empty`)
  let argsRaw = o.args ?? {}
  // The stored form (a list of { name, type, value }, as launch saves it) reads back as the written one.
  if (Array.isArray(argsRaw) && argsRaw.every((a) => a && typeof a === 'object' && typeof (a as JobArg).name === 'string'))
    argsRaw = Object.fromEntries((argsRaw as JobArg[]).map((a) => [a.name, { type: a.type, value: a.value, study: a.study }]))
  if (argsRaw === null || typeof argsRaw !== 'object' || Array.isArray(argsRaw)) throw new UsageError(`${where}: "args" must be an object { "f1": "t1*/s0__.nii", ... }`)
  const args = Object.entries(argsRaw as Record<string, unknown>).map(([k, v]) => parseArg(where, k, v))
  const missing = scriptReferences(o.script).filter((r) => !args.some((a) => a.name === r))
  if (missing.length) throw new UsageError(`${where}: the script uses ${missing.map((m) => `$${m}`).join(', ')} but "args" has no ${missing.join(', ')}`)
  if (o.interpreter !== undefined && (typeof o.interpreter !== 'string' || !o.interpreter)) throw new UsageError(`${where}: "interpreter" must be a program name or path`)
  return {
    type,
    name: typeof o.name === 'string' && o.name ? o.name : type,
    script: o.script,
    args: sortArgs(args),
    ...(typeof o.interpreter === 'string' && { interpreter: o.interpreter }),
    ...(o.resources !== undefined && { resources: parseResources(where, o.resources) }),
  }
}

function parseResources(where: string, raw: unknown): NonNullable<JobSpec['resources']> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new UsageError(`${where}: "resources" must be an object { "queue": "DPXproc", "timeMinutes": 60, "memMb": 4000, "cpus": 1 }`)
  const out: NonNullable<JobSpec['resources']> = {}
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (k === 'queue') {
      if (typeof v !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(v)) throw new UsageError(`${where}: resources.queue must be a partition/queue name, not ${JSON.stringify(v)}`)
      out.queue = v
    } else if (k === 'timeMinutes' || k === 'memMb' || k === 'cpus') {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new UsageError(`${where}: resources.${k} must be a whole number above 0, not ${JSON.stringify(v)}`)
      out[k] = v
    } else throw new UsageError(`${where}: unknown resource "${k}" (queue, timeMinutes, memMb, cpus)`)
  }
  return out
}

/** Positional order: f1..f9, o1..o9, p1..p9, n1..n9, s1..s9, then other names alphabetically. */
export function sortArgs(args: JobArg[]): JobArg[] {
  const key = (a: JobArg) => {
    const t = typeOfName(a.name)
    return t ? `0${PREFIX_ORDER.indexOf(a.name[0]!)}${a.name[1]}` : `1${a.name}`
  }
  return [...args].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
}

/**
 * Checks a batch description (`--launch` JSON):
 *
 *   { "level": "study" | "subject", "studies": ["PID#SID", ...] | "subjects": ["PID", ...] | "filter": "...",
 *     "name": "...", "jobs": [{ "type": "bash" | "python" | "matlab", "script": "...", "args": {...} }, ...] }
 *
 * An argument is a value (`"f1": "t1_mprage/s0__.nii"`) or an object `{ "type"?, "value", "study"? }` where `study` is a
 * study reference (study-reference.ts): `own` (the default at study level), `any` (FILE default at subject level:
 * the first study by date in which the pattern matches), `all` (FILE: every match of every study, several paths),
 * `first` (OUT/PATHOUT default at subject level: outputs and the run's logs go to the subject's earliest study by
 * date; there is no subject-level folder outside the studies, so every output stays registrable in a study),
 * `last`, `#2`, `SDESC:pattern`, `MOD:CT`, `ID:sid` or a bare studies_id. At subject level "studies" stand for
 * their subjects, and the file filter's selection for the subjects of the studies it lists.
 */
export function parseBatch(input: unknown): BatchSpec {
  let raw = input
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw)
    } catch (e) {
      throw new UsageError(`the batch is not valid JSON: ${(e as Error).message}`)
    }
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new UsageError('the batch must be a JSON object { "level": "study", "studies": [...], "jobs": [...] }')
  const o = raw as Record<string, unknown>
  const level = (o.level ?? 'study') as string
  if (level !== 'study' && level !== 'subject') throw new UsageError(`"level": "${level}" is not a level; use "study" (one run per study) or "subject" (one run per subject)`)
  let studies: string[] | undefined
  if (o.studies !== undefined) {
    if (!Array.isArray(o.studies) || o.studies.some((x) => typeof x !== 'string' || !/^[^#/]+#[^#/]+$/.test(x)))
      throw new UsageError('"studies" must be a list of "PATIENTS_ID#STUDIES_ID"')
    studies = [...new Set(o.studies as string[])]
  }
  let subjects: string[] | undefined
  if (o.subjects !== undefined) {
    if (level !== 'subject') throw new UsageError('"subjects" is for "level": "subject"; a study-level batch takes "studies": ["PID#SID", ...]')
    if (!Array.isArray(o.subjects) || o.subjects.some((x) => typeof x !== 'string' || !/^[^#/\0]+$/.test(x)))
      throw new UsageError('"subjects" must be a list of PATIENTS_IDs')
    subjects = [...new Set(o.subjects as string[])]
  }
  if (o.filter !== undefined && typeof o.filter !== 'string') throw new UsageError('"filter" must be text in the file search bar\'s language')
  if (!Array.isArray(o.jobs) || o.jobs.length === 0) throw new UsageError('"jobs" must be a non-empty list')
  const jobs = o.jobs.map(parseJob)
  for (const [i, job] of jobs.entries())
    for (const a of job.args) {
      if (!a.study || (a.type !== 'FILE' && a.type !== 'OUT' && a.type !== 'PATHOUT')) continue
      const wrong = checkReference(parseStudyReference(a.study), a.type, level)
      if (wrong) throw new UsageError(`job ${i + 1}: argument ${a.name} (${a.study}): ${wrong}`)
    }
  return {
    level,
    ...(studies && { studies }),
    ...(subjects && { subjects }),
    ...(typeof o.filter === 'string' && { filter: o.filter }),
    name: typeof o.name === 'string' ? o.name : '',
    jobs,
  }
}

/** The import a job runs (`nora --run-import ID`), from the command's stored JSON; undefined for other jobs. */
export function importIdOf(jobJson: string): number | undefined {
  try {
    const id = (JSON.parse(jobJson) as { importId?: unknown }).importId
    return typeof id === 'number' ? id : undefined
  } catch {
    return undefined
  }
}
