import type { AuthService } from '../auth/auth-service'
import type { User } from '../core/types'

export const SESSION_COOKIE = 'nora_session'

export interface Caller {
  user: User
  /** How the caller proved who they are: a browser session (needs CSRF tokens) or an API token. */
  via: 'session' | 'token'
  csrfToken?: string
}

function cookieValue(request: Request, name: string): string | undefined {
  const header = request.headers.get('cookie') ?? ''
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=')
    if (k === name) return decodeURIComponent(v.join('='))
  }
  return undefined
}

export function sessionCookieOf(request: Request): string | undefined {
  return cookieValue(request, SESSION_COOKIE)
}

/**
 * Who is calling: an API token (`Authorization: Bearer nora_...` or `X-Nora-Token`) or a session cookie.
 * A wrong token is an error, not an anonymous call: the caller meant to authenticate.
 */
export async function callerOf(auth: Pick<AuthService, 'userForToken' | 'session'>, request: Request): Promise<Caller | undefined> {
  const bearer = request.headers.get('authorization')?.match(/^Bearer\s+(\S+)$/i)?.[1] ?? request.headers.get('x-nora-token') ?? undefined
  if (bearer) return { user: await auth.userForToken(bearer), via: 'token' }
  const session = await auth.session(sessionCookieOf(request))
  return session && { user: session.user, via: 'session', csrfToken: session.csrfToken }
}
