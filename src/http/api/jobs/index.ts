import { Elysia, t } from 'elysia'
import type { JobsService } from '../../../jobs/jobs-service'
import type { AuthPlugin } from '../../plugins/auth'
import { jobOf, listJobs, logFileOf, viewOfRow, type JobsApiDeps } from './service'

const MAX_LOG = 4 * 1024 * 1024

/** `Range: bytes=a-b` / `bytes=a-` / `bytes=-n` -> [start, end) within size, or undefined when absent or unusable. */
export function rangeOf(header: string | null, size: number): [number, number] | undefined {
  const m = header && /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!m || (m[1] === '' && m[2] === '')) return undefined
  if (m[1] === '') return [Math.max(0, size - Number(m[2])), size]
  const start = Number(m[1])
  const end = m[2] === '' ? size : Math.min(size, Number(m[2]) + 1)
  return start < size && start < end ? [start, end] : undefined
}

/**
 * Jobs (Gridstats' data):
 * - `GET /api/jobs?state=q,r,e&project=&q=&sort=id|state|project|psid|submitted|started|finished|duration&dir=&limit=&offset=&finished=1&batch=`
 * - `GET /api/jobs/:id` the job as JSON (its batch job, run, times, reason)
 * - `GET /api/jobs/:id/log[?tail=BYTES]` (or a Range header) the job's stdout/stderr
 * - `POST /api/jobs/:id/kill|suspend|resume` (write right on the job's project)
 */
export function jobsApi(d: JobsApiDeps & { auth: AuthPlugin; jobs: Pick<JobsService, 'kill' | 'suspend' | 'resume'> }) {
  return new Elysia()
    .use(d.auth)
    .get('/api/jobs', async ({ auth, query }) => listJobs(d, await auth.user(), query), {
      query: t.Object({
        state: t.Optional(t.String({ maxLength: 64 })),
        project: t.Optional(t.String({ maxLength: 64 })),
        q: t.Optional(t.String({ maxLength: 200 })),
        sort: t.Optional(t.String({ maxLength: 16 })),
        dir: t.Optional(t.Union([t.Literal('asc'), t.Literal('desc')])),
        limit: t.Optional(t.Numeric({ minimum: 1, maximum: 500 })),
        offset: t.Optional(t.Numeric({ minimum: 0 })),
        finished: t.Optional(t.String({ maxLength: 8 })),
        batch: t.Optional(t.Numeric({ minimum: 1 })),
      }),
    })
    .get(
      '/api/jobs/:id',
      async ({ auth, params }) => {
        const j = await jobOf(d, await auth.user(), params.id)
        return { ...viewOfRow(j.row), batchName: j.batchName, run: { state: j.runState, reason: j.runReason }, job: j.job }
      },
      { params: t.Object({ id: t.Numeric({ minimum: 1 }) }) },
    )
    .get(
      '/api/jobs/:id/log',
      async ({ request, auth, params, query }) => {
        const log = await logFileOf(d, await auth.user(), params.id)
        if ('missing' in log) return new Response(log.missing, { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } })
        const range = rangeOf(request.headers.get('range'), log.size)
        const [start, end] = range ?? (query.tail !== undefined ? [Math.max(0, log.size - query.tail), log.size] : [Math.max(0, log.size - MAX_LOG), log.size])
        const headers: Record<string, string> = {
          'content-type': 'text/plain; charset=utf-8',
          'x-content-type-options': 'nosniff',
          'cache-control': 'no-store',
          'x-log-size': String(log.size),
          'accept-ranges': 'bytes',
        }
        if (range) headers['content-range'] = `bytes ${start}-${end - 1}/${log.size}`
        return new Response(Bun.file(log.path).slice(start, end), { status: range ? 206 : 200, headers })
      },
      { params: t.Object({ id: t.Numeric({ minimum: 1 }) }), query: t.Object({ tail: t.Optional(t.Numeric({ minimum: 0, maximum: 64 * 1024 * 1024 })) }) },
    )
    .post(
      '/api/jobs/:id/:action',
      async ({ auth, params }) => {
        const user = await auth.user()
        await jobOf(d, user, params.id) // 404 for jobs the caller may not see
        const g = await d.jobs[params.action](user, params.id)
        return { id: g.id, state: g.state, reason: g.reason }
      },
      { params: t.Object({ id: t.Numeric({ minimum: 1 }), action: t.Union([t.Literal('kill'), t.Literal('suspend'), t.Literal('resume')]) }) },
    )
}
