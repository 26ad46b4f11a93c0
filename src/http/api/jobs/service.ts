import { realpathSync, statSync } from 'node:fs'
import { dirname, sep } from 'node:path'
import { NotFoundError, PathError, UsageError } from '../../../core/errors'
import type { User } from '../../../core/types'
import { importJobLog } from '../../../importer/queued-import'
import { GRIDSTATS_SORTS, type GridstatsRow, type GridstatsSort } from '../../../store/repos/gridstats-repo'
import type { JobState } from '../../../store/repos/jobs-repo'
import type { ArchiveService } from '../../../archive/archive-service'
import type { Rights } from '../../../auth/rights'
import type { GridstatsRepo } from '../../../store/repos/gridstats-repo'

/** What Gridstats' data needs: the projects and the caller's rights on them, and the pages of jobs. */
export interface JobsApiDeps {
  archive: Pick<ArchiveService, 'open' | 'projectById' | 'projectDir'>
  rights: Pick<Rights, 'can' | 'visibleProjects'>
  gridstats: Pick<GridstatsRepo, 'page' | 'job'>
}
type Deps = JobsApiDeps

const LETTERS: Record<string, JobState> = { q: 'queued', r: 'running', e: 'error', d: 'done', s: 'skipped' }
const ALL: JobState[] = ['queued', 'running', 'done', 'error', 'skipped']
/** Gridstats' default: what is waiting, running or failed; finished jobs leave the table unless asked for. */
export const OPEN_STATES: JobState[] = ['queued', 'running', 'error']

export interface JobsQuery {
  state?: string
  project?: string
  q?: string
  sort?: string
  dir?: string
  limit?: number
  offset?: number
  finished?: string
  batch?: number
}

/** `q,r,e` or `queued,error`: the states asked for; empty: the open ones (plus done/skipped with finished=1). */
export function statesOf(state: string | undefined, finished: boolean): JobState[] {
  const words = (state ?? '').split(/[,|\s]+/).filter(Boolean)
  if (!words.length) return finished ? ALL : OPEN_STATES
  const out = new Set<JobState>()
  for (const w of words) {
    const s = LETTERS[w.toLowerCase()] ?? (ALL.includes(w.toLowerCase() as JobState) ? (w.toLowerCase() as JobState) : undefined)
    if (!s) throw new UsageError(`state "${w}" is not one of q, r, e, d, s (queued, running, error, done, skipped)`)
    out.add(s)
  }
  return [...out]
}

export interface JobView extends GridstatsRow {
  durationMs: number | null
  log: string
  json: string
}

export const viewOfRow = (r: GridstatsRow, now = Date.now()): JobView => ({
  ...r,
  durationMs: r.startedAt ? (r.finishedAt ?? now) - r.startedAt : null,
  log: `/api/jobs/${r.id}/log`,
  json: `/api/jobs/${r.id}`,
})

/** Gridstats' data: one page of the jobs the caller may see (read right on their projects). */
export async function listJobs(d: Deps, actor: User, query: JobsQuery): Promise<{ total: number; limit: number; offset: number; states: JobState[]; jobs: JobView[] }> {
  const finished = query.finished === '1' || query.finished === 'true' || query.finished === 'on'
  const states = statesOf(query.state, finished)
  let projectIds: number[] | undefined
  if (query.project) projectIds = [(await d.archive.open(actor, query.project, 'read')).id]
  else if (!actor.isSiteAdmin) projectIds = (await d.rights.visibleProjects(actor)).map((p) => p.id)
  const sort: GridstatsSort = GRIDSTATS_SORTS.includes(query.sort as GridstatsSort) ? (query.sort as GridstatsSort) : 'id'
  const limit = Math.max(1, Math.min(query.limit ?? 100, 500))
  const offset = Math.max(0, query.offset ?? 0)
  const page = await d.gridstats.page({ states, projectIds, batchId: query.batch, q: query.q, sort, dir: query.dir === 'asc' ? 'asc' : 'desc', limit, offset })
  const now = Date.now()
  return { total: page.total, limit, offset, states, jobs: page.rows.map((r) => viewOfRow(r, now)) }
}

/** One job with its batch JSON, if the caller may read its project (else: not found, as if it did not exist). */
export async function jobOf(d: Deps, actor: User, id: number) {
  const g = await d.gridstats.job(id)
  const project = g && (await d.archive.projectById(g.row.projectId))
  if (!g || !project || !(await d.rights.can(actor, 'read', project))) throw new NotFoundError(`no job ${id}; Gridstats lists the jobs you may see`)
  return { ...g, project }
}

/**
 * The job's log file, checked to lie inside its project's folder, or for an import job (import.executor "queue")
 * to be that import's own log, data/imports/logs/ID.log (a log path in the database never opens a file elsewhere).
 * Returns the path and its size.
 */
export async function logFileOf(d: Deps, actor: User, id: number): Promise<{ path: string; size: number } | { missing: string }> {
  const { row, job, project } = await jobOf(d, actor, id)
  if (!row.logPath) return { missing: row.reason ? `no log: the job did not start (${row.reason})` : 'no log yet: the job has not started' }
  let real: string
  try {
    real = realpathSync(row.logPath)
  } catch {
    return { missing: `no log yet at ${row.logPath}` }
  }
  const projectRoot = d.archive.projectDir(project)
  const root = realpathSync(projectRoot)
  if (!real.startsWith(root + sep) && !isImportJobLog(real, job, projectRoot)) throw new PathError(`the log of job ${id} is not inside project "${project.name}"; refusing to read it`)
  const st = statSync(real)
  if (!st.isFile()) throw new PathError(`the log of job ${id} is not a file`)
  return { path: real, size: st.size }
}

/** True when `real` is the log of the import whose job `job` is (the data root is the one above projects/). */
function isImportJobLog(real: string, job: unknown, projectRoot: string): boolean {
  const importId = (job as { importId?: unknown } | null)?.importId
  if (typeof importId !== 'number' || !Number.isSafeInteger(importId)) return false
  try {
    return real === realpathSync(importJobLog(dirname(dirname(projectRoot)), importId))
  } catch {
    return false
  }
}
