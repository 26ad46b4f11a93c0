// The Marker tool's save API, PUT /api/projects/:p/studies/:pid/:sid/annotations/:name, on the real app (SQLite):
// rights and CSRF before the body, a bounded JSON body, hostile names refused, replacing; the written file read back
// equal, registered in the archive (the file pattern 'annotations/*' finds it), and its Slicer export re-imported equal.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { User } from '../../../src/core/types'
import { formatPointSet, formatSlicer, parsePointSet, parseSlicer, type PointSet } from '../../../src/markers'
import { startApp, type Harness } from './harness'

const PW = 'long enough password 1'
const url = (name: string, study = 'P1/S1', project = 'scans') => `/api/projects/${project}/studies/${study}/annotations/${name}`

const set: PointSet = {
  kind: 'pointset',
  name: 'landmarks',
  reference: 'P1/S1/anat/t1.nii.gz',
  points: [
    { label: 'AC', position: [0.25, -17.5, 3.125] },
    { label: 'PC', position: [-1.5, -41.75, 2] },
    { label: 'p3', position: [30.000001, 2, -8.5] },
  ],
}

describe('PUT /api/projects/:p/studies/:pid/:sid/annotations/:name', () => {
  let h: Harness
  let root: string
  let admin: User
  const tokens: Record<string, string> = {}
  const put = (path: string, body: BodyInit | null, who = 'alice', type = 'application/json', extra: Record<string, string> = {}) =>
    h.request(path, { method: 'PUT', body, headers: { 'content-type': type, ...(who ? { authorization: `Bearer ${tokens[who]}` } : {}), ...extra } })

  /** A body that records whether anything read it. */
  const watchedBody = () => {
    const seen = { pulled: false }
    const body = new ReadableStream<Uint8Array>(
      {
        pull(c) {
          seen.pulled = true
          c.enqueue(new TextEncoder().encode(formatPointSet(set)))
          c.close()
        },
      },
      { highWaterMark: 0 },
    )
    return { body, seen }
  }

  beforeAll(async () => {
    h = await startApp('sqlite', 'auth: { maxFailedLogins: 1000 }')
    admin = await h.user('root-admin', PW, { siteAdmin: true })
    const scans = await h.services.archive.createProject(admin, 'scans')
    await h.services.archive.createProject(admin, 'other')
    for (const [name, right] of [['alice', 'write'], ['bob', 'read'], ['carol', undefined]] as const) {
      const u = await h.user(name, PW)
      if (right) await h.services.repos.rights.grant(u.id, scans.id, right)
      tokens[name] = await h.services.auth.createToken(u, 'markers test')
    }
    root = h.services.archive.projectDir(scans)
    mkdirSync(join(root, 'P1/S1/anat'), { recursive: true })
  }, 120_000)

  afterAll(async () => {
    await h?.close()
  })

  test('saves annotations/NAME.json, equal when read back, registered and found by annotations/*', async () => {
    const res = await put(url('landmarks'), formatPointSet(set))
    expect(res.status).toBe(201)
    const body = (await res.json()) as { path: string; points: number; url: string }
    expect(body).toMatchObject({ path: 'P1/S1/annotations/landmarks.json', points: 3, url: '/api/projects/scans/files/P1/S1/annotations/landmarks.json' })
    const text = readFileSync(join(root, 'P1/S1/annotations/landmarks.json'), 'utf8')
    expect(parsePointSet(text)).toEqual(set)
    expect(JSON.parse(text)).toMatchObject({ user: 'alice', tool: 'nora Marker tool' })
    const found: string[] = []
    for await (const page of h.services.archive.select(admin, 'scans', 'annotations/*')) found.push(...page.map((f) => f.relative))
    expect(found).toEqual(['P1/S1/annotations/landmarks.json'])
    // a reader fetches it through the files API, and its Slicer export comes back equal
    const got = await h.request(body.url, { headers: { authorization: `Bearer ${tokens.bob}` } })
    expect(got.status).toBe(200)
    expect(parseSlicer(formatSlicer(parsePointSet(await got.text())))).toEqual([set])
    // saving again replaces
    const again = await put(url('landmarks.json'), formatPointSet({ ...set, points: set.points.slice(0, 1) }))
    expect(again.status).toBe(200)
    expect(parsePointSet(readFileSync(join(root, 'P1/S1/annotations/landmarks.json'), 'utf8')).points).toHaveLength(1)
  })

  test('rights and CSRF are checked before the body is read', async () => {
    for (const [who, status] of [['bob', 403], ['carol', 403], ['', 401]] as const) {
      const { body, seen } = watchedBody()
      const res = await put(url('denied'), body, who)
      expect(res.status, who || 'anonymous').toBe(status)
      expect(seen.pulled, who || 'anonymous').toBe(false)
    }
    const { cookie, csrf } = await h.login('alice', PW)
    const bad = await h.request(url('csrf'), { method: 'PUT', body: formatPointSet(set), headers: { cookie, 'content-type': 'application/json' } })
    expect(bad.status).toBe(403)
    const good = await h.request(url('csrf'), { method: 'PUT', body: formatPointSet(set), headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' } })
    expect(good.status).toBe(201)
    expect(existsSync(join(root, 'P1/S1/annotations/denied.json'))).toBe(false)
  })

  test('bodies: wrong type, not JSON, bad sets, too large', async () => {
    expect((await put(url('x'), formatPointSet(set), 'alice', 'text/plain')).status).toBe(400)
    expect((await put(url('x'), '{', 'alice')).status).toBe(400)
    const bad = JSON.parse(formatPointSet(set))
    expect((await put(url('x'), JSON.stringify({ ...bad, points: [{ label: 'a', position: [1, 2] }] }))).status).toBe(400)
    expect((await put(url('x'), JSON.stringify({ ...bad, reference: '../../etc/passwd' }))).status).toBe(400)
    const big = await put(url('x'), new Uint8Array(16 * 1024 * 1024 + 10).fill(32))
    expect(big.status).toBe(413)
    expect(existsSync(join(root, 'P1/S1/annotations/x.json'))).toBe(false)
  }, 60_000)

  test('hostile names and study paths are refused, nothing written outside', async () => {
    const cases: [string, number][] = [
      [url('..'), 404],
      [url('%2e%2e%2f%2e%2e'), 400],
      [url('.hidden'), 400],
      [url('a%2F..%2F..%2Fx'), 400],
      [url('x%00y'), 400],
      [url('white space'), 400],
      [url('x'.repeat(101)), 400],
      [url('ok', '..%2F..%2Fother/S1'), 400],
      [url('ok', 'P1/%2e%2e%2fS1'), 400],
      [url('ok', 'P1/S1', 'nosuch'), 404],
    ]
    for (const [path, status] of cases) expect((await put(path, formatPointSet(set))).status, path).toBe(status)
    expect(readdirSync(h.services.archive.projectDir((await h.services.repos.projects.byName('other'))!))).toEqual([])
    expect(readdirSync(join(root, 'P1/S1/annotations')).sort()).toEqual(['csrf.json', 'landmarks.json'])
  })
})
