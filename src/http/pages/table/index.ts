import { Elysia, t } from 'elysia'
import type { ArchiveService } from '../../../archive/archive-service'
import type { Rights } from '../../../auth/rights'
import type { User } from '../../../core/types'
import { studyQuery } from '../../api/studies/model'
import type { AuthPlugin } from '../../plugins/auth'
import { htmxPlugin } from '../../plugins/htmx'
import { countsLine, loginRedirect } from '../../responses'
import { renderPage, renderPartial } from '../../templates'
import { fileTreeView, type FileTreeDeps } from './file-tree'
import { tableView, type TableDeps } from './table-view'

export { tableView, type TableDeps, type TableQuery } from './table-view'

const name = t.String({ minLength: 1, maxLength: 64 })

type TablePagesDeps = TableDeps &
  FileTreeDeps & {
    auth: AuthPlugin
    siteName: string
    rights: Pick<Rights, 'visibleProjects'>
    archive: Pick<ArchiveService, 'summary'>
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
export function tablePages(d: TablePagesDeps) {
  return new Elysia()
    .use(d.auth)
    .use(htmxPlugin)
    .get(
      '/projects/:project/table',
      async ({ request, auth, htmx, params, query }) => {
        const caller = await auth.caller()
        if (!caller) return loginRedirect(request)
        const table = await tableView(d, caller.user, params.project, query)
        return htmx.answer({ partial: () => renderPartial('table-region', table), page: () => desktopWith(d, caller.user, caller.csrfToken, params.project, table) })
      },
      {
        params: t.Object({ project: name }),
        query: studyQuery(500),
      },
    )
    .get(
      '/projects/:project/studies/:pid/:sid/files',
      async ({ request, auth, htmx, params }) => {
        const caller = await auth.caller()
        if (!caller) return loginRedirect(request)
        return htmx.fragment(renderPartial('file-tree', await fileTreeView(d, caller.user, params.project, params.pid, params.sid)))
      },
      { params: t.Object({ project: name, pid: t.String({ minLength: 1, maxLength: 128 }), sid: t.String({ minLength: 1, maxLength: 128 }) }) },
    )
}

/** Without htmx (a reload, a bookmarked link): the desktop with this table in its workspace. */
async function desktopWith(d: TablePagesDeps, user: User, csrf: string | undefined, projectName: string, table: Awaited<ReturnType<typeof tableView>>): Promise<string> {
  const [projects, summary] = await Promise.all([d.rights.visibleProjects(user), d.archive.summary(user, projectName)])
  const view = {
    title: summary.name,
    site: d.siteName,
    user,
    csrf,
    project: { ...summary, countsLine: countsLine(summary) },
    table,
    projects: projects.map((p) => ({ name: p.name, description: p.description, current: p.name === projectName })),
    desktopHead: true, // the header's project switcher, as the desktop page has it
  }
  return renderPage('desktop', view)
}
