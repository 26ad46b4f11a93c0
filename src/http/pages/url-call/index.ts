import { Elysia } from 'elysia'
import type { AuthService } from '../../../auth/auth-service'
import { UsageError } from '../../../core/errors'
import type { User } from '../../../core/types'
import { TrustedProxies, clientAddress } from '../../client-address'
import type { AuthPlugin } from '../../plugins/auth'
import { redirect } from '../../responses'
import { sessionCookie } from '../../session-cookie'
import { URL_CALL_EXAMPLE, caseFragment, parseUrlCall, type UrlCall } from './url-call'

/** index.php again, without user and token: where the login page sends back to. */
function withoutCredentials(project: string, call: UrlCall, asuser: string | undefined): string {
  const { user: _u, token: _t, ...open } = call
  const q = new URLSearchParams({ project })
  if (Object.keys(open).length) q.set('call', JSON.stringify(open))
  if (asuser) q.set('asuser', asuser)
  return `/index.php?${q}`
}

/**
 * The seed's URL calls: `GET /index.php?project=P&call={"pid","sid","selmode","preset","user","token"}` opens the
 * desktop of P on that case with the named autoloader preset. Without a session, user and token sign in (and a
 * session cookie is set); without either, the login page comes back here. `asuser=NAME` lets a site admin act as
 * NAME (recorded in the audit log; the browser's session becomes NAME's). The answer is always a 303 to the desktop
 * (`/?project=P#case=...`), so the token leaves the address bar; the desktop checks the rights. Nothing here logs
 * the query.
 */
export function urlCallPages(d: {
  auth: AuthPlugin
  sessions: Pick<AuthService, 'userForToken' | 'openSession' | 'actAs'>
  secureCookies?: boolean
  trustedProxies?: readonly string[]
}) {
  const proxies = new TrustedProxies(d.trustedProxies)
  return new Elysia().use(d.auth).get('/index.php', async ({ request, server, auth, query }) => {
    const q = query as Record<string, string | undefined>
    const project = q.project
    if (!project || project.length > 64) throw new UsageError(`say which project: ${URL_CALL_EXAMPLE}`)
    const call = q.call === undefined ? {} : parseUrlCall(q.call)
    const asuser = q.asuser?.slice(0, 64) || undefined
    let user: User | undefined = (await auth.caller())?.user
    let signIn = false
    if (!user && call.token !== undefined) {
      user = await d.sessions.userForToken(call.token.replace(/^@CRYPT@/, ''), call.user)
      signIn = true
    }
    if (!user) return redirect(`/login?next=${encodeURIComponent(withoutCredentials(project, call, asuser))}`, { 'cache-control': 'no-store' })
    if (asuser && asuser !== user.username) {
      user = await d.sessions.actAs(user, asuser, `url call to project ${project} from ${clientAddress(request, server, proxies)}`)
      signIn = true
    }
    const headers: [string, string][] = [['cache-control', 'no-store']]
    if (signIn) {
      const s = await d.sessions.openSession(user)
      headers.push(['set-cookie', sessionCookie(s.cookie, s.maxAgeSeconds, d.secureCookies ?? false)])
    }
    return redirect(`/?project=${encodeURIComponent(project)}${caseFragment(call)}`, headers)
  })
}
