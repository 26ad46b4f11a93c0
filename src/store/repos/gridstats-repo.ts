import { LIKE_ESCAPE, type Db, type Param } from '../db'
import { GRIDJOBS_JOINED, num, type JobState } from './jobs-repo'

export const GRIDSTATS_SORTS = ['id', 'state', 'project', 'psid', 'submitted', 'started', 'finished', 'duration'] as const
export type GridstatsSort = (typeof GRIDSTATS_SORTS)[number]

export interface GridstatsQuery {
  states: JobState[]
  /** The projects the caller may read; undefined: all (site admin). */
  projectIds?: number[]
  batchId?: number
  /** Text searched in project, subject/study, job (name and script), reason and job id. */
  q?: string
  sort: GridstatsSort
  dir: 'asc' | 'desc'
  limit: number
  offset: number
}

export interface GridstatsRow {
  id: number
  state: JobState
  reason: string
  exitCode: number | null
  executor: string
  externalId: string
  logPath: string
  submittedAt: number
  startedAt: number | null
  finishedAt: number | null
  project: string
  projectId: number
  batchId: number | null
  position: number
  psid: string
  user: string
  jobName: string
  jobType: string
}

const ORDER: Record<GridstatsSort, string> = {
  id: 'g.id',
  state: 'g.state',
  project: 'p.name',
  psid: 'r.psid',
  submitted: 'g.submitted_at',
  started: 'g.started_at',
  finished: 'g.finished_at',
  duration: '(COALESCE(g.finished_at, ?) - COALESCE(g.started_at, COALESCE(g.finished_at, ?)))',
}

const ALL_STATES = 5
const likeEscape = (s: string) => s.replace(/[!%_]/g, (c) => `${LIKE_ESCAPE}${c}`)

/** Gridstats: one page of jobs with their project, run and batch; filtered, searched and sorted in SQL. */
export class GridstatsRepo {
  constructor(private readonly db: Db) {}

  async page(q: GridstatsQuery): Promise<{ total: number; rows: GridstatsRow[] }> {
    if (q.projectIds && q.projectIds.length === 0) return { total: 0, rows: [] }
    const where: string[] = []
    const params: Param[] = []
    // Every state asked for: no condition (lets the database walk the primary key backwards for the first page).
    if (q.states.length && q.states.length < ALL_STATES) {
      where.push(`g.state IN (${q.states.map(() => '?').join(', ')})`)
      params.push(...q.states)
    }
    if (q.projectIds) {
      where.push(`g.project_id IN (${q.projectIds.map(() => '?').join(', ')})`)
      params.push(...q.projectIds)
    }
    if (q.batchId !== undefined) {
      where.push('c.batch_id = ?')
      params.push(q.batchId)
    }
    const text = q.q?.trim()
    if (text) {
      const like = `%${likeEscape(text)}%`
      where.push(`(p.name LIKE ? ESCAPE '${LIKE_ESCAPE}' OR r.psid LIKE ? ESCAPE '${LIKE_ESCAPE}' OR c.job LIKE ? ESCAPE '${LIKE_ESCAPE}' OR g.reason LIKE ? ESCAPE '${LIKE_ESCAPE}' OR u.username LIKE ? ESCAPE '${LIKE_ESCAPE}'${/^\d+$/.test(text) ? ' OR g.id = ? OR c.batch_id = ?' : ''})`)
      params.push(like, like, like, like, like)
      if (/^\d+$/.test(text)) params.push(Number(text), Number(text))
    }
    const from = GRIDJOBS_JOINED
    const whereSql = where.length ? ` WHERE ${where.join(' AND ')}` : ''
    const now = Date.now()
    const orderParams: Param[] = q.sort === 'duration' ? [now, now] : []
    const dir = q.dir === 'asc' ? 'ASC' : 'DESC'
    const limit = Math.max(1, Math.min(Math.floor(q.limit), 500))
    const offset = Math.max(0, Math.floor(q.offset))
    const columns = `g.id, g.state, g.reason, g.exit_code, g.executor, g.external_id, g.log_path, g.submitted_at, g.started_at, g.finished_at, g.project_id,
        p.name AS project, c.batch_id, c.position, c.job, r.psid, u.username`
    const order = `ORDER BY ${ORDER[q.sort]} ${dir}, g.id ${dir} LIMIT ${limit} OFFSET ${offset}`
    let rows: Record<string, unknown>[]
    if (!text && q.batchId === undefined && q.sort !== 'project' && q.sort !== 'psid') {
      // Conditions and order on gridjobs alone: pick the page's ids there (an index walk), then join just those.
      const ids = (await this.db.all<{ id: number }>(`SELECT g.id FROM gridjobs g${whereSql} ${order}`, [...params, ...orderParams])).map((r) => Number(r.id))
      const byId = new Map<number, Record<string, unknown>>()
      if (ids.length) for (const r of await this.db.all<Record<string, unknown>>(`SELECT ${columns} ${from} WHERE g.id IN (${ids.map(() => '?').join(', ')})`, ids)) byId.set(Number(r.id), r)
      rows = ids.map((id) => byId.get(id)).filter((r): r is Record<string, unknown> => r !== undefined)
    } else rows = await this.db.all<Record<string, unknown>>(`SELECT ${columns} ${from}${whereSql} ${order}`, [...params, ...orderParams])
    // The count needs the joins only when the search or the batch looks into them.
    const countFrom = text || q.batchId !== undefined ? from : 'FROM gridjobs g'
    const total = Number((await this.db.get<{ n: number }>(`SELECT COUNT(*) AS n ${countFrom}${whereSql}`, params))?.n ?? 0)
    return { total, rows: rows.map(toRow) }
  }

