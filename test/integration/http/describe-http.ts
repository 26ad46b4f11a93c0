import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { AuthError, RateLimitError } from '../../../src/core/errors'
import type { User } from '../../../src/core/types'
import { ORIGIN, loginForm, postLogin, setCookies, startApp, type Dialect, type Harness } from './harness'

const PKG_VERSION = JSON.parse(readFileSync(join(import.meta.dir, '../../../package.json'), 'utf8')).version as string
const XSS = '<img src=x onerror=alert(1)>'

/** The text a browser shows for an HTML fragment's character references (the few forms mustache writes). */
const htmlText = (html: string) =>
  html
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')

/** `value` appears in the page as text: escaped in the markup, and no raw tag of it anywhere. */
function expectShownAsText(html: string, value: string) {
  expect(html).not.toContain(value)
  expect(html).not.toMatch(/<img[\s>]/i)
  expect(html).toContain('&lt;img')
  expect(htmlText(html)).toContain(value)
}
const PW = 'long enough password 1'

/** The security headers every response must carry. */
function expectSecurityHeaders(res: Response) {
  const csp = res.headers.get('content-security-policy') ?? ''
  const directive = (name: string) => csp.split(';').map((d) => d.trim()).find((d) => d.startsWith(`${name} `)) ?? ''
  expect(directive('script-src').split(/\s+/)).toContain("'self'")
  expect(directive('script-src')).not.toContain("'unsafe-inline'")
  expect(directive('frame-ancestors')).toBe("frame-ancestors 'self'")
  expect(res.headers.get('x-content-type-options')).toBe('nosniff')
}

