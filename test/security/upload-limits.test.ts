import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { waitFor } from '../helpers/dcmtk'
import { DICOMDIRTESTS, python, zipOf } from '../helpers/dicom-fixtures'
import { makeHome, type TestHome } from '../helpers/home'
import { runNora } from '../helpers/nora-binary'
import { type CanarySnapshot, expectCanaryIntact, leftovers, plantCanary } from './canary'

/**
 * Item 2 of issue 11 (unauthenticated disk fill), against the built ./nora on a real port, with curl (the seed's
 * command), fetch and raw sockets: the call field and the credentials are checked before a file byte is written and
 * before the body is read further, http.maxUploadMb answers 413, data.minFreeMb answers 507, partial uploads and
 * orphans are removed, malformed calls are 400, hostile desktop file names are 400.
 */

const MB = 1024 * 1024
const PROJECT = 'WHATEVER'

/** The free space of the disk holding `path` in MB, as Python's os.statvfs reads it (not nora's code). */
const freeMbOf = (path: string) => Number(python('import os,sys; s=os.statvfs(sys.argv[1]); print(s.f_bavail*s.f_frsize//(1<<20))', [path]).trim())

/** A zip (by Python's zipfile) holding `mb` MB of random bytes. */
function noiseZip(dir: string, mb: number): string {
  const out = join(dir, `noise-${mb}mb.zip`)
  python('import os,sys,zipfile; z=zipfile.ZipFile(sys.argv[1],"w",zipfile.ZIP_STORED); z.writestr("noise.bin", os.urandom(int(sys.argv[2])<<20)); z.close()', [out, String(mb)])
  return out
}

interface Answer {
  status: number
  body: string
}

/** curl with the given arguments; the status and body it printed. */
async function curl(args: string[], timeoutMs = 60_000): Promise<Answer & { exit: number; stderr: string }> {
  const p = Bun.spawn(['curl', '-sS', '-o', '-', '-w', '\n%{http_code}', ...args], { stdout: 'pipe', stderr: 'pipe' })
  const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs)
  const [out, stderr, exit] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
  clearTimeout(timer)
  const cut = out.lastIndexOf('\n')
  return { status: Number(out.slice(cut + 1)), body: out.slice(0, cut), exit, stderr }
}

/** Body and status of a complete HTTP/1.1 response in `raw`, or undefined while it is incomplete. */
function parseResponse(raw: Buffer): Answer | undefined {
  const end = raw.indexOf('\r\n\r\n')
  if (end < 0) return undefined
  const head = raw.subarray(0, end).toString('latin1')
  const status = Number(head.match(/^HTTP\/1\.1 (\d{3})/)?.[1])
  const length = Number(head.match(/\r\ncontent-length: *(\d+)/i)?.[1] ?? 0)
  const body = raw.subarray(end + 4)
  return body.length >= length ? { status, body: body.subarray(0, length).toString() } : undefined
}

/**
 * A request over a raw socket: `head` and `prefix`, then filler in 64 KB chunks every `paceMs` until `total` bytes
 * are sent or the server answers. Returns the answer and how many body bytes had been sent when it came, and
 * calls `duringSend` on every chunk (to look at the disk while the body streams).
 */
async function slowRequest(port: number, head: string, prefix: Uint8Array, total: number, opts: { paceMs?: number; duringSend?: () => void } = {}): Promise<Answer & { sent: number }> {
  let raw = Buffer.alloc(0)
  let closed = false
  const sock = await Bun.connect({
    hostname: '127.0.0.1',
    port,
    socket: {
      data(_s, d) {
        raw = Buffer.concat([raw, d])
      },
      close() {
        closed = true
      },
      error() {
        closed = true
      },
    },
  })
  sock.write(head)
  let sent = sock.write(prefix)
  const chunk = new Uint8Array(64 * 1024).fill(0x41)
  while (!parseResponse(raw) && !closed && sent < total) {
    sent += sock.write(chunk.subarray(0, Math.min(chunk.length, total - sent)))
    opts.duringSend?.()
    await Bun.sleep(opts.paceMs ?? 5)
  }
  const answer = await waitFor('the answer on the raw socket', async () => parseResponse(raw) ?? (closed ? { status: 0, body: raw.toString() } : undefined), 60_000)
  sock.end()
  return { ...answer, sent }
}

