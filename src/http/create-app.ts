import { Elysia } from 'elysia'
import { NotFoundError } from '../core/errors'
import { filesApi } from './api/files'
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
import { tablePages } from './pages/table'
import { SECURITY_HEADERS } from './plugins/security-headers'
import { callerOf } from './request-auth'
import { errorResponse, wantsJson } from './responses'
import { STATIC_ASSETS } from './static-assets'

/** The HTTP app. Routes live in their feature folders; this only wires them and the cross-cutting rules. */
export function createApp(deps: HttpDeps) {
  return new Elysia()
    .onRequest(({ set }) => {
      Object.assign(set.headers, SECURITY_HEADERS)
    })
    .onBeforeHandle(async ({ request, body }) => {
      if (request.method === 'GET' || request.method === 'HEAD') return
      const formToken = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)._csrf : undefined
      checkCsrf(request, await callerOf(deps.auth, request).catch(() => undefined), typeof formToken === 'string' ? formToken : undefined)
    })
    .onError(({ request, error, code }) => {
      if (code === 'NOT_FOUND') return errorResponse(request, new NotFoundError(`no page at ${new URL(request.url).pathname}`), deps.siteName)
      if (code === 'VALIDATION' || code === 'PARSE') {
        const msg = code === 'VALIDATION' ? `bad request: ${(error as { message: string }).message.split('\n')[0]}` : 'bad request: the body could not be parsed'
        return wantsJson(request) ? Response.json({ error: msg }, { status: 400 }) : new Response(msg, { status: 400 })
      }
      return errorResponse(request, error, deps.siteName)
    })
    .get('/static/*', ({ request }) => {
      const asset = STATIC_ASSETS[new URL(request.url).pathname]
      if (!asset) return new Response('not found', { status: 404 })
      return new Response(Bun.file(asset.path), { headers: { 'content-type': asset.type, 'cache-control': 'public, max-age=3600' } })
    })
    .use(healthApi(deps))
    .use(loginPages(deps))
    .use(desktopPages(deps))
    .use(tablePages(deps))
    .use(projectsApi(deps))
    .use(studiesApi(deps))
    .use(importsApi(deps))
    .use(pacsApi(deps))
    .use(pacsPages(deps))
    .use(jobsApi(deps))
    .use(batchesApi(deps))
    .use(batchtoolPages(deps))
    .use(gridstatsPages(deps))
    .use(tagsApi(deps))
    .use(uploadsApi(deps))
    .use(autoloadersApi(deps))
    .use(filesApi(deps))
}

export type NoraApp = ReturnType<typeof createApp>
