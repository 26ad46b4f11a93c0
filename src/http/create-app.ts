import { Elysia } from 'elysia'
import { NotFoundError } from '../core/errors'
import { filesApi } from './api/files'
import { roisApi } from './api/rois'
import { annotationsApi } from './api/annotations'
import { transformsApi } from './api/transforms'
import { healthApi } from './api/health'
import { autoloadersApi } from './api/autoloaders'
import { tagsApi } from './api/tags'
import { uploadsApi } from './api/uploads'
import { importsApi } from './api/imports'
import { pacsApi } from './api/pacs'
import { projectsApi } from './api/projects'
import { studiesApi } from './api/studies'
import { checkCsrf } from './csrf'
import type { HttpDeps } from './deps'
import { desktopPages } from './pages/desktop'
import { loginPages } from './pages/login'
import { pacsPages } from './pages/pacs'
import { jobsApi } from './api/jobs'
import { batchesApi } from './api/batches'
import { batchtoolPages } from './pages/batchtool'
import { gridstatsPages } from './pages/gridstats'
import { profilePages } from './pages/profile'
import { notificationPages } from './pages/notifications'
import { notificationsApi } from './api/notifications'
import { adminPages } from './pages/admin'
import { forkPages } from './pages/fork'
import { urlCallPages } from './pages/url-call'
import { tablePages } from './pages/table'
import { authPlugin } from './plugins/auth'
import { segApi } from './api/seg'
import { sharedLinksApi } from './api/shared-links'
import { readingsApi } from './api/readings'
import { bodyLimitProblem } from './plugins/body-limit'
import { SECURITY_HEADERS } from './plugins/security-headers'
import { errorResponse, wantsJson } from './responses'
import { serveAsset } from './static-assets'

/** The HTTP app. Routes live in their feature folders; this only wires them and the cross-cutting rules. */
export function createApp(deps: HttpDeps) {
  // Each route plugin gets the few services it uses; `auth` resolves the caller once per request for all of them.
  const auth = authPlugin({ auth: deps.auth, rights: deps.rights, projects: deps.archive })
  const { siteName, rights, archive, studies, importer, jobs, batchLibrary, gridstats, pacsQuery, pulls, push, uploadsDir, uploadLimits } = deps
  const table = { studies, rights, archive, jobIndicators: deps.jobIndicators }
  return new Elysia()
    .use(auth)
    .onRequest(({ request, set }) => {
      Object.assign(set.headers, SECURITY_HEADERS)
      const unreadable = bodyLimitProblem(request) // refused before a byte of the body is buffered
      if (unreadable) return errorResponse(request, unreadable, siteName)
    })
    .onBeforeHandle(async ({ request, body, auth }) => {
      if (request.method === 'GET' || request.method === 'HEAD') return
      const formToken = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)._csrf : undefined
      checkCsrf(request, await auth.caller().catch(() => undefined), typeof formToken === 'string' ? formToken : undefined)
    })
    .onError(({ request, error, code }) => {
      if (code === 'NOT_FOUND') return errorResponse(request, new NotFoundError(`no page at ${new URL(request.url).pathname}`), siteName)
      if (code === 'VALIDATION' || code === 'PARSE') {
        const msg = code === 'VALIDATION' ? `bad request: ${(error as { message: string }).message.split('\n')[0]}` : 'bad request: the body could not be parsed'
        return wantsJson(request) ? Response.json({ error: msg }, { status: 400 }) : new Response(msg, { status: 400 })
      }
      return errorResponse(request, error, siteName)
    })
    .get('/static/*', ({ request }) => serveAsset(request) ?? new Response('not found', { status: 404 }))
    .use(healthApi({ health: () => deps.health() }))
    .use(loginPages({ siteName, sessions: deps.auth, secureCookies: deps.secureCookies, trustedProxies: deps.trustedProxies }))
    .use(desktopPages({ auth, siteName, ...table }))
    .use(tablePages({ auth, siteName, ...table }))
    .use(projectsApi({ auth, rights, archive }))
    .use(studiesApi({ auth, studies }))
    .use(importsApi({ auth, tokens: deps.auth, archive, importer, uploadsDir, uploadLimits }))
    .use(pacsApi({ auth, pacsQuery, pulls, push }))
    .use(segApi({ auth, segExport: deps.segExport }))
    .use(pacsPages({ auth, siteName, pacsQuery, pulls }))
    .use(jobsApi({ auth, archive, rights, gridstats, jobs }))
    .use(batchesApi({ auth, archive, batchLibrary, jobs, gridstats }))
    .use(batchtoolPages({ auth, siteName }))
    .use(gridstatsPages({ auth, siteName, archive, rights, gridstats }))
    .use(urlCallPages({ auth, sessions: deps.auth, secureCookies: deps.secureCookies, trustedProxies: deps.trustedProxies }))
    .use(notificationPages({ auth, siteName, notifications: deps.notifications }))
    .use(notificationsApi({ auth, notifications: deps.notifications }))
    .use(adminPages({ auth, siteName, archive, ...deps.admin }))
    .use(forkPages({ auth, siteName, rights, projects: deps.admin.projects }))
    .use(profilePages({ auth, siteName, sessions: deps.auth, secureCookies: deps.secureCookies, trustedProxies: deps.trustedProxies }))
    .use(tagsApi({ auth, tags: deps.tags }))
    .use(uploadsApi({ auth, archive, importer, uploadsDir, uploadLimits }))
    .use(autoloadersApi({ auth, autoloaders: deps.autoloaders }))
    .use(filesApi({ auth, archive }))
    .use(roisApi({ auth, archive, maxBytes: uploadLimits.maxBytes }))
    .use(annotationsApi({ auth, archive }))
    .use(sharedLinksApi({ auth, sharedLinks: deps.sharedLinks }))
    .use(readingsApi({ auth, readings: deps.readings, archive }))
    .use(transformsApi({ auth, archive }))
}

export type NoraApp = ReturnType<typeof createApp>
