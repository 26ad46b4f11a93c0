import { Elysia, t } from 'elysia'
import { LOCAL_CACHE_MAX_MB, type AuthService } from '../../../auth/auth-service'
import { parseExpiry } from '../../../auth/token-expiry'
import { NoraError, NotFoundError, UsageError } from '../../../core/errors'
import { THEMES, type User } from '../../../core/types'
import { TrustedProxies, clientAddress } from '../../client-address'
import type { AuthPlugin } from '../../plugins/auth'
import { htmxPlugin } from '../../plugins/htmx'
import { loginRedirect, redirect, wantsJson } from '../../responses'
import { sessionCookie } from '../../session-cookie'
import { tokenRow } from './view'

/** The expiries the token form offers (a duration for parseExpiry), besides "never" and a day. */
const EXPIRIES = [
  { value: '1d', label: '1 day' },
  { value: '7d', label: '7 days' },
  { value: '30d', label: '30 days' },
  { value: '90d', label: '90 days' },
  { value: '365d', label: '1 year' },
]
const NOTICES: Record<string, string> = {
  password: 'Your password was changed; your other sessions were signed out.',
  revoked: 'The token was revoked; it no longer works.',
  theme: 'Your styling theme was saved.',
  cache: 'Your local cache size was saved; the viewer uses it from its next start (reload the desktop).',
}

export interface ProfileDeps {
  auth: AuthPlugin
  siteName: string
  sessions: Pick<AuthService, 'listTokens' | 'createToken' | 'revokeOwnToken' | 'changePassword' | 'openSession' | 'setTheme' | 'localCacheMb' | 'setLocalCacheMb'>
  secureCookies?: boolean
  trustedProxies?: readonly string[]
}

/**
 * The user's own profile (the header's user menu): change the password (the old one needed; the other sessions end),
 * and the API tokens for scripts and URL calls: create (label, optional expiry; the token is shown once), list
 * (never the token: it is stored only as a hash), revoke. Only one's own: no route takes a user.
 */
export function profilePages(d: ProfileDeps) {
  const proxies = new TrustedProxies(d.trustedProxies)
  const page = async (user: User, csrf: string | undefined, extra: { error?: string; notice?: string; newToken?: { token: string; label: string }; label?: string; localCacheMb?: string | number }, status = 200) => {
    const tokens = (await d.sessions.listTokens(user)).map((x) => tokenRow(x))
    const localCacheMb = extra.localCacheMb ?? (await d.sessions.localCacheMb(user))
    return { status, view: { title: 'Profile', site: d.siteName, user, csrf, pageScripts: ['/static/js/profile.js'], tokens, expiries: EXPIRIES, themes: THEMES.map((name) => ({ name, selected: (user.theme ?? 'dark') === name })), localUser: user.source !== 'ldap', localCacheMax: LOCAL_CACHE_MAX_MB, ...extra, localCacheMb } }
  }

  return new Elysia()
    .use(d.auth)
    .use(htmxPlugin)
    .get(
      '/profile',
      async ({ request, auth, htmx, query }) => {
        const caller = await auth.caller()
        if (!caller) return loginRedirect(request)
        const p = await page(caller.user, caller.csrfToken, { notice: query.done ? NOTICES[query.done] : undefined })
        return htmx.page('profile', p.view, p.status)
      },
      { query: t.Object({ done: t.Optional(t.String({ maxLength: 16 })) }) },
    )
    .post(
      '/profile/password',
      async ({ request, server, auth, htmx, body }) => {
        const caller = await auth.caller()
        if (!caller) return loginRedirect(request)
        try {
          if (body.password !== body.confirm) throw new UsageError('the new password and its repetition differ')
          await d.sessions.changePassword(caller.user, body.current, body.password, clientAddress(request, server, proxies))
        } catch (e) {
          if (!(e instanceof NoraError)) throw e
          const p = await page(caller.user, caller.csrfToken, { error: e.message }, e.status)
          return htmx.page('profile', p.view, p.status)
        }
        // Every session ended with the old password; this browser gets a new one.
        const s = await d.sessions.openSession(caller.user)
        return redirect('/profile?done=password', { 'set-cookie': sessionCookie(s.cookie, s.maxAgeSeconds, d.secureCookies ?? false) })
      },
      { body: t.Object({ current: t.String({ maxLength: 1024 }), password: t.String({ maxLength: 1024 }), confirm: t.String({ maxLength: 1024 }), _csrf: t.Optional(t.String({ maxLength: 128 })) }) },
    )
    .post(
      '/profile/tokens',
      async ({ auth, htmx, body }) => {
        const user = await auth.user()
        const caller = await auth.caller()
        const label = body.label.trim()
        try {
          if (!label) throw new UsageError('give the token a label (what it is for, e.g. "import script")')
          const when = body.expiresOn?.trim() || body.expires?.trim()
          const expiresAt = when ? parseExpiry(when) : undefined
          const token = await d.sessions.createToken(user, label, expiresAt)
          const p = await page(user, caller?.csrfToken, { newToken: { token, label } })
          return htmx.page('profile', p.view, p.status)
        } catch (e) {
          if (!(e instanceof NoraError)) throw e
          const p = await page(user, caller?.csrfToken, { error: e.message.replace(/^--expires /, 'expiry '), label }, e.status)
          return htmx.page('profile', p.view, p.status)
        }
      },
      {
        body: t.Object({
          label: t.String({ maxLength: 64 }),
          expires: t.Optional(t.String({ maxLength: 16 })),
          expiresOn: t.Optional(t.String({ maxLength: 16 })),
          _csrf: t.Optional(t.String({ maxLength: 128 })),
        }),
      },
    )
    .post(
      '/profile/theme',
      async ({ request, auth, body }) => {
        const theme = await d.sessions.setTheme(await auth.user(), body.theme)
        return wantsJson(request) ? { theme } : redirect('/profile?done=theme')
      },
      { body: t.Object({ theme: t.String({ maxLength: 16 }), _csrf: t.Optional(t.String({ maxLength: 128 })) }) },
    )
    // The local file cache of the viewer (Cache Storage, src/web/viewer/file-cache.ts): its budget in MB, 0 = off.
    .get('/profile/local-cache', async ({ auth }) => ({ mb: await d.sessions.localCacheMb(await auth.user()) }))
    .post(
      '/profile/local-cache',
      async ({ request, auth, htmx, body }) => {
        const user = await auth.user()
        let mb: number
        try {
          mb = await d.sessions.setLocalCacheMb(user, body.mb)
        } catch (e) {
          if (!(e instanceof NoraError) || wantsJson(request)) throw e
          const caller = await auth.caller()
          const p = await page(user, caller?.csrfToken, { error: e.message, localCacheMb: body.mb }, e.status)
          return htmx.page('profile', p.view, p.status)
        }
        return wantsJson(request) ? { mb } : redirect('/profile?done=cache')
      },
      { body: t.Object({ mb: t.String({ maxLength: 16 }), _csrf: t.Optional(t.String({ maxLength: 128 })) }) },
    )
    .post(
      '/profile/tokens/:id/revoke',
      async ({ auth, params }) => {
        const user = await auth.user()
        if (!(await d.sessions.revokeOwnToken(user, params.id))) throw new NotFoundError(`you have no token ${params.id}; the profile lists yours`)
        return redirect('/profile?done=revoked')
      },
      { params: t.Object({ id: t.Numeric({ minimum: 1 }) }), body: t.Optional(t.Object({ _csrf: t.Optional(t.String({ maxLength: 128 })) })) },
    )
}
