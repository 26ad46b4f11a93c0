import { Elysia, t } from 'elysia'
import type { ArchiveService } from '../../../archive/archive-service'
import type { Rights } from '../../../auth/rights'
import type { AuthPlugin } from '../../plugins/auth'
import { htmxPlugin } from '../../plugins/htmx'
import { countsLine, loginRedirect } from '../../responses'
import { tableView, type TableDeps } from '../table'

/**
 * The desktop: a project's workstation (table, viewer, tools), or without a project the overview of the user's projects
 * with their counts. The header's project switcher is rendered into the layout, and sent out of band with htmx swaps.
 */
export function desktopPages(deps: TableDeps & { auth: AuthPlugin; siteName: string; rights: Pick<Rights, 'visibleProjects'>; archive: Pick<ArchiveService, 'summary'> }) {
  return new Elysia().use(deps.auth).use(htmxPlugin).get(
    '/',
    async ({ request, auth, htmx, query }) => {
      const caller = await auth.caller()
      if (!caller) return loginRedirect(request)
      const projects = await deps.rights.visibleProjects(caller.user)
      const summary = query.project ? await deps.archive.summary(caller.user, query.project) : undefined
      const project = summary && { ...summary, countsLine: countsLine(summary) }
      // The overview lists every project with its counts; a workstation's switcher needs only the names.
      const overview = summary ? undefined : await Promise.all(projects.map((p) => deps.archive.summary(caller.user, p.name)))
      const partial = htmx.partial
      const view = {
        title: project ? project.name : 'Desktop',
        site: deps.siteName,
        user: caller.user,
        csrf: caller.csrfToken,
        project,
        table: summary && query.project ? await tableView(deps, caller.user, query.project, {}) : undefined,
        projects: projects.map((p, i) => ({ ...overview?.[i], name: p.name, description: p.description, current: p.name === query.project })),
        desktopHead: true,
        oob: partial,
      }
      return htmx.pageOrRegion('desktop', view)
    },
    { query: t.Object({ project: t.Optional(t.String({ maxLength: 64 })) }) },
  )
}
