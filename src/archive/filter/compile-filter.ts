import { LIKE_ESCAPE, type Dialect, type Param } from '../../store/db'
import { escapeLike, filePatternToLike } from '../file-pattern'
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

/** How many file patterns of one bar get the three index ranges of fileSet. */
const MAX_FILE_UNIONS = 8

class Builder {
  readonly params: Param[] = []
  /** The file patterns given index ranges so far (fileSet). */
  fileUnions = 0
  /**
   * Set for the indexed form (compileFiltersIndexed): files, tags and jobs become uncorrelated `IN (SELECT ...)`
   * semi-joins over the project, and anchored file patterns a range on the index of `files.path_lc` (migration 006).
   */
  constructor(
    readonly projectId?: number,
    /** MySQL/MariaDB: sets as DISTINCT derived tables (see inSet). */
    readonly derived = false,
    /** The characters files have at the first `_` of anchored file patterns (see UnderscoreChars). */
    readonly underscore?: UnderscoreChars,
  ) {}
  like(expr: string, operand: string): string {
    this.params.push(operand)
    return `LOWER(${expr}) LIKE LOWER(?) ${ESC}`
  }
}

/**
 * The literal start of a LIKE operand (up to the first unescaped `%` or `_`), lower-cased, when it is printable ASCII
 * (where SQLite's lower() and MySQL's LOWER() agree); '' otherwise.
 */
export function likePrefix(like: string): string {
  let out = ''
  for (let i = 0; i < like.length; i++) {
    const c = like[i]!
    if (c === LIKE_ESCAPE) {
      if (i + 1 < like.length) out += like[++i]
      continue
    }
    if (c === '%' || c === '_') break
    out += c
  }
  return /^[\x20-\x7e]*$/.test(out) ? out.replace(/[A-Z]/g, (c) => c.toLowerCase()) : ''
}

/**
 * `col IN (the ids a subquery selects)`, written as a DISTINCT derived table: MariaDB then builds the set once (with
 * a key) instead of running the subquery per row, which it does for an IN inside OR; SQLite builds it once either way.
 */
const inSet = (b: Builder, column: string, select: string) => (b.derived ? `${column} IN (SELECT x.id FROM (SELECT DISTINCT ${select}) x)` : `${column} IN (SELECT ${select})`)

/** inSet of a whole SELECT statement (a UNION ALL of file ranges, see fileSet). */
const inSelect = (b: Builder, column: string, select: string) => (b.derived ? `${column} IN (SELECT x.id FROM (SELECT DISTINCT y.id FROM (${select}) y) x)` : `${column} IN (${select})`)

/** The string right after every string that starts with `s` (its last character + 1). */
const successor = (s: string) => s.slice(0, -1) + String.fromCharCode(s.charCodeAt(s.length - 1) + 1)

/**
 * A LIKE operand whose literal start stops at a `_` that more literal text follows (`t1_mprage/s1%`): the literal
 * start (`t1`) and the literal text after the `_` (`mprage/s1`), both lower-case printable ASCII; undefined otherwise.
 * The range of the literal start alone holds every `t1...` file; knowing which characters files have at the `_`
 * gives one narrow range per character instead (see UnderscoreChars).
 */
export function underscoreSplit(like: string): { prefix: string; rest: string } | undefined {
  const prefix = likePrefix(like)
  let i = 0
  for (let n = 0; n < prefix.length; i++, n++) if (like[i] === LIKE_ESCAPE) i++
  if (!prefix || like[i] !== '_') return undefined
  const rest = likePrefix(like.slice(i + 1))
  return rest ? { prefix, rest } : undefined
}

/**
 * For the LIKE operands of anchored file patterns that underscoreSplit splits: the characters the project's files have
 * right after the literal start (looked up by the caller, one index probe per character). The LIKE itself still
 * decides; the characters only narrow the index ranges it runs on.
 */
export type UnderscoreChars = ReadonlyMap<string, readonly string[]>

