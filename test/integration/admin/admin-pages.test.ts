import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { User } from '../../../src/core/types'
import { loginForm, postLogin, startApp, type Dialect, type Harness } from '../http/harness'

const PW = 'long enough password 1'
type Session = { cookie: string; csrf: string }

/** The admin pages over real HTTP handling (app.handle) on both databases: rights, CSRF, and what each action does. */
for (const dialect of ['sqlite', 'mysql'] as Dialect[])
describe(`admin pages (${dialect})`, () => {
  let h: Harness
  let root: User
  let adminS: Session
  let annS: Session
  const P = 'adm-src'

  const post = (path: string, s: Session | undefined, fields: Record<string, string>, opts: { csrf?: boolean } = {}) =>
    h.request(path, {
      method: 'POST',
      body: new URLSearchParams({ ...(s && opts.csrf !== false && { _csrf: s.csrf }), ...fields }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(s && { cookie: s.cookie }) },
      redirect: 'manual',
    })
  const get = (path: string, s?: Session) => h.request(path, { headers: s ? { cookie: s.cookie } : {}, redirect: 'manual' })
  const canLogIn = async (username: string, password: string) => (await postLogin(h, await loginForm(h), { username, password })).status === 303

  beforeAll(async () => {
    h = await startApp(dialect)
    root = await h.user('root', PW, { siteAdmin: true })
    await h.user('ann', PW)
    adminS = await h.login('root', PW)
    annS = await h.login('ann', PW)
    await h.services.archive.createProject(root, P)
    const dir = join(h.services.archive.projectDir({ name: P } as never), 'P1', 'S1', 'anat')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 't1.nii'), 'not really nifti')
    await h.services.archive.addFiles(root, P, [join(dir, 't1.nii')])
    await h.services.archive.tagFiles(root, P, '*', ['good'])
  }, 120_000)
  afterAll(async () => h?.close())

  test('anonymous: to the login; a user who is no site admin: 403 on every page and action; without the CSRF token: 403', async () => {
    const anon = await get('/admin/users')
    expect(anon.status).toBe(303)
    expect(anon.headers.get('location')).toBe('/login?next=%2Fadmin%2Fusers')
    for (const page of ['/admin', '/admin/users', '/admin/projects', '/admin/log', '/admin/settings']) expect((await get(page, annS)).status).toBe(403)
    for (const [path, fields] of [
      ['/admin/users', { username: 'mallory', password: PW }],
      ['/admin/users/ann/grant', { project: P, role: 'admin' }],
      ['/admin/projects', { name: 'evil' }],
      ['/admin/projects/adm-src/trash', { confirm: P }],
      ['/admin/settings', { name: 'auth.sessionHours', value: '700' }],
    ] as const) expect((await post(path, annS, fields)).status).toBe(403)
    expect(await h.services.repos.users.byUsername('mallory')).toBeUndefined()
    expect(await h.services.archive.projectExists(P)).toBe(true)
    expect((await post('/admin/users', adminS, { username: 'nocsrf', password: PW }, { csrf: false })).status).toBe(403)
    expect(await h.services.repos.users.byUsername('nocsrf')).toBeUndefined()
    // The header's user menu offers Admin to site admins only.
    expect(await (await get('/', adminS)).text()).toContain('id="nav-admin"')
    expect(await (await get('/', annS)).text()).not.toContain('id="nav-admin"')
  })

  test('a site admin creates a user, gives a right, the user signs in and sees the project; disable and reset password', async () => {
    const created = await post('/admin/users', adminS, { username: 'carl', password: PW, email: 'carl@example.org' })
    expect(created.status).toBe(303)
    expect((await h.services.repos.users.byUsername('carl'))?.email).toBe('carl@example.org')
    expect((await post('/admin/users/carl/grant', adminS, { project: P, role: 'write' })).status).toBe(303)
    const page = await (await get('/admin/users?done=granted:carl:write:adm-src', adminS)).text()
    expect(page).toContain('&quot;carl&quot; has write on &quot;adm-src&quot; now.')
    expect(page).toMatch(/<tr data-username="carl">[\s\S]*?adm-src: write/)
    const carlS = await h.login('carl', PW)
    const projects = (await (await h.request('/api/projects', { headers: { cookie: carlS.cookie } })).json()) as { name: string }[]
    expect(projects.map((p) => p.name)).toEqual([P])
    // A bad role, an existing name: the page again with the reason.
    const badRole = await post('/admin/users/carl/grant', adminS, { project: P, role: 'owner' })
    expect(badRole.status).toBe(400)
    expect(await badRole.text()).toContain('role &quot;owner&quot;: use one of read, write, jobs, admin')
    const twice = await post('/admin/users', adminS, { username: 'carl', password: PW })
    expect(twice.status).toBe(409)
    // A generated password is shown once; the old one stops working.
    const reset = await post('/admin/users/carl/password', adminS, {})
    expect(reset.status).toBe(200)
    const pw = (await reset.text()).match(/id="new-password-value"[^>]*value="([^"]+)"|value="([^"]+)" id="new-password-value"/)
    const fresh = pw?.[1] ?? pw?.[2]
    expect(fresh).toBeDefined()
    expect(await canLogIn('carl', PW)).toBe(false)
    expect(await canLogIn('carl', fresh!)).toBe(true)
    // Disabled: no sign-in; enabled again: yes. A site admin cannot disable itself here.
    expect((await post('/admin/users/carl/disable', adminS, {})).status).toBe(303)
    expect(await canLogIn('carl', fresh!)).toBe(false)
    expect((await post('/admin/users/carl/enable', adminS, {})).status).toBe(303)
    expect(await canLogIn('carl', fresh!)).toBe(true)
    expect((await post('/admin/users/root/disable', adminS, {})).status).toBe(400)
    expect((await post('/admin/users/carl/revoke', adminS, { project: P })).status).toBe(303)
    expect(await h.services.users.rightsOf((await h.services.repos.users.byUsername('carl'))!)).toEqual([])
  }, 60_000)

  test('projects: create, describe (escaped), fork sharing and copying the data, delete to the trash', async () => {
    expect((await post('/admin/projects', adminS, { name: 'adm-new', description: 'first' })).status).toBe(303)
    expect((await post('/admin/projects/adm-new/describe', adminS, { description: 'a <script>x</script> project' })).status).toBe(303)
    const page = await (await get('/admin/projects', adminS)).text()
    expect(page).toContain('a &lt;script&gt;x&lt;&#x2F;script&gt; project')
    expect(page).not.toContain('<script>x')
    expect((await post('/admin/projects', adminS, { name: '../etc' })).status).toBe(400)

    const src = join(h.services.archive.projectDir({ name: P } as never), 'P1', 'S1', 'anat', 't1.nii')
    for (const [mode, name] of [['share', 'adm-shared'], ['copy', 'adm-copied']] as const) {
      const r = await post(`/admin/projects/${P}/fork`, adminS, { target: name, mode })
      expect(r.status).toBe(303)
      expect(decodeURIComponent(r.headers.get('location')!)).toBe(`/admin/projects?done=forked:${P}:${name}:1`)
      const copy = join(h.services.archive.projectDir({ name } as never), 'P1', 'S1', 'anat', 't1.nii')
      expect(readFileSync(copy, 'utf8')).toBe('not really nifti')
      // share: the same file (one inode, two links); copy: a file of its own.
      expect(statSync(copy).ino === statSync(src).ino).toBe(mode === 'share')
      const files = []
      for await (const pg of h.services.archive.select(root, name, '*')) files.push(...pg)
      expect(files.map((f) => [f.patients_id, f.studies_id, f.path, f.tags])).toEqual([['P1', 'S1', 'anat/t1.nii', ['good']]])
    }
    expect(statSync(src).nlink).toBe(2)
    expect((await post(`/admin/projects/${P}/fork`, adminS, { target: 'adm-shared', mode: 'copy' })).status).toBe(409)
    // Delete: the name must be typed; the folder goes to the trash.
    expect((await post('/admin/projects/adm-copied/trash', adminS, { confirm: 'nope' })).status).toBe(400)
    expect((await post('/admin/projects/adm-copied/trash', adminS, { confirm: 'adm-copied' })).status).toBe(303)
    expect(await h.services.archive.projectExists('adm-copied')).toBe(false)
    expect(existsSync(h.services.archive.projectDir({ name: 'adm-copied' } as never))).toBe(false)
    expect(existsSync(join(h.services.config.dataRoot, 'trash', 'adm-copied'))).toBe(true)
  }, 60_000)

  test('the server log: searched, bounded, escaped', async () => {
    const logs = join(h.services.config.dataRoot, 'logs')
    mkdirSync(logs, { recursive: true })
    const lines = Array.from({ length: 3000 }, (_, i) => `2026-01-01 line ${i} ${i % 2 ? 'dicom: study from <script>alert(1)</script>' : 'http: GET /'}`)
    writeFileSync(join(logs, 'nora.log'), `${lines.join('\n')}\n`)
    const all = await (await get('/admin/log', adminS)).text()
    expect(all).toContain('the last 1000 of 3000 line(s)')
    expect(all).toContain('line 2999 dicom')
    expect(all).not.toContain('line 1999 ')
    const hits = await (await get('/admin/log?q=DICOM', adminS)).text()
    expect(hits).toContain('the last 1000 of 1500 line(s) containing &quot;DICOM&quot;')
    expect(hits).not.toContain('http: GET')
    expect(hits).toContain('&lt;script&gt;alert(1)&lt;&#x2F;script&gt;')
    expect(hits).not.toContain('<script>alert')
  })

  test('live settings: saved in the database, in effect at once, refused when wrong, back to the conf file', async () => {
    const main = h.services.config.main
    expect(main.auth.sessionHours).toBe(12)
    expect((await post('/admin/settings', adminS, { name: 'auth.sessionHours', value: '3' })).status).toBe(303)
    expect(main.auth.sessionHours).toBe(3)
    // A new session lasts 3 hours now.
    const form = await loginForm(h)
    const res = await postLogin(h, form, { username: 'ann', password: PW })
    expect(res.headers.get('set-cookie')).toContain('Max-Age=10800')
    expect((await h.services.repos.siteSettings.all()).find((s) => s.name === 'auth.sessionHours')).toMatchObject({ value: '3', updatedBy: 'root' })
    const wrong = await post('/admin/settings', adminS, { name: 'auth.sessionHours', value: '0' })
    expect(wrong.status).toBe(400)
    expect(await wrong.text()).toContain('auth.sessionHours: &quot;0&quot; is not allowed; it takes integer 1-720')
    const fixed = await post('/admin/settings', adminS, { name: 'http.port', value: '80' })
    expect(fixed.status).toBe(400)
    expect(await fixed.text()).toContain('is not a setting that can change while nora runs')
    expect((await post('/admin/settings', adminS, { name: 'mail.host', value: 'smtp.lab.example.org' })).status).toBe(303)
    expect(h.services.siteSettings.mailConf().host).toBe('smtp.lab.example.org')
    const page = await (await get('/admin/settings', adminS)).text()
    expect(page).toMatch(/data-setting="auth.sessionHours"[\s\S]*?value="3"[\s\S]*?changed by root/)
    // Kept over a restart: a new composition over the same database applies it.
    const { SiteSettings } = await import('../../../src/config/site-settings')
    const again = { ...main, auth: { ...main.auth, sessionHours: 12 } }
    await new SiteSettings({ repo: h.services.repos.siteSettings, main: again, smailFile: () => h.services.siteSettings.mailConf() }).apply()
    expect(again.auth.sessionHours).toBe(3)
    expect((await post('/admin/settings/reset', adminS, { name: 'auth.sessionHours' })).status).toBe(303)
    expect(main.auth.sessionHours).toBe(12)
    expect((await post('/admin/settings/reset', adminS, { name: 'mail.host' })).status).toBe(303)
    expect(h.services.siteSettings.mailConf().host).toBe('')
  })
})

