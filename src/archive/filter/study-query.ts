import { UsageError } from '../../core/errors'
import type { Db, Param } from '../../store/db'
import { compileDrivingSet, compileFilters, compileProbes, JOB_STATES, MATCH_ALL, underscoreLikes, underscoreSplit, type FilterBars, type SqlFragment, type UnderscoreChars } from './compile-filter'

/**
 * The subject/study table of the desktop: the rows of one project that pass every filter bar, sorted and paged.
 *
 * - level `study`: one row per study that matches.
 * - level `subject`: one row per subject that has at least one matching study (or, when no bar asks about studies,
 *   also subjects without studies); `studies` counts its matching studies, the study columns are null.
 */

export type SortColumn = 'patients_id' | 'name' | 'birth_date' | 'sex' | 'studies_id' | 'study_date' | 'description' | 'modality'
export const SORT_COLUMNS: readonly SortColumn[] = ['patients_id', 'name', 'birth_date', 'sex', 'studies_id', 'study_date', 'description', 'modality']
export type Level = 'study' | 'subject'

export interface StudyQueryOptions {
  level?: Level
  sort?: SortColumn
  dir?: 'asc' | 'desc'
  /** 1..MAX_LIMIT, default DEFAULT_LIMIT. */
  limit?: number
  offset?: number
}

export interface StudyRowOut {
  patients_id: string
  name: string
  birth_date: string
  sex: string
  /** Null at subject level. */
  studies_id: string | null
  study_date: string | null
  description: string | null
  modality: string | null
  /** Study tags at study level, subject tags at subject level. */
  tags: string[]
  /** The subject's tags (both levels). */
  subject_tags: string[]
  /** At subject level, how many of the subject's studies match; 1 at study level. */
  studies: number
}

export interface StudyPage {
  rows: StudyRowOut[]
  /** Rows matching in all, regardless of limit/offset. */
  total: number
  limit: number
  offset: number
}

export const DEFAULT_LIMIT = 100
export const MAX_LIMIT = 1000

const SORT_SQL: Record<SortColumn, string> = {
  patients_id: 'p.patients_id',
  name: 'p.name',
  birth_date: 'p.birth_date',
  sex: 'p.sex',
  studies_id: 's.studies_id',
  study_date: 's.study_date',
  description: 's.description',
  modality: 's.modality',
}

function checkOptions(o: StudyQueryOptions) {
  const level = o.level ?? 'study'
  if (level !== 'study' && level !== 'subject') throw new UsageError(`level must be "study" or "subject", not "${String(level)}"`)
  const sort = o.sort ?? 'patients_id'
  if (!SORT_COLUMNS.includes(sort)) throw new UsageError(`cannot sort by "${String(sort)}"; sort by one of ${SORT_COLUMNS.join(', ')}`)
  const dir = o.dir ?? 'asc'
  if (dir !== 'asc' && dir !== 'desc') throw new UsageError(`dir must be "asc" or "desc", not "${String(dir)}"`)
  const limit = o.limit ?? DEFAULT_LIMIT
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new UsageError(`limit must be a whole number from 1 to ${MAX_LIMIT}`)
  const offset = o.offset ?? 0
  if (!Number.isSafeInteger(offset) || offset < 0) throw new UsageError('offset must be a whole number, 0 or more')
  return { level, sort, dir, limit, offset }
}

type Raw = {
  subject_pk: number
  study_pk: number | null
  patients_id: string
  name: string
  birth_date: string
  sex: string
  studies_id: string | null
  study_date: string | null
  description: string | null
  modality: string | null
  studies: number
  /** How many rows match in all (a window count; subject level). */
  total_n?: number
}