/** The LIKE operands of the file bar that underscoreSplit splits (anchored patterns only: with a `/`). */
export function underscoreLikes(bars: FilterBars): string[] {
  const text = bars.file
  if (text === undefined) return []
  const out = new Set<string>()
  for (const group of parseFilter(text).anyOf)
    for (const t of group) if (t.kind === 'text' && t.pattern.includes('/') && underscoreSplit(termToLike(t.pattern))) out.add(termToLike(t.pattern))
  return [...out]
}

/**
 * `f.path_lc LIKE ...` (or `f.name_lc`, the file name: migration 010), with a range on the column's index when the
 * pattern has a literal start.
 */
function pathLike(b: Builder, like: string, column: 'f.path_lc' | 'f.name_lc' = 'f.path_lc'): string {
  const prefix = likePrefix(like)
  const chars = column === 'f.path_lc' ? b.underscore?.get(like) : undefined
  const split = chars && underscoreSplit(like)
  let sql = ''
  if (split) {
    const ranges = chars.map((c) => {
      b.params.push(split.prefix + c + split.rest, split.prefix + c + successor(split.rest))
      return `${column} >= ? AND ${column} < ?`
    })
    sql = ranges.length ? `(${ranges.map((r) => `(${r})`).join(' OR ')}) AND ` : '1 = 0 AND '
  } else if (prefix) {
    b.params.push(prefix, prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1))
    sql = `${column} >= ? AND ${column} < ?`
    // `prefix%` is the range itself (path_lc is lower case, the prefix lower-case ASCII): no LIKE to test per file.
    // Not with a trailing space, which MySQL's PAD SPACE comparison ignores.
    if (like.replace(/[A-Z]/g, (c) => c.toLowerCase()) === `${escapeLike(prefix)}%` && !prefix.endsWith(' ')) return sql
    sql += ' AND '
  }
  b.params.push(like)
  return `${sql}${column} LIKE LOWER(?) ${ESC}`
}

function textTerm(b: Builder, bar: FilterBar, pattern: string): string {
  const like = termToLike(pattern)
  if (bar === 'file' && b.projectId !== undefined) return inSelect(b, 's.id', fileSet(b, pattern))
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
      if (b.projectId !== undefined && t.attr !== 'SDESC') {
        switch (t.attr) {
          case 'STAG':
            return inSet(b, 's.id', `st.study_id AS id FROM study_tags st WHERE ${b.like('st.tag', like)}`)
          case 'PTAG':
            return inSet(b, 'p.id', `pt.subject_id AS id FROM subject_tags pt WHERE ${b.like('pt.tag', like)}`)
          case 'FTAG':
            b.params.push(b.projectId)
            return inSet(b, 's.id', `ff.study_id AS id FROM files ff JOIN file_tags ft ON ft.file_id = ff.id WHERE ff.project_id = ? AND ${b.like('ft.tag', like)}`)
        }
      }
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
      if (b.projectId !== undefined) {
        const states = t.state ? JOB_STATES[t.state] : undefined
        const inStates = states ? ` AND c.state IN (${states.map(() => '?').join(', ')})` : ''
        b.params.push(b.projectId, ...(states ?? []), b.projectId, ...(states ?? []))
        return `(${inSet(b, 's.id', `c.study_id AS id FROM commands c WHERE c.project_id = ? AND c.study_id IS NOT NULL${inStates}`)} OR ${inSet(b, 'p.id', `c.subject_id AS id FROM commands c WHERE c.project_id = ? AND c.study_id IS NULL AND c.subject_id IS NOT NULL${inStates}`)})`
      }
      const link = '(c.study_id = s.id OR (c.study_id IS NULL AND c.subject_id = p.id))'
      if (!t.state) return `EXISTS (SELECT 1 FROM commands c WHERE ${link})`
      const states = JOB_STATES[t.state]
      b.params.push(...states)
      return `EXISTS (SELECT 1 FROM commands c WHERE ${link} AND c.state IN (${states.map(() => '?').join(', ')}))`
    }
  }
}

