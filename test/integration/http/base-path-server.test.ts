import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { makeHome, type TestHome } from '../../helpers/home'
import { runNora } from '../../helpers/nora-binary'
import { setBasePath } from '../../helpers/base-path-home'

const NIFTI = '/usr/lib/python3/dist-packages/nibabel/tests/data/anatomical.nii'
const P = 'WHATEVER'

const cookiesOf = (res: Response) => res.headers.getSetCookie().map((c) => c.split(';')[0]!)

// The built ./nora behind http.basePath "/godzilla/": every page, API, asset, cookie and redirect under the prefix.
describe('nora serve with http.basePath /godzilla/', () => {
  let home: TestHome
  let root: string
  let base: string
  let password: string
  let token: string
  const must = async (args: string[]) => {
    const r = await runNora(args, { home: home.home, timeoutMs: 120_000 })
    if (r.code !== 0) throw new Error(`nora ${args.join(' ')}: ${r.stdout}${r.stderr}`)
    return r.stdout
  }

  beforeAll(async () => {
    home = makeHome()
    setBasePath(home, '/godzilla/')
    root = home.url
    base = `${root}godzilla/`
    password = (await must(['init'])).match(/password: (\S+)/)![1]!
    await must(['--createproject', P])
    const to = join(home.home, 'data', 'projects', P, 'NII1', 'S1', 't1', 'anatomical.nii')
    mkdirSync(join(to, '..'), { recursive: true })
    copyFileSync(NIFTI, to)
    await must(['-p', P, '--add', to])
    await must(['--admin', 'adduser', 'donaldduck', '--password', 'quack-quack-1'])
    await must(['--admin', 'grant', 'donaldduck', P, 'read'])
    token = (await must(['--admin', 'token', 'donaldduck'])).trim()
    const started = await must(['start'])
    expect(started).toContain('/godzilla/')
  }, 240_000)
  afterAll(async () => {
    if (home) await runNora(['stop'], { home: home.home })
    home?.cleanup()
  }, 60_000)

  test('nora status finds the server under its base path', async () => {
    const r = await runNora(['status'], { home: home.home })
    expect(r.stdout).toContain(`${base} answering`)
  })

  test('/ redirects to the base; outside the prefix is 404', async () => {
    const r = await fetch(root, { redirect: 'manual' })
    expect(r.status).toBe(308)
    expect(r.headers.get('location')).toBe('/godzilla/')
    for (const path of ['api/health', 'login', 'static/css/nora.css', 'index.php?project=P', 'godzillax/login']) {
      const res = await fetch(`${root}${path}`, { redirect: 'manual' })
      expect([path, res.status]).toEqual([path, 404])
    }
    expect((await fetch(`${base}api/health`)).status).toBe(200)
  })

  test('login, the desktop page and its assets, API calls', async () => {
    const first = await fetch(base, { redirect: 'manual' })
    expect(first.status).toBe(303)
    expect(first.headers.get('location')).toStartWith('/godzilla/login')
    const form = await fetch(`${base}login`)
    const html = await form.text()
    expect(html).toContain('action="/godzilla/login"')
    expect(html).toContain('data-nora-base="/godzilla/"')
    const csrfCookie = form.headers.getSetCookie().find((c) => c.startsWith('nora_login_csrf='))!
    expect(csrfCookie).toMatch(/Path=\/godzilla(;|$)/)
    const body = new URLSearchParams({ username: 'admin', password, _csrf: html.match(/name="_csrf" value="([^"]+)"/)![1]! })
    const login = await fetch(`${base}login`, { method: 'POST', body, redirect: 'manual', headers: { cookie: csrfCookie.split(';')[0]!, origin: root.slice(0, -1) } })
    expect(login.status).toBe(303)
    expect(login.headers.get('location')).toStartWith('/godzilla/')
    const session = login.headers.getSetCookie().find((c) => c.startsWith('nora_session='))!
    expect(session).toMatch(/Path=\/godzilla(;|$)/)
    const cookie = session.split(';')[0]!
    const desktop = await fetch(`${base}?project=${P}`, { headers: { cookie } })
    expect(desktop.status).toBe(200)
    const page = await desktop.text()
    const assets = [...page.matchAll(/(?:src|href)="(\/[^"]*)"/g)].map((m) => m[1]!)
    expect(assets.length).toBeGreaterThan(5)
    for (const a of assets) expect(a).toStartWith('/godzilla/')
    for (const a of assets.filter((x) => x.includes('/static/'))) expect([a, (await fetch(new URL(a, root))).status]).toEqual([a, 200])
    const hx = [...page.matchAll(/hx-(?:get|post)="([^"]*)"/g)].map((m) => m[1]!)
    for (const u of hx) expect(u).toStartWith('/godzilla/')
    const projects = await fetch(`${base}api/projects`, { headers: { cookie, accept: 'application/json' } })
    expect(projects.status).toBe(200)
    expect(JSON.stringify(await projects.json())).toContain(P)
    const file = await fetch(`${base}api/projects/${P}/files/NII1/S1/t1/anatomical.nii`, { headers: { cookie } })
    expect(file.status).toBe(200)
    expect((await file.arrayBuffer()).byteLength).toBe(readFileSync(NIFTI).byteLength)
  })

  test('a URL call with user and token signs in and redirects, under the base, to a URL without the token', async () => {
    const call = JSON.stringify({ pid: 'NII1', sid: 'S1', user: 'donaldduck', token })
    const res = await fetch(`${base}index.php?project=${P}&call=${encodeURIComponent(call)}`, { redirect: 'manual' })
    expect(res.status).toBe(303)
    const location = res.headers.get('location')!
    expect(location).toStartWith(`/godzilla/?project=${P}`)
    expect(location).not.toContain(token)
    const cookie = cookiesOf(res).find((c) => c.startsWith('nora_session='))!
    expect(res.headers.getSetCookie().find((c) => c.startsWith('nora_session='))).toMatch(/Path=\/godzilla(;|$)/)
    const desktop = await fetch(new URL(location, root), { headers: { cookie } })
    expect(desktop.status).toBe(200)
    expect(await desktop.text()).toContain(`data-project="${P}"`)
    // Without a session and token, the login page comes back to the call, under the base.
    const anon = await fetch(`${base}index.php?project=${P}`, { redirect: 'manual' })
    expect(anon.headers.get('location')).toStartWith('/godzilla/login?next=')
  })
})