/** A multipart prefix: the given fields, then the header of the file part (its bytes follow). */
function multipartPrefix(boundary: string, fields: [string, string][], fileField = 'thefile'): Uint8Array {
  let s = ''
  for (const [name, value] of fields) s += `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`
  s += `--${boundary}\r\nContent-Disposition: form-data; name="${fileField}"; filename="data.zip"\r\nContent-Type: application/zip\r\n\r\n`
  return Buffer.from(s)
}

/** A body generator of `total` bytes (64 KB chunks) that counts what fetch pulled from it. */
function countedBody(total: number, paceMs = 0): { body: AsyncGenerator<Uint8Array>; pulled(): number } {
  let pulled = 0
  async function* gen() {
    const chunk = new Uint8Array(64 * 1024).fill(0x42)
    while (pulled < total) {
      pulled += chunk.length
      yield chunk
      if (paceMs) await Bun.sleep(paceMs)
    }
  }
  return { body: gen(), pulled: () => pulled }
}

describe('uploads: call and credentials first, size limit, free-space floor, no leftovers (built binary)', () => {
  let home: TestHome
  let snap: CanarySnapshot
  let tmp: string
  let token: string
  let readerToken: string
  let smallZip: string
  const uploads = () => join(home.home, 'data', 'uploads')
  const uploadFiles = () => leftovers(uploads())
  const indexUrl = () => `${home.url}index.php?project=${PROJECT}`
  const seedCall = (t = token) => `call={"cmd":"import","user":"donald","token":"${t}"}`
  const error = (a: Answer) => (JSON.parse(a.body) as { error: string }).error

  /** Rewrites conf/main.conf with these limits and (re)starts the server. */
  async function restart(opts: { maxUploadMb?: number; minFreeMb?: number } = {}, before?: () => void): Promise<string> {
    await runNora(['stop'], { home: home.home })
    const http = `host: "127.0.0.1", port: ${home.httpPort}${opts.maxUploadMb ? `, maxUploadMb: ${opts.maxUploadMb}` : ''}`
    const data = opts.minFreeMb !== undefined ? `data: { minFreeMb: ${opts.minFreeMb} },` : ''
    writeFileSync(join(home.home, 'conf', 'main.conf'), `{ http: { ${http} }, dicom: { port: ${home.dicomPort} }, database: { dialect: "sqlite" }, ${data} }`)
    before?.()
    const started = await runNora(['start'], { home: home.home })
    expect(started.code).toBe(0)
    return started.stdout
  }

  beforeAll(async () => {
    home = makeHome()
    tmp = join(home.home, 'test-inputs')
    mkdirSync(tmp)
    expect((await runNora(['init'], { home: home.home })).code).toBe(0)
    snap = await plantCanary(home)
    expect((await runNora(['--createproject', PROJECT], { home: home.home })).code).toBe(0)
    for (const [user, right] of [
      ['donald', 'write'],
      ['reader', 'read'],
    ]) {
      await runNora(['--admin', 'adduser', user!, '--password', `quack-quack-${user}`], { home: home.home })
      await runNora(['--admin', 'grant', user!, PROJECT, right!], { home: home.home })
    }
    token = (await runNora(['--admin', 'token', 'donald'], { home: home.home })).stdout.trim()
    readerToken = (await runNora(['--admin', 'token', 'reader'], { home: home.home })).stdout.trim()
    smallZip = zipOf(DICOMDIRTESTS)
    await restart()
  }, 180_000)

  afterAll(async () => {
    await runNora(['stop'], { home: home.home })
    rmSync(dirname(smallZip), { recursive: true, force: true })
    home.cleanup()
  })

  test('the seed\'s curl command still imports; its upload is removed once imported', async () => {
    const r = await curl([indexUrl(), '-F', seedCall(), '-F', `thefile=@${smallZip}`])
    expect(r.status).toBe(202)
    const { id } = JSON.parse(r.body) as { id: number }
    const done = await waitFor('the import', async () => {
      const s = (await (await fetch(`${home.url}api/imports/${id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { state: string; counts: Record<string, number> }
      return s.state === 'done' || s.state === 'failed' ? s : undefined
    })
    expect(done.state).toBe('done')
    expect(done.counts).toMatchObject({ patients: 3, studies: 7, series: 14 })
    await waitFor('data/uploads to be empty', async () => (uploadFiles().length === 0 ? true : undefined))
    await expectCanaryIntact(home, snap)
  }, 120_000)

  test('a file part before the call is refused with 400 at once, unread, and nothing is written', async () => {
    const boundary = 'nora-test-boundary-1'
    let sawUpload = false
    const r = await slowRequest(
      home.httpPort,
      `POST /index.php?project=${PROJECT} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${200 * MB}\r\n\r\n`,
      multipartPrefix(boundary, []),
      200 * MB,
      { duringSend: () => (sawUpload ||= existsSync(uploads()) && readdirSync(uploads()).length > 0) },
    )
    expect(r.status).toBe(400)
    expect(error(r)).toContain('send the call field before the file')
    expect(r.sent).toBeLessThan(100 * MB)
    expect(sawUpload).toBe(false)
    // The same with curl: the file first, the call after it.
    const c = await curl([indexUrl(), '-F', `thefile=@${smallZip}`, '-F', seedCall()])
    expect(c.status).toBe(400)
    expect(error(c)).toContain('send the call field before the file')
    expect(uploadFiles()).toEqual([])
    await expectCanaryIntact(home, snap)
  }, 120_000)

  test('a wrong token is 401 before the body is read: a 200 MB body is not consumed and no byte lands on disk', async () => {
    const boundary = 'nora-test-boundary-2'
    let sawUpload = false
    const watch = () => (sawUpload ||= existsSync(uploads()) && readdirSync(uploads()).length > 0)
    // index.php: the call (wrong token) and the start of the file over a raw socket, the rest sent slowly.
    const legacy = await slowRequest(
      home.httpPort,
      `POST /index.php?project=${PROJECT} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${200 * MB}\r\n\r\n`,
      multipartPrefix(boundary, [['call', JSON.stringify({ cmd: 'import', user: 'donald', token: 'nora_wrong' })]]),
      200 * MB,
      { duringSend: watch },
    )
    expect(legacy.status).toBe(401)
    expect(error(legacy)).toContain('wrong user name or token')
    expect(legacy.sent).toBeLessThan(100 * MB)
    // A right token of the wrong user is refused the same way.
    const other = await slowRequest(
      home.httpPort,
      `POST /index.php?project=${PROJECT} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${200 * MB}\r\n\r\n`,
      multipartPrefix(boundary, [['call', JSON.stringify({ cmd: 'import', user: 'reader', token })]]),
      200 * MB,
      { duringSend: watch },
    )
    expect(other.status).toBe(401)
    // The same from a generator through fetch (chunked, no length): answered after a small part was pulled.
    const form = countedBody(200 * MB, 5)
    const pre = multipartPrefix(boundary, [['call', JSON.stringify({ cmd: 'import', user: 'donald', token: 'nora_wrong' })]])
    async function* body() {
      yield pre
      yield* form.body
    }
    const viaFetch = await fetch(indexUrl(), { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, body: body() as never })
    expect(viaFetch.status).toBe(401)
    expect(form.pulled()).toBeLessThan(100 * MB)
    watch()
    // The token routes check the token and the project's write right before they read the body.
    for (const [route, auth, status] of [
      [`api/projects/${PROJECT}/imports`, 'Bearer nora_wrong', 401],
      [`api/projects/${PROJECT}/imports`, `Bearer ${readerToken}`, 403],
      [`api/projects/${PROJECT}/files?name=big.nii&psid=P1%23S1`, 'Bearer nora_wrong', 401],
      [`api/projects/${PROJECT}/files?name=big.nii&psid=P1%23S1`, `Bearer ${readerToken}`, 403],
    ] as const) {
      const raw = countedBody(200 * MB, 5)
      const res = await fetch(`${home.url}${route}`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/zip' }, body: raw.body as never })
      expect(`${route} ${auth.slice(0, 12)} ${res.status}`).toBe(`${route} ${auth.slice(0, 12)} ${status}`)
      expect(raw.pulled()).toBeLessThan(100 * MB)
      watch()
    }
    expect(sawUpload).toBe(false)
    expect(uploadFiles()).toEqual([])
    await expectCanaryIntact(home, snap)
  }, 120_000)

  test('a malformed call is 400 with the reason, never 500, and nothing is written', async () => {
    const cases: [string, RegExp][] = [
      ['call=not json', /the "call" field is not JSON/],
      ['call={"cmd":"import","user":"donald","token":123}', /"token" in the "call" field must be a string, not 123/],
      ['call={"cmd":"import","user":"donald","token":{"$ne":""}}', /"token" in the "call" field must be a string/],
      ['call={"cmd":"import","user":["donald"],"token":"x"}', /"user" in the "call" field must be a string/],
      ['call={"user":"donald","token":"x"}', /the "call" field has no "cmd"/],
      ['call={"cmd":7,"user":"donald","token":"x"}', /"cmd" in the "call" field must be a string/],
      ['call={"cmd":"delete","user":"donald","token":"x"}', /unknown cmd "delete"/],
      ['call={"cmd":"import","token":"x"}', /gives a token but no "user"/],
      ['call={"cmd":"import"}', /the "call" field has no "user"/],
      ['call=[1,2]', /must be a JSON object/],
      ['call=null', /must be a JSON object/],
    ]
    for (const [field, reason] of cases) {
      const r = await curl([indexUrl(), '-F', field, '-F', `thefile=@${smallZip}`])
      expect(`${field} -> ${r.status}`).toBe(`${field} -> 400`)
      expect(error(r)).toMatch(reason)
    }
    // Not a form at all, and a form with a call but no file.
    const raw = await curl([indexUrl(), '-H', 'content-type: application/zip', '--data-binary', `@${smallZip}`])
    expect(raw.status).toBe(400)
    expect(error(raw)).toContain('index.php takes a multipart form')
    const broken = await curl([indexUrl(), '-H', 'content-type: multipart/form-data; boundary=xyz', '--data-binary', '--xyz\r\nContent-Disposition: form-data; name="call"\r\n\r\n{"cmd"'])
    expect(broken.status).toBe(400)
    expect(error(broken)).toContain('malformed multipart request')
    const noBoundary = await curl([indexUrl(), '-H', 'content-type: multipart/form-data', '--data-binary', 'x'])
    expect(noBoundary.status).toBe(400)
    expect(error(noBoundary)).toContain('malformed multipart request')
    const noFile = await curl([indexUrl(), '-F', seedCall()])
    expect(noFile.status).toBe(400)
    expect(error(noFile)).toContain('no file in the form')
    const noProject = await curl([`${home.url}index.php`, '-F', seedCall(), '-F', `thefile=@${smallZip}`])
    expect(noProject.status).toBe(400)
    expect(error(noProject)).toContain('say which project')
    expect(uploadFiles()).toEqual([])
    await expectCanaryIntact(home, snap)
  }, 120_000)

  test('hostile desktop upload names are 400 naming the file; nothing is written outside the study', async () => {
    const up = (query: string) =>
      fetch(`${home.url}api/projects/${PROJECT}/files?${query}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' }, body: 'pwned' })
    const cases: [string, string][] = [
      ['name=..%2Fx&psid=P1%23S1', '"../x"'],
      ['name=..%2F..%2F..%2Fcanary%2Fx&psid=P1%23S1', '"../../../canary/x"'],
      ['name=%2Fetc%2Fpasswd&psid=P1%23S1', '"/etc/passwd"'],
      ['name=a%00b.nii&psid=P1%23S1', '"a\\u0000b.nii"'],
      ['name=..&psid=P1%23S1', '".."'],
      ['name=a%5C..%5Cx&psid=P1%23S1', '"a\\\\..\\\\x"'],
      ['name=x%0A.nii&psid=P1%23S1', '"x\\n.nii"'],
      ['name=..%2Fx.dcm&native=1', '"../x.dcm"'],
      ['name=x.nii&psid=P1%23S1&folder=..%2F..%2F..', 'folder "../../.."'],
      ['name=x.nii&psid=P1%23S1&folder=%2Fetc', 'folder "/etc"'],
      ['name=x.nii&psid=P1%23S1&folder=a%2F..%2F..%2Fb', 'folder "a/../../b"'],
      ['name=x.nii&psid=P1%23S1&folder=a%00b', 'folder'],
      ['name=x.nii&psid=..%23S1', 'patients_id ".."'],
      ['name=x.nii&psid=P1%23..', 'studies_id ".."'],
    ]
    for (const [query, named] of cases) {
      const res = await up(query)
      const body = (await res.json()) as { error: string }
      expect(`${query} -> ${res.status}`).toBe(`${query} -> 400`)
      expect(body.error).toContain(named)
    }
    const projects = join(home.home, 'data', 'projects')
    expect(readdirSync(projects).sort()).toEqual(['WHATEVER', 'canary'])
    expect(existsSync(join(projects, PROJECT, 'P1'))).toBe(false)
    expect(existsSync(join(projects, PROJECT, 'x'))).toBe(false)
    expect(readFileSync('/etc/passwd', 'utf8')).not.toContain('pwned')
    // A plain name into the same study is taken: the route works, only the hostile names were refused.
    const ok = await up('name=notes.txt&psid=P1%23S1&folder=upload')
    expect(ok.status).toBe(201)
    expect(readFileSync(join(projects, PROJECT, 'P1', 'S1', 'upload', 'notes.txt'), 'utf8')).toBe('pwned')
    expect(uploadFiles()).toEqual([])
    await expectCanaryIntact(home, snap)
  }, 120_000)

  test('a client killed mid-upload leaves nothing behind (index.php form, raw API body, desktop drop)', async () => {
    const big = noiseZip(tmp, 24)
    const imports = async () => (await runNora(['--sql', 'SELECT COUNT(*) AS n FROM imports'], { home: home.home })).stdout
    const before = await imports()
    for (const args of [
      [indexUrl(), '-F', seedCall(), '-F', `thefile=@${big}`],
      [`${home.url}api/projects/${PROJECT}/imports`, '-H', `authorization: Bearer ${token}`, '-H', 'content-type: application/zip', '--data-binary', `@${big}`],
      [`${home.url}api/projects/${PROJECT}/files?name=big.zip&psid=P2%23S2`, '-H', `authorization: Bearer ${token}`, '-H', 'content-type: application/octet-stream', '-T', big, '-X', 'POST'],
    ]) {
      const p = Bun.spawn(['curl', '-sS', '--limit-rate', '512k', ...args], { stdout: 'pipe', stderr: 'pipe' })
      // Wait until part of the body is on disk, then kill the client the hard way.
      const partial = await waitFor('a partial upload on disk', async () => {
        const f = existsSync(uploads()) ? readdirSync(uploads()).find((n) => n.endsWith('.upload')) : undefined
        return f && (statSync(join(uploads(), f), { throwIfNoEntry: false })?.size ?? 0) > 0 ? f : undefined
      })
      expect(partial).toMatch(/\.upload$/)
      p.kill('SIGKILL')
      await p.exited
      await waitFor('the partial upload to be removed', async () => (uploadFiles().length === 0 ? true : undefined), 30_000)
    }
    rmSync(big)
    expect(await imports()).toBe(before) // no import was started from a cut-off body
    await expectCanaryIntact(home, snap)
  }, 120_000)

  test('routes that parse their body in memory refuse a body over 16 MB or one without a length, before reading it', async () => {
    const r = await slowRequest(home.httpPort, `POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${64 * MB}\r\n\r\n`, new Uint8Array(0), 64 * MB)
    expect(r.status).toBe(413)
    expect(r.sent).toBeLessThan(32 * MB)
    const chunked = countedBody(64 * MB, 5)
    const c = await fetch(`${home.url}api/projects/${PROJECT}/tags`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: chunked.body as never })
    expect(c.status).toBe(411)
    expect(chunked.pulled()).toBeLessThan(32 * MB)
    await expectCanaryIntact(home, snap)
  }, 120_000)

  test('orphans of an earlier run are removed at start; http.maxUploadMb 5 refuses a 6 MB zip with 413 naming the limit', async () => {
    const orphanFile = join(uploads(), '1700000000000-deadbeef.upload')
    const orphanDir = join(uploads(), '1700000000000-cafebabe.dir')
    const out = await restart({ maxUploadMb: 5 }, () => {
      mkdirSync(orphanDir, { recursive: true })
      writeFileSync(orphanFile, Buffer.alloc(MB, 1))
      writeFileSync(join(orphanDir, 'x.dcm'), Buffer.alloc(1000, 2))
    })
    expect(out).toContain('nora is running')
    expect(existsSync(orphanFile)).toBe(false)
    expect(existsSync(orphanDir)).toBe(false)
    expect(readFileSync(join(home.home, 'data', 'logs', 'nora.log'), 'utf8')).toContain('removed 2 unfinished uploads')

    const six = noiseZip(tmp, 6)
    // The seed's command (Content-Length known): refused before the body is read.
    const seed = await curl([indexUrl(), '-F', seedCall(), '-F', `thefile=@${six}`])
    expect(seed.status).toBe(413)
    expect(error(seed)).toMatch(/more than 5 MB, the most nora takes \(http\.maxUploadMb/)
    // Chunked, no length: counted while it streams, refused once past 5 MB.
    const chunked = countedBody(6 * MB)
    const api = await fetch(`${home.url}api/projects/${PROJECT}/imports`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/zip' }, body: chunked.body as never })
    expect(api.status).toBe(413)
    expect(((await api.json()) as { error: string }).error).toContain('5 MB, the most nora takes (http.maxUploadMb')
    expect(chunked.pulled()).toBeGreaterThan(5 * MB)
    const desktop = await curl([`${home.url}api/projects/${PROJECT}/files?name=six.zip&psid=P3%23S3`, '-H', `authorization: Bearer ${token}`, '--data-binary', `@${six}`])
    expect(desktop.status).toBe(413)
    // Under the limit still works.
    const small = await curl([indexUrl(), '-F', seedCall(), '-F', `thefile=@${smallZip}`])
    expect(small.status).toBe(202)
    rmSync(six)
    await waitFor('data/uploads to be empty', async () => (uploadFiles().length === 0 ? true : undefined))
    await expectCanaryIntact(home, snap)
  }, 120_000)

  test('data.minFreeMb above the free space refuses uploads with 507 and says how much is free', async () => {
    await restart({ minFreeMb: 1 << 30 })
    const freeMb = freeMbOf(home.home)
    const seed = await curl([indexUrl(), '-F', seedCall(), '-F', `thefile=@${smallZip}`])
    expect(seed.status).toBe(507)
    const message = error(seed)
    expect(message).toMatch(/^the data disk has \d+ MB free; nora keeps 1073741824 MB free \(data\.minFreeMb in conf\/main\.conf\)/)
    expect(Math.abs(Number(message.match(/has (\d+) MB free/)![1]) - freeMb)).toBeLessThan(2048)
    for (const route of [`api/projects/${PROJECT}/imports`, `api/projects/${PROJECT}/files?name=a.zip&psid=P4%23S4`]) {
      const r = await fetch(`${home.url}${route}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/zip' }, body: Bun.file(smallZip) })
      expect(r.status).toBe(507)
      expect(((await r.json()) as { error: string }).error).toContain('(data.minFreeMb')
    }
    expect(uploadFiles()).toEqual([])
    await expectCanaryIntact(home, snap)
  }, 120_000)

  test('the free-space floor is checked while a body without length streams: 507 once the disk would go below it, the partial file removed', async () => {
    const margin = 300
    await restart({ maxUploadMb: 8192, minFreeMb: Math.max(1, freeMbOf(home.home) - margin) })
    const body = countedBody(4096 * MB)
    const r = await fetch(`${home.url}api/projects/${PROJECT}/imports`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/zip' }, body: body.body as never })
    expect(r.status).toBe(507)
    expect(((await r.json()) as { error: string }).error).toContain('(data.minFreeMb')
    // Refused while streaming, not at the start: a good part of the margin was written, far from all 4 GB.
    expect(body.pulled()).toBeGreaterThan(64 * MB)
    expect(body.pulled()).toBeLessThan(2048 * MB)
    await waitFor('the partial upload to be removed', async () => (uploadFiles().length === 0 ? true : undefined), 30_000)
    await restart()
    await expectCanaryIntact(home, snap)
  }, 180_000)
})
