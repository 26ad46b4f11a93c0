// The ROI tool's save API, PUT /api/projects/:p/studies/:pid/:sid/rois/:name, on the real app (SQLite): rights and
// CSRF before the body, exact-size raw and gzip bodies, hostile names and paths, replacing; the written mask checked
// with nibabel against its reference (geometry, voxels), the sidecar, and the archive registration (file patterns,
// tags).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { User } from '../../../src/core/types'
import { blobMask, Oracle, PYTHON, skipWithoutScipy } from '../../unit/roi/oracle'
import { startApp, type Harness } from './harness'

const PW = 'long enough password 1'
const DIMS: [number, number, number] = [21, 17, 9]
const N = DIMS[0] * DIMS[1] * DIMS[2]
const REF = 'P1/S1/anat/t1.nii.gz'
const url = (name: string, reference = REF, study = 'P1/S1', project = 'scans') =>
  `/api/projects/${project}/studies/${study}/rois/${name}?reference=${encodeURIComponent(reference)}`

describe.skipIf(skipWithoutScipy)('PUT /api/projects/:p/studies/:pid/:sid/rois/:name', () => {
  let h: Harness
  let root: string
  let admin: User
  const tokens: Record<string, string> = {}
  const oracle = new Oracle()
  const mask = blobMask(DIMS, 5, 3, 0.02)
  const count = mask.reduce((a, b) => a + b, 0)

  const put = (path: string, body: BodyInit | null, who = 'alice', type = 'application/octet-stream', extra: Record<string, string> = {}) =>
    h.request(path, { method: 'PUT', body, headers: { 'content-type': type, ...(who ? { authorization: `Bearer ${tokens[who]}` } : {}), ...extra } })

  /** A body that records whether anything read it. */
  const watchedBody = () => {
    const seen = { pulled: false }
    const body = new ReadableStream<Uint8Array>(
      {
        pull(c) {
          seen.pulled = true
          c.enqueue(mask)
          c.close()
        },
      },
      { highWaterMark: 0 }, // pulled only when someone reads
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
      tokens[name] = await h.services.auth.createToken(u, 'roi test')
    }
    root = h.services.archive.projectDir(scans)
    for (const d of ['P1/S1/anat', 'P1/S2/anat']) mkdirSync(join(root, d), { recursive: true })
    // the reference: an oblique, anisotropic float32 image with sform (code 2) and a different qform (code 1), by nibabel
    const make = Bun.spawnSync([
      PYTHON,
      '-c',
      `import sys, numpy as np, nibabel as nib
a = np.array([[0.6,-0.2,0.3,-80],[0.15,1.0,-0.4,12],[-0.1,0.3,3.0,40],[0,0,0,1]])
img = nib.Nifti1Image(np.random.default_rng(1).normal(0,1,${JSON.stringify(DIMS)}).astype(np.float32), a)
img.set_qform(np.diag([0.7,1.1,3.2,1]), code=1)
img.set_sform(a, code=2)
nib.save(img, sys.argv[1]); nib.save(img, sys.argv[2])`,
      join(root, REF),
      join(root, 'P1/S2/anat/other.nii.gz'),
    ])
    expect(make.exitCode).toBe(0)
    writeFileSync(join(root, 'P1/S1/anat/notes.txt'), 'not an image')
    symlinkSync(join(h.services.archive.projectDir((await h.services.repos.projects.byName('other'))!)), join(root, 'P1/S1/elsewhere'))
    await h.services.archive.addFiles(admin, 'scans', [join(root, REF), join(root, 'P1/S2/anat/other.nii.gz')])
  }, 120_000)

  afterAll(async () => {
    await h?.close()
  })

  test('alice (write) saves an ROI: 201, a uint8 NIfTI with the reference geometry and the mask, and a sidecar', async () => {
    const res = await put(url('lesion'), mask)
    expect(res.status).toBe(201)
    const body = (await res.json()) as Record<string, unknown>
    expect(body).toMatchObject({ path: 'P1/S1/rois/lesion.nii.gz', sidecar: 'P1/S1/rois/lesion.json', voxels: count, dims: DIMS, replaced: false })
    expect(body.url).toBe('/api/projects/scans/files/P1/S1/rois/lesion.nii.gz')
    oracle.add({ id: 'lesion', op: 'niftimask', path: join(root, 'P1/S1/rois/lesion.nii.gz'), reference: join(root, REF) })
    const r = oracle.run().lesion!
    expect(r.shape).toEqual(DIMS)
    expect(r.dtype).toBe('uint8')
    const flat = (x: unknown) => (x as number[][]).flat()
    flat(r.affine).forEach((v, i) => expect(Math.abs(v - flat(r.refAffine)[i]!)).toBeLessThan(1e-4))
    expect(r.sform).toEqual(r.refSform)
    expect((r.qform as unknown[])[0]).toBe(1)
    flat((r.qform as unknown[])[1]).forEach((v, i) => expect(Math.abs(v - flat((r.refQform as unknown[])[1])[i]!)).toBeLessThan(1e-4))
    const data = oracle.uint8('lesion')
    expect(data.every((v, i) => v === mask[i])).toBe(true)
    const sidecar = JSON.parse(readFileSync(join(root, 'P1/S1/rois/lesion.json'), 'utf8'))
    expect(sidecar).toMatchObject({ reference: REF, user: 'alice', tool: 'nora ROI tool', voxels: count, dims: DIMS })
    expect(Math.abs(Date.parse(sidecar.time) - Date.now())).toBeLessThan(120_000)
    // no temp files left beside them
    expect(readdirSync(join(root, 'P1/S1/rois')).sort()).toEqual(['lesion.json', 'lesion.nii.gz'])
  })

  test('the saved ROI is in the archive: it matches file patterns and takes tags, in the file tree of its study', async () => {
    expect(await h.services.archive.tagFiles(admin, 'scans', 'rois/*.nii.gz', ['roi'])).toBe(1)
    expect(await h.services.archive.tagFiles(admin, 'scans', 'rois/lesion.json', ['provenance'])).toBe(1)
    const res = await h.request(`/api/projects/scans/files/P1/S1/rois/lesion.nii.gz`, { headers: { authorization: `Bearer ${tokens.bob}` } })
    expect(res.status).toBe(200)
  })

  test('saving again replaces both files (200, replaced); a gzip body is taken as well', async () => {
    const inverted = mask.map((v) => 1 - v)
    const res = await put(url('lesion.nii.gz'), gzipSync(inverted), 'alice', 'application/gzip')
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ path: 'P1/S1/rois/lesion.nii.gz', replaced: true, voxels: N - count })
    oracle.add({ id: 'again', op: 'niftimask', path: join(root, 'P1/S1/rois/lesion.nii.gz'), reference: join(root, REF) })
    oracle.run()
    expect(oracle.uint8('again').every((v, i) => v === inverted[i])).toBe(true)
    expect(JSON.parse(readFileSync(join(root, 'P1/S1/rois/lesion.json'), 'utf8')).voxels).toBe(N - count)
    expect(readdirSync(join(root, 'P1/S1/rois')).sort()).toEqual(['lesion.json', 'lesion.nii.gz'])
  })

  test('anonymous: 401; read right only: 403; no right: 403 - and none of them had their body read', async () => {
    for (const [who, status] of [['', 401], ['bob', 403], ['carol', 403]] as const) {
      const { body, seen } = watchedBody()
      const res = await put(url('denied'), body, who)
      expect(res.status, who).toBe(status)
      expect(seen.pulled, who).toBe(false)
    }
    expect(existsSync(join(root, 'P1/S1/rois/denied.nii.gz'))).toBe(false)
  })

  test('a session without the CSRF token is refused', async () => {
    const { cookie, csrf } = await h.login('alice', PW)
    const bad = await h.request(url('csrf'), { method: 'PUT', body: mask, headers: { cookie, 'content-type': 'application/octet-stream' } })
    expect(bad.status).toBe(403)
    const good = await h.request(url('csrf'), { method: 'PUT', body: mask, headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/octet-stream' } })
    expect(good.status).toBe(201)
  })

  test('a body of the wrong size, type or compression is refused and writes nothing', async () => {
    const cases: [BodyInit, string, number][] = [
      [mask.subarray(0, N - 1), 'application/octet-stream', 400],
      [new Uint8Array(N + 1), 'application/octet-stream', 413],
      [new Uint8Array(0), 'application/octet-stream', 400],
      [gzipSync(new Uint8Array(N + 10)), 'application/gzip', 400],
      [new Uint8Array(200), 'application/gzip', 400],
      [mask, 'text/plain', 400],
    ]
    for (const [body, type, status] of cases) {
      const res = await put(url('sized'), body, 'alice', type)
      expect(res.status, `${type} ${(body as Uint8Array).length}`).toBe(status)
      expect(((await res.json()) as { error: string }).error.length).toBeGreaterThan(10)
    }
    // a streamed body running over is cut off too
    const over = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new Uint8Array(N))
        c.enqueue(new Uint8Array(10))
        c.close()
      },
    })
    expect((await put(url('sized'), over)).status).toBe(413)
    expect(existsSync(join(root, 'P1/S1/rois/sized.nii.gz'))).toBe(false)
  })

  test('hostile names, study paths and references are refused with 400/404/422, nothing written outside', async () => {
    const cases: [string, number][] = [
      [url('..'), 404], // the URL parser resolves the dot segment: a path with no route
      [url('%2E%2E'), 404], // so does an encoded one (WHATWG URL)
      [url('%2e%2e%2f%2e%2e'), 400],
      [url('.hidden'), 400],
      [url('a%2F..%2F..%2Fx'), 400],
      [url('..%2F..%2F..%2Fother%2Fx'), 400],
      [url('x%00y'), 400],
      [url('white space'), 400],
      [url('x'.repeat(101)), 400],
      [url('ok', REF, '..%2F..%2Fother/S1'), 400],
      [url('ok', REF, 'P1/..'), 404], // resolved by the URL parser: no such route
      [url('ok', REF, 'P1/%2e%2e%2fS1'), 400],
      [url('ok', '../other/x.nii.gz'), 400],
      [url('ok', '/etc/passwd'), 400],
      [url('ok', 'P1/S2/anat/other.nii.gz'), 400], // an image of another study
      [url('ok', 'P1/S1/anat/missing.nii.gz'), 404],
      [url('ok', 'P1/S1/anat/notes.txt'), 422], // not NIfTI
      [url('ok', 'P1/S1/elsewhere/x.nii.gz'), 404], // through a symlink out of the project (nothing there)
      [url('ok', REF, 'P9/S9'), 400], // the reference is not of this study
      [url('ok', REF, 'P1/S1', 'nosuch'), 404],
    ]
    for (const [path, status] of cases) {
      const res = await put(path, mask)
      expect(res.status, path).toBe(status)
    }
    expect(existsSync(join(root, 'P1/S1/rois/ok.nii.gz'))).toBe(false)
    expect(readdirSync(h.services.archive.projectDir((await h.services.repos.projects.byName('other'))!))).toEqual([])
    expect(readdirSync(join(root, 'P1/S1/rois')).sort()).toEqual(['csrf.json', 'csrf.nii.gz', 'lesion.json', 'lesion.nii.gz'])
  })
})
