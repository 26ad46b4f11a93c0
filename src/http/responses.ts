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

/** Only local paths: `next=//evil.example` or `next=https://...` would be an open redirect. */
export function safeNext(next: string | undefined): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/'
}

/** To the login page, coming back here afterwards. */
export function loginRedirect(request: Request): Response {
  const url = new URL(request.url)
  return redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`)
}

/** "1 study", "7 studies". */
export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`
