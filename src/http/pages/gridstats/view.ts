import type { User } from '../../../core/types'
import { plural } from '../../responses'
import { listJobs, type JobsApiDeps, type JobsQuery } from '../../api/jobs/service'

const COLUMNS = [
  ['id', '#'],
  ['state', 'State'],
  ['project', 'Project'],
  ['psid', 'Subject/study'],
  ['submitted', 'Submitted'],
  ['started', 'Started'],
  ['finished', 'Finished'],
  ['duration', 'Duration'],
] as const

const pad = (n: number) => String(n).padStart(2, '0')
/** Server-local time, `2026-11-25 11:03:07`. */
export function timeOf(ms: number | null): string {
  if (!ms) return ''
  const d = new Date(ms)
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

/** The desktop table narrowed to the job's study (the seed: a click on the subject cell selects it). */
function studyUrl(project: string, psid: string): string {
  const [pid = '', sid = ''] = psid.split('#')
  return `/projects/${encodeURIComponent(project)}/table?patients_id=${encodeURIComponent(pid)}&studies_id=${encodeURIComponent(sid)}`
}

/** `4s`, `2m 05s`, `1h 02m`. */
export function durationOf(ms: number | null): string {
  if (ms === null || ms < 0) return ''
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`
  return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`
}

/** What the Gridstats table shows: one page of jobs with formatted times, sort headers and a count line. */
export async function gridstatsView(deps: JobsApiDeps, actor: User, query: JobsQuery) {
  const page = await listJobs(deps, actor, { ...query, limit: query.limit ?? 200 })
  const sort = query.sort && COLUMNS.some(([k]) => k === query.sort) ? query.sort : 'id'
  const dir = query.dir === 'asc' ? 'asc' : 'desc'
  const finished = query.finished === '1' || query.finished === 'on' || query.finished === 'true'
  return {
    sort,
    dir,
    finished,
    q: query.q ?? '',
    batch: query.batch,
    project: query.project,
    countLine: `${plural(page.total, 'job')}${page.total > page.jobs.length ? ` (showing ${page.jobs.length})` : ''} · ${page.states.join(', ')}`,
    columns: COLUMNS.map(([key, label]) => ({ key, label, active: key === sort, dir })),
    jobs: page.jobs.map((j) => ({
      ...j,
      submitted: timeOf(j.submittedAt),
      started: timeOf(j.startedAt),
      finished: timeOf(j.finishedAt),
      duration: durationOf(j.durationMs),
      jobLabel: `${j.jobName || j.jobType || 'job'}${j.batchId ? ` #${j.position + 1}` : ''}`,
      hasLog: j.logPath !== '',
      studyUrl: studyUrl(j.project, j.psid),
      killable: j.state === 'queued' || j.state === 'running',
      suspendable: j.state === 'running' && !j.reason.startsWith('suspended'),
      resumable: j.state === 'running' && j.reason.startsWith('suspended'),
    })),
  }
}
