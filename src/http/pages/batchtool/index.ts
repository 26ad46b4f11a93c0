import { Elysia, t } from 'elysia'
import type { HttpDeps } from '../../deps'
import { callerOf } from '../../request-auth'
import { html, loginRedirect } from '../../responses'
import { renderPage } from '../../templates'

/**
 * The Batchtool of a project: `GET /projects/:project/batchtool[?studies=P#S,...][&filter=...]`. The page is a shell;
 * the Alpine component (public/js/batchtool.js) talks to /api/projects/:p/batches and /api/projects/:p/studies.
 */
export function batchtoolPages(deps: HttpDeps) {
  return new Elysia().get(
    '/projects/:project/batchtool',
    async ({ request, params }) => {
      const caller = await callerOf(deps.auth, request)
      if (!caller) return loginRedirect(request)
      const project = await deps.archive.open(caller.user, params.project, 'read')
      const canWrite = await deps.rights.can(caller.user, 'write', project)
      return html(
        renderPage('batchtool', { title: `Batchtool · ${project.name}`, site: deps.siteName, user: caller.user, csrf: caller.csrfToken, pageScripts: ['/static/js/batchtool.js'], project: project.name, canWrite }),
        200,
        { 'cache-control': 'no-store' },
      )
    },
    { params: t.Object({ project: t.String({ minLength: 1, maxLength: 64 }) }) },
  )
}
