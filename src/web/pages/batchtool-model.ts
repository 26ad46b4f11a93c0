/**
 * The Batchtool's model, pure: argument rows from a script's `$f1`... (the parser shared with the server,
 * src/jobs/job-args.ts), and the batch description the API takes (`{ name, level, jobs: [{ type, name, script, args }] }`).
 */
import { ARG_TYPES, compareGenericNames, PREFIX_TYPES, scriptReferences, splitOutTags, typeOfName, type ArgType } from '../../jobs/job-args'

export type JobKind = 'bash' | 'python' | 'matlab'
export type Level = 'study' | 'subject'

export const TYPES = ARG_TYPES
export const TITLES: Record<string, string> = { bash: 'BASH', python: 'Python', matlab: 'MATLAB' }
/** At subject level these rows say in which study of the subject they look. */
export const STUDY_REF_TYPES: readonly string[] = ['FILE', 'OUT', 'PATHOUT']
export const HINT: Record<string, string> = { FILE: 'file pattern, e.g. t1*/s0__.nii', OUT: 'output file, e.g. out/result.nii', PATHOUT: 'output folder, e.g. out/', NUMERIC: 'a number', STRING: 'text', LOGICAL: '', OPTION: "one of the job's options" }

export interface ArgRow {
  uid: number
  name: string
  type: string
  value: string | number | boolean
  /** OUT: the tags of ` TAG(...)`, as typed. */
  tags: string
  /** Subject level: the study reference (empty: the level's default). */
  study: string
  /** A row for a `$f1`... the script mentions (its name and type follow the script). */
  fixed: boolean
  hint: string
}

export interface Job {
  uid: number
  type: JobKind
  name: string
  script: string
  interpreter: string
  rows: ArgRow[]
  queue: string
  timeMinutes: string
  memMb: string
  cpus: string
}

const RESOURCE_NUMBERS = ['timeMinutes', 'memMb', 'cpus'] as const
let uid = 0

/** The generic arguments a script mentions, in order f, o, p, n, s and by number. */
export function references(script: string): string[] {
  return scriptReferences(script).sort(compareGenericNames)
}

export function row(name: string, type: string, value: unknown, fixed: boolean): ArgRow {
  const out: ArgRow = { uid: ++uid, name, type, value: value === undefined ? '' : (value as ArgRow['value']), tags: '', study: '', fixed, hint: HINT[type] || '' }
  if (type === 'OUT' && typeof out.value === 'string') {
    const m = splitOutTags(out.value)
    if (m) [out.value, out.tags] = m
  }
  if (type === 'LOGICAL') out.value = out.value === true || out.value === 'true'
  return out
}

export function newJob(type: JobKind): Job {
  return { uid: ++uid, type, name: `${type} job`, script: '', interpreter: '', rows: [], queue: '', timeMinutes: '', memMb: '', cpus: '' }
}

/** Rows for what the script mentions (keeping what was typed), then the user's own named rows. */
export function syncRows(job: Job): void {
  const old = new Map(job.rows.map((r) => [r.name, r]))
  const rows = references(job.script).map((n) => old.get(n) || row(n, typeOfName(n)!, '', true))
  for (const r of job.rows) if (!r.fixed) rows.push(r)
  job.rows = rows
}

export function argValue(r: ArgRow): string | number | boolean {
  if (r.type === 'OUT') return r.tags.trim() ? `${String(r.value).trim()} TAG(${r.tags.trim()})` : String(r.value).trim()
  if (r.type === 'LOGICAL') return !!r.value
  return typeof r.value === 'string' ? r.value.trim() : r.value
}

/** The batch description of the composed jobs. */
export function batchOf(name: string, level: Level, jobs: Job[]) {
  return {
    name: name.trim(),
    level,
    jobs: jobs.map((j) => {
      const args: Record<string, unknown> = {}
      for (const r of j.rows) {
        const study = level === 'subject' && STUDY_REF_TYPES.includes(r.type) ? String(r.study || '').trim() : ''
        args[r.name] = r.fixed && !study ? argValue(r) : { type: r.type, value: argValue(r), ...(study && { study }) }
      }
      const out: { type: JobKind; name: string; script: string; args: Record<string, unknown>; interpreter?: string; resources?: Record<string, string | number> } = { type: j.type, name: j.name.trim() || j.type, script: j.script, args }
      if (j.type === 'python' && j.interpreter.trim()) out.interpreter = j.interpreter.trim()
      // Cluster resources (Slurm/SGE): only what was filled in; the project's defaults do the rest.
      const resources: Record<string, string | number> = {}
      if (String(j.queue).trim()) resources.queue = String(j.queue).trim()
      for (const k of RESOURCE_NUMBERS) if (String(j[k]).trim()) resources[k] = Number(j[k])
      if (Object.keys(resources).length) out.resources = resources
      return out
    }),
  }
}

/** A saved batch's job back into the editor's form. */
export function jobFromSaved(j: { type?: string; name?: string; script?: string; interpreter?: string; resources?: Record<string, unknown>; args?: Record<string, unknown> }): Job {
  const job = newJob(j.type && TITLES[j.type] ? (j.type as JobKind) : 'bash')
  job.name = j.name || job.name
  job.script = j.script || ''
  job.interpreter = j.interpreter || ''
  const res = j.resources || {}
  job.queue = (res.queue as string) || ''
  for (const k of RESOURCE_NUMBERS) job[k] = res[k] === undefined ? '' : String(res[k])
  const refs = references(job.script)
  for (const [k, v] of Object.entries(j.args || {})) {
    const typed = v !== null && typeof v === 'object'
    const o = (typed ? v : {}) as { type?: unknown; value?: unknown; study?: unknown }
    const fixed = refs.includes(k) && (!typed || !o.type || String(o.type).toUpperCase() === PREFIX_TYPES[k[0]!])
    const r = row(k, typed && o.type ? String(o.type).toUpperCase() : PREFIX_TYPES[k[0]!] || 'STRING', typed ? o.value : v, fixed)
    if (typed && o.study) r.study = String(o.study)
    job.rows.push(r)
  }
  syncRows(job)
  return job
}

/** How a resolved argument of the preview reads. */
export function argText(a: { error?: string; note?: string; value: unknown; matches?: number; study?: string; studies?: string[] }, level: Level): string {
  if (a.error) return a.error
  if (a.note) return `${a.value} (${a.note})`
  const from = level === 'subject' && a.studies && a.studies.length ? ` [${a.study ? `${a.study} → ` : ''}${a.studies.join(', ')}]` : ''
  return (a.matches !== undefined && a.matches > 1 ? `${a.value} (+${a.matches - 1} more)` : String(a.value)) + from
}

/** The unit of a count at a level: study/studies, subject/subjects. */
export function unitWord(level: Level, n: number): string {
  return level === 'subject' ? (n === 1 ? 'subject' : 'subjects') : n === 1 ? 'study' : 'studies'
}

export type { ArgType }
