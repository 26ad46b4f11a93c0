import type { ArchiveService } from '../../../archive/archive-service'
import type { FilterBars } from '../../../archive/filter/compile-filter'
import type { StudiesService } from '../../../archive/filter/studies-service'
import type { Level, SortColumn } from '../../../archive/filter/study-query'
import type { JobIndicators } from '../../../archive/job-indicators'
import type { Rights } from '../../../auth/rights'
import type { User } from '../../../core/types'

/** What the table region needs: the rows, the write right (for tags) and the job indicators. */
export interface TableDeps {
  studies: Pick<StudiesService, 'list'>
  rights: Pick<Rights, 'can'>
  archive: Pick<ArchiveService, 'requireProject'>
  jobIndicators: Pick<JobIndicators, 'of'>
}

/** The bars and table state a request carries (already validated by the route's schema). */
export interface TableQuery extends FilterBars {
  sort?: SortColumn
  dir?: 'asc' | 'desc'
  level?: Level
  limit?: number
  offset?: number
}

export const PAGE_SIZE = 50

/** The columns of the table, in order: the filter bar and the sort key of each. */
const COLUMNS: { key: SortColumn & keyof FilterBars; label: string; study: boolean }[] = [
  { key: 'patients_id', label: 'patients_id', study: false },
  { key: 'name', label: 'name', study: false },
  { key: 'birth_date', label: 'birth date', study: false },
  { key: 'studies_id', label: 'studies_id', study: true },
  { key: 'study_date', label: 'study date', study: true },
  { key: 'description', label: 'description', study: true },
  { key: 'modality', label: 'modality', study: true },
]
const BAR_NAMES = ['q', 'patients_id', 'name', 'birth_date', 'studies_id', 'study_date', 'description', 'modality', 'file'] as const

/** `20240131` -> `2024-01-31`; anything else as it is. */
export const showDate = (d: string | null | undefined) => (d && /^\d{8}$/.test(d) ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}` : (d ?? ''))

/**
 * The view of the table region: rows from StudiesService (which checks the read right), plus the links and
 * htmx values each header and pager button sends. All strings are escaped by the template (`{{ }}`).
 */
export async function tableView(deps: TableDeps, user: User, project: string, query: TableQuery) {
  const bars: FilterBars = {}
  for (const b of BAR_NAMES) if (query[b]) bars[b] = query[b]
  const sort = query.sort ?? 'patients_id'
  const dir = query.dir ?? 'asc'
  const level = query.level ?? 'study'
  const limit = query.limit ?? PAGE_SIZE
  const offset = query.offset ?? 0
  const page = await deps.studies.list(user, project, bars, { sort, dir, level, limit, offset })
  const canWrite = await deps.rights.can(user, 'write', await deps.archive.requireProject(project))
  const studyKeys = page.rows.flatMap((r) => (r.studies_id === null ? [] : [{ patients_id: r.patients_id, studies_id: r.studies_id }]))
  const jobs = await deps.jobIndicators.of(user, project, studyKeys)

  const base = `/projects/${encodeURIComponent(project)}/table`
  /** A plain link (for use without htmx) to the table with some state changed. */
  const link = (change: Record<string, string | number>) => {
    const p = new URLSearchParams()
    for (const [k, v] of Object.entries({ ...bars, sort, dir, level, limit, ...change })) if (v !== undefined && v !== '') p.set(k, String(v))
    return `${base}?${p}`
  }
  const columns = COLUMNS.map((c) => {
    const active = c.key === sort
    const nextDir = active && dir === 'asc' ? 'desc' : 'asc'
    return {
      key: c.key,
      label: c.label,
      value: bars[c.key] ?? '',
      active,
      arrow: active ? (dir === 'asc' ? '▲' : '▼') : '',
      ariaSort: active ? (dir === 'asc' ? 'ascending' : 'descending') : 'none',
      href: link({ sort: c.key, dir: nextDir, offset: 0 }),
      vals: JSON.stringify({ sort: c.key, dir: nextDir }),
      disabled: level === 'subject' && c.study,
    }
  })
  const rows = page.rows.map((r) => ({
    patients_id: r.patients_id,
    name: r.name,
    birth_date: showDate(r.birth_date),
    studies_id: r.studies_id ?? (level === 'subject' ? `${r.studies} ${r.studies === 1 ? 'study' : 'studies'}` : ''),
    study_date: showDate(r.study_date),
    description: r.description ?? '',
    modality: r.modality ?? '',
    tags: r.tags.map((tag) => ({ tag, target: r.studies_id === null ? 'subject' : 'study', item: r.studies_id === null ? r.patients_id : `${r.patients_id}#${r.studies_id}`, canWrite })),
    subjectTags: level === 'study' ? r.subject_tags.map((tag) => ({ tag, target: 'subject', item: r.patients_id, canWrite })) : [],
    jobs: jobBadges(r.studies_id === null ? undefined : jobs.get(`${r.patients_id}#${r.studies_id}`)),
    target: r.studies_id === null ? 'subject' : 'study',
    filesUrl: r.studies_id === null ? undefined : `/projects/${encodeURIComponent(project)}/studies/${encodeURIComponent(r.patients_id)}/${encodeURIComponent(r.studies_id)}/files`,
    psid: r.studies_id === null ? r.patients_id : `${r.patients_id}#${r.studies_id}`,
  }))
  const prevOffset = Math.max(0, offset - limit)
  const nextOffset = offset + limit
  return {
    project,
    url: base,
    sort,
    dir,
    level,
    limit,
    isSubject: level === 'subject',
    bars: { q: bars.q ?? '', file: bars.file ?? '' },
    columns,
    rows,
    empty: rows.length === 0,
    colspan: COLUMNS.length + 3,
    canWrite,
    total: page.total,
    unit: level === 'subject' ? (page.total === 1 ? 'subject' : 'subjects') : page.total === 1 ? 'study' : 'studies',
    from: rows.length ? offset + 1 : 0,
    to: offset + rows.length,
    prev: offset > 0 ? { href: link({ offset: prevOffset }), vals: JSON.stringify({ offset: prevOffset }) } : undefined,
    next: nextOffset < page.total ? { href: link({ offset: nextOffset }), vals: JSON.stringify({ offset: nextOffset }) } : undefined,
    levels: [
      { value: 'study', label: 'studies', selected: level === 'study' },
      { value: 'subject', label: 'subjects', selected: level === 'subject' },
    ],
  }
}

const JOB_LABELS = { q: 'queued', r: 'running', e: 'error' } as const

/** The job indicators of a row: one small badge per state with jobs (`2 q` queued...), none when idle. */
function jobBadges(counts: { q: number; r: number; e: number } | undefined) {
  if (!counts) return []
  return (['q', 'r', 'e'] as const)
    .filter((k) => counts[k] > 0)
    .map((k) => ({ state: k, count: counts[k], title: `${counts[k]} ${counts[k] === 1 ? 'job' : 'jobs'} ${JOB_LABELS[k]}` }))
}
