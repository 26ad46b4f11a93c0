// The SEG routes of a saved ROI on the real app (SQLite): GET .../rois/:name/seg gives a SEG that dciodvfy accepts
// and that references the imported series (pydicom); rights (401 anonymous, 403 without read, 403 push with read
// only), an unknown node, a missing ROI and a hostile name are answered with the reason.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { python } from '../../helpers/dicom-fixtures'
import { ellipsoidMask, obliqueCtSeries } from '../../helpers/seg-fixtures'
import { startApp, type Harness } from './harness'

const PW = 'long enough password 1'

describe('GET/POST /api/projects/:p/studies/:pid/:sid/rois/:name/seg', () => {
  let h: Harness
  let work: string
  let series: string
  let base: string
  const tokens: Record<string, string> = {}
  const call = (path: string, who?: string, init: RequestInit = {}) =>
    h.request(path, { ...init, headers: { ...(init.headers as Record<string, string>), ...(who ? { authorization: `Bearer ${tokens[who]}` } : {}) } })

  beforeAll(async () => {
    h = await startApp('sqlite')
    const admin = await h.user('seg-admin', PW, { siteAdmin: true })
    const project = await h.services.archive.createProject(admin, 'segs')
    await h.services.archive.createProject(admin, 'elsewhere')
    for (const [name, right] of [['reader', 'read'], ['writer', 'write'], ['stranger', undefined]] as const) {
      const u = await h.user(name, PW)
      if (right) await h.services.repos.rights.grant(u.id, project.id, right)
      tokens[name] = await h.services.auth.createToken(u, 'seg test')
    }
    work = mkdtempSync(join(tmpdir(), 'nora-seg-api-'))
    series = obliqueCtSeries(work)
    const submitted = await h.services.importer.submit(admin, 'segs', work, { here: true })
    await submitted.ended
    const root = h.services.archive.projectDir(project)
    const nifti = (readdirSync(root, { recursive: true }) as string[]).find((f) => /\.nii(\.gz)?$/.test(f))!
    const [pid, sid, folder, file] = nifti.split('/') as [string, string, string, string]
    base = `/api/projects/segs/studies/${pid}/${sid}/rois`
    mkdirSync(join(root, pid, sid, 'rois'))
    ellipsoidMask(join(root, nifti), join(root, pid, sid, 'rois', 'lesion.nii.gz'))
    writeFileSync(join(root, pid, sid, 'rois', 'lesion.json'), JSON.stringify({ reference: `${pid}/${sid}/${folder}/${file}` }))
  }, 180_000)

  afterAll(async () => {
    await h?.close()
    rmSync(work, { recursive: true, force: true })
  })

  test('a reader downloads the SEG: dciodvfy without errors, the imported series referenced', async () => {
    const res = await call(`${base}/lesion/seg?label=liver`, 'reader')
    expect(res.status, await res.clone().text()).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/dicom')
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="lesion.seg.dcm"')
    const file = join(work, 'down.dcm')
    writeFileSync(file, new Uint8Array(await res.arrayBuffer()))
    const check = Bun.spawnSync(['dciodvfy', '-new', file], { stdout: 'pipe', stderr: 'pipe' })
    const text = check.stdout.toString() + check.stderr.toString()
    expect(text.split('\n').filter((l) => l.startsWith('Error')), text).toEqual([])
    const seg = JSON.parse(python('import sys, json, pydicom; d = pydicom.dcmread(sys.argv[1]); print(json.dumps([d.ReferencedSeriesSequence[0].SeriesInstanceUID, d.SegmentSequence[0].SegmentLabel]))', [file]))
    expect(seg).toEqual([series, 'liver'])
  }, 60_000)

  test('rights: anonymous 401, no right 403, push with read only 403; unknown node 404; missing ROI 404; hostile name 400/404', async () => {
    expect((await call(`${base}/lesion/seg`)).status).toBe(401)
    expect((await call(`${base}/lesion/seg`, 'stranger')).status).toBe(403)
    const push = (who: string, node: string) => call(`${base}/lesion/seg/push`, who, { method: 'POST', body: JSON.stringify({ node }), headers: { 'content-type': 'application/json' } })
    expect((await push('reader', 'nowhere')).status).toBe(403)
    const unknown = await push('writer', 'nowhere')
    expect(unknown.status).toBe(404)
    expect(await unknown.text()).toContain('nowhere')
    const missing = await call(`${base}/none/seg`, 'reader')
    expect(missing.status).toBe(404)
    expect(await missing.text()).toContain('does not exist')
    for (const bad of ['..', '%2e%2e', '..%2f..%2fetc']) expect([400, 404]).toContain((await call(`${base}/${bad}/seg`, 'reader')).status)
    expect((await call(base.replace('/segs/', '/elsewhere/') + '/lesion/seg', 'reader')).status).toBe(403)
  }, 60_000)
})
