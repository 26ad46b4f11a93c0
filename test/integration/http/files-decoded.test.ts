import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { startApp, type Harness } from './harness'

const NIB = '/usr/lib/python3/dist-packages/nibabel/tests/data'
const PW = 'long enough password 1'
const URL_GZ = '/api/projects/scans/files/P1/S1/anat/example4d.nii.gz'

/**
 * `?decoded` (what the viewer asks for a .nii.gz): the same stored gzip bytes, but as Content-Encoding: gzip, so a
 * browser inflates them natively. The reference for the inflated bytes is Python's gzip module, not our code.
 */
describe('GET /api/projects/:p/files/<x.gz>?decoded', () => {
  let h: Harness
  let cookie: string
  let stored: Buffer
  let server: { port: number; stop(): void }

  beforeAll(async () => {
    h = await startApp('sqlite')
    const admin = await h.user('root-admin', PW, { siteAdmin: true })
    const scans = await h.services.archive.createProject(admin, 'scans')
    const dir = join(h.services.archive.projectDir(scans), 'P1/S1/anat')
    mkdirSync(dir, { recursive: true })
    copyFileSync(join(NIB, 'example4d.nii.gz'), join(dir, 'example4d.nii.gz'))
    copyFileSync(join(NIB, 'anatomical.nii'), join(dir, 'anatomical.nii'))
    stored = readFileSync(join(dir, 'example4d.nii.gz'))
    cookie = (await h.login('root-admin', PW)).cookie
    const s = h.app.listen({ hostname: '127.0.0.1', port: 0 })
    server = { port: s.server!.port!, stop: () => s.stop() }
  }, 60_000)
  afterAll(async () => {
    server?.stop()
    await h?.close()
  })

  test('sent gzip-encoded as the stored bytes; no ranges; its own ETag', async () => {
    const plain = await h.request(URL_GZ, { headers: { cookie, 'accept-encoding': 'gzip, deflate, br' } })
    expect(plain.headers.get('content-encoding')).toBeNull()
    expect(plain.headers.get('content-type')).toBe('application/gzip')
    const res = await h.request(`${URL_GZ}?decoded`, { headers: { cookie, 'accept-encoding': 'gzip, deflate, br', range: 'bytes=0-99' } })
    expect(res.status).toBe(200) // the range is ignored: it would count encoded bytes
    expect(res.headers.get('content-encoding')).toBe('gzip')
    expect(res.headers.get('content-type')).toBe('application/octet-stream')
    expect(res.headers.get('accept-ranges')).toBe('none')
    expect(res.headers.get('vary')).toBe('accept-encoding')
    expect(res.headers.get('etag')).not.toBe(plain.headers.get('etag'))
    expect(Buffer.from(await res.arrayBuffer()).equals(stored)).toBe(true)
    const again = await h.request(`${URL_GZ}?decoded`, { headers: { cookie, 'accept-encoding': 'gzip', 'if-none-match': res.headers.get('etag')! } })
    expect(again.status).toBe(304)
  })

  test('over HTTP a client that inflates gets the NIfTI inside (reference: Python gzip)', async () => {
    const py = Bun.spawnSync(['/usr/bin/python3', '-c', 'import gzip,sys; sys.stdout.buffer.write(gzip.decompress(open(sys.argv[1],"rb").read()))', join(NIB, 'example4d.nii.gz')])
    expect(py.exitCode).toBe(0)
    const res = await fetch(`http://127.0.0.1:${server.port}${URL_GZ}?decoded`, { headers: { cookie } })
    expect(res.status).toBe(200)
    const body = new Uint8Array(await res.arrayBuffer())
    expect(body.length).toBe(py.stdout.length)
    expect(Buffer.from(body).equals(py.stdout)).toBe(true)
  })

  test('without gzip in Accept-Encoding, or on a file that is not .gz, ?decoded changes nothing', async () => {
    const identity = await h.request(`${URL_GZ}?decoded`, { headers: { cookie, 'accept-encoding': 'identity' } })
    expect(identity.headers.get('content-encoding')).toBeNull()
    expect(identity.headers.get('content-type')).toBe('application/gzip')
    expect(Buffer.from(await identity.arrayBuffer()).equals(stored)).toBe(true)
    const refused = await h.request(`${URL_GZ}?decoded`, { headers: { cookie, 'accept-encoding': 'gzip;q=0' } })
    expect(refused.headers.get('content-encoding')).toBeNull()
    const nii = await h.request('/api/projects/scans/files/P1/S1/anat/anatomical.nii?decoded', { headers: { cookie, 'accept-encoding': 'gzip' } })
    expect(nii.headers.get('content-encoding')).toBeNull()
    expect(nii.headers.get('accept-ranges')).toBe('bytes')
  })

  test('still checks the caller first: 401 without a session', async () => {
    const res = await h.request(`${URL_GZ}?decoded`, { headers: { 'accept-encoding': 'gzip' } })
    expect(res.status).toBe(401)
    expect(res.headers.get('content-encoding')).toBeNull()
  })
})
