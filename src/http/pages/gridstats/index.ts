import { Elysia, t } from 'elysia'
import type { HttpDeps } from '../../deps'
import { callerOf } from '../../request-auth'
import { html, loginRedirect } from '../../responses'
import { renderPage, renderPartial } from '../../templates'
import { gridstatsView } from './view'

const NO_STORE = { vary: 'HX-Request', 'cache-control': 'no-store' }
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
export function gridstatsPages(deps: HttpDeps) {
  return new Elysia()
    .get(
      '/gridstats',
      async ({ request, query: q }) => {
        const caller = await callerOf(deps.auth, request)
        if (!caller) return loginRedirect(request)
        const c = clean(q)
        const view = await gridstatsView(deps, caller.user, c)
        const projects = (await deps.rights.visibleProjects(caller.user)).map((p) => ({ name: p.name, current: p.name === c.project }))
        return html(
          renderPage('gridstats', { title: 'Gridstats', site: deps.siteName, user: caller.user, csrf: caller.csrfToken, pageScripts: ['/static/js/gridstats.js'], projects, ...view }),
          200,
          NO_STORE,
        )
      },
      { query },
    )
    .get(
      '/gridstats/rows',
      async ({ request, query: q }) => {
        const caller = await callerOf(deps.auth, request)
        if (!caller) return loginRedirect(request)
        return html(renderPartial('jobs-rows', await gridstatsView(deps, caller.user, clean(q))), 200, NO_STORE)
      },
      { query },
    )
}
