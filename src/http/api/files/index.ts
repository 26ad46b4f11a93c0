import { Elysia } from 'elysia'
import { contentTypeOf, openProjectFile, parseRange } from '../../../archive/file-access'
import { AuthError, PathError } from '../../../core/errors'
import type { HttpDeps } from '../../deps'
import { callerOf } from '../../request-auth'

const PREFIX = /^\/api\/projects\/([^/]+)\/files\/(.*)$/

/**
 * `GET|HEAD /api/projects/:project/files/<path inside the project>`: one archive file as its stored bytes, for the
 * viewer (NiiVue fetches .nii.gz as gzip bytes, so no Content-Encoding), with ranges, ETag and Last-Modified.
 * The path is taken from the raw URL (not a decoded route parameter) so that encoded tricks are seen and refused.
 */
export function filesApi(deps: HttpDeps) {
  const serve = async (request: Request, headOnly: boolean) => {
    const caller = await callerOf(deps.auth, request)
    if (!caller) throw new AuthError('sign in, or send an API token (Authorization: Bearer nora_...)')
    const m = new URL(request.url).pathname.match(PREFIX)
    if (!m) throw new PathError('file URL must be /api/projects/PROJECT/files/PATH')
    let project: string
    try {
      project = decodeURIComponent(m[1]!)
    } catch {
      throw new PathError('project name is not valid percent-encoding')
    }
    const file = await openProjectFile(deps.archive, caller.user, project, m[2]!)
    const { size, mtimeMs, mtime } = file.stats
    const etag = `"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`
    const name = file.relative.split('/').pop()!
    const headers: Record<string, string> = {
      'content-type': contentTypeOf(name),
      'accept-ranges': 'bytes',
      etag,
      'last-modified': mtime.toUTCString(),
      'cache-control': 'private, no-cache',
      // A stored .html or .svg must never run as our origin's page.
      'content-security-policy': "sandbox; default-src 'none'",
      'content-disposition': `inline; filename*=UTF-8''${encodeURIComponent(name)}`,
    }
    const inm = request.headers.get('if-none-match')
    if (inm && inm.split(',').some((t) => t.trim() === etag)) return new Response(null, { status: 304, headers })
    const ims = request.headers.get('if-modified-since')
    if (!inm && ims && Math.floor(mtimeMs / 1000) <= Math.floor(Date.parse(ims) / 1000)) return new Response(null, { status: 304, headers })
    const ifRange = request.headers.get('if-range')
    const range = ifRange && ifRange !== etag ? undefined : parseRange(request.headers.get('range'), size)
    if (range === 'unsatisfiable') return new Response(null, { status: 416, headers: { ...headers, 'content-range': `bytes */${size}` } })
    const blob = Bun.file(file.real)
    if (range) {
      const len = range.end - range.start + 1
      const h = { ...headers, 'content-range': `bytes ${range.start}-${range.end}/${size}`, 'content-length': String(len) }
      return new Response(headOnly ? null : blob.slice(range.start, range.end + 1), { status: 206, headers: h })
    }
    // Bun streams a BunFile body from disk; it is never read whole into memory.
    return new Response(headOnly ? null : blob, { status: 200, headers: { ...headers, 'content-length': String(size) } })
  }
  return new Elysia()
    .get('/api/projects/:project/files/*', ({ request }) => serve(request, false))
    .head('/api/projects/:project/files/*', ({ request }) => serve(request, true))
}
