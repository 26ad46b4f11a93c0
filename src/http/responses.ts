import { NoraError } from '../core/errors'
import { renderPage } from './templates'

/** API calls and the seed's scripted `index.php` calls get JSON errors; browsers get pages. */
export const wantsJson = (request: Request) => {
  const path = new URL(request.url).pathname
  return path.startsWith('/api/') || (path === '/index.php' && request.method === 'POST') || (request.headers.get('accept') ?? '').includes('application/json')
}

export function html(body: string, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { 'content-type': 'text/html; charset=utf-8', ...headers } })
}

export function redirect(location: string, headers: Record<string, string> | [string, string][] = {}): Response {
  const h = new Headers(headers)
  h.set('location', location)
  return new Response(null, { status: 303, headers: h })
}

/** A NoraError as JSON for the API, as a page for browsers; anything else is a 500 without internals. */
export function errorResponse(request: Request, error: unknown, siteName: string): Response {
  const status = error instanceof NoraError ? error.status : 500
  const message = error instanceof NoraError ? error.message : 'internal error; the server log has the details'
  if (status === 500 && !(error instanceof NoraError)) console.error(error)
  if (wantsJson(request)) return Response.json({ error: message }, { status })
  return html(renderPage('error', { title: String(status), site: siteName, status, message }), status)
}

const HERE = 'http://nora.invalid'

/**
 * Where to go after signing in: a path on this site, or `/`. Read as a browser reads a Location: tabs and newlines
 * are dropped (`/\t/evil.example` is `//evil.example`), `\` is `/` and `//host` is another site. The value is parsed
 * by the URL standard's parser against this site, and only a result on this site whose path does not itself begin
 * with `//` or `/\` survives, serialised (percent-encoded) as path, query and fragment.
 */
export function safeNext(next: string | undefined): string {
  if (!next) return '/'
  const stripped = next.replace(/[\t\n\r]/g, '')
  if (!stripped.startsWith('/') || /^[\/\\]{2}/.test(stripped)) return '/'
  let url: URL
  try {
    url = new URL(stripped, `${HERE}/`)
  } catch {
    return '/'
  }
  if (url.origin !== HERE || url.username || url.password) return '/'
  const path = url.pathname.replace(/^\/+/, '/') // "/.//evil.example" resolves to "//evil.example"
  return path + url.search + url.hash
}

/** To the login page, coming back here afterwards. */
export function loginRedirect(request: Request): Response {
  const url = new URL(request.url)
  return redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`)
}

/** "1 study", "7 studies". */
export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

/** A project's counts as the desktop's header shows them: `3 subjects · 4 studies · 12 files`. */
export const countsLine = (s: { subjects: number; studies: number; files: number }) =>
  [plural(s.subjects, 'subject'), plural(s.studies, 'study', 'studies'), plural(s.files, 'file')].join(' · ')
