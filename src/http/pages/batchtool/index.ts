import { Elysia, t } from 'elysia'
import type { AuthPlugin } from '../../plugins/auth'
import { html, loginRedirect } from '../../responses'
import { renderPage } from '../../templates'

/**
 * The Batchtool of a project: `GET /projects/:project/batchtool[?studies=P#S,...][&filter=...]`. The page is a shell;
 * the Alpine component (src/web/pages/batchtool.ts, bundled to /static/js/batchtool.js) talks to /api/projects/:p/batches and /api/projects/:p/studies.
 */
export function batchtoolPages(d: { auth: AuthPlugin; siteName: string }) {
  return new Elysia().use(d.auth).get(
    '/projects/:project/batchtool',
    async ({ request, auth, params }) => {
      const caller = await auth.caller()
      if (!caller) return loginRedirect(request)
      const { project } = await auth.project(params.project, 'read')
      const canWrite = await auth.can('write', project)
      return html(
        renderPage('batchtool', { title: `Batchtool · ${project.name}`, site: d.siteName, user: caller.user, csrf: caller.csrfToken, pageScripts: ['/static/js/batchtool.js'], project: project.name, canWrite }),
        200,
        { 'cache-control': 'no-store' },
      )
    },
    { params: t.Object({ project: t.String({ minLength: 1, maxLength: 64 }) }) },
  )
}