/** Rows of a project matching the filter bars (see compileFilters), with the total count. */
export async function queryStudies(db: Db, projectId: number, bars: FilterBars, options: StudyQueryOptions = {}): Promise<StudyPage> {
  const { level, sort, dir, limit, offset } = checkOptions(options)
  const where = compileFilters(bars, { projectId, dialect: db.dialect })
  const DIR = dir === 'desc' ? 'DESC' : 'ASC'
  let rows: Raw[]
  let total: number
  if (level === 'study') {
    // MySQL/MariaDB: a bar of set terms (the file search) drives the query: the matching ids first, then their
    // studies and subjects (STRAIGHT_JOIN keeps that order; MariaDB misjudges a UNION's size and would otherwise walk
    // every study of the project, testing the sets per study). SQLite plans the IN form well (compileFilters).
    // The file bar's `t1_...` patterns get their ranges narrowed first (underscoreChars).
    const indexed = { projectId, dialect: db.dialect }
    // Only when that bar is the only condition: with another bar (a name, a modality) walking the studies and testing
    // the set per row is as fast or faster (a name prefix and a file pattern that all studies have: 105 vs 170 ms).
    let driven = db.dialect === 'mysql' ? compileDrivingSet(bars, indexed) : undefined
    if (driven && driven.rest.sql !== MATCH_ALL.sql) driven = undefined
    if (driven?.bar === 'file' && underscoreLikes(bars).length) driven = compileDrivingSet(bars, indexed, await underscoreChars(db, projectId, bars))
    const from = driven
      ? `FROM (${driven.set.sql}) m STRAIGHT_JOIN studies s ON s.id = m.id STRAIGHT_JOIN subjects p ON p.id = s.subject_id
         WHERE s.project_id = ? AND p.project_id = ? AND (${driven.rest.sql})`
      : `FROM studies s JOIN subjects p ON p.id = s.subject_id WHERE s.project_id = ? AND p.project_id = ? AND (${where.sql})`
    const params: Param[] = driven ? [...driven.set.params, projectId, projectId, ...driven.rest.params] : [projectId, projectId, ...where.params]
    const key = SORT_SQL[sort]
    const unfiltered = where.sql === MATCH_ALL.sql
    // Without a filter the count needs no join (a study's subject is always in the study's project); with one, a
    // window count comes with the page, so the filter is evaluated once.
    // A driving set counts without the subjects (the same reason), and without the studies when its ids are all the
    // project's (file terms: the set of `t1_mprage`'s 100,000 studies is counted, not joined).
    const count = async () =>
      Number(
        (unfiltered
          ? await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM studies s WHERE s.project_id = ?', [projectId])
          : driven
            ? driven.inProject
              ? await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM (${driven.set.sql}) m`, driven.set.params)
              : await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM (${driven.set.sql}) m STRAIGHT_JOIN studies s ON s.id = m.id WHERE s.project_id = ?`, [...driven.set.params, projectId])
            : await db.get<{ n: number }>(`SELECT COUNT(*) AS n ${from}`, params)
        )?.n ?? 0,
      )
    // First the page as keys only (sorting narrow rows is what costs on large projects), then those rows in full.
    // No sort column twice: MariaDB's temporary table for the window count is wider by each, and spills to disk
    // (10,000 rows) once it outgrows tmp_memory_table_size.
    // Unfiltered and sorted by a subject column, the first N studies belong to the first N subjects that have a
    // study (patients_id is unique, so that order is total): only those subjects are joined and sorted.
    const bySubject = unfiltered && key.startsWith('p.')
    const source = bySubject
      ? `FROM (SELECT p0.id FROM subjects p0 WHERE p0.project_id = ? AND EXISTS (SELECT 1 FROM studies s0 WHERE s0.subject_id = p0.id)
               ORDER BY LOWER(${key.replace('p.', 'p0.')}) ${DIR}, ${key.replace('p.', 'p0.')} ${DIR}, p0.patients_id ${DIR} LIMIT ?) first
         JOIN subjects p ON p.id = first.id JOIN studies s ON s.subject_id = p.id WHERE s.project_id = ? AND p.project_id = ?`
      : from
    const order = `ORDER BY LOWER(${key}) ${DIR}, ${key} ${DIR}${key === 'p.patients_id' ? '' : `, p.patients_id ${DIR}`}, s.studies_id ${DIR}, s.id ${DIR}`
    // Filtered and sorted by a subject column: first from the first subjects alone (pageOfFirstSubjects), with the
    // count on its own; the set form below when the matches are too rare for that.
    const probes = !unfiltered && key.startsWith('p.') && offset + limit <= MAX_LIMIT ? compileProbes(bars) : undefined
    const walked = probes && (await pageOfFirstSubjects(db, projectId, probes, key, DIR, order, limit, offset))
    const page = walked
      ? []
      : await db.all<{ study_pk: number; total_n?: number }>(
          `SELECT s.id AS study_pk${unfiltered ? '' : ', COUNT(*) OVER () AS total_n'}
           ${source}
           ${order}
           LIMIT ? OFFSET ?`,
          [...(bySubject ? [projectId, offset + limit, projectId, projectId] : params), limit, offset],
        )
    const ids = walked || page.map((r) => Number(r.study_pk))
    const full = ids.length
      ? await db.all<Raw>(
          `SELECT p.id AS subject_pk, s.id AS study_pk, p.patients_id AS patients_id, p.name AS name, p.birth_date AS birth_date, p.sex AS sex,
                  s.studies_id AS studies_id, s.study_date AS study_date, s.description AS description, s.modality AS modality, 1 AS studies
           FROM studies s JOIN subjects p ON p.id = s.subject_id WHERE s.id IN (${ids.map(() => '?').join(', ')})`,
          ids,
        )
      : []
    const byId = new Map(full.map((r) => [Number(r.study_pk), r]))
    rows = ids.map((id) => byId.get(id)!).filter(Boolean)
    total = unfiltered || walked ? await count() : page.length ? Number(page[0]!.total_n) : offset > 0 ? await count() : 0
  } else {
    // LEFT JOIN: a subject without studies has NULL study columns, which no study condition matches.
    const from = `FROM subjects p LEFT JOIN studies s ON s.subject_id = p.id WHERE p.project_id = ? AND (${where.sql})`
    const params: Param[] = [projectId, ...where.params]
    const count = async () => Number((await db.get<{ n: number }>(`SELECT COUNT(DISTINCT p.id) AS n ${from}`, params))?.n ?? 0)
    // Study columns sort a subject by its first matching study's value.
    const key = SORT_SQL[sort].startsWith('s.') ? `MIN(${SORT_SQL[sort]})` : SORT_SQL[sort]
    rows = await db.all<Raw>(
      `SELECT p.id AS subject_pk, NULL AS study_pk, p.patients_id AS patients_id, p.name AS name, p.birth_date AS birth_date, p.sex AS sex,
              NULL AS studies_id, NULL AS study_date, NULL AS description, NULL AS modality, COUNT(s.id) AS studies,
              COUNT(*) OVER () AS total_n
       ${from}
       GROUP BY p.id, p.patients_id, p.name, p.birth_date, p.sex
       ORDER BY LOWER(${key}) ${DIR}, ${key} ${DIR}, p.patients_id ${DIR}, p.id ${DIR}
       LIMIT ? OFFSET ?`,
      [...params, limit, offset],
    )
    total = rows.length ? Number(rows[0]!.total_n) : offset > 0 ? await count() : 0
  }
  const subjectTags = await tagsOf(db, 'subject_tags', 'subject_id', rows.map((r) => Number(r.subject_pk)))
  const studyTags = await tagsOf(db, 'study_tags', 'study_id', rows.flatMap((r) => (r.study_pk === null ? [] : [Number(r.study_pk)])))
  return {
    rows: rows.map((r) => {
      const ptags = subjectTags.get(Number(r.subject_pk)) ?? []
      return {
        patients_id: r.patients_id,
        name: r.name,
        birth_date: r.birth_date,
        sex: r.sex,
        studies_id: r.studies_id,
        study_date: r.study_date,
        description: r.description,
        modality: r.modality,
        tags: r.study_pk === null ? ptags : (studyTags.get(Number(r.study_pk)) ?? []),
        subject_tags: ptags,
        studies: Number(r.studies),
      }
    }),
    total,
    limit,
    offset,
  }
}

