import { Elysia } from 'elysia'
import { contentTypeOf, openProjectFile, parseRange, type ProjectFolders } from '../../../archive/file-access'
import { PathError } from '../../../core/errors'
import type { User } from '../../../core/types'
import type { AuthPlugin } from '../../plugins/auth'
import { acceptedCodings } from '../../static-assets'

const PREFIX = /^\/api\/projects\/([^/]+)\/files\/(.*)$/

/**
 * `GET|HEAD /api/projects/:project/files/<path inside the project>`: one archive file as its stored bytes, for the
 * viewer, with ranges, ETag and Last-Modified; a .gz file is its gzip bytes (no Content-Encoding) unless `?decoded`.
 * The path is taken from the raw URL (not a decoded route parameter) so that encoded tricks are seen and refused.
 */
export function filesApi(d: { auth: AuthPlugin; archive: ProjectFolders }) {
  const serve = async (request: Request, user: User, headOnly: boolean) => {
    const m = new URL(request.url).pathname.match(PREFIX)
    if (!m) throw new PathError('file URL must be /api/projects/PROJECT/files/PATH')
    let project: string
    try {
      project = decodeURIComponent(m[1]!)
    } catch {
      throw new PathError('project name is not valid percent-encoding')
    }
    const file = await openProjectFile(d.archive, user, project, m[2]!)
    const { size, mtimeMs, mtime } = file.stats
    const name = file.relative.split('/').pop()!
    // `?decoded` on a .gz file: the bytes inside it, sent gzip-encoded, so that the browser inflates them natively as
    // they arrive (the viewer asks so for .nii.gz). Whole responses only: a range would count the encoded bytes.
    const decoded = /\.gz$/i.test(name) && new URL(request.url).searchParams.has('decoded') && acceptedCodings(request.headers.get('accept-encoding') ?? '').has('gzip')
    const etag = `"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}${decoded ? '-gz' : ''}"`
    const headers: Record<string, string> = {
      ...(decoded ? { 'content-type': 'application/octet-stream', 'content-encoding': 'gzip', vary: 'accept-encoding' } : { 'content-type': contentTypeOf(name) }),
      'accept-ranges': decoded ? 'none' : 'bytes',
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
    const range = decoded || (ifRange && ifRange !== etag) ? undefined : parseRange(request.headers.get('range'), size)
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
    .use(d.auth)
    .get('/api/projects/:project/files/*', async ({ request, auth }) => serve(request, await auth.user(), false))
    .head('/api/projects/:project/files/*', async ({ request, auth }) => serve(request, await auth.user(), true))
}