  /** The project a batch belongs to. */
  async batchProjectId(batchId: number): Promise<number | undefined> {
    const r = await this.db.get<{ project_id: number }>('SELECT project_id FROM batches WHERE id = ?', [batchId])
    return r ? Number(r.project_id) : undefined
  }

  /** One job with the command's job JSON and its batch's id and name. */
  async job(id: number): Promise<{ row: GridstatsRow; job: unknown; batchName: string; runState: string; runReason: string } | undefined> {
    const r = await this.db.get<Record<string, unknown>>(
      `SELECT g.id, g.state, g.reason, g.exit_code, g.executor, g.external_id, g.log_path, g.submitted_at, g.started_at, g.finished_at, g.project_id,
        p.name AS project, c.batch_id, c.position, c.job, r.psid, r.state AS run_state, r.reason AS run_reason, u.username, b.name AS batch_name
        ${GRIDJOBS_JOINED} LEFT JOIN batches b ON b.id = c.batch_id WHERE g.id = ?`,
      [id],
    )
    if (!r) return undefined
    let job: unknown = null
    try {
      job = JSON.parse(String(r.job ?? 'null'))
    } catch {
      job = String(r.job)
    }
    return { row: toRow(r), job, batchName: String(r.batch_name ?? ''), runState: String(r.run_state ?? ''), runReason: String(r.run_reason ?? '') }
  }
}

function toRow(r: Record<string, unknown>): GridstatsRow {
  let jobName = ''
  let jobType = ''
  try {
    const job = JSON.parse(String(r.job ?? '{}')) as { name?: unknown; type?: unknown }
    jobName = typeof job.name === 'string' ? job.name : ''
    jobType = typeof job.type === 'string' ? job.type : ''
  } catch {
    // a command row with broken JSON still lists
  }
  return {
    id: Number(r.id),
    state: r.state as JobState,
    reason: (r.reason as string | null) ?? '',
    exitCode: num(r.exit_code),
    executor: String(r.executor),
    externalId: String(r.external_id ?? ''),
    logPath: String(r.log_path ?? ''),
    submittedAt: Number(r.submitted_at),
    startedAt: num(r.started_at),
    finishedAt: num(r.finished_at),
    project: String(r.project),
    projectId: Number(r.project_id),
    batchId: num(r.batch_id),
    position: Number(r.position ?? 0),
    psid: String(r.psid ?? ''),
    user: String(r.username ?? ''),
    jobName,
    jobType,
  }
}
