import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sql } from '../helpers/dcmtk'
import { DICOMDIRTESTS } from '../helpers/dicom-fixtures'
import { makeHome, type TestHome } from '../helpers/home'
import { runNora } from '../helpers/nora-binary'
import { type CanarySnapshot, expectCanaryIntact, plantCanary } from './canary'

/**
 * Items 6 and 7 of issue 11 against the built ./nora on a real port, with fetch as the browser and the CLI as the
 * site admin: a password change ends the user's sessions (and with --revoke-tokens the API tokens), disable ends
 * both at once, an expired token fails; failed logins lock a user from an address, not everyone behind it; X-Forwarded-For
 * counts only from http.trustedProxies; hostile `next` values cannot send the browser off the site; nora start prunes
 * expired sessions and stale login failures. Every case ends with the canary intact.
 */

const PROJECT = 'work'
const PW = (user: string) => `${user}-first-password`
/** The canary needs Debian's python3-pydicom test files; outside CI a machine without them skips (under CI it fails). */
const tools = existsSync(join(DICOMDIRTESTS, '77654033'))

describe.skipIf(!tools && process.env.CI !== 'true')('credentials and logins (issue 11, items 6 and 7)', () => {
  let home: TestHome
  let snap: CanarySnapshot
  const nora = async (args: string[]) => {
    const r = await runNora(args, { home: home.home })
    if (r.code !== 0) throw new Error(`nora ${args.join(' ')}: exit ${r.code}\n${r.stdout}${r.stderr}`)
    return r.stdout
  }

  /** Rewrites conf/main.conf (with these http keys) and (re)starts the server; returns what nora start printed. */
  async function restart(http = ''): Promise<string> {
    await runNora(['stop'], { home: home.home })
    writeFileSync(
      join(home.home, 'conf', 'main.conf'),
      `{ http: { host: "127.0.0.1", port: ${home.httpPort}, ${http} }, dicom: { port: ${home.dicomPort} }, database: { dialect: "sqlite" } }`,
    )
    const started = await runNora(['start'], { home: home.home })
    expect(started.code).toBe(0)
    return started.stdout
  }

  /** POST /login through the real form (its double-submit CSRF cookie), from the given headers; the raw answer. */
  async function login(user: string, password: string, opts: { headers?: Record<string, string>; next?: string } = {}): Promise<Response> {
    const page = await fetch(`${home.url}login`, { headers: opts.headers })
    const html = await page.text()
    const pre = page.headers.getSetCookie().find((c) => c.startsWith('nora_login_csrf='))!.split(';')[0]!
    const csrf = html.match(/name="_csrf" value="([^"]+)"/)![1]!
    return fetch(`${home.url}login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { ...opts.headers, cookie: pre, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: user, password, _csrf: csrf, next: opts.next ?? '/' }),
    })
  }
  /** A session cookie ("nora_session=..."), or undefined when the login was refused; the status either way. */
  async function signIn(user: string, password: string, headers?: Record<string, string>): Promise<{ status: number; cookie?: string }> {
    const res = await login(user, password, { headers })
    await res.arrayBuffer()
    return { status: res.status, cookie: res.headers.getSetCookie().find((c) => /^nora_session=[^;]+/.test(c))?.split(';')[0] }
  }
  const api = (auth: { cookie?: string; token?: string }) =>
    fetch(`${home.url}api/projects`, { headers: auth.token ? { authorization: `Bearer ${auth.token}` } : { cookie: auth.cookie! } })
  /** The desktop page with a cookie: 200, or a redirect to the login page once the session is gone. */
  const desktop = (cookie: string) => fetch(home.url, { headers: { cookie }, redirect: 'manual' })
  const addUser = async (user: string) => {
    await nora(['--admin', 'adduser', user, '--password', PW(user)])
    await nora(['--admin', 'grant', user, PROJECT, 'read'])
  }

  beforeAll(async () => {
    home = makeHome()
    expect((await runNora(['init'], { home: home.home })).code).toBe(0)
    snap = await plantCanary(home)
    await nora(['--createproject', PROJECT])
    await restart()
  }, 180_000)

  afterAll(async () => {
    if (!home) return
    await runNora(['stop'], { home: home.home })
    home.cleanup()
  })

  test('a session and an API token work; nora --admin passwd ends the session at once, --revoke-tokens the token', async () => {
    await addUser('alice')
    const s = await signIn('alice', PW('alice'))
    expect(s.status).toBe(303)
    const token = (await nora(['--admin', 'token', 'alice', '--name', 'script'])).trim()
    expect((await api({ cookie: s.cookie })).status).toBe(200)
    expect((await desktop(s.cookie!)).status).toBe(200)
    expect((await api({ token })).status).toBe(200)

    expect(await nora(['--admin', 'passwd', 'alice', '--password', 'alice-second-password'])).toContain('1 session ended')
    expect((await api({ cookie: s.cookie })).status).toBe(401)
    const page = await desktop(s.cookie!)
    expect(page.status).toBe(303)
    expect(page.headers.get('location')).toStartWith('/login')
    expect((await api({ token })).status).toBe(200) // without --revoke-tokens the token stays
    expect((await signIn('alice', PW('alice'))).status).toBe(401)

    const again = await signIn('alice', 'alice-second-password')
    expect((await api({ cookie: again.cookie })).status).toBe(200)
    expect(await nora(['--admin', 'passwd', 'alice', '--password', 'alice-third-password', '--revoke-tokens'])).toContain('1 session ended, 1 API token revoked')
    expect((await api({ cookie: again.cookie })).status).toBe(401)
    expect((await api({ token })).status).toBe(401)
    expect((await signIn('alice', 'alice-third-password')).status).toBe(303)
    await expectCanaryIntact(home, snap)
  }, 120_000)

  test('disable ends the session and the token at once; enable restores sign-in', async () => {
    await addUser('bruno')
    const s = await signIn('bruno', PW('bruno'))
    const token = (await nora(['--admin', 'token', 'bruno'])).trim()
    expect((await api({ cookie: s.cookie })).status).toBe(200)
    expect((await api({ token })).status).toBe(200)

    await nora(['--admin', 'disable', 'bruno'])
    expect((await api({ cookie: s.cookie })).status).toBe(401)
    expect((await api({ token })).status).toBe(401)
    expect((await signIn('bruno', PW('bruno'))).status).toBe(401)

    await nora(['--admin', 'enable', 'bruno'])
    const back = await signIn('bruno', PW('bruno'))
    expect(back.status).toBe(303)
    expect((await api({ cookie: back.cookie })).status).toBe(200)
    expect((await api({ cookie: s.cookie })).status).toBe(401) // the old session is gone for good
    await expectCanaryIntact(home, snap)
  }, 120_000)

  test('an expired API token fails (401, saying so); a token with an expiry to come works', async () => {
    await addUser('chen')
    const soon = (await nora(['--admin', 'token', 'chen', '--name', 'soon', '--expires', '2m'])).trim()
    const later = (await nora(['--admin', 'token', 'chen', '--name', 'later', '--expires', '30d'])).trim()
    expect((await api({ token: soon })).status).toBe(200)
    // Two minutes are long for a test: the expiry is moved into the past in the database, as time would.
    await nora(['--sql', `UPDATE api_tokens SET expires_at = ${Date.now() - 1000} WHERE name = 'soon'`, '--write'])
    const res = await api({ token: soon })
    expect(res.status).toBe(401)
    expect(((await res.json()) as { error: string }).error).toContain('expired')
    expect((await api({ token: later })).status).toBe(200)
    await expectCanaryIntact(home, snap)
  }, 120_000)

  test('5 wrong passwords for user A from one address lock A there, not user B from the same address', async () => {
    await addUser('anna')
    await addUser('bert')
    for (let i = 0; i < 5; i++) expect((await signIn('anna', 'wrong password')).status).toBe(401)
    expect((await signIn('anna', PW('anna'))).status).toBe(429)
    const b = await signIn('bert', PW('bert'))
    expect(b.status).toBe(303)
    expect((await api({ cookie: b.cookie })).status).toBe(200)
    await expectCanaryIntact(home, snap)
  }, 120_000)

  test('without http.trustedProxies, X-Forwarded-For is ignored: the failures count on the socket address', async () => {
    await addUser('dora')
    for (let i = 0; i < 5; i++) expect((await signIn('dora', 'wrong password', { 'x-forwarded-for': `198.51.100.${i + 1}` })).status).toBe(401)
    // A fresh forwarded address does not get dora a new allowance: all five came from 127.0.0.1.
    expect((await signIn('dora', PW('dora'), { 'x-forwarded-for': '198.51.100.200' })).status).toBe(429)
    expect((await sql<{ n: number }>(home, `SELECT COUNT(*) AS n FROM login_failures WHERE subject LIKE '%198.51.100.%'`))[0]!.n).toBe(0)
    await expectCanaryIntact(home, snap)
  }, 120_000)

  test('with http.trustedProxies, the forwarded address counts; nora start prunes expired sessions and stale login failures', async () => {
    await addUser('emil')
    // Rows that pruning must take: an expired session and a login failure older than its window.
    const emil = (await sql<{ id: number }>(home, `SELECT id FROM users WHERE username = 'emil'`))[0]!.id
    await nora(['--sql', `INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES ('${'e'.repeat(64)}', ${emil}, 'x', 0, 1)`, '--write'])
    await nora(['--sql', `INSERT INTO login_failures (subject, at) VALUES ('user:stale', 1)`, '--write'])
    const started = await restart('trustedProxies: ["127.0.0.1"]')
    expect(await sql(home, `SELECT id_hash FROM sessions WHERE expires_at < ${Date.now()}`)).toEqual([])
    expect(await sql(home, `SELECT id FROM login_failures WHERE subject = 'user:stale'`)).toEqual([])
    expect(started).toBeString()

    const attacker = { 'x-forwarded-for': '203.0.113.5' }
    for (let i = 0; i < 5; i++) expect((await signIn('emil', 'wrong password', attacker)).status).toBe(401)
    expect((await signIn('emil', PW('emil'), attacker)).status).toBe(429)
    // emil from another client behind the same proxy signs in,
    expect((await signIn('emil', PW('emil'), { 'x-forwarded-for': '203.0.113.6' })).status).toBe(303)
    // and a hop the client wrote itself (left of what the proxy appended) is not believed: 198.51.100.9 is the client.
    expect((await signIn('emil', PW('emil'), { 'x-forwarded-for': '203.0.113.5, 198.51.100.9' })).status).toBe(303)
    const subjects = (await sql<{ subject: string }>(home, `SELECT DISTINCT subject FROM login_failures WHERE subject LIKE '%emil%'`)).map((r) => r.subject)
    expect(subjects.sort()).toEqual(['pair:203.0.113.5 emil', 'user:emil'])
    await expectCanaryIntact(home, snap)
  }, 180_000)

  test('hostile next values keep the login redirect and the form on this site', async () => {
    await addUser('fay')
    const origin = new URL(home.url).origin
    // As they arrive in the query string, and decoded (what the form posts back).
    const hostile = ['%2F%09%2Fevil.example', '%2F%0A%2Fevil.example', '%2F%0D%0A%2Fevil.example', '%2F%5Cevil.example', '%2F%2Fevil.example', '%5C%5Cevil.example', '%2F.%2F%2Fevil.example', '%09%2F%2Fevil.example', 'https%3A%2F%2Fevil.example%2F']
    for (const q of hostile) {
      const form = await (await fetch(`${home.url}login?next=${q}`)).text()
      const next = form.match(/name="next" value="([^"]*)"/)![1]!.replace(/&#x2F;/g, '/').replace(/&amp;/g, '&')
      expect([q, new URL(next, home.url).origin]).toEqual([q, origin])
      const res = await login('fay', PW('fay'), { next: decodeURIComponent(q) })
      expect(res.status).toBe(303)
      const location = res.headers.get('location')!
      // What a browser does with the Location: resolve it against the page (the URL parser drops tabs and newlines).
      expect([q, location, new URL(location, home.url).origin]).toEqual([q, location, origin])
      expect(location).not.toContain('evil.example/')
      expect(location).not.toMatch(/^[\s/\\]{2}/)
    }
    // A local next still works.
    expect((await login('fay', PW('fay'), { next: '/?project=work' })).headers.get('location')).toBe('/?project=work')
    await expectCanaryIntact(home, snap)
  }, 180_000)
})