/** One bar's tree as a WHERE fragment; an empty tree is MATCH_ALL. */
/** Terms that stand for a set of study ids (file patterns, STAG, FTAG): a study without them never matches. */
const isStudySet = (bar: FilterBar, t: FilterTerm) => (t.kind === 'text' && bar === 'file') || (t.kind === 'attr' && (t.attr === 'STAG' || t.attr === 'FTAG'))

/** The SELECT of the study ids a set term stands for (indexed form only). */
function studySet(b: Builder, bar: FilterBar, t: FilterTerm): string {
  if (t.kind === 'job') throw new Error('a JOB term is not a set of studies')
  const like = termToLike(t.pattern)
  if (t.kind === 'attr' && t.attr === 'STAG') return `SELECT st.study_id AS id FROM study_tags st WHERE ${b.like('st.tag', like)}`
  if (t.kind === 'text') return fileSet(b, t.pattern)
  b.params.push(b.projectId!)
  return `SELECT ff.study_id AS id FROM files ff JOIN file_tags ft ON ft.file_id = ff.id WHERE ff.project_id = ? AND ${b.like('ft.tag', like)}`
}

/**
 * The SELECT of the study ids (`id`, repeated per matching file) of the project's files that match a file-bar pattern
 * (indexed form). A pattern with `/`, or without a literal start, is one scan of the path index. A pattern without
 * `/` matches the start of any path segment: with a literal start that is three index ranges, so no LIKE runs over
 * every file of the project (`t1_mprage` on 1,000,000 files, migration 010): the path's start (`path_lc`), the file
 * name's start (`name_lc`, the segment after the last `/`), and, for the few files nested deeper than
 * `series/file` (`nested`), the LIKE on the whole path; together exactly `path LIKE 'x%' OR path LIKE '%/x%'`.
 */
function fileSet(b: Builder, pattern: string): string {
  const like = termToLike(pattern)
  const select = (match: () => string) => {
    b.params.push(b.projectId!)
    return `SELECT f.study_id AS id FROM files f WHERE f.project_id = ? AND ${match()}`
  }
  if (pattern.includes('/')) return select(() => pathLike(b, like))
  // Each union is a derived table MariaDB's optimizer weighs in every join order: beyond a few (a bar of 100 `&`
  // terms) planning alone takes seconds, so later terms keep the one scan.
  if (!likePrefix(like) || ++b.fileUnions > MAX_FILE_UNIONS) return select(() => `(${pathLike(b, like)} OR ${pathLike(b, `%/${like}`)})`)
  // Wrapped, so that the caller may UNION it with other sets (a UNION ALL to the right of a UNION keeps duplicates).
  const ranges = [
    select(() => pathLike(b, like)),
    select(() => pathLike(b, like, 'f.name_lc')),
    select(() => {
      b.params.push(`%/${like}`)
      return `f.nested = 1 AND f.path_lc LIKE LOWER(?) ${ESC}`
    }),
  ]
  return `SELECT fs.id FROM (${ranges.join(' UNION ALL ')}) fs`
}

export function compileFilter(tree: FilterTree, bar: FilterBar, indexed?: IndexedForm): SqlFragment {
  if (tree.anyOf.length === 0) return { sql: MATCH_ALL.sql, params: [] }
  const b = new Builder(indexed?.projectId, indexed?.dialect === 'mysql')
  if (indexed?.dialect === 'sqlite' && tree.anyOf.every((group) => group.every((t) => isStudySet(bar, t)))) {
    // A bar of set terms only (the file search bar, STAG, FTAG) is one set of study ids: groups are intersections
    // (nested IN), the bar their UNION. SQLite builds that set once and probes it per study instead of testing every
    // term per study (a search without "/", which matches anywhere in the path, 450 -> 80 ms on 100,000 studies).
    // MariaDB plans this form worse (it misjudges the union's size and still walks every study): it keeps the
    // per-term sets.
    const groups = tree.anyOf.map((group) => {
      const [first, ...rest] = group
      const head = studySet(b, bar, first!)
      if (!rest.length) return head
      return `SELECT g.id FROM (${head}) g WHERE ${rest.map((t) => `g.id IN (${studySet(b, bar, t)})`).join(' AND ')}`
    })
    return { sql: `s.id IN (SELECT u.id FROM (${groups.join(' UNION ')}) u)`, params: b.params }
  }
  const groups = tree.anyOf.map((group) => {
    const parts = group.map((t) => term(b, bar, t))
    return parts.length === 1 ? parts[0]! : `(${parts.join(' AND ')})`
  })
  return { sql: groups.length === 1 ? groups[0]! : `(${groups.join(' OR ')})`, params: b.params }
}

