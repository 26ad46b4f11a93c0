import { Elysia, t } from 'elysia'
import { randomToken } from '../../../auth/secrets'
import { AuthError, RateLimitError } from '../../../core/errors'
import { sameToken } from '../../csrf'
import type { HttpDeps } from '../../deps'
import { SESSION_COOKIE, clientAddress, sessionCookieOf } from '../../request-auth'
import { html, redirect, safeNext } from '../../responses'
import { renderPage } from '../../templates'

const PRE_CSRF = 'nora_login_csrf'

function cookie(name: string, value: string, maxAge: number, secure: boolean): string {
  return `${name}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure ? '; Secure' : ''}`
}

/** Login and logout. The login form carries a double-submit token, since there is no session yet. */
export function loginPages(deps: HttpDeps) {
  const secure = deps.secureCookies ?? false
  const form = (view: { next?: string; error?: string; username?: string; status?: number }) => {
    const loginCsrf = randomToken()
    return html(renderPage('login', { title: 'Sign in', site: deps.siteName, loginCsrf, next: safeNext(view.next), error: view.error, username: view.username }), view.status ?? 200, {
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
          const user = await deps.auth.checkPassword(body.username, body.password, clientAddress(request, server))
          const s = await deps.auth.openSession(user)
          return redirect(safeNext(body.next), [
            ['set-cookie', cookie(SESSION_COOKIE, s.cookie, s.maxAgeSeconds, secure)],
            ['set-cookie', cookie(PRE_CSRF, '', 0, secure)],
          ])
        } catch (e) {
          if (e instanceof AuthError || e instanceof RateLimitError)
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
      await deps.auth.closeSession(sessionCookieOf(request))
      return redirect('/login', { 'set-cookie': cookie(SESSION_COOKIE, '', 0, secure) })
    })
}
