import { Elysia, t } from 'elysia'
import type { JobsApiDeps } from '../../api/jobs/service'
import type { AuthPlugin } from '../../plugins/auth'
import { htmxPlugin } from '../../plugins/htmx'
import { loginRedirect } from '../../responses'
import { renderPartial } from '../../templates'
import { gridstatsView } from './view'

const query = t.Object({
  q: t.Optional(t.String({ maxLength: 200 })),
  project: t.Optional(t.String({ maxLength: 64 })),
  state: t.Optional(t.String({ maxLength: 64 })),
  sort: t.Optional(t.String({ maxLength: 16 })),
  dir: t.Optional(t.String({ maxLength: 4 })),
  finished: t.Optional(t.String({ maxLength: 8 })),
  batch: t.Optional(t.Union([t.Literal(''), t.Numeric({ minimum: 1 })])),
})
type Q = typeof query.static
const clean = (q: Q) => ({ ...q, project: q.project || undefined, batch: typeof q.batch === 'number' ? q.batch : undefined })

/**
 * Gridstats: `GET /gridstats` the page (jobs waiting, running and failed; finished ones with `finished=1`),
 * `GET /gridstats/rows` the table alone (htmx polls it every 3 s and swaps it in on search, sort and filter).
 */
export function gridstatsPages(d: JobsApiDeps & { auth: AuthPlugin; siteName: string }) {
  return new Elysia()
    .use(d.auth)
    .use(htmxPlugin)
    .get(
      '/gridstats',
      async ({ request, auth, htmx, query: q }) => {
        const caller = await auth.caller()
        if (!caller) return loginRedirect(request)
        const c = clean(q)
        const view = await gridstatsView(d, caller.user, c)
        const projects = (await d.rights.visibleProjects(caller.user)).map((p) => ({ name: p.name, current: p.name === c.project }))
        return htmx.page('gridstats', { title: 'Gridstats', site: d.siteName, user: caller.user, csrf: caller.csrfToken, pageScripts: ['/static/js/gridstats.js'], projects, ...view })
      },
      { query },
    )
    .get(
      '/gridstats/rows',
      async ({ request, auth, htmx, query: q }) => {
        const caller = await auth.caller()
        if (!caller) return loginRedirect(request)
        return htmx.fragment(renderPartial('jobs-rows', await gridstatsView(d, caller.user, clean(q))))
      },
      { query },
    )
}
