import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { loginForm, postLogin, setCookies, startApp, type Harness } from './harness'

const form = (fields: Record<string, string>) => ({ method: 'POST', body: new URLSearchParams(fields), headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' as const })
const withCookie = (init: RequestInit, cookie: string): RequestInit => ({ ...init, headers: { ...(init.headers as Record<string, string>), cookie } })

for (const dialect of ['sqlite', 'mysql'] as const)
describe(`profile: own password, API tokens, theme (${dialect})`, () => {
  let h: Harness
  beforeAll(async () => {
    h = await startApp(dialect)
    await h.user('ann', 'ann-password-1')
    await h.user('bob', 'bob-password-1')
  }, 60_000)
  afterAll(async () => h?.close())

  const createToken = async (s: { cookie: string; csrf: string }, fields: Record<string, string>) => h.request('/profile/tokens', withCookie(form({ _csrf: s.csrf, ...fields }), s.cookie))
  const tokenIn = (html: string) => html.match(/id="new-token-value"[^>]*value="(nora_[^"]+)"/)?.[1]
  const apiWith = (token: string) => h.request('/api/projects', { headers: { authorization: `Bearer ${token}` } })

  test('anonymous: the profile sends to the login page, its forms are refused', async () => {
    const res = await h.request('/profile', { redirect: 'manual' })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/login?next=%2Fprofile')
    expect((await h.request('/profile/tokens', form({ label: 'x' }))).status).toBe(401)
  })

  test('the header has the user menu with Profile and Log out', async () => {
    const s = await h.login('ann', 'ann-password-1')
    const page = await (await h.request('/', { headers: { cookie: s.cookie } })).text()
    expect(page).toContain('id="user-menu"')
    expect(page).toContain('href="/profile"')
    expect(page).toMatch(/action="\/logout"/)
  })

  test('a token is created with its label, shown once, works, and is listed without its secret', async () => {
    const s = await h.login('ann', 'ann-password-1')
    const res = await createToken(s, { label: 'import <script>', expires: '' })
    expect(res.status).toBe(200)
    const html = await res.text()
    const token = tokenIn(html)
    expect(token).toMatch(/^nora_/)
    expect(html).toContain('import &lt;script&gt;') // escaped
    expect((await apiWith(token!)).status).toBe(200)
    const again = await (await h.request('/profile', { headers: { cookie: s.cookie } })).text()
    expect(again).not.toContain(token!)
    expect(again).toContain('import &lt;script&gt;')
    expect(again).not.toContain('id="new-token"')
    // The last use shows after the API call.
    const row = again.match(/<tr data-token-id="\d+">.*?<\/tr>/s)![0]
    expect(row).not.toContain('<td>never</td><td>never</td>')
  })

  test('a token with an expiry lists it; a day past or a bad value is a clear 400', async () => {
    const s = await h.login('ann', 'ann-password-1')
    const res = await createToken(s, { label: 'week', expires: '7d' })
    expect(res.status).toBe(200)
    const expected = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10)
    expect(await res.text()).toMatch(new RegExp(`week</td><td>[^<]+</td><td>never</td><td>${expected}`))
    const past = await createToken(s, { label: 'old', expiresOn: '2020-01-01' })
    expect(past.status).toBe(400)
    expect(await past.text()).toContain('that day is over')
    const bad = await createToken(s, { label: 'bad', expires: 'soon' })
    expect(bad.status).toBe(400)
    expect(await bad.text()).toContain('give a duration such as 12h')
    const noLabel = await createToken(s, { label: '  ' })
    expect(noLabel.status).toBe(400)
    expect(await noLabel.text()).toContain('give the token a label')
  })

  test('forms without the CSRF token are 403 and change nothing', async () => {
    const s = await h.login('ann', 'ann-password-1')
    const before = (await h.services.auth.listTokens((await h.services.repos.users.byUsername('ann'))!)).length
    expect((await h.request('/profile/tokens', withCookie(form({ label: 'x' }), s.cookie))).status).toBe(403)
    expect((await h.request('/profile/password', withCookie(form({ current: 'ann-password-1', password: 'x-new-password', confirm: 'x-new-password' }), s.cookie))).status).toBe(403)
    expect((await h.services.auth.listTokens((await h.services.repos.users.byUsername('ann'))!)).length).toBe(before)
  })

  test('revoke: only one\'s own tokens; a revoked token stops working', async () => {
    const ann = await h.login('ann', 'ann-password-1')
    const bob = await h.login('bob', 'bob-password-1')
    const bobToken = tokenIn(await (await createToken(bob, { label: 'bob script' })).text())!
    const bobUser = (await h.services.repos.users.byUsername('bob'))!
    const bobId = (await h.services.auth.listTokens(bobUser)).at(-1)!.id
    const foreign = await h.request(`/profile/tokens/${bobId}/revoke`, withCookie(form({ _csrf: ann.csrf }), ann.cookie))
    expect(foreign.status).toBe(404)
    expect((await apiWith(bobToken)).status).toBe(200)
    const own = await h.request(`/profile/tokens/${bobId}/revoke`, withCookie(form({ _csrf: bob.csrf }), bob.cookie))
    expect(own.status).toBe(303)
    expect(own.headers.get('location')).toBe('/profile?done=revoked')
    expect((await apiWith(bobToken)).status).toBe(401)
    expect(await (await h.request('/profile', { headers: { cookie: bob.cookie } })).text()).not.toContain('bob script')
  })

  test('styling theme: saved per user and rendered on every page; a bad one is 400; CSRF needed', async () => {
    await h.user('dee', 'dee-password-1')
    const s = await h.login('dee', 'dee-password-1')
    const other = await h.login('ann', 'ann-password-1')
    const html = async (cookie: string) => (await h.request('/', { headers: { cookie } })).text()
    expect(await html(s.cookie)).toMatch(/<html lang="en">/)
    const saved = await h.request('/profile/theme', withCookie(form({ _csrf: s.csrf, theme: 'light' }), s.cookie))
    expect(saved.status).toBe(303)
    expect(await html(s.cookie)).toContain('<html lang="en" data-theme="light">')
    expect(await (await h.request('/profile', { headers: { cookie: s.cookie } })).text()).toContain('<option value="light" selected>')
    expect(await html(other.cookie)).toMatch(/<html lang="en">/) // another user's pages keep theirs
    const json = await h.request('/profile/theme', {
      method: 'POST',
      body: JSON.stringify({ theme: 'dark' }),
      headers: { cookie: s.cookie, 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': s.csrf },
    })
    expect(await json.json()).toEqual({ theme: 'dark' })
    expect(await html(s.cookie)).toContain('data-theme="dark"')
    const bad = await h.request('/profile/theme', withCookie(form({ _csrf: s.csrf, theme: 'neon' }), s.cookie))
    expect(bad.status).toBe(400)
    expect((await h.request('/profile/theme', withCookie(form({ theme: 'light' }), s.cookie))).status).toBe(403)
    expect(await html(s.cookie)).toContain('data-theme="dark"')
  })

  test('change password: the old one is needed; then other sessions end, this one goes on, the new one signs in', async () => {
    await h.user('cid', 'cid-password-1')
    const other = await h.login('cid', 'cid-password-1')
    const s = await h.login('cid', 'cid-password-1')
    const change = (fields: Record<string, string>) => h.request('/profile/password', withCookie(form({ _csrf: s.csrf, ...fields }), s.cookie))
    const wrong = await change({ current: 'not-it-at-all', password: 'cid-password-2', confirm: 'cid-password-2' })
    expect(wrong.status).toBe(401)
    expect(await wrong.text()).toContain('the current password is wrong')
    const short = await change({ current: 'cid-password-1', password: 'short', confirm: 'short' })
    expect(short.status).toBe(400)
    expect(await short.text()).toContain('at least 8 characters')
    const differ = await change({ current: 'cid-password-1', password: 'cid-password-2', confirm: 'cid-password-3' })
    expect(differ.status).toBe(400)
    const ok = await change({ current: 'cid-password-1', password: 'cid-password-2', confirm: 'cid-password-2' })
    expect(ok.status).toBe(303)
    expect(ok.headers.get('location')).toBe('/profile?done=password')
    const fresh = setCookies(ok).find((c) => c.startsWith('nora_session='))!.split(';')[0]!
    expect((await h.request('/profile', { headers: { cookie: fresh } })).status).toBe(200)
    for (const old of [other.cookie, s.cookie]) expect((await h.request('/profile', { headers: { cookie: old }, redirect: 'manual' })).status).toBe(303)
    const f = await loginForm(h)
    expect((await postLogin(h, f, { username: 'cid', password: 'cid-password-1' })).status).toBe(401)
    expect((await postLogin(h, await loginForm(h), { username: 'cid', password: 'cid-password-2' })).status).toBe(303)
  })
})
