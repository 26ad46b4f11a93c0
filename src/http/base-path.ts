/**
 * `http.basePath` (NORA's `/godzilla/`): nora answers under that prefix only. The app's routes stay where they are
 * (`/api/...`, `/static/...`, `/index.php`); `basePathFetch` takes the prefix off each request on the way in and puts
 * it on every absolute URL on the way out: redirects, htmx headers, the session cookie's path and the URL attributes
 * of HTML pages (href, src, action, hx-*, and the page's `<meta name="nora-base">`, which the browser code reads).
 * `/` and the prefix without its slash redirect to the prefix; anything else outside it is 404.
 */

/** "/godzilla/" from "godzilla", "/godzilla" or "/godzilla/"; "/" for "" or "/". */
export function normalBasePath(text: string): string {
  const inner = text.trim().replace(/^\/+|\/+$/g, '')
  return inner ? `/${inner}/` : '/'
}

/** The app path `path` (starting with one "/") under the base; unchanged when it is not such a path or already under it. */
export function withBase(base: string, path: string): string {
  if (base === '/' || !path.startsWith('/') || path.startsWith('//') || path.startsWith(base) || path === base.slice(0, -1)) return path
  return base + path.slice(1)
}

// URL attributes of nora's HTML; values are "/..." or, escaped by mustache, "&#x2F;...".
const URL_ATTRIBUTE = /(\s(?:href|src|action|formaction|hx-get|hx-post|hx-put|hx-patch|hx-delete|hx-push-url|data-nora-base)=")(\/|&#x2F;)(?!\/|&#x2F;)/g

/** Every absolute URL attribute of an HTML page, moved under the base. */
export function htmlWithBase(base: string, html: string): string {
  if (base === '/') return html
  const escapedBase = base.replaceAll('/', '&#x2F;')
  return html.replace(URL_ATTRIBUTE, (m, attr: string, slash: string, offset: number) => {
    const rest = html.slice(offset + m.length, offset + m.length + base.length * 6)
    const already = slash === '/' ? ('/' + rest).startsWith(base) : ('&#x2F;' + rest).startsWith(escapedBase)
    return already ? m : `${attr}${base}`
  })
}

/** The Set-Cookie value with its `Path=/` under the base (`Path=/godzilla`). */
export function cookieWithBase(base: string, cookie: string): string {
  if (base === '/') return cookie
  return cookie.replace(/(;\s*Path=)(\/[^;]*)/i, (_m, key: string, path: string) => `${key}${withBase(base, path).replace(/\/$/, '') || '/'}`)
}

const URL_HEADERS = ['location', 'hx-redirect', 'hx-location', 'hx-push-url', 'hx-replace-url'] as const

/** A response of the app, its URLs moved under the base. */
export async function responseWithBase(base: string, res: Response): Promise<Response> {
  if (base === '/') return res
  const headers = new Headers(res.headers)
  for (const name of URL_HEADERS) {
    const v = headers.get(name)
    if (v) headers.set(name, withBase(base, v))
  }
  const cookies = headers.getSetCookie()
  if (cookies.length) {
    headers.delete('set-cookie')
    for (const c of cookies) headers.append('set-cookie', cookieWithBase(base, c))
  }
  const html = (headers.get('content-type') ?? '').startsWith('text/html') && !headers.has('content-encoding') && res.body !== null
  if (!html) return new Response(res.body, { status: res.status, statusText: res.statusText, headers })
  headers.delete('content-length')
  return new Response(htmlWithBase(base, await res.text()), { status: res.status, statusText: res.statusText, headers })
}

/** What the Bun server gives the handler (the socket's peer). */
export type Peer = { requestIP(r: Request): { address: string; family: string; port: number } | null }

/**
 * A fetch handler serving `handle` (the app) under `base`. The request the app sees carries the path without the
 * prefix; `peers` remembers the socket's peer for it (the app's `server.requestIP` asks there, so failed logins still
 * count against the client).
 */
export function basePathFetch(base: string, handle: (r: Request) => Response | Promise<Response>, peers: WeakMap<Request, ReturnType<Peer['requestIP']>>) {
  const bare = base.slice(0, -1)
  return async (request: Request, server: Peer): Promise<Response> => {
    const url = new URL(request.url)
    if (url.pathname === '/' || url.pathname === bare) return new Response(null, { status: 308, headers: { location: base + url.search } })
    if (!url.pathname.startsWith(base)) return new Response(`not found: nora answers under ${base} here (http.basePath)`, { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } })
    url.pathname = '/' + url.pathname.slice(base.length)
    const inner = new Request(url, request)
    peers.set(inner, server.requestIP(request))
    return responseWithBase(base, await handle(inner))
  }
}

/** What `serveApp` needs of the Elysia app: its fetch handler and the server slot its handlers read the peer from. */
interface ServableApp {
  handle(r: Request): Promise<Response>
  listen(o: { hostname: string; port: number; maxRequestBodySize?: number }): unknown
  stop(): Promise<unknown>
  server: unknown
}

/** Serves the app on hostname:port, under `basePath` ("/" = the app as it is). */
export function serveApp(app: ServableApp, o: { hostname: string; port: number; maxRequestBodySize?: number; basePath: string }): { stop(): Promise<void> } {
  const base = normalBasePath(o.basePath)
  if (base === '/') {
    app.listen({ hostname: o.hostname, port: o.port, maxRequestBodySize: o.maxRequestBodySize })
    return { stop: async () => void (await app.stop()) }
  }
  const peers = new WeakMap<Request, ReturnType<Peer['requestIP']>>()
  const fetch = basePathFetch(base, (r) => app.handle(r), peers)
  const server = Bun.serve({ hostname: o.hostname, port: o.port, maxRequestBodySize: o.maxRequestBodySize, fetch: (r, s) => fetch(r, s) })
  // The app's handlers read the client's address from `server.requestIP(request)`: for the prefix-less request, the peer of the original.
  app.server = { requestIP: (r: Request) => peers.get(r) ?? server.requestIP(r) } satisfies Peer
  return { stop: async () => void (await server.stop(true)) }
}
