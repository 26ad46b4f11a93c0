import { ForbiddenError } from '../core/errors'
import type { Caller } from './request-auth'

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS'])

/** Constant-time comparison of two tokens. */
export function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b || a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}

/**
 * Every state-changing request made with a session cookie must carry the session's CSRF token (form field
 * `_csrf` or header `X-CSRF-Token`) and, when the browser sends one, an Origin of this very site. Requests
 * authenticated by API token are exempt: browsers never attach those by themselves.
 */
export function checkCsrf(request: Request, caller: Caller | undefined, formToken: string | undefined): void {
  if (SAFE.has(request.method) || !caller || caller.via !== 'session') return
  const origin = request.headers.get('origin')
  if (origin && origin !== new URL(request.url).origin) throw new ForbiddenError(`cross-site request from ${origin} refused`)
  const token = request.headers.get('x-csrf-token') ?? formToken
  if (!sameToken(token ?? undefined, caller.csrfToken)) throw new ForbiddenError('missing or wrong CSRF token; reload the page and try again')
}
