import { UsageError } from '../core/errors'
import type { User } from '../core/types'

/**
 * The seed's "study references": in which study of the run's subject a FILE argument looks, and in which study an
 * OUT/PATHOUT is written. Written forms (keywords in any letter case):
 *
 * - `own`          the run's own study (study level only; the default there)
 * - `any`          the first study, by date, in which the FILE pattern matches (FILE only; default at subject level)
 * - `all`          every matching file of every study, in date order, passed as several paths (FILE only)
 * - `first`, `last` the earliest / latest study by date (default of OUT/PATHOUT at subject level: `first`)
 * - `#2`           the 2nd study by date
 * - `SDESC:CT*`    the studies whose description matches, as the filter bars' SDESC (case-insensitive, `*` any
 *                  run of characters, `_` one character, a prefix match); the first by date in which a FILE matches
 * - `MOD:CT`       the studies whose modality (one of its `\`/`,`/space separated parts) is CT, any letter case
 * - `ID:S2` or `S2` the study with that studies_id
 *
 * "By date" is study_date ascending (studies without a date last), then studies_id.
 */
export type StudyReference =
  | { kind: 'own' | 'any' | 'all' | 'first' | 'last' }
  | { kind: 'nth'; n: number }
  | { kind: 'sdesc'; pattern: string }
  | { kind: 'mod'; modality: string }
  | { kind: 'id'; studiesId: string }

/** What a reference is resolved against: one study of the subject. */
export interface StudyInfo {
  studiesId: string
  studyDate: string
  description: string
  modality: string
}

const KEYWORDS = ['own', 'any', 'all', 'first', 'last'] as const

export function parseStudyReference(text: string): StudyReference {
  const t = text.trim()
  const lower = t.toLowerCase()
  if ((KEYWORDS as readonly string[]).includes(lower)) return { kind: lower as (typeof KEYWORDS)[number] }
  let m = /^#([1-9][0-9]{0,5})$/.exec(t)
  if (m) return { kind: 'nth', n: Number(m[1]) }
  m = /^sdesc:(.+)$/i.exec(t)
  if (m) return { kind: 'sdesc', pattern: m[1]!.trim() }
  m = /^mod:([A-Za-z0-9_*]{1,16})$/i.exec(t)
  if (m) return { kind: 'mod', modality: m[1]!.toUpperCase() }
  const id = /^id:(.+)$/i.exec(t)?.[1]?.trim() ?? t
  if (!id || id.length > 64 || /[/#\0\\]/.test(id) || id === '.' || id === '..' || /^[a-z]+:/i.test(t) && !/^id:/i.test(t))
    throw new UsageError(`study reference "${text}" is not one of own, any, all, first, last, #N, SDESC:pattern, MOD:modality, ID:studies_id or a studies_id`)
  return { kind: 'id', studiesId: id }
}

export function formatStudyReference(r: StudyReference): string {
  switch (r.kind) {
    case 'nth':
      return `#${r.n}`
    case 'sdesc':
      return `SDESC:${r.pattern}`
    case 'mod':
      return `MOD:${r.modality}`
    case 'id':
      return KEYWORDS.includes(r.studiesId.toLowerCase() as never) || /^#/.test(r.studiesId) ? `ID:${r.studiesId}` : r.studiesId
    default:
      return r.kind
  }
}

/** The filter bars' SDESC matching (termToLike + case-insensitive LIKE) as a regular expression. */
export function sdescRegex(pattern: string): RegExp {
  let re = '^'
  for (const ch of pattern) re += ch === '*' ? '.*' : ch === '_' ? '.' : ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(`${re}.*$`, 'is')
}

/** Studies in date order: study_date ascending, studies without a date last, then studies_id. */
export function byDate(studies: StudyInfo[]): StudyInfo[] {
  const key = (s: StudyInfo) => (s.studyDate ? `0${s.studyDate}` : '1')
  return [...studies].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.studiesId < b.studiesId ? -1 : a.studiesId > b.studiesId ? 1 : 0))
}

/**
 * The studies a reference stands for, in date order (one for first/last/#N/own/ID; any number for SDESC/MOD/any/all).
 * Throws StudyReferenceError when none does: "no study of P1 matches SDESC:CT*".
 */
export function candidates(ref: StudyReference, pid: string, studies: StudyInfo[], own?: string): StudyInfo[] {
  const sorted = byDate(studies)
  let out: StudyInfo[]
  switch (ref.kind) {
    case 'own':
      if (own === undefined) throw new StudyReferenceError(`the study reference "own" needs a study-level batch (${pid} is a subject)`)
      out = sorted.filter((s) => s.studiesId === own)
      break
    case 'any':
    case 'all':
      out = sorted
      break
    case 'first':
      out = sorted.slice(0, 1)
      break
    case 'last':
      out = sorted.slice(-1)
      break
    case 'nth':
      out = sorted.slice(ref.n - 1, ref.n)
      break
    case 'sdesc': {
      const re = sdescRegex(ref.pattern)
      out = sorted.filter((s) => re.test(s.description))
      break
    }
    case 'mod': {
      const re = new RegExp(`^${ref.modality.replace(/\*/g, '.*')}$`, 'i')
      out = sorted.filter((s) => s.modality.split(/[\\/,\s]+/).some((m) => re.test(m)))
      break
    }
    case 'id':
      out = sorted.filter((s) => s.studiesId === ref.studiesId)
      break
  }
  if (out.length === 0) {
    if (sorted.length === 0) throw new StudyReferenceError(`${pid} has no study`)
    if (ref.kind === 'nth') throw new StudyReferenceError(`no study of ${pid} matches #${ref.n} (it has ${sorted.length})`)
    throw new StudyReferenceError(`no study of ${pid} matches ${formatStudyReference(ref)}`)
  }
  return out
}

/** A study reference that finds nothing for a run: that run errors with this message, the others go on. */
export class StudyReferenceError extends Error {}

/** Which references an argument may carry at a level. */
export function checkReference(ref: StudyReference, argType: 'FILE' | 'OUT' | 'PATHOUT', level: 'study' | 'subject'): string | undefined {
  if (ref.kind === 'own' && level === 'subject') return 'a subject-level batch has no own study: use first, last, #N, SDESC:..., MOD:... or a studies_id'
  if ((ref.kind === 'all' || ref.kind === 'any') && argType !== 'FILE') return `an ${argType} is written to one study: "${ref.kind}" is only for FILE arguments`
  return undefined
}

/** The subjects' studies as study references need them (the archive, with its rights). */
export interface SubjectStudies {
  studiesOf(actor: User, project: string, patientsId: string): Promise<StudyInfo[]>
}
