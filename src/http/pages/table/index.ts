import { Elysia, t } from 'elysia'
import { MAX_FILTER_LENGTH } from '../../../archive/filter/parse-filter'
import { SORT_COLUMNS } from '../../../archive/filter/study-query'
import type { HttpDeps } from '../../deps'
import { callerOf } from '../../request-auth'
import { html, redirect } from '../../responses'
import { renderPage, renderPartial } from '../../templates'
import { fileTreeView } from './file-tree'
import { tableView } from './table-view'

export { tableView, type TableQuery } from './table-view'

const bar = t.Optional(t.String({ maxLength: MAX_FILTER_LENGTH }))
const name = t.String({ minLength: 1, maxLength: 64 })
const isPartial = (request: Request) => request.headers.get('hx-request') === 'true' && request.headers.get('hx-boosted') !== 'true'
const NO_STORE = { vary: 'HX-Request', 'cache-control': 'no-store' }

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

function loginRedirect(request: Request): Response {
  const url = new URL(request.url)
  return redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`)
}

/**
 * The desktop's subject/study table and a study's file tree.
 *
 * - `GET /projects/:project/table?q=&patients_id=&name=&birth_date=&studies_id=&study_date=&description=&modality=&file=&sort=&dir=&level=&limit=&offset=`:
 *   with `HX-Request` the table region alone (what the bars and headers swap in), else the whole desktop with it.
 * - `GET /projects/:project/studies/:pid/:sid/files`: one study's files, grouped by series folder.
 *
 * Rights are checked by the services (StudiesService.list, ArchiveService.select): 403 without the read right.
 */
export function tablePages(deps: HttpDeps) {
  return new Elysia()
    .get(
      '/projects/:project/table',
      async ({ request, params, query }) => {
        const caller = await callerOf(deps.auth, request)
        if (!caller) return loginRedirect(request)
        const table = await tableView(deps, caller.user, params.project, query)
        if (isPartial(request)) return html(renderPartial('table-region', table), 200, NO_STORE)
        // Without htmx (a reload, a bookmarked link): the desktop with this table in its workspace.
        const [projects, summary] = await Promise.all([deps.rights.visibleProjects(caller.user), deps.archive.summary(caller.user, params.project)])
        const view = {
          title: summary.name,
          site: deps.siteName,
          user: caller.user,
          csrf: caller.csrfToken,
          project: {
            ...summary,
            countsLine: [plural(summary.subjects, 'subject'), plural(summary.studies, 'study', 'studies'), plural(summary.files, 'file')].join(' · '),
          },
          table,
          projects: projects.map((p) => ({ name: p.name, description: p.description, current: p.name === params.project })),
        }
        return html(renderPage('desktop', view), 200, NO_STORE)
      },
      {
        params: t.Object({ project: name }),
        query: t.Object({
          q: bar,
          patients_id: bar,
          name: bar,
          birth_date: bar,
          studies_id: bar,
          study_date: bar,
          description: bar,
          modality: bar,
          file: bar,
          sort: t.Optional(t.Union(SORT_COLUMNS.map((c) => t.Literal(c)))),
          dir: t.Optional(t.Union([t.Literal('asc'), t.Literal('desc')])),
          level: t.Optional(t.Union([t.Literal('study'), t.Literal('subject')])),
          limit: t.Optional(t.Numeric({ minimum: 1, maximum: 500, multipleOf: 1 })),
          offset: t.Optional(t.Numeric({ minimum: 0, multipleOf: 1 })),
        }),
      },
    )
    .get(
      '/projects/:project/studies/:pid/:sid/files',
      async ({ request, params }) => {
        const caller = await callerOf(deps.auth, request)
        if (!caller) return loginRedirect(request)
        const tree = await fileTreeView(deps, caller.user, params.project, params.pid, params.sid)
        return html(renderPartial('file-tree', tree), 200, NO_STORE)
      },
      { params: t.Object({ project: name, pid: t.String({ minLength: 1, maxLength: 128 }), sid: t.String({ minLength: 1, maxLength: 128 }) }) },
    )
}