export type FilterBars = Partial<Record<FilterBar, string | undefined>>

/**
 * Several bars (one per column, plus `q` and `file`): the AND of their fragments. Empty bars add nothing. With
 * `indexed`, the indexed form of the same conditions (uncorrelated semi-joins, range scans on `files.path_lc`):
 * what the table uses, as it is far faster on large projects.
 */
/** The indexed form of the conditions, for one project on one dialect. */
export interface IndexedForm {
  projectId: number
  dialect: Dialect
}

export function compileFilters(bars: FilterBars, indexed?: IndexedForm): SqlFragment {
  const parts: string[] = []
  const params: Param[] = []
  for (const bar of FILTER_BARS) {
    const text = bars[bar]
    if (text === undefined) continue
    const tree = parseFilter(text)
    if (tree.anyOf.length === 0) continue
    const f = compileFilter(tree, bar, indexed)
    parts.push(f.sql)
    params.push(...f.params)
  }
  if (parts.length === 0) return { sql: MATCH_ALL.sql, params: [] }
  return { sql: parts.length === 1 ? parts[0]! : parts.map((p) => `(${p})`).join(' AND '), params }
}

/** How many subqueries (files, tags) compileProbes writes at most: MariaDB turns each into a semi-join and weighs
 * every join order of them (100 `&` terms: minutes of planning on a small project). */
const MAX_PROBES = 8

/**
 * The per-study form of the bars (compileFilters without `indexed`: each term a probe of one study's files, tags or
 * columns), for testing a few studies (study-query.ts, pageOfFirstSubjects). Undefined when a bar has a JOB term,
 * whose per-study form links a job by study or by subject (an OR no index answers), or more than MAX_PROBES
 * subqueries.
 */
export function compileProbes(bars: FilterBars): SqlFragment | undefined {
  let subqueries = 0
  for (const bar of FILTER_BARS) {
    const text = bars[bar]
    if (text === undefined) continue
    for (const group of parseFilter(text).anyOf)
      for (const t of group) {
        if (t.kind === 'job') return undefined
        if ((t.kind === 'text' && bar === 'file') || (t.kind === 'attr' && t.attr !== 'SDESC')) subqueries++
      }
  }
  return subqueries > MAX_PROBES ? undefined : compileFilters(bars)
}

/**
 * Terms that stand for a set of studies in the driving form (compileDrivingSet): file patterns, STAG, FTAG, PTAG
 * (the studies of the tagged subjects) and JOB (the studies with such a job, or whose subject has one).
 */
const isDrivingTerm = (bar: FilterBar, t: FilterTerm) => (t.kind === 'text' ? bar === 'file' : t.kind === 'job' || t.attr !== 'SDESC')

/** One driving term as a SELECT of study ids (`id`); may hold ids of other projects, which the caller's join drops. */
function drivingSet(b: Builder, bar: FilterBar, t: FilterTerm): string {
  if (t.kind === 'job') {
    const states = t.state ? JOB_STATES[t.state] : undefined
    const inStates = states ? ` AND c.state IN (${states.map(() => '?').join(', ')})` : ''
    b.params.push(b.projectId!, ...(states ?? []), b.projectId!, ...(states ?? []))
    return `SELECT j.id FROM (SELECT c.study_id AS id FROM commands c WHERE c.project_id = ? AND c.study_id IS NOT NULL${inStates}
      UNION ALL SELECT s2.id AS id FROM commands c JOIN studies s2 ON s2.subject_id = c.subject_id WHERE c.project_id = ? AND c.study_id IS NULL${inStates}) j`
  }
  if (t.kind === 'attr' && t.attr === 'PTAG') return `SELECT s2.id AS id FROM subject_tags pt JOIN studies s2 ON s2.subject_id = pt.subject_id WHERE ${b.like('pt.tag', termToLike(t.pattern))}`
  return studySet(b, bar, t)
}

