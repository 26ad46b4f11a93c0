import { Elysia, t } from 'elysia'
import type { HttpDeps } from '../../deps'
import { callerOf } from '../../request-auth'
import { html, loginRedirect, plural } from '../../responses'
import { renderPage, renderRegion } from '../../templates'
import { tableView } from '../table'

/** The desktop: project switcher and workspace. Later issues fill the workspace (table, viewer, tools). */
export function desktopPages(deps: HttpDeps) {
  return new Elysia().get(
    '/',
    async ({ request, query }) => {
      const caller = await callerOf(deps.auth, request)
      if (!caller) return loginRedirect(request)
      const projects = await deps.rights.visibleProjects(caller.user)
      const summary = query.project ? await deps.archive.summary(caller.user, query.project) : undefined
      const project = summary && { ...summary, countsLine: [plural(summary.subjects, 'subject'), plural(summary.studies, 'study', 'studies'), plural(summary.files, 'file')].join(' · ') }
      const view = {
        title: project ? project.name : 'Desktop',
        site: deps.siteName,
        user: caller.user,
        csrf: caller.csrfToken,
        project,
        table: summary && query.project ? await tableView(deps, caller.user, query.project, {}) : undefined,
        projects: projects.map((p) => ({ name: p.name, description: p.description, current: p.name === query.project })),
      }
      const partial = request.headers.get('hx-request') === 'true' && request.headers.get('hx-boosted') !== 'true'
      return html(partial ? renderRegion('desktop', view) : renderPage('desktop', view), 200, { vary: 'HX-Request', 'cache-control': 'no-store' })
    },
    { query: t.Object({ project: t.Optional(t.String({ maxLength: 64 })) }) },
  )
}
