import { UsageError } from '../core/errors'

/** The seed's argument types of a job. */
export type ArgType = 'FILE' | 'OUT' | 'PATHOUT' | 'NUMERIC' | 'STRING' | 'LOGICAL' | 'OPTION'
export const ARG_TYPES: readonly ArgType[] = ['FILE', 'OUT', 'PATHOUT', 'NUMERIC', 'STRING', 'LOGICAL', 'OPTION']

/** Generic jobs name their arguments by a prefix and a number 1..9: $f1 (FILE), $o1 (OUT), $p1 (PATHOUT), $n1 (NUMERIC), $s1 (STRING). */
export const PREFIX_TYPES: Record<string, ArgType> = { f: 'FILE', o: 'OUT', p: 'PATHOUT', n: 'NUMERIC', s: 'STRING' }
const PREFIX_ORDER = 'fopns'

export type JobType = 'bash' | 'python'
export const JOB_TYPES: readonly JobType[] = ['bash', 'python']

export interface JobArg {
  name: string
  type: ArgType
  /** FILE: a file pattern relative to the run's study; OUT/PATHOUT: a name (OUT may end in ` TAG(a,b)`); others: the value. */
  value: string | number | boolean
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

export type BatchLevel = 'study'

export interface BatchSpec {
  level: BatchLevel
  /** PATIENTS_ID#STUDIES_ID of each study the batch runs on (given, or found by `filter`). */
  studies?: string[]
  /** The file search bar's language (as `--filter`): the studies it lists. */
  filter?: string
  name: string
  jobs: JobSpec[]
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,31}$/
const RESERVED = new Set(['PATH', 'HOME', 'NORA_USER', 'NORA_PSID', 'NORA_HOME', 'NORA_PROJECT', 'IFS', 'BASH_ENV', 'ENV', 'PYTHONPATH', 'PYTHONSTARTUP', 'LD_PRELOAD', 'LD_LIBRARY_PATH'])

/**
 * The arguments a bash or python script refers to: `$f1`, `${o2}`, ... in order of first appearance. `$$f1` (an
 * escaped dollar in the seed's editor) and `\$f1` do not count.
 */
export function scriptReferences(script: string): string[] {
  const seen = new Set<string>()
  const re = /(\\)?\$(?:\{([fopns][1-9])\}|([fopns][1-9])(?![A-Za-z0-9_]))/g
  for (let m = re.exec(script); m; m = re.exec(script)) {
    if (m[1]) continue
    seen.add((m[2] ?? m[3])!)
  }
  return [...seen]
}

/** The type a generic argument's name implies (`f3` -> FILE), or undefined for other names. */
export function typeOfName(name: string): ArgType | undefined {
  const m = /^([fopns])[1-9]$/.exec(name)
  return m ? PREFIX_TYPES[m[1]!] : undefined
}

/** `out/x.txt TAG(done, qc)` -> the name and its tags. */
export function parseOut(value: string): { name: string; tags: string[] } {
  const m = /^(.*?)\s+TAG\(([^)]*)\)\s*$/.exec(value)
  if (!m) {
    if (/TAG\(/.test(value)) throw new UsageError(`output "${value}": write the tags as "name TAG(tag1,tag2)"`)
    return { name: value.trim(), tags: [] }
  }
  const tags = m[2]!
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
  return { name: m[1]!.trim(), tags }
}

function parseArg(job: string, name: string, raw: unknown): JobArg {
  if (!NAME.test(name) || RESERVED.has(name) || name.startsWith('NORA_')) throw new UsageError(`${job}: "${name}" cannot name an argument (letters, digits, _; not ${[...RESERVED].slice(0, 4).join(', ')}...)`)
  let type = typeOfName(name)
  let value: unknown = raw
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    const o = raw as { type?: unknown; value?: unknown }
    if (typeof o.type !== 'string' || !ARG_TYPES.includes(o.type.toUpperCase() as ArgType)) throw new UsageError(`${job}: argument ${name} needs a "type", one of ${ARG_TYPES.join(', ')}`)
    const given = o.type.toUpperCase() as ArgType
    if (type && type !== given) throw new UsageError(`${job}: argument ${name} is a ${type} by its name, not a ${given}`)
    type = given
    value = o.value
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
  return { name, type, value: value as string | number | boolean }
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
    argsRaw = Object.fromEntries((argsRaw as JobArg[]).map((a) => [a.name, { type: a.type, value: a.value }]))
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

/** Checks a batch description (`--launch` JSON). */
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
  if (level !== 'study') throw new UsageError(`"level": "${level}" is not supported yet; use "study" (one run per study)`)
  let studies: string[] | undefined
  if (o.studies !== undefined) {
    if (!Array.isArray(o.studies) || o.studies.some((x) => typeof x !== 'string' || !/^[^#/]+#[^#/]+$/.test(x)))
      throw new UsageError('"studies" must be a list of "PATIENTS_ID#STUDIES_ID"')
    studies = [...new Set(o.studies as string[])]
  }
  if (o.filter !== undefined && typeof o.filter !== 'string') throw new UsageError('"filter" must be text in the file search bar\'s language')
  if (!Array.isArray(o.jobs) || o.jobs.length === 0) throw new UsageError('"jobs" must be a non-empty list')
  return {
    level: 'study',
    ...(studies && { studies }),
    ...(typeof o.filter === 'string' && { filter: o.filter }),
    name: typeof o.name === 'string' ? o.name : '',
    jobs: o.jobs.map(parseJob),
  }
}
