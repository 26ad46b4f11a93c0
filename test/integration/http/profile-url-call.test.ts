import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { User } from '../../../src/core/types'
import { setCookies, startApp, type Harness } from './harness'

// The seed: index.php?asuser=root&project=WHATEVER&call={"pid":..,"sid":..,"selmode":..,"preset":..,"user":..,"token":..}
describe('URL calls: index.php?project=P&call={...} (sqlite)', () => {
  let h: Harness
  let admin: User
  let ann: User
  let annToken: string
  let adminToken: string
  const call = (c: Record<string, unknown>, extra = '') => `/index.php?project=WHATEVER&call=${encodeURIComponent(JSON.stringify(c))}${extra}`
  const get = (path: string, cookie?: string) => h.request(path, { redirect: 'manual', headers: cookie ? { cookie } : {} })
  const sessionOf = (res: Response) => setCookies(res).find((c) => c.startsWith('nora_session='))?.split(';')[0]

  beforeAll(async () => {
    h = await startApp('sqlite')
    admin = await h.user('root', 'root-password-1', { siteAdmin: true })
    ann = await h.user('ann', 'ann-password-1')
    const p = await h.services.archive.createProject(admin, 'WHATEVER', 'calls')
    await h.services.repos.rights.grant(ann.id, p.id, 'read')
    annToken = await h.services.auth.createToken(ann, 'pacs viewer')
    adminToken = await h.services.auth.createToken(admin, 'ris')
  }, 60_000)
  afterAll(async () => h?.close())

  test('user+token without a session: a session cookie, and a 303 to the desktop on the case without the token', async () => {
    const res = await get(call({ pid: 'P1', sid: 'S1', selmode: 'study', preset: 'T1 view', user: 'ann', token: annToken }))
    expect(res.status).toBe(303)
    const location = res.headers.get('location')!
    expect(location).toBe(`/?project=WHATEVER#case=${encodeURIComponent(JSON.stringify({ pid: 'P1', sid: 'S1', selmode: 'study', preset: 'T1 view' }))}`)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const cookie = sessionOf(res)!
    expect(cookie).toBeDefined()
    expect([location, ...setCookies(res)].join(' ')).not.toContain(annToken)
    const desktop = await get(location.split('#')[0]!, cookie)
    expect(desktop.status).toBe(200)
    expect(await desktop.text()).toContain('data-project="WHATEVER"')
  })

  test('a session needs no token; numbers are taken as text', async () => {
    const s = await h.login('ann', 'ann-password-1')
    const res = await get(call({ pid: 123, preset: 'x' }), s.cookie)
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe(`/?project=WHATEVER#case=${encodeURIComponent('{"pid":"123","preset":"x"}')}`)
    expect(sessionOf(res)).toBeUndefined()
  })

  test('neither session nor token: to the login page, coming back without user and token', async () => {
    const res = await get(call({ pid: 'P1', user: 'ann' }))
    expect(res.status).toBe(303)
    const next = decodeURIComponent(res.headers.get('location')!.replace('/login?next=', ''))
    expect(next).toBe(`/index.php?project=WHATEVER&call=${encodeURIComponent('{"pid":"P1"}')}`.replace(/%20/g, '+'))
  })

  test('a wrong token, another user\'s name: 401, no session, the token not echoed', async () => {
    const bad = [{ user: 'ann', token: `${annToken}x` }, { user: 'root', token: annToken }]
    for (const c of bad) {
      const res = await get(call({ pid: 'P1', ...c }))
      expect(res.status).toBe(401)
      expect(sessionOf(res)).toBeUndefined()
      const body = await res.text()
      expect(body).toContain('wrong user name or token')
      expect(body).not.toContain(annToken)
    }
  })

  test('a malformed call is a clear 400', async () => {
    const notJson = await h.request('/index.php?project=WHATEVER&call=%7Bpid', { headers: { accept: 'application/json' } })
    expect(notJson.status).toBe(400)
    expect(((await notJson.json()) as { error: string }).error).toContain('the call parameter is not JSON')
    const noUser = await h.request(call({ token: annToken }), { headers: { accept: 'application/json' } })
    expect(noUser.status).toBe(400)
    const msg = ((await noUser.json()) as { error: string }).error
    expect(msg).toContain('gives a token but no "user"')
    expect(msg).not.toContain(annToken)
    expect((await h.request('/index.php?call=%7B%7D', { headers: { accept: 'application/json' } })).status).toBe(400)
  })

  test('asuser: a site admin acts as the user (audit log), anyone else is refused', async () => {
    const refused = await get(call({ pid: 'P1', user: 'ann', token: annToken }, '&asuser=root'))
    expect(refused.status).toBe(403)
    expect(sessionOf(refused)).toBeUndefined()
    const res = await get(call({ pid: 'P1', user: 'root', token: adminToken }, '&asuser=ann'))
    expect(res.status).toBe(303)
    const cookie = sessionOf(res)!
    const page = await (await get('/?project=WHATEVER', cookie)).text()
    expect(page).toMatch(/class="who"[^>]*>ann/)
    const [entry] = await h.services.repos.audit.recent(1)
    expect(entry).toMatchObject({ actor: 'root', actorId: admin.id, action: 'asuser', subject: 'ann' })
    expect(entry!.detail).toContain('project WHATEVER')
    expect(entry!.detail).not.toContain(adminToken)
    const unknown = await get(call({ user: 'root', token: adminToken }, '&asuser=nobody'))
    expect(unknown.status).toBe(404)
  })
})
