import { Elysia, t } from 'elysia'
import type { AuthService } from '../../../auth/auth-service'
import { randomToken } from '../../../auth/secrets'
import { AuthError, RateLimitError, ServiceError } from '../../../core/errors'
import { sameToken } from '../../csrf'
import { TrustedProxies, clientAddress } from '../../client-address'
import { SESSION_COOKIE, sessionCookieOf } from '../../request-auth'
import { html, redirect, safeNext } from '../../responses'
import { httpOnlyCookie as cookie } from '../../session-cookie'
import { renderPage } from '../../templates'

const PRE_CSRF = 'nora_login_csrf'

/** Login and logout. The login form carries a double-submit token, since there is no session yet. */
export function loginPages(d: {
  siteName: string
  sessions: Pick<AuthService, 'checkPassword' | 'openSession' | 'closeSession'>
  /** Set Secure on cookies (behind TLS). */
  secureCookies?: boolean
  trustedProxies?: readonly string[]
}) {
  const secure = d.secureCookies ?? false
  const proxies = new TrustedProxies(d.trustedProxies)
  const form = (view: { next?: string; error?: string; username?: string; status?: number }) => {
    const loginCsrf = randomToken()
    return html(renderPage('login', { title: 'Sign in', site: d.siteName, loginCsrf, next: safeNext(view.next), error: view.error, username: view.username }), view.status ?? 200, {
      'set-cookie': cookie(PRE_CSRF, loginCsrf, 3600, secure),
      'cache-control': 'no-store',
    })
  }

  return new Elysia()
    .get('/login', ({ query }) => form({ next: query.next }), { query: t.Object({ next: t.Optional(t.String()) }) })
    .post(
      '/login',
      async ({ body, request, server }) => {
        const pre = request.headers.get('cookie')?.match(new RegExp(`${PRE_CSRF}=([^;]+)`))?.[1]
        if (!sameToken(pre, body._csrf)) return form({ next: body.next, error: 'The form expired; please sign in again.', status: 403 })
        try {
          const user = await d.sessions.checkPassword(body.username, body.password, clientAddress(request, server, proxies))
          const s = await d.sessions.openSession(user)
          return redirect(safeNext(body.next), [
            ['set-cookie', cookie(SESSION_COOKIE, s.cookie, s.maxAgeSeconds, secure)],
            ['set-cookie', cookie(PRE_CSRF, '', 0, secure)],
          ])
        } catch (e) {
          // ServiceError: the directory (LDAP) does not answer; the page says so, and local accounts still sign in.
          if (e instanceof AuthError || e instanceof RateLimitError || e instanceof ServiceError)
            return form({ next: body.next, error: e.message, username: body.username, status: e.status })
          throw e
        }
      },
      {
        body: t.Object({
          username: t.String({ maxLength: 64 }),
          password: t.String({ maxLength: 1024 }),
          _csrf: t.String({ maxLength: 128 }),
          next: t.Optional(t.String({ maxLength: 2048 })),
        }),
      },
    )
    .post('/logout', async ({ request }) => {
      await d.sessions.closeSession(sessionCookieOf(request))
      return redirect('/login', { 'set-cookie': cookie(SESSION_COOKIE, '', 0, secure) })
    })
}
