import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { copyFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { startApp, type Harness } from './harness'

const NIB = '/usr/lib/python3/dist-packages/nibabel/tests/data'
const PW = 'long enough password 1'
const T1 = 'P1/S1/anat/anatomical.nii'
const OVERLAY = 'P1/S1/anat/example4d.nii.gz'

const state = (over: Record<string, unknown> = {}) => ({
  version: 1,
  layout: '2',
  mosaic: false,
  active: 1,
  viewports: [
    { index: 1, plane: 0, pan: [0, 0, 0, 1], crosshair: [1, 2, 3], items: [{ path: T1, name: 'anatomical.nii', role: 'background', colormap: 'gray', opacity: 1, min: 0, max: 200, outline: false, hidden: false }] },
    {
      index: 2,
      plane: 2,
      pan: [0, 0, 0, 1.5],
      items: [
        { path: T1, name: 'anatomical.nii', role: 'background', colormap: 'gray', opacity: 1, min: 0, max: 200, outline: false, hidden: false },
        { path: OVERLAY, name: 'example4d.nii.gz', role: 'overlay', colormap: 'hot', opacity: 0.5, min: 10, max: 90, outline: false, hidden: false },
      ],
    },
  ],
  rois: [],
  markers: [],
  ...over,
})

for (const dialect of ['sqlite', 'mysql'] as const)
  describe(`shared links API (${dialect})`, () => {
    let h: Harness
    const s: Record<string, { cookie: string; csrf: string }> = {}
    const call = (who: string | undefined, method: string, path: string, body?: unknown) =>
      h.request(path, {
        method,
        redirect: 'manual',
        headers: { accept: 'application/json', ...(who ? { cookie: s[who]!.cookie, 'x-csrf-token': s[who]!.csrf } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      })

    beforeAll(async () => {
      h = await startApp(dialect)
      const ann = await h.user('ann', PW)
      const reader = await h.user('reader', PW)
      await h.user('stranger', PW)
      await h.user('root', PW, { siteAdmin: true })
      const p = await h.services.archive.createProject(ann, 'SHARE')
      const dir = join(h.services.archive.projectDir(p), 'P1', 'S1', 'anat')
      mkdirSync(dir, { recursive: true })
      for (const f of ['anatomical.nii', 'example4d.nii.gz']) copyFileSync(join(NIB, f), join(dir, f))
      await h.services.archive.addFiles(ann, 'SHARE', ['anatomical.nii', 'example4d.nii.gz'].map((f) => join(dir, f)))
      await h.services.repos.rights.grant(reader.id, p.id, 'read')
      for (const u of ['ann', 'reader', 'stranger', 'root']) s[u] = await h.login(u, PW)
    }, 120_000)
    afterAll(async () => h?.close())

    test('the owner shares; a reader opens the same state; a user without rights gets 403 with the reason', async () => {
      const res = await call('ann', 'POST', '/api/shared-links', { project: 'SHARE', title: 'two views <b>', state: state() })
      expect(res.status).toBe(201)
      const link = (await res.json()) as { id: string; url: string; project: string; owner: string; mine: boolean }
      expect(link).toMatchObject({ project: 'SHARE', owner: 'ann', mine: true })
      expect(link.url).toBe(`/share/${link.id}`)

      const read = await call('reader', 'GET', `/api/shared-links/${link.id}`)
      expect(read.status).toBe(200)
      const got = (await read.json()) as { state: unknown; mine: boolean; title: string }
      expect(got.state).toEqual(state())
      expect(got.mine).toBe(false)
      expect(got.title).toBe('two views <b>')

      const denied = await call('stranger', 'GET', `/api/shared-links/${link.id}`)
      expect(denied.status).toBe(403)
      expect(((await denied.json()) as { error: string }).error).toContain('project "SHARE", which you (stranger) may not read; ask ann')

      // The link itself: to the desktop for a reader, a 403 page with the reason for a stranger, the login page without a session.
      const open = await h.request(link.url, { redirect: 'manual', headers: { cookie: s.reader!.cookie } })
      expect(open.status).toBe(303)
      expect(open.headers.get('location')).toBe(`/?project=SHARE#share=${link.id}`)
      const page = await h.request(link.url, { redirect: 'manual', headers: { cookie: s.stranger!.cookie } })
      expect(page.status).toBe(403)
      expect(await page.text()).toContain('may not read; ask ann')
      const anon = await h.request(link.url, { redirect: 'manual' })
      expect(anon.headers.get('location')).toBe(`/login?next=${encodeURIComponent(link.url)}`)
      expect((await call(undefined, 'GET', `/api/shared-links/${link.id}`)).status).toBe(401)
    })

    test('overwrite and delete: the owner (or a site admin) only; lists are per owner', async () => {
      const link = (await (await call('ann', 'POST', '/api/shared-links', { project: 'SHARE', state: state() })).json()) as { id: string }
      const changed = state({ layout: '1', active: 1 })
      expect((await call('reader', 'PUT', `/api/shared-links/${link.id}`, { state: changed })).status).toBe(403)
      const put = await call('ann', 'PUT', `/api/shared-links/${link.id}`, { title: 'one view', state: changed })
      expect(put.status).toBe(200)
      expect(((await (await call('reader', 'GET', `/api/shared-links/${link.id}`)).json()) as { state: { layout: string } }).state.layout).toBe('1')

      // A reader shares a view of the project as a link of their own.
      expect((await call('reader', 'POST', '/api/shared-links', { project: 'SHARE', state: state() })).status).toBe(201)
      expect((await call('stranger', 'POST', '/api/shared-links', { project: 'SHARE', state: state() })).status).toBe(403)
      const mine = (await (await call('reader', 'GET', '/api/shared-links')).json()) as { links: { owner: string }[] }
      expect(mine.links.length).toBe(1)
      expect(mine.links.every((l) => l.owner === 'reader')).toBe(true)

      expect((await call('reader', 'DELETE', `/api/shared-links/${link.id}`)).status).toBe(403)
      expect((await call('root', 'DELETE', `/api/shared-links/${link.id}`)).status).toBe(200)
      expect((await call('ann', 'GET', `/api/shared-links/${link.id}`)).status).toBe(404)
    })

    test('hostile states are refused with 400 and the reason; nothing is stored', async () => {
      const before = ((await (await call('ann', 'GET', '/api/shared-links')).json()) as { links: unknown[] }).links.length
      const outside = state()
      ;(outside.viewports as { items: { path: string }[] }[])[0]!.items[0]!.path = '../../../etc/passwd'
      const r1 = await call('ann', 'POST', '/api/shared-links', { project: 'SHARE', state: outside })
      expect(r1.status).toBe(400)
      expect(((await r1.json()) as { error: string }).error).toContain('".." segment')
      const missing = state()
      ;(missing.viewports as { items: { path: string }[] }[])[0]!.items[0]!.path = 'P1/S1/anat/none.nii'
      const r2 = await call('ann', 'POST', '/api/shared-links', { project: 'SHARE', state: missing })
      expect(r2.status).toBe(400)
      expect(((await r2.json()) as { error: string }).error).toContain('is not a file of project "SHARE"')
      expect((await call('ann', 'POST', '/api/shared-links', { project: 'SHARE', state: { version: 1 } })).status).toBe(400)
      expect((await call('ann', 'POST', '/api/shared-links', { project: 'NOPE', state: state() })).status).toBe(404)
      // Without the CSRF header a session cannot write.
      const noCsrf = await h.request('/api/shared-links', { method: 'POST', headers: { cookie: s.ann!.cookie, 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ project: 'SHARE', state: state() }) })
      expect(noCsrf.status).toBe(403)
      expect(((await (await call('ann', 'GET', '/api/shared-links')).json()) as { links: unknown[] }).links.length).toBe(before)
    })
  })