/** How many of a group's sets compileDrivingSet joins (each is a table of the join; MariaDB allows 61). */
const MAX_JOINED_SETS = 8

/** The order of a group's terms: a file pattern leads (a range of the files index, read in order), the rest follow. */
const drivingRank = (t: FilterTerm) => (t.kind === 'text' ? 0 : 1)

/**
 * The driving form of the filter bars, for MySQL/MariaDB at study level: the first bar made only of set terms (the
 * file search bar, or a bar of STAG/FTAG/PTAG/JOB terms) becomes one SELECT of distinct study ids (`id`), the UNION
 * of its groups, each group its first set joined to the others; the other bars stay a WHERE fragment over `p` and `s`
 * (as compileFilters). The caller joins studies and subjects to that set and keeps it first in the join, so MariaDB
 * builds the few matching ids and sorts only them instead of walking every study of the project and testing each
 * term's set per study (bench/table.ts, see bench/results/table.json). MySQL syntax (STRAIGHT_JOIN): undefined on
 * SQLite, and when no bar qualifies.
 */
export function compileDrivingSet(
  bars: FilterBars,
  indexed: IndexedForm,
  underscore?: UnderscoreChars,
): { bar: FilterBar; set: SqlFragment; rest: SqlFragment; /** Every id is a study of the project (file and FTAG terms only). */ inProject: boolean } | undefined {
  if (indexed.dialect !== 'mysql') return undefined
  for (const bar of FILTER_BARS) {
    const text = bars[bar]
    if (text === undefined) continue
    const tree = parseFilter(text)
    if (tree.anyOf.length === 0 || !tree.anyOf.every((group) => group.every((t) => isDrivingTerm(bar, t)))) continue
    const b = new Builder(indexed.projectId, indexed.dialect === 'mysql', underscore)
    const groups = tree.anyOf.map((group) => {
      const [first, ...rest] = [...group].sort((x, y) => drivingRank(x) - drivingRank(y))
      const head = drivingSet(b, bar, first!)
      if (!rest.length) return head
      // The first set is read once, the others are built once each (DISTINCT: a keyed temporary table) and looked up
      // per id. STRAIGHT_JOIN: left to itself MariaDB probes the files of each tagged study instead, which reads the
      // whole of a files index at random (10,000 tagged studies: 40 ms this way, 450 ms that way, once the index no
      // longer fits the buffer pool).
      // MariaDB joins at most 61 tables: beyond MAX_JOINED_SETS terms the rest are IN conditions.
      const joined = rest.slice(0, MAX_JOINED_SETS).map((t, i) => `STRAIGHT_JOIN (SELECT DISTINCT o.id FROM (${drivingSet(b, bar, t)}) o) o${i} ON o${i}.id = h.id`)
      const tested = rest.slice(MAX_JOINED_SETS).map((t) => `h.id IN (SELECT x.id FROM (SELECT DISTINCT o.id FROM (${drivingSet(b, bar, t)}) o) x)`)
      return `SELECT h.id FROM (${head}) h ${joined.join(' ')}${tested.length ? ` WHERE ${tested.join(' AND ')}` : ''}`
    })
    // UNION drops the ids more than one group finds; one group needs DISTINCT (a study has many matching files).
    const set = { sql: groups.length > 1 ? groups.join(' UNION ') : `SELECT DISTINCT u.id AS id FROM (${groups[0]}) u`, params: b.params }
    const inProject = tree.anyOf.every((group) => group.some((t) => t.kind === 'text' || (t.kind === 'attr' && t.attr === 'FTAG')))
    return { bar, set, rest: compileFilters({ ...bars, [bar]: undefined }, indexed), inProject }
  }
  return undefined
}