/**
 * A filtered page sorted by a subject column, from the first subjects in that order alone: the rows of the first k
 * subjects are the start of the whole order (the subject key, then patients_id, orders subjects totally, and a
 * subject's studies are contiguous in it), so once they hold offset + limit matching studies, the page is among them.
 * Each of their studies is tested by per-study index probes (compileProbes) instead of building the set of every
 * match and sorting it: a bar that matches nearly every study (`t1_mprage` on 100,000 studies) reads ~limit subjects.
 * Undefined when 8 times that many subjects still hold too few matches, or the first subjects too few to expect that
 * (rare matches: the set form is faster then).
 */
async function pageOfFirstSubjects(db: Db, projectId: number, probes: SqlFragment, key: string, DIR: string, order: string, limit: number, offset: number): Promise<number[] | undefined> {
  const want = offset + limit
  const k0 = key.replace('p.', 'p0.')
  for (const subjects of [want, want * 8]) {
    const rows = await db.all<{ study_pk: number }>(
      `SELECT s.id AS study_pk
       FROM (SELECT p0.id FROM subjects p0 WHERE p0.project_id = ? ORDER BY LOWER(${k0}) ${DIR}, ${k0} ${DIR}, p0.patients_id ${DIR} LIMIT ?) first
       JOIN subjects p ON p.id = first.id JOIN studies s ON s.subject_id = p.id
       WHERE s.project_id = ? AND p.project_id = ? AND (${probes.sql})
       ${order}
       LIMIT ?`,
      [projectId, subjects, projectId, projectId, ...probes.params, want],
    )
    if (rows.length >= want) return rows.slice(offset).map((r) => Number(r.study_pk))
    // Fewer than one in 8 of the subjects needed: 8 times as many would likely not do either.
    if (rows.length * 8 < want) return undefined
  }
  return undefined
}

