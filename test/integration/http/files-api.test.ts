import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync, truncateSync, openSync, closeSync, mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import type { User } from '../../../src/core/types'
import { startApp, type Harness } from './harness'

const NIB = '/usr/lib/python3/dist-packages/nibabel/tests/data'
const PW = 'long enough password 1'
const BASE = '/api/projects/scans/files'

/** Sends a request line byte for byte (no URL normalisation by a client) to a listening server. */
function rawGet(port: number, target: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1')
    let data = ''
    sock.on('connect', () => {
      const h = Object.entries({ host: `127.0.0.1:${port}`, connection: 'close', ...headers }).map(([k, v]) => `${k}: ${v}\r\n`).join('')
      sock.write(`GET ${target} HTTP/1.1\r\n${h}\r\n`)
    })
    sock.on('data', (d) => (data += d.toString('latin1')))
    sock.on('end', () => {
      const status = Number(data.match(/^HTTP\/1\.1 (\d{3})/)?.[1] ?? 0)
      resolve({ status, body: data.split('\r\n\r\n').slice(1).join('\r\n\r\n') })
    })
    sock.on('error', reject)
  })
}

describe('GET /api/projects/:p/files/...', () => {
  let h: Harness
  let alice: { cookie: string; csrf: string }
  let bobToken: string
  let aliceToken: string
  let root: string
  let outside: string
  let server: { port: number; stop(): void }
  const auth = () => ({ cookie: alice.cookie })

  beforeAll(async () => {
    h = await startApp('sqlite', 'auth: { maxFailedLogins: 1000 }')
    const admin = await h.user('root-admin', PW, { siteAdmin: true })
    const a: User = await h.user('alice', PW)
    const b: User = await h.user('bob', PW)
    const scans = await h.services.archive.createProject(admin, 'scans')
    await h.services.archive.createProject(admin, 'secret')
    await h.services.repos.rights.grant(a.id, scans.id, 'read')
    root = h.services.archive.projectDir(scans)
    mkdirSync(join(root, 'P1/S1/anat'), { recursive: true })
    copyFileSync(join(NIB, 'anatomical.nii'), join(root, 'P1/S1/anat/anatomical.nii'))
    copyFileSync(join(NIB, 'example4d.nii.gz'), join(root, 'P1/S1/anat/example4d.nii.gz'))
    copyFileSync(join(NIB, 'test.mgz'), join(root, 'P1/S1/anat/test.mgz'))
    writeFileSync(join(root, 'P1/S1/anat/name with space & #.json'), '{"ok":true}')
    writeFileSync(join(root, 'P1/S1/anat/page.html'), '<script>alert(1)</script>')
    await h.services.archive.addFiles(admin, 'scans', [join(root, 'P1/S1/anat/anatomical.nii'), join(root, 'P1/S1/anat/example4d.nii.gz')])
    // Something outside the project that symlinks inside it point to.
    outside = mkdtempSync(join(tmpdir(), 'nora-outside-'))
    writeFileSync(join(outside, 'secret.txt'), 'TOP SECRET')
    symlinkSync(join(outside, 'secret.txt'), join(root, 'P1/S1/anat/link-out.nii'))
    symlinkSync(outside, join(root, 'P1/S1/dir-out'))
    symlinkSync(join(root, 'P1/S1/anat/anatomical.nii'), join(root, 'P1/S1/anat/link-in.nii'))
    writeFileSync(join(h.services.archive.projectDir((await h.services.repos.projects.byName('secret'))!), 'x.txt'), 'other project')
    // A large sparse file: served by streaming, never read whole.
    const big = join(root, 'P1/S1/big.nii')
    closeSync(openSync(big, 'w'))
    truncateSync(big, 400 * 1024 * 1024)
    alice = await h.login('alice', PW)
    aliceToken = await h.services.auth.createToken(a, 'viewer')
    bobToken = await h.services.auth.createToken(b, 'bob')
    const s = h.app.listen({ hostname: '127.0.0.1', port: 0 })
    server = { port: s.server!.port!, stop: () => s.stop() }
  })

  afterAll(async () => {
    server?.stop()
    await h?.close()
    if (outside) rmSync(outside, { recursive: true, force: true })
  })

  test('401 without a session or token, 401 for a wrong token', async () => {
    const res = await h.request(`${BASE}/P1/S1/anat/anatomical.nii`)
    expect(res.status).toBe(401)
    expect((await res.json()).error).toContain('sign in')
    expect((await h.request(`${BASE}/P1/S1/anat/anatomical.nii`, { headers: { authorization: 'Bearer nora_wrong' } })).status).toBe(401)
  })

  test('403 for a user without rights, for existing and guessed paths alike', async () => {
    for (const p of ['P1/S1/anat/anatomical.nii', 'P9/S9/none.nii', '..%2f..%2fetc/passwd']) {
      const res = await h.request(`${BASE}/${p}`, { headers: { authorization: `Bearer ${bobToken}` } })
      expect(res.status).toBe(403)
    }
    // alice may read scans but not secret
    expect((await h.request('/api/projects/secret/files/x.txt', { headers: auth() })).status).toBe(403)
  })

  test('serves the stored bytes with session or token, content type and validators', async () => {
    const want = readFileSync(join(NIB, 'anatomical.nii'))
    for (const headers of [auth(), { authorization: `Bearer ${aliceToken}` }]) {
      const res = await h.request(`${BASE}/P1/S1/anat/anatomical.nii`, { headers })
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('application/octet-stream')
      expect(res.headers.get('content-length')).toBe(String(want.length))
      expect(res.headers.get('accept-ranges')).toBe('bytes')
      expect(res.headers.get('etag')).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/)
      expect(res.headers.get('last-modified')).toMatch(/GMT$/)
      expect(Buffer.from(await res.arrayBuffer()).equals(want)).toBe(true)
    }
  })

  test('gzip passthrough: .nii.gz and .mgz are the stored gzip bytes, no Content-Encoding', async () => {
    for (const [name, src] of [['example4d.nii.gz', 'example4d.nii.gz'], ['test.mgz', 'test.mgz']] as const) {
      const res = await h.request(`${BASE}/P1/S1/anat/${name}`, { headers: auth() })
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('application/gzip')
      expect(res.headers.get('content-encoding')).toBeNull()
      const got = Buffer.from(await res.arrayBuffer())
      expect(got.equals(readFileSync(join(NIB, src)))).toBe(true)
      expect(got[0]).toBe(0x1f)
      expect(gunzipSync(got).length).toBeGreaterThan(348)
    }
  })

  test('ranges: 206 with Content-Range, suffix and open ranges, 416 past the end; HEAD; 304 on ETag', async () => {
    const want = readFileSync(join(NIB, 'anatomical.nii'))
    const url = `${BASE}/P1/S1/anat/anatomical.nii`
    let res = await h.request(url, { headers: { ...auth(), range: 'bytes=0-347' } })
    expect(res.status).toBe(206)
    expect(res.headers.get('content-range')).toBe(`bytes 0-347/${want.length}`)
    const head = Buffer.from(await res.arrayBuffer())
    expect(head.equals(want.subarray(0, 348))).toBe(true)
    expect([head.readInt32LE(0), head.readInt32BE(0)]).toContain(348) // anatomical.nii is big-endian
    res = await h.request(url, { headers: { ...auth(), range: 'bytes=-10' } })
    expect(res.status).toBe(206)
    expect(Buffer.from(await res.arrayBuffer()).equals(want.subarray(want.length - 10))).toBe(true)
    res = await h.request(url, { headers: { ...auth(), range: `bytes=${want.length - 5}-` } })
    expect(res.headers.get('content-range')).toBe(`bytes ${want.length - 5}-${want.length - 1}/${want.length}`)
    expect((await res.arrayBuffer()).byteLength).toBe(5)
    res = await h.request(url, { headers: { ...auth(), range: `bytes=${want.length}-` } })
    expect(res.status).toBe(416)
    expect(res.headers.get('content-range')).toBe(`bytes */${want.length}`)
    res = await h.request(url, { method: 'HEAD', headers: auth() })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-length')).toBe(String(want.length))
    expect((await res.arrayBuffer()).byteLength).toBe(0)
    const etag = res.headers.get('etag')!
    res = await h.request(url, { headers: { ...auth(), 'if-none-match': etag } })
    expect(res.status).toBe(304)
  })

  test('names with spaces and # work percent-encoded; an unregistered file inside the root is served', async () => {
    const res = await h.request(`${BASE}/P1/S1/anat/${encodeURIComponent('name with space & #.json')}`, { headers: auth() })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('application/json')
    expect(await res.json()).toEqual({ ok: true })
  })

  test('a stored HTML file is not served as a page of our origin', async () => {
    const res = await h.request(`${BASE}/P1/S1/anat/page.html`, { headers: auth() })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/octet-stream')
    expect(res.headers.get('content-security-policy')).toContain('sandbox')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
  })

  test('traversal variants are refused with 400 and a message (raw request lines, not normalised)', async () => {
    const cookie = alice.cookie
    const targets = [
      `${BASE}/P1/../../secret/x.txt`,
      `${BASE}/P1/%2e%2e/%2e%2e/secret/x.txt`,
      `${BASE}/P1/%2E%2E/%2E%2E/secret/x.txt`,
      `${BASE}/..%2f..%2fsecret%2fx.txt`,
      `${BASE}/P1%2f..%2f..%2fsecret/x.txt`,
      `${BASE}/..%5c..%5csecret/x.txt`,
      `${BASE}/%2fetc/passwd`,
      `${BASE}//etc/passwd`,
      `${BASE}/P1/S1/anat/anatomical.nii%00.txt`,
      `${BASE}/P1/%252e%252e/x`,
      `${BASE}/P1/%zz`,
    ]
    for (const target of targets) {
      const res = await rawGet(server.port, target, { cookie, accept: 'application/json' })
      if (process.env.NORA_DEBUG) console.error(res.status, target)
      // %252e%252e decodes once to the literal name "%2e%2e", which does not exist: 404. All else: 400.
      if (target.includes('%252e')) expect(res.status).toBe(404)
      else {
        expect([400, 404]).toContain(res.status)
        expect(res.body).not.toContain('other project')
        expect(res.body).not.toContain('root:')
      }
      expect(res.body).toMatch(/"error":"[^"]+/)
    }
    // The literal traversal forms reach the handler and get the 400 with the reason.
    const r = await rawGet(server.port, `${BASE}/P1/%2e%2e/%2e%2e/secret/x.txt`, { cookie })
    expect(r.status === 400 || r.status === 404).toBe(true)
    const enc = await rawGet(server.port, `${BASE}/..%2f..%2fsecret%2fx.txt`, { cookie })
    expect(enc.status).toBe(400)
    expect(enc.body).toContain('must not contain')
    const nul = await rawGet(server.port, `${BASE}/P1/S1/anat/anatomical.nii%00.txt`, { cookie })
    expect(nul.status).toBe(400)
    expect(nul.body).toContain('NUL')
  })

  test('symlinks leaving the project root are refused; a symlink inside it is served', async () => {
    let res = await h.request(`${BASE}/P1/S1/anat/link-out.nii`, { headers: auth() })
    expect(res.status).toBe(400)
    const text = await res.text()
    expect(text).toContain('outside the project')
    expect(text).not.toContain('TOP SECRET')
    res = await h.request(`${BASE}/P1/S1/dir-out/secret.txt`, { headers: auth() })
    expect(res.status).toBe(400)
    expect(await res.text()).not.toContain('TOP SECRET')
    res = await h.request(`${BASE}/P1/S1/anat/link-in.nii`, { headers: auth() })
    expect(res.status).toBe(200)
    expect((await res.arrayBuffer()).byteLength).toBe(readFileSync(join(NIB, 'anatomical.nii')).length)
  })

  test('missing files and folders: 404 with a message', async () => {
    let res = await h.request(`${BASE}/P1/S1/anat/none.nii`, { headers: auth() })
    expect(res.status).toBe(404)
    expect((await res.json()).error).toContain('not found')
    res = await h.request(`${BASE}/P1/S1`, { headers: auth() })
    expect(res.status).toBe(404)
    expect((await res.json()).error).toContain('not a file')
    res = await h.request('/api/projects/nope/files/a.nii', { headers: auth() })
    expect(res.status).toBe(404)
  })

  test('a 400 MB file is streamed over HTTP, not read into memory', async () => {
    const size = 400 * 1024 * 1024
    Bun.gc(true)
    const before = process.memoryUsage().rss
    const res = await fetch(`http://127.0.0.1:${server.port}${BASE}/P1/S1/big.nii`, { headers: auth() })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-length')).toBe(String(size))
    let got = 0
    let peak = 0
    const reader = res.body!.getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      got += value.byteLength
      if ((got & 0xfffffff) < value.byteLength) peak = Math.max(peak, process.memoryUsage().rss - before)
    }
    peak = Math.max(peak, process.memoryUsage().rss - before)
    expect(got).toBe(size)
    expect(peak).toBeLessThan(size / 2)
  }, 60_000)
})

describe('decodeProjectPath (what the handler sees when a proxy passes the path unnormalised)', () => {
  const { decodeProjectPath } = require('../../../src/archive/file-access') as typeof import('../../../src/archive/file-access')
  test('refuses dot segments in every spelling, encoded separators, absolute paths, NUL', () => {
    for (const p of ['P1/../x', 'P1/%2e%2e/x', 'P1/%2E%2e/x', '%2e%2e', 'P1/./x', 'P1/%2e/x', '..%2fx', 'a%5cb', '/etc/passwd', 'a//b', 'a%00b', '%zz', ''])
      expect(() => decodeProjectPath(p)).toThrow(/file path|no file named|percent-encoding/)
    expect(decodeProjectPath('P1/S1/a%20b%23.nii.gz')).toEqual(['P1', 'S1', 'a b#.nii.gz'])
  })
})
