import { Elysia, t } from 'elysia'
import type { HttpDeps } from '../../deps'
import { callerOf } from '../../request-auth'
import { studyQuery } from '../../api/studies/model'
import { html, loginRedirect, plural } from '../../responses'
import { renderPage, renderPartial } from '../../templates'
import { fileTreeView } from './file-tree'
import { tableView } from './table-view'

export { tableView, type TableQuery } from './table-view'

const name = t.String({ minLength: 1, maxLength: 64 })
const isPartial = (request: Request) => request.headers.get('hx-request') === 'true' && request.headers.get('hx-boosted') !== 'true'
const NO_STORE = { vary: 'HX-Request', 'cache-control': 'no-store' }

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
        query: studyQuery(500),
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
