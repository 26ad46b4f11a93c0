import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, readdirSync, statSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { python } from '../helpers/dicom-fixtures'
import { makeHome, type TestHome } from '../helpers/home'
import { runNora } from '../helpers/nora-binary'
import { type CanarySnapshot, CANARY_PROJECT, expectCanaryIntact, leftovers, plantCanary } from './canary'

/**
 * The ROI tool's save (PUT /api/projects/:p/studies/:pid/:sid/rois/:name) against the built ./nora on a real port,
 * with request lines sent byte for byte (no client normalises them): hostile ROI names, study paths and references
 * that try to write outside the study, into the canary project or over its files, as a user with the write right on
 * another project. Every one is refused; only the one honest save writes, and the canary stays byte-identical.
 */

const PROJECT = 'lab'
const DIMS = [12, 10, 6]
const N = DIMS[0]! * DIMS[1]! * DIMS[2]!
const REF = 'P1/S1/anat/t1.nii.gz'

/** Sends one HTTP/1.1 request as raw bytes; resolves with the status. */
function rawRequest(port: number, method: string, target: string, headers: Record<string, string>, body: Uint8Array): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1')
    let data = ''
    sock.on('connect', () => {
      const h = Object.entries({ host: `127.0.0.1:${port}`, connection: 'close', 'content-length': String(body.length), ...headers })
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('')
      sock.write(`${method} ${target} HTTP/1.1\r\n${h}\r\n`)
      sock.write(body)
    })
    sock.on('data', (d) => (data += d.toString('latin1')))
    sock.on('end', () => resolve(Number(data.match(/^HTTP\/1\.1 (\d{3})/)?.[1] ?? 0)))
    sock.on('error', reject)
  })
}

describe('ROI save: hostile names and paths', () => {
  let home: TestHome
  let snap: CanarySnapshot
  let token: string
  let canaryStudy: string
  let before: string[]
  const mask = new Uint8Array(N).map((_, i) => (i % 7 === 0 ? 1 : 0))
  const put = (target: string) => rawRequest(home.httpPort, 'PUT', target, { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' }, mask)
  const ref = (r = REF) => `reference=${encodeURIComponent(r)}`

  beforeAll(async () => {
    home = makeHome()
    expect((await runNora(['init'], { home: home.home })).code).toBe(0)
    snap = await plantCanary(home)
    expect((await runNora(['--createproject', PROJECT], { home: home.home })).code).toBe(0)
    await runNora(['--admin', 'adduser', 'mallory', '--password', 'long enough password 1'], { home: home.home })
    await runNora(['--admin', 'grant', 'mallory', PROJECT, 'write'], { home: home.home })
    token = (await runNora(['--admin', 'token', 'mallory'], { home: home.home })).stdout.trim()
    const study = join(home.home, 'data/projects', PROJECT, 'P1/S1/anat')
    mkdirSync(study, { recursive: true })
    python(
      'import sys, numpy as np, nibabel as nib; nib.save(nib.Nifti1Image(np.ones(tuple(map(int, sys.argv[2].split(","))), np.float32), np.diag([0.9, 1.1, 3, 1])), sys.argv[1])',
      [join(study, 't1.nii.gz'), DIMS.join(',')],
    )
    expect((await runNora(['-p', PROJECT, '--add', join(study, 't1.nii.gz')], { home: home.home })).code).toBe(0)
    const canaryRoot = join(home.home, 'data/projects', CANARY_PROJECT)
    const pid = readdirSync(canaryRoot).find((d) => statSync(join(canaryRoot, d)).isDirectory())!
    const sid = readdirSync(join(canaryRoot, pid)).find((d) => statSync(join(canaryRoot, pid, d)).isDirectory())!
    canaryStudy = `${pid}/${sid}`
    before = leftovers(join(home.home, 'data'))
    expect((await runNora(['start'], { home: home.home })).code).toBe(0)
  }, 600_000) // builds ./nora when stale, imports the canary, starts the server

  afterAll(async () => {
    await runNora(['stop'], { home: home.home })
    home.cleanup()
  })

  test('every hostile save is refused; the honest one writes only its two files; the canary is intact', async () => {
    const base = `/api/projects/${PROJECT}/studies`
    const attacks = [
      `${base}/P1/S1/rois/..%2F..%2F..%2F${CANARY_PROJECT}%2Fx?${ref()}`,
      `${base}/P1/S1/rois/%2e%2e%2f%2e%2e%2fanat%2Ft1?${ref()}`,
      `${base}/P1/S1/rois/..?${ref()}`,
      `${base}/P1/S1/rois/../../../../${CANARY_PROJECT}/x?${ref()}`,
      `${base}/P1/S1/rois/x%00.nii.gz?${ref()}`,
      `${base}/P1/S1/rois/..%5C..%5Cx?${ref()}`,
      `${base}/P1/S1/rois/%2Fetc%2Fcron.d%2Fx?${ref()}`,
      `${base}/P1/S1/rois/t1?${ref()}&reference=${encodeURIComponent(`../../${CANARY_PROJECT}/${canaryStudy}/x.nii`)}`,
      `${base}/..%2F..%2F${CANARY_PROJECT}/${canaryStudy.replace('/', '%2F')}/rois/x?${ref()}`,
      `${base}/..%2F${CANARY_PROJECT}%2F${canaryStudy.split('/')[0]}/${canaryStudy.split('/')[1]}/rois/x?${ref()}`,
      `${base}/P1/S1/rois/x?${ref(`../../${CANARY_PROJECT}/${canaryStudy}/x.nii.gz`)}`,
      `${base}/P1/S1/rois/x?${ref(`/${join(home.home, 'data/projects', CANARY_PROJECT)}`)}`,
      `${base}/P1/S1/rois/x?${ref('P1/S1/../../../../../etc/passwd')}`,
      `/api/projects/${CANARY_PROJECT}/studies/${canaryStudy}/rois/x?${ref(`${canaryStudy}/x.nii.gz`)}`,
      `/api/projects/..%2F${CANARY_PROJECT}/studies/${canaryStudy}/rois/x?${ref()}`,
    ]
    for (const target of attacks) {
      const status = await put(target)
      expect(status >= 400 && status < 500, `${target}: ${status}`).toBe(true)
    }
    expect(leftovers(join(home.home, 'data')).filter((f) => !before.includes(f) && !f.startsWith('nora.') && !f.includes('.log'))).toEqual([])
    // the route is live: the honest save writes its mask and sidecar, nothing else
    expect(await put(`${base}/P1/S1/rois/lesion?${ref()}`)).toBe(201)
    const added = leftovers(join(home.home, 'data')).filter((f) => !before.includes(f) && !f.startsWith('nora.') && !f.includes('.log'))
    expect(added.sort()).toEqual([`projects/${PROJECT}/P1/S1/rois/lesion.json`, `projects/${PROJECT}/P1/S1/rois/lesion.nii.gz`])
    await expectCanaryIntact(home, snap)
  }, 120_000)
})