describe('Fork Project (user menu): any user forks a project they may read, and becomes the fork\'s admin', () => {
  let h: Harness
  let annS: Session
  beforeAll(async () => {
    h = await startApp('sqlite')
    const root = await h.user('root', PW, { siteAdmin: true })
    await h.user('ann', PW)
    annS = await h.login('ann', PW)
    await h.services.archive.createProject(root, 'src1')
    const dir = join(h.services.archive.projectDir({ name: 'src1' } as never), 'P9', 'S9')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'a.txt'), 'A')
    await h.services.archive.addFiles(root, 'src1', [join(dir, 'a.txt')])
  }, 60_000)
  afterAll(async () => h?.close())

  const fork = (fields: Record<string, string>) =>
    h.request('/fork', { method: 'POST', body: new URLSearchParams({ _csrf: annS.csrf, ...fields }), headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: annS.cookie }, redirect: 'manual' })

  test('without read on the source: 403 and nothing made; with read: the fork, ann its admin, on the desktop', async () => {
    expect((await fork({ project: 'src1', target: 'mine', mode: 'copy' })).status).toBe(403)
    expect(await h.services.archive.projectExists('mine')).toBe(false)
    await h.services.users.grant('ann', 'src1', 'read')
    const page = await (await h.request('/fork?project=src1', { headers: { cookie: annS.cookie } })).text()
    expect(page).toMatch(/<option value="src1" selected>/)
    expect(page).toContain('value="src1-fork"')
    const bad = await fork({ project: 'src1', target: 'mine', mode: 'move' })
    expect(bad.status).toBe(400)
    expect(await bad.text()).toContain('fork mode &quot;move&quot;: say share or copy')
    // Sharing the files needs write: a shared file changed in the fork would change in src1.
    const share = await fork({ project: 'src1', target: 'mine', mode: 'share' })
    expect(share.status).toBe(403)
    expect(await h.services.archive.projectExists('mine')).toBe(false)
    const res = await fork({ project: 'src1', target: 'mine', mode: 'copy' })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/?project=mine')
    const ann = (await h.services.repos.users.byUsername('ann'))!
    expect(await h.services.users.rightsOf(ann)).toEqual([{ project: 'mine', role: 'admin' }, { project: 'src1', role: 'read' }])
    expect(readFileSync(join(h.services.archive.projectDir({ name: 'mine' } as never), 'P9', 'S9', 'a.txt'), 'utf8')).toBe('A')
    const sum = await h.services.archive.summary(ann, 'mine')
    expect([sum.subjects, sum.studies, sum.files]).toEqual([1, 1, 1])
  })
})