/** The HTTP app's contract, run on one dialect. */
export function describeHttp(dialect: Dialect) {
  describe(`http on ${dialect}`, () => {
    let h: Harness
    let alice: User
    let aliceSession: { cookie: string; csrf: string }

    beforeAll(async () => {
      // Every request through app.handle comes from the address "local": a high limit keeps the per-address
      // rate limit out of the tests that are not about it.
      h = await startApp(dialect, 'auth: { maxFailedLogins: 1000 }')
      alice = await h.user('alice', PW)
      const admin = await h.user('root-admin', PW, { siteAdmin: true })
      const mine = await h.services.archive.createProject(admin, 'mine', 'the project alice may read')
      await h.services.archive.createProject(admin, 'other', 'SECRET description of other')
      await h.services.repos.rights.grant(alice.id, mine.id, 'read')
      aliceSession = await h.login('alice', PW)
    })

    afterAll(async () => {
      await h?.close()
    })

    describe('health', () => {
      test('GET /api/health answers without auth, with the facts nora start waits for', async () => {
        const res = await h.request('/api/health')
        expect(res.status).toBe(200)
        expect(res.headers.get('content-type')).toContain('application/json')
        const body = await res.json()
        expect(body.status).toBe('ok')
        expect(body.version).toBe(PKG_VERSION)
        expect(body.database.dialect).toBe(dialect)
        expect(body.database.ok).toBe(true)
        expect(body.queue).toBe('local')
        expect(body.dicom.state).toBeString()
        expect(body.dicom.port).toBe(h.home.dicomPort)
        expect(body.dicom.aet).toBe('NORA')
      })
    })

    describe('errors', () => {
      test('an unknown page is 404, an unknown API path 404 JSON', async () => {
        const page = await h.request('/no/such/page')
        expect(page.status).toBe(404)
        expect(page.headers.get('content-type')).toContain('text/html')
        const api = await h.request('/api/no-such-thing')
        expect(api.status).toBe(404)
        expect((await api.json()).error).toBeString()
      })

      test('a malformed login post is 400, not a crash', async () => {
        const res = await h.request('/login', { method: 'POST', body: 'x=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
        expect(res.status).toBe(400)
      })
    })

    describe('security headers', () => {
      const requests: [string, () => Promise<Response>][] = [
        ['health', () => h.request('/api/health')],
        ['login page', () => h.request('/login')],
        ['redirect to login', () => h.request('/', { redirect: 'manual' })],
        ['desktop', () => h.request('/', { headers: { cookie: aliceSession.cookie } })],
        ['403 page', () => h.request('/?project=other', { headers: { cookie: aliceSession.cookie } })],
        ['404', () => h.request('/no/such/page')],
        ['401 JSON', () => h.request('/api/projects')],
        ['static file', () => h.request('/static/css/nora.css')],
        ['bad request', () => h.request('/login', { method: 'POST', body: 'x=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } })],
      ]
      for (const [name, send] of requests) {
        test(`on ${name}`, async () => {
          expectSecurityHeaders(await send())
        })
      }
    })

    describe('login flow', () => {
      test('GET / without a session redirects to /login with the way back', async () => {
        const res = await h.request('/?project=mine', { redirect: 'manual' })
        expect([302, 303]).toContain(res.status)
        const location = new URL(res.headers.get('location')!, ORIGIN)
        expect(location.pathname).toBe('/login')
        expect(location.searchParams.get('next')).toBe('/?project=mine')
      })

      test('GET /login sets a double-submit cookie and the same token in a hidden _csrf field', async () => {
        const form = await loginForm(h, '?next=%2F%3Fproject%3Dmine')
        expect(form.res.status).toBe(200)
        const raw = setCookies(form.res).find((c) => c.startsWith('nora_login_csrf='))!
        expect(raw).toMatch(/HttpOnly/i)
        expect(raw).toMatch(/SameSite=Lax/i)
        expect(form.csrf.length).toBeGreaterThanOrEqual(32)
        expect(form.cookie).toBe(`nora_login_csrf=${form.csrf}`)
        expect(htmlText(form.html)).toContain('name="next" value="/?project=mine"')
        // A new form gets a new token.
        expect((await loginForm(h)).csrf).not.toBe(form.csrf)
      })

      test('right credentials set an HttpOnly SameSite=Lax session cookie and redirect to next', async () => {
        const form = await loginForm(h)
        const res = await postLogin(h, form, { username: 'alice', password: PW, next: '/?project=mine' })
        expect(res.status).toBe(303)
        expect(res.headers.get('location')).toBe('/?project=mine')
        const session = setCookies(res).find((c) => c.startsWith('nora_session='))!
        expect(session).toMatch(/; HttpOnly/i)
        expect(session).toMatch(/; SameSite=Lax/i)
        expect(session).toMatch(/; Path=\//)
        expect(session).toMatch(/Max-Age=\d+/)
        expect(session.split(';')[0]!.length).toBeGreaterThan('nora_session='.length + 30)
        // The login token is used up.
        expect(setCookies(res).some((c) => /^nora_login_csrf=;.*Max-Age=0/.test(c))).toBe(true)
        const desktop = await h.request('/?project=mine', { headers: { cookie: session.split(';')[0]! } })
        expect(desktop.status).toBe(200)
        expect(await desktop.text()).toContain('the project alice may read')
      })

      test('next may not lead to another site', async () => {
        for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example']) {
          const res = await postLogin(h, await loginForm(h), { username: 'alice', password: PW, next })
          expect(res.status).toBe(303)
          expect(res.headers.get('location')).toBe('/')
        }
      })

      test('a wrong password is 401, with the same message as an unknown user, and no session', async () => {
        const wrong = await postLogin(h, await loginForm(h), { username: 'alice', password: 'not the password' })
        const unknown = await postLogin(h, await loginForm(h), { username: 'nobody-here', password: PW })
        expect(wrong.status).toBe(401)
        expect(unknown.status).toBe(401)
        const message = (html: string) => html.match(/<p class="error"[^>]*>([^<]*)<\/p>/)?.[1]
        const [mw, mu] = [message(await wrong.text()), message(await unknown.text())]
        expect(mw).toBeString()
        expect(mw).toBe(mu)
        for (const res of [wrong, unknown]) expect(setCookies(res).some((c) => c.startsWith('nora_session='))).toBe(false)
      })

      test('a missing or forged _csrf is refused and signs nobody in', async () => {
        const form = await loginForm(h)
        const forged = await postLogin(h, form, { username: 'alice', password: PW, _csrf: 'A'.repeat(43) })
        const missing = await postLogin(h, form, { username: 'alice', password: PW, _csrf: null })
        const noCookie = await postLogin(h, { cookie: '', csrf: form.csrf }, { username: 'alice', password: PW })
        const otherForms = await postLogin(h, { cookie: (await loginForm(h)).cookie, csrf: form.csrf }, { username: 'alice', password: PW })
        for (const res of [forged, missing, noCookie, otherForms]) {
          expect(res.status).toBeGreaterThanOrEqual(400)
          expect(res.status).toBeLessThan(500)
          expect(setCookies(res).some((c) => c.startsWith('nora_session='))).toBe(false)
        }
        expect(forged.status).toBe(403)
      })

      test('a hostile user name is echoed escaped on the login form', async () => {
        const res = await postLogin(h, await loginForm(h), { username: `">${XSS}`, password: 'x' })
        expectShownAsText(await res.text(), `">${XSS}`)
      })

      test('a hostile next is escaped in the form', async () => {
        const html = (await loginForm(h, `?next=${encodeURIComponent(`/"><script>alert(1)</script>`)}`)).html
        expect(html).not.toContain('<script>alert(1)</script>')
        expect(html).not.toContain('"><script')
        // safeNext serialises next as a URL path (percent-encoded): the same path, nothing for HTML to parse.
        const next = htmlText(html).match(/name="next" value="([^"]*)"/)?.[1]
        expect(next).toBe('/%22%3E%3Cscript%3Ealert(1)%3C/script%3E')
        expect(decodeURIComponent(next!)).toBe(`/"><script>alert(1)</script>`)
      })
    })

    describe('desktop', () => {
      test('lists only the projects the user has rights on', async () => {
        const res = await h.request('/', { headers: { cookie: aliceSession.cookie } })
        expect(res.status).toBe(200)
        const html = await res.text()
        expect(html).toContain('<html')
        expect(html).toContain('?project=mine')
        expect(html).not.toContain('?project=other')
        expect(html).not.toContain('SECRET')
        expect(html).toContain('alice')
      })

      test('a site admin sees every project', async () => {
        const s = await h.login('root-admin', PW)
        const html = await (await h.request('/', { headers: { cookie: s.cookie } })).text()
        expect(html).toContain('?project=mine')
        expect(html).toContain('?project=other')
      })

      test('?project=other without rights is 403 and shows nothing of it', async () => {
        const res = await h.request('/?project=other', { headers: { cookie: aliceSession.cookie } })
        expect(res.status).toBe(403)
        const html = await res.text()
        expect(html).not.toContain('SECRET')
        expect(html).not.toMatch(/subjects? ·/)
        const api = await h.request('/api/projects/other', { headers: { cookie: aliceSession.cookie } })
        expect(api.status).toBe(403)
        expect(JSON.stringify(await api.json())).not.toContain('SECRET')
      })

      test('?project=mine shows its summary and the role', async () => {
        const html = await (await h.request('/?project=mine', { headers: { cookie: aliceSession.cookie } })).text()
        expect(html).toContain('<strong class="ps-current">mine</strong>') // the header's project switcher names it
        expect(html).toContain('your role: read')
      })

      test('with HX-Request the desktop region comes alone, without the page around it', async () => {
        const res = await h.request('/?project=mine', { headers: { cookie: aliceSession.cookie, 'HX-Request': 'true' } })
        expect(res.status).toBe(200)
        const html = await res.text()
        expect(html).not.toContain('<html')
        expect(html).not.toContain('<head')
        expect(html).toContain('id="project-list"')
        expect(html).toContain('<strong class="ps-current">mine</strong>') // the header's project switcher names it
        expect(res.headers.get('vary') ?? '').toContain('HX-Request')
      })

      test('a hostile project description and user name render as text', async () => {
        const admin = (await h.services.repos.users.byUsername('root-admin'))!
        const p = await h.services.archive.createProject(admin, 'xss-proj', XSS)
        const evil = await h.user(XSS, PW)
        await h.services.repos.rights.grant(evil.id, p.id, 'write')
        const s = await h.login(XSS, PW)
        for (const path of ['/', '/?project=xss-proj']) {
          const html = await (await h.request(path, { headers: { cookie: s.cookie } })).text()
          expectShownAsText(html, XSS)
          // Both the user name (top bar) and the description (project list) are on the page.
          expect(htmlText(html).split(XSS).length - 1).toBeGreaterThanOrEqual(2)
        }
      })
    })

    describe('logout and CSRF', () => {
      test('POST /logout without the CSRF token is 403 and the session still works', async () => {
        const s = await h.login('alice', PW)
        const res = await h.request('/logout', { method: 'POST', headers: { cookie: s.cookie }, redirect: 'manual' })
        expect(res.status).toBe(403)
        const wrong = await h.request('/logout', {
          method: 'POST',
          body: new URLSearchParams({ _csrf: 'x'.repeat(s.csrf.length) }),
          headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
          redirect: 'manual',
        })
        expect(wrong.status).toBe(403)
        expect((await h.request('/', { headers: { cookie: s.cookie } })).status).toBe(200)
      })

      test('a POST with a foreign Origin is 403, even with the right token', async () => {
        const s = await h.login('alice', PW)
        const res = await h.request('/logout', {
          method: 'POST',
          body: new URLSearchParams({ _csrf: s.csrf }),
          headers: { cookie: s.cookie, origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
          redirect: 'manual',
        })
        expect(res.status).toBe(403)
        expect((await h.request('/', { headers: { cookie: s.cookie } })).status).toBe(200)
      })

      test('POST /logout with the token (form field or header) logs out', async () => {
        for (const via of ['form', 'header'] as const) {
          const s = await h.login('alice', PW)
          const res = await h.request('/logout', {
            method: 'POST',
            body: via === 'form' ? new URLSearchParams({ _csrf: s.csrf }) : new URLSearchParams(),
            headers: {
              cookie: s.cookie,
              origin: ORIGIN,
              'content-type': 'application/x-www-form-urlencoded',
              ...(via === 'header' ? { 'x-csrf-token': s.csrf } : {}),
            },
            redirect: 'manual',
          })
          expect(res.status).toBe(303)
          expect(res.headers.get('location')).toBe('/login')
          expect(setCookies(res).some((c) => /^nora_session=;.*Max-Age=0/.test(c))).toBe(true)
          // The old cookie is dead on the server too, not just cleared in the browser.
          const after = await h.request('/', { headers: { cookie: s.cookie }, redirect: 'manual' })
          expect(after.status).toBe(303)
          expect(after.headers.get('location')).toStartWith('/login')
        }
      })

      test('one session\'s token does not work for another session', async () => {
        const a = await h.login('alice', PW)
        const b = await h.login('alice', PW)
        expect(a.csrf).not.toBe(b.csrf)
        const res = await h.request('/logout', {
          method: 'POST',
          body: new URLSearchParams({ _csrf: b.csrf }),
          headers: { cookie: a.cookie, 'content-type': 'application/x-www-form-urlencoded' },
          redirect: 'manual',
        })
        expect(res.status).toBe(403)
      })
    })

    describe('API tokens', () => {
      test('Authorization: Bearer on GET /api/projects lists the caller\'s projects', async () => {
        const token = await h.services.auth.createToken(alice, 'script')
        const res = await h.request('/api/projects', { headers: { authorization: `Bearer ${token}` } })
        expect(res.status).toBe(200)
        expect(await res.json()).toEqual([{ name: 'mine', description: 'the project alice may read' }])
      })

      test('a wrong token is 401 JSON; no credentials at all too', async () => {
        const token = await h.services.auth.createToken(alice, 'script')
        for (const headers of [{ authorization: `Bearer ${token}x` }, { authorization: 'Bearer nora_made_up' }, {} as Record<string, string>]) {
          const res = await h.request('/api/projects', { headers })
          expect(res.status).toBe(401)
          expect(res.headers.get('content-type')).toContain('application/json')
          expect((await res.json()).error).toBeString()
        }
      })

      test('a token caller needs no CSRF token (browsers never send it by themselves)', async () => {
        const token = await h.services.auth.createToken(alice, 'script')
        const res = await h.request('/logout', { method: 'POST', headers: { authorization: `Bearer ${token}` }, redirect: 'manual' })
        expect(res.status).toBe(303)
      })
    })

    describe('rate limits on this database', () => {
      // Straight on the service: through app.handle every request comes from the same address.
      test('the per-user limit holds for every spelling the database takes for the same user', async () => {
        const limited = await startApp(dialect, 'auth: { maxFailedLogins: 3, maxFailedLoginsPerUser: 3 }')
        try {
          await limited.user('carol', PW)
          for (let i = 0; i < 3; i++) await expect(limited.services.auth.checkPassword('carol', 'wrong', `10.9.0.${i}`)).rejects.toThrow(AuthError)
          for (const spelling of ['carol', 'CAROL', 'Carol', 'carol ']) {
            const outcome = await limited.services.auth.checkPassword(spelling, PW, `10.9.1.${spelling.length}${spelling.charCodeAt(0)}`).then(
              (u) => `signed in as ${u.username}`,
              (e: Error) => e.constructor.name,
            )
            expect([spelling, outcome]).not.toEqual([spelling, 'signed in as carol'])
          }
          await expect(limited.services.auth.checkPassword('carol', PW, '10.9.2.1')).rejects.toThrow(RateLimitError)
        } finally {
          await limited.close()
        }
      })

      test('through HTTP, the sixth try from one address is 429 even with the right password', async () => {
        const limited = await startApp(dialect)
        try {
          await limited.user('dave', PW)
          for (let i = 0; i < 5; i++) expect((await postLogin(limited, await loginForm(limited), { username: 'dave', password: 'wrong' })).status).toBe(401)
          const res = await postLogin(limited, await loginForm(limited), { username: 'dave', password: PW })
          expect(res.status).toBe(429)
          expect(setCookies(res).some((c) => c.startsWith('nora_session='))).toBe(false)
        } finally {
          await limited.close()
        }
      })
    })
  })
}
