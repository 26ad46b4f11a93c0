import { UsageError } from '../../core/errors'
import type { Db, Param } from '../../store/db'
import { compileFilters, type FilterBars } from './compile-filter'

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
}

/** Rows of a project matching the filter bars (see compileFilters), with the total count. */
export async function queryStudies(db: Db, projectId: number, bars: FilterBars, options: StudyQueryOptions = {}): Promise<StudyPage> {
  const { level, sort, dir, limit, offset } = checkOptions(options)
  const where = compileFilters(bars)
  const DIR = dir === 'desc' ? 'DESC' : 'ASC'
  let rows: Raw[]
  let total: number
  if (level === 'study') {
    const from = `FROM studies s JOIN subjects p ON p.id = s.subject_id WHERE s.project_id = ? AND p.project_id = ? AND (${where.sql})`
    const params: Param[] = [projectId, projectId, ...where.params]
    total = Number((await db.get<{ n: number }>(`SELECT COUNT(*) AS n ${from}`, params))?.n ?? 0)
    const key = SORT_SQL[sort]
    rows = await db.all<Raw>(
      `SELECT p.id AS subject_pk, s.id AS study_pk, p.patients_id AS patients_id, p.name AS name, p.birth_date AS birth_date, p.sex AS sex,
              s.studies_id AS studies_id, s.study_date AS study_date, s.description AS description, s.modality AS modality, 1 AS studies
       ${from}
       ORDER BY LOWER(${key}) ${DIR}, ${key} ${DIR}, p.patients_id ${DIR}, s.studies_id ${DIR}, s.id ${DIR}
       LIMIT ? OFFSET ?`,
      [...params, limit, offset],
    )
  } else {
    // LEFT JOIN: a subject without studies has NULL study columns, which no study condition matches.
    const from = `FROM subjects p LEFT JOIN studies s ON s.subject_id = p.id WHERE p.project_id = ? AND (${where.sql})`
    const params: Param[] = [projectId, ...where.params]
    total = Number((await db.get<{ n: number }>(`SELECT COUNT(DISTINCT p.id) AS n ${from}`, params))?.n ?? 0)
    // Study columns sort a subject by its first matching study's value.
    const key = SORT_SQL[sort].startsWith('s.') ? `MIN(${SORT_SQL[sort]})` : SORT_SQL[sort]
    rows = await db.all<Raw>(
      `SELECT p.id AS subject_pk, NULL AS study_pk, p.patients_id AS patients_id, p.name AS name, p.birth_date AS birth_date, p.sex AS sex,
              NULL AS studies_id, NULL AS study_date, NULL AS description, NULL AS modality, COUNT(s.id) AS studies
       ${from}
       GROUP BY p.id, p.patients_id, p.name, p.birth_date, p.sex
       ORDER BY LOWER(${key}) ${DIR}, ${key} ${DIR}, p.patients_id ${DIR}, p.id ${DIR}
       LIMIT ? OFFSET ?`,
      [...params, limit, offset],
    )
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
