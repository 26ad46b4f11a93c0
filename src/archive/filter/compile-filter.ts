import { LIKE_ESCAPE, type Param } from '../../store/db'
import { filePatternToLike } from '../file-pattern'
import { parseFilter, type FilterTerm, type FilterTree, type JobState } from './parse-filter'

/**
 * Compiles a parsed filter bar into a WHERE fragment over the aliases `p` (subjects) and `s` (studies). Every user
 * string becomes a `?` parameter of `LOWER(x) LIKE LOWER(?) ESCAPE '!'` (case-insensitive on both dialects, as the
 * file selection is); tags, files and jobs are EXISTS subqueries. The SQL is the same for SQLite and MySQL.
 *
 * Plain terms, by bar:
 * - a column bar (patients_id, name, birth_date, studies_id, study_date, description, modality): the column starts
 *   with the pattern;
 * - `file`: the study has a file whose path inside the study (`series_folder/file`) matches. A pattern with a `/`
 *   is matched from the start of the path (`t1_trio*\/s0*.nii`); a pattern without `/` matches the start of any path
 *   segment, i.e. the series folder or the file name (`t1_trio` finds `t1_trio_3/s001.nii`, `s0*.nii` finds
 *   `any/s001.nii`); a leading `*` matches anywhere. Each file term is its own EXISTS: `a & b` asks for a file
 *   matching a and a file matching b, not necessarily the same one;
 * - `q`: the quick search: patients_id, name, studies_id or description starts with the pattern.
 */

export type FilterColumn = 'patients_id' | 'name' | 'birth_date' | 'studies_id' | 'study_date' | 'description' | 'modality' | 'file'
export type FilterBar = FilterColumn | 'q'
export const FILTER_BARS: readonly FilterBar[] = ['q', 'patients_id', 'name', 'birth_date', 'studies_id', 'study_date', 'description', 'modality', 'file']

export interface SqlFragment {
  sql: string
  params: Param[]
}

/** The condition that holds for every row: compileFilters of empty bars, so callers can always write `AND (...)`. */
export const MATCH_ALL: SqlFragment = { sql: '1 = 1', params: [] }

const COLUMN_SQL: Record<Exclude<FilterBar, 'file' | 'q'>, string> = {
  patients_id: 'p.patients_id',
  name: 'p.name',
  birth_date: 'p.birth_date',
  studies_id: 's.studies_id',
  study_date: 's.study_date',
  description: 's.description',
  modality: 's.modality',
}
const QUICK_COLUMNS = ['p.patients_id', 'p.name', 's.studies_id', 's.description']

/**
 * The `commands.state` values each JOB letter stands for. A job on a study (commands.study_id) counts for that
 * study; a job on a subject alone (study_id NULL) counts for every study of the subject.
 */
export const JOB_STATES: Record<JobState, readonly string[]> = {
  q: ['queued', 'pending', 'submitted'],
  r: ['running'],
  e: ['error', 'failed'],
}

const ESC = `ESCAPE '${LIKE_ESCAPE}'`

/** A user pattern to a LIKE operand: `*` -> `%`, `_` kept, `%`/`!` literal, and the implicit trailing wildcard. */
export function termToLike(pattern: string): string {
  const like = filePatternToLike(pattern)
  return pattern.endsWith('*') ? like : `${like}%`
}

class Builder {
  readonly params: Param[] = []
  like(expr: string, operand: string): string {
    this.params.push(operand)
    return `LOWER(${expr}) LIKE LOWER(?) ${ESC}`
  }
}

function textTerm(b: Builder, bar: FilterBar, pattern: string): string {
  const like = termToLike(pattern)
  if (bar === 'file') {
    const match = pattern.includes('/') ? b.like('f.path', like) : `(${b.like('f.path', like)} OR ${b.like('f.path', `%/${like}`)})`
    return `EXISTS (SELECT 1 FROM files f WHERE f.study_id = s.id AND ${match})`
  }
  if (bar === 'q') return `(${QUICK_COLUMNS.map((c) => b.like(c, like)).join(' OR ')})`
  return b.like(COLUMN_SQL[bar], like)
}

function term(b: Builder, bar: FilterBar, t: FilterTerm): string {
  switch (t.kind) {
    case 'text':
      return textTerm(b, bar, t.pattern)
    case 'attr': {
      const like = termToLike(t.pattern)
      switch (t.attr) {
        case 'STAG':
          return `EXISTS (SELECT 1 FROM study_tags st WHERE st.study_id = s.id AND ${b.like('st.tag', like)})`
        case 'PTAG':
          return `EXISTS (SELECT 1 FROM subject_tags pt WHERE pt.subject_id = p.id AND ${b.like('pt.tag', like)})`
        case 'FTAG':
          return `EXISTS (SELECT 1 FROM files ff JOIN file_tags ft ON ft.file_id = ff.id WHERE ff.study_id = s.id AND ${b.like('ft.tag', like)})`
        case 'SDESC':
          return b.like('s.description', like)
      }
    }
    case 'job': {
      const link = '(c.study_id = s.id OR (c.study_id IS NULL AND c.subject_id = p.id))'
      if (!t.state) return `EXISTS (SELECT 1 FROM commands c WHERE ${link})`
      const states = JOB_STATES[t.state]
      b.params.push(...states)
      return `EXISTS (SELECT 1 FROM commands c WHERE ${link} AND c.state IN (${states.map(() => '?').join(', ')}))`
    }
  }
}

/** One bar's tree as a WHERE fragment; an empty tree is MATCH_ALL. */
export function compileFilter(tree: FilterTree, bar: FilterBar): SqlFragment {
  if (tree.anyOf.length === 0) return { sql: MATCH_ALL.sql, params: [] }
  const b = new Builder()
  const groups = tree.anyOf.map((group) => {
    const parts = group.map((t) => term(b, bar, t))
    return parts.length === 1 ? parts[0]! : `(${parts.join(' AND ')})`
  })
  return { sql: groups.length === 1 ? groups[0]! : `(${groups.join(' OR ')})`, params: b.params }
}

export type FilterBars = Partial<Record<FilterBar, string | undefined>>

/** Several bars (one per column, plus `q` and `file`): the AND of their fragments. Empty bars add nothing. */
export function compileFilters(bars: FilterBars): SqlFragment {
  const parts: string[] = []
  const params: Param[] = []
  for (const bar of FILTER_BARS) {
    const text = bars[bar]
    if (text === undefined) continue
    const tree = parseFilter(text)
    if (tree.anyOf.length === 0) continue
    const f = compileFilter(tree, bar)
    parts.push(f.sql)
    params.push(...f.params)
  }
  if (parts.length === 0) return { sql: MATCH_ALL.sql, params: [] }
  return { sql: parts.length === 1 ? parts[0]! : parts.map((p) => `(${p})`).join(' AND '), params }
}
