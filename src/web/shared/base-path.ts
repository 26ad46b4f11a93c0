/**
 * The path nora is served under (`http.basePath`, e.g. "/godzilla/"): the server writes it into <body
 * data-nora-base>. Browser code keeps app paths ("/api/...", "/static/...") as they are and passes them through
 * `withBase` where they leave the page (fetch, XHR, workers, links it makes).
 */
export function basePath(): string {
  const b = typeof document === 'undefined' ? undefined : document.body?.dataset.noraBase
  return b && b.startsWith('/') && b.endsWith('/') ? b : '/'
}

/** An app path ("/api/...") under the base; other URLs (relative, blob:, http:, already under the base) unchanged. */
export function withBase(path: string, base = basePath()): string {
  if (base === '/' || !path.startsWith('/') || path.startsWith('//') || path.startsWith(base)) return path
  return base + path.slice(1)
}