/** More distinct characters than this at a pattern's `_` and the plain range of its literal start is used. */
const MAX_UNDERSCORE_CHARS = 32

/**
 * The characters the project's file paths have at the `_` of each anchored file pattern (see UnderscoreChars): a
 * skip scan, one MIN() per distinct character, each a single probe of the index on (project_id, path_lc).
 */
async function underscoreChars(db: Db, projectId: number, bars: FilterBars): Promise<UnderscoreChars> {
  const out = new Map<string, string[]>()
  for (const like of underscoreLikes(bars)) {
    const { prefix } = underscoreSplit(like)!
    const end = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)
    const chars: string[] = []
    let after = prefix
    for (;;) {
      const row = await db.get<{ p: string | null }>('SELECT MIN(f.path_lc) AS p FROM files f WHERE f.project_id = ? AND f.path_lc > ? AND f.path_lc < ?', [projectId, after, end])
      const c = row?.p == null ? undefined : [...String(row.p).slice(prefix.length)][0]
      if (c === undefined) break
      chars.push(c)
      after = prefix + c + '\u{10FFFF}'
      if (chars.length > MAX_UNDERSCORE_CHARS) break
    }
    if (chars.length <= MAX_UNDERSCORE_CHARS) out.set(like, chars)
  }
  return out
}

async function tagsOf(db: Db, table: 'subject_tags' | 'study_tags', column: 'subject_id' | 'study_id', ids: number[]): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>()
  const unique = [...new Set(ids)]
  if (unique.length === 0) return out
  const rows = await db.all<{ id: number; tag: string }>(
    `SELECT ${column} AS id, tag FROM ${table} WHERE ${column} IN (${unique.map(() => '?').join(', ')}) ORDER BY tag`,
    unique,
  )
  for (const r of rows) {
    const id = Number(r.id)
    const list = out.get(id)
    if (list) list.push(r.tag)
    else out.set(id, [r.tag])
  }
  return out
}

/** Queued / running / error job counts of one study (the table's job indicators; the states of JOB:q/r/e). */
export interface JobCounts {
  q: number
  r: number
  e: number
}

/**
 * Job counts per study (`PID#SID` -> counts) for the given rows of a project: commands on a study count for it,
 * commands on a subject alone (study_id NULL) count for each of its studies, as JOB: in the filter bars.
 */
export async function jobCountsOf(db: Db, projectId: number, keys: { patients_id: string; studies_id: string }[]): Promise<Map<string, JobCounts>> {
  const out = new Map<string, JobCounts>()
  if (keys.length === 0) return out
  const pids = [...new Set(keys.map((k) => k.patients_id))]
  const wanted = new Set(keys.map((k) => `${k.patients_id}#${k.studies_id}`))
  const letter = new Map<string, keyof JobCounts>()
  for (const [l, states] of Object.entries(JOB_STATES)) for (const s of states) letter.set(s, l as keyof JobCounts)
  const states = [...letter.keys()]
  const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ')
  const rows = await db.all<{ patients_id: string; studies_id: string; state: string; n: number }>(
    `SELECT p.patients_id AS patients_id, s.studies_id AS studies_id, c.state AS state, COUNT(*) AS n
       FROM subjects p JOIN studies s ON s.subject_id = p.id
       JOIN commands c ON (c.study_id = s.id OR (c.study_id IS NULL AND c.subject_id = p.id))
      WHERE p.project_id = ? AND p.patients_id IN (${marks(pids.length)}) AND c.state IN (${marks(states.length)})
      GROUP BY p.patients_id, s.studies_id, c.state`,
    [projectId, ...pids, ...states],
  )
  for (const r of rows) {
    const key = `${r.patients_id}#${r.studies_id}`
    if (!wanted.has(key)) continue
    const counts = out.get(key) ?? { q: 0, r: 0, e: 0 }
    counts[letter.get(r.state)!] += Number(r.n)
    out.set(key, counts)
  }
  return out
}
