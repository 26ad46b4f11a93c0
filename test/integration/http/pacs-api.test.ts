import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { httpDeps, openServices, type Services } from '../../../src/app'
import { DEFAULT_POLICY } from '../../../src/archive/project-policy'
import { loadConfig } from '../../../src/config/load-config'
import type { User } from '../../../src/core/types'
import { createApp, type NoraApp } from '../../../src/http/create-app'
import { DICOMDIRTESTS, python } from '../../helpers/dicom-fixtures'
import { freePort, makeHome, type TestHome } from '../../helpers/home'
import { startOrthanc, type Orthanc } from '../../services/orthanc'
import { cheapHash, ORIGIN } from './harness'

const XSS = '<img src=x onerror=alert(1)>'

/** pydicom (not our code) lists the studies of a folder: UID -> patient and instance count. */
function oracle(dir: string): Record<string, { PatientID: string; PatientName: string; instances: number }> {
  return JSON.parse(
    python(
      `
import pydicom, pathlib, collections, json, sys
c = collections.Counter(); info = {}
for p in pathlib.Path(sys.argv[1]).rglob('*'):
    if not p.is_file() or p.name.startswith('DICOMDIR') or p.suffix == '.txt': continue
    try: d = pydicom.dcmread(p, stop_before_pixels=True)
    except Exception: continue
    if 'StudyInstanceUID' not in d: continue
    c[d.StudyInstanceUID] += 1; info[d.StudyInstanceUID] = dict(PatientID=str(d.PatientID), PatientName=str(d.PatientName))
print(json.dumps({k: dict(info[k], instances=v) for k, v in c.items()}))`,
      [dir],
    ),
  )
}

/**
 * A study whose PatientName and StudyDescription are an HTML injection, written by pydicom from one dicomdirtests
 * file. In a PN value `=` separates the alphabetic, ideographic and phonetic groups, so the name's alphabetic form
 * is `<img src`; the description (LO) keeps the whole string.
 */
function hostileStudy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nora-hostile-'))
  python(
    `
import pydicom, pathlib, sys
from pydicom.uid import generate_uid
src = sorted(p for p in pathlib.Path(sys.argv[1]).rglob('*') if p.is_file() and p.parent.name != 'dicomdirtests')[0]
d = pydicom.dcmread(src)
d.PatientName = sys.argv[3]; d.StudyDescription = sys.argv[3]; d.PatientID = 'HOSTILE1'; d.PatientBirthDate = '19800215'
d.StudyInstanceUID = generate_uid(); d.SeriesInstanceUID = generate_uid(); d.SOPInstanceUID = generate_uid()
d.file_meta.MediaStorageSOPInstanceUID = d.SOPInstanceUID
d.save_as(sys.argv[2] + '/hostile.dcm')`,
    [DICOMDIRTESTS, dir, XSS],
  )
  return dir
}

describe('PACS API against a real Orthanc', () => {
  let orthanc: Orthanc
  let home: TestHome
  let s: Services
  let app: NoraApp
  let admin: User
  let adminToken: string
  let readerToken: string
  let pseudoWriterToken: string
  const studies = oracle(DICOMDIRTESTS)
  const downPort = freePort()
  const req = (path: string, init: RequestInit & { token?: string } = {}) =>
    app.handle(new Request(new URL(path, ORIGIN), { ...init, headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...(init.headers as Record<string, string>) } }))
  const json = async (path: string, token?: string) => {
    const r = await req(path, { token })
    return { status: r.status, body: (await r.json()) as Record<string, any> }
  }

  beforeAll(async () => {
    orthanc = await startOrthanc({ nora: ['NORA', '127.0.0.1', 11112] })
    orthanc.load(DICOMDIRTESTS)
    orthanc.load(hostileStudy())
    home = makeHome({ extra: 'auth: { maxFailedLogins: 1000 }' })
    writeFileSync(
      join(home.home, 'conf/pacs.conf'),
      `{ nodes: { clinic: { aet: "ORTHANC", host: "127.0.0.1", port: ${orthanc.dicomPort} }, down: { aet: "DOWN", host: "127.0.0.1", port: ${downPort} } } }`,
    )
    s = await openServices(loadConfig(home.home, {}))
    app = createApp(httpDeps(s))
    const user = async (username: string, siteAdmin = false) => s.repos.users.create({ username, passwordHash: await cheapHash('long enough password 1'), isSiteAdmin: siteAdmin })
    admin = await user('root', true)
    const reader = await user('reader')
    const pseudoWriter = await user('pw')
    await s.archive.createProject(admin, 'open', 'keeps identities')
    const pseudo = await s.archive.createProject(admin, 'pseudo', 'pseudonymises', { ...DEFAULT_POLICY, identity: 'pseudonymize' })
    await s.repos.rights.grant(reader.id, pseudo.id, 'read')
    await s.repos.rights.grant(pseudoWriter.id, pseudo.id, 'write')
    adminToken = await s.auth.createToken(admin, 't')
    readerToken = await s.auth.createToken(reader, 't')
    pseudoWriterToken = await s.auth.createToken(pseudoWriter, 't')
  }, 120_000)
  afterAll(async () => {
    await s?.close()
    await orthanc?.stop()
    home?.cleanup()
  }, 30_000)

  test('without a login every PACS route answers 401', async () => {
    for (const [method, path] of [['GET', '/api/pacs/nodes'], ['GET', '/api/pacs/nodes/clinic/find'], ['POST', '/api/pacs/nodes/clinic/echo'], ['GET', '/api/pacs/pulls'], ['GET', '/api/pacs/pulls/1']] as const) {
      const r = await req(path, { method })
      expect(r.status, `${method} ${path}`).toBe(401)
      expect(((await r.json()) as { error: string }).error).toContain('sign in')
    }
  })

  test('nodes and echo', async () => {
    const nodes = await json('/api/pacs/nodes', adminToken)
    expect(nodes.body.nodes).toEqual([
      { name: 'clinic', aet: 'ORTHANC', host: '127.0.0.1', port: orthanc.dicomPort },
      { name: 'down', aet: 'DOWN', host: '127.0.0.1', port: downPort },
    ])
    const ok = await req('/api/pacs/nodes/clinic/echo', { method: 'POST', token: adminToken })
    expect(ok.status).toBe(200)
    expect(((await ok.json()) as { ok: boolean }).ok).toBe(true)
    const down = await req('/api/pacs/nodes/down/echo', { method: 'POST', token: adminToken })
    expect(down.status).toBe(503)
    expect(((await down.json()) as { error: string }).error).toContain(`PACS "down" (DOWN) at 127.0.0.1:${downPort} did not answer`)
  })

  test('study-level find returns the 7 dicomdirtests studies with pydicom\'s patients and instance counts, and the hostile name verbatim in JSON', async () => {
    const r = await json('/api/pacs/nodes/clinic/find?level=study', adminToken)
    expect(r.status).toBe(200)
    expect(r.body.count).toBe(8)
    expect(r.body.pseudonymised).toBe(false)
    const byUid = new Map((r.body.results as Record<string, string>[]).map((x) => [x.StudyInstanceUID, x]))
    for (const [uid, o] of Object.entries(studies)) {
      const row = byUid.get(uid)
      expect(row, uid).toBeDefined()
      expect(row!.PatientID).toBe(o.PatientID)
      expect(row!.PatientName).toBe(o.PatientName)
      expect(Number(row!.NumberOfStudyRelatedInstances)).toBe(o.instances)
    }
    expect(Object.keys(studies)).toHaveLength(7)
    const hostile = [...byUid.values()].find((x) => x.PatientID === 'HOSTILE1')!
    expect(hostile.PatientName).toBe('<img src')
    expect(hostile.StudyDescription).toBe(XSS)
    // keys narrow the search: one patient, by name with a wildcard
    const archibald = await json('/api/pacs/nodes/clinic/find?level=study&PatientName=Doe%5EArch*', adminToken)
    expect(archibald.body.results.map((x: Record<string, string>) => x.PatientID)).toEqual(['77654033', '77654033'])
    const patients = await json('/api/pacs/nodes/clinic/find?level=patient', adminToken)
    expect(new Set(patients.body.results.map((x: Record<string, string>) => x.PatientID))).toEqual(new Set(['98890234', '12345678', '77654033', 'HOSTILE1']))
  })

  test('for a pseudonymising project the results show the pseudonyms the project stores, never a name or ID', async () => {
    const r = await json('/api/pacs/nodes/clinic/find?level=study&project=pseudo', adminToken)
    expect(r.status).toBe(200)
    expect(r.body.pseudonymised).toBe(true)
    const text = JSON.stringify(r.body.results)
    for (const secret of ['98890234', '12345678', '77654033', 'HOSTILE1', 'Doe', 'Citizen', '"<img src"', '19800215']) expect(text).not.toContain(secret)
    const rows = r.body.results as Record<string, string>[]
    expect(rows).toHaveLength(8)
    for (const row of rows) {
      expect(row.PatientID).toMatch(/^P[A-Z2-9]{10}$/)
      expect(row.PatientName).toBe(row.PatientID!)
    }
    expect(rows.find((x) => x.PatientBirthDate === '1980')).toBeDefined()
    // the project's sealed mapping (unsealed by the project admin's tool) holds exactly these pseudonyms
    const mapping = await s.pseudonyms.reveal(await s.archive.requireProject('pseudo'))
    const byId = new Map(mapping.map((m) => [m.patientId, m.pseudonym]))
    const uidToPseudonym = new Map(rows.map((x) => [x.StudyInstanceUID, x.PatientID]))
    for (const [uid, o] of Object.entries(studies)) expect(uidToPseudonym.get(uid)).toBe(byId.get(o.PatientID)!)
    expect(new Set(byId.keys())).toEqual(new Set(['98890234', '12345678', '77654033', 'HOSTILE1']))
    // the importer gives the same pseudonym: import one patient's folder into the project and look at its folders
    await (await s.importer.submit(admin, 'pseudo', join(DICOMDIRTESTS, '77654033'), { label: 'test', here: true })).ended
    expect(readdirSync(join(s.config.dataRoot, 'projects', 'pseudo')).filter((d) => d.startsWith('P'))).toEqual([byId.get('77654033')!])
    // stable: the same query again gives the same pseudonyms
    const again = await json('/api/pacs/nodes/clinic/find?level=study&project=pseudo', adminToken)
    expect(new Map((again.body.results as Record<string, string>[]).map((x) => [x.StudyInstanceUID, x.PatientID]))).toEqual(uidToPseudonym)
  })

  test('who may query: read-only users get 403; writers of pseudonymised projects only must name one', async () => {
    const reader = await json('/api/pacs/nodes/clinic/find?level=study', readerToken)
    expect(reader.status).toBe(403)
    expect(reader.body.error).toContain('write right on at least one project')
    expect((await json('/api/pacs/nodes', readerToken)).status).toBe(403)
    const readerWithProject = await json('/api/pacs/nodes/clinic/find?level=study&project=pseudo', readerToken)
    expect(readerWithProject.status).toBe(403)
    expect(readerWithProject.body.error).toContain('may not write project "pseudo"')

    const unnamed = await json('/api/pacs/nodes/clinic/find?level=study', pseudoWriterToken)
    expect(unnamed.status).toBe(400)
    expect(unnamed.body.error).toContain('name the target project (project=pseudo)')
    const other = await json('/api/pacs/nodes/clinic/find?level=study&project=open', pseudoWriterToken)
    expect(other.status).toBe(403)
    const named = await json('/api/pacs/nodes/clinic/find?level=study&project=pseudo', pseudoWriterToken)
    expect(named.status).toBe(200)
    expect(JSON.stringify(named.body)).not.toContain('Doe')
  })

  test('bad input: unknown node 404, bad date 400, bad level 400, series without a study 400', async () => {
    const node = await json('/api/pacs/nodes/nowhere/find?level=study', adminToken)
    expect(node.status).toBe(404)
    expect(node.body.error).toBe('no PACS node "nowhere" in conf/pacs.conf; configured: clinic, down')
    for (const bad of ['2020-13-45', '20201301', 'yesterday', '20201231-20200101']) {
      const date = await json(`/api/pacs/nodes/clinic/find?level=study&StudyDate=${encodeURIComponent(bad)}`, adminToken)
      expect(date.status, bad).toBe(400)
      expect(date.body.error).toContain(`StudyDate "${bad}" is not a date or date range`)
    }
    const level = await json('/api/pacs/nodes/clinic/find?level=image', adminToken)
    expect(level.status).toBe(400)
    expect(level.body.error).toContain('level "image": use patient, study or series')
    const series = await json('/api/pacs/nodes/clinic/find?level=series', adminToken)
    expect(series.status).toBe(400)
    expect(series.body.error).toContain('needs StudyInstanceUID')
    // a good range narrows: dicomdirtests has no study after 2030
    const none = await json('/api/pacs/nodes/clinic/find?level=study&StudyDate=2030-', adminToken)
    expect(none.status).toBe(200)
    expect(none.body.count).toBe(0)
  })

  test('series level lists a study\'s series', async () => {
    const uid = '1.2.826.0.1.3680043.8.498.64108189007039777171766333999874882472'
    const r = await json(`/api/pacs/nodes/clinic/find?level=series&StudyInstanceUID=${uid}`, adminToken)
    expect(r.status).toBe(200)
    const total = (r.body.results as Record<string, string>[]).reduce((n, x) => n + Number(x.NumberOfSeriesRelatedInstances), 0)
    expect(total).toBe(studies[uid]!.instances)
  })

  test('pulls: 403 without the write right, 201 with it, listed, read and cancelled; session calls need the CSRF token', async () => {
    const uid = Object.keys(studies)[0]!
    const body = JSON.stringify({ node: 'clinic', project: 'pseudo', studies: [{ studyInstanceUid: uid, expectedInstances: 11 }] })
    const denied = await req('/api/pacs/pulls', { method: 'POST', token: readerToken, body, headers: { 'content-type': 'application/json' } })
    expect(denied.status).toBe(403)
    const session = await s.auth.openSession(admin)
    const cookie = `nora_session=${session.cookie}`
    const noCsrf = await req('/api/pacs/pulls', { method: 'POST', body, headers: { 'content-type': 'application/json', cookie } })
    expect(noCsrf.status).toBe(403)
    expect(((await noCsrf.json()) as { error: string }).error).toContain('CSRF')
    const made = await req('/api/pacs/pulls', { method: 'POST', body, headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': session.csrfToken } })
    expect(made.status).toBe(201)
    const pull = (await made.json()) as { id: number; state: string; studies: { studyInstanceUid: string; expected: number; state: string }[] }
    expect(made.headers.get('location')).toBe(`/api/pacs/pulls/${pull.id}`)
    expect(pull.studies).toEqual([expect.objectContaining({ studyInstanceUid: uid, expected: 11, state: 'pending' })])
    expect((await json(`/api/pacs/pulls/${pull.id}`, readerToken)).body.id).toBe(pull.id)
    expect((await json('/api/pacs/pulls?project=pseudo', readerToken)).body.pulls.map((p: { id: number }) => p.id)).toContain(pull.id)
    expect((await req(`/api/pacs/pulls/${pull.id}/cancel`, { method: 'POST', token: readerToken })).status).toBe(403)
    const cancelled = await req(`/api/pacs/pulls/${pull.id}/cancel`, { method: 'POST', token: adminToken })
    expect(cancelled.status).toBe(200)
    expect(((await cancelled.json()) as { state: string }).state).toBe('cancelled')
    const badUid = await req('/api/pacs/pulls', { method: 'POST', token: adminToken, body: JSON.stringify({ node: 'clinic', project: 'pseudo', studies: [{ studyInstanceUid: '1.2.<script>' }] }), headers: { 'content-type': 'application/json' } })
    expect(badUid.status).toBe(400)
    const badNode = await req('/api/pacs/pulls', { method: 'POST', token: adminToken, body: JSON.stringify({ node: 'nowhere', project: 'pseudo', studies: [{ studyInstanceUid: uid }] }), headers: { 'content-type': 'application/json' } })
    expect(badNode.status).toBe(404)
  })

  test('push: a study of a project goes back to the node by C-STORE; the project\'s write right is needed', async () => {
    await (await s.importer.submit(admin, 'open', join(DICOMDIRTESTS, '77654033'), { label: 'test', here: true })).ended
    const [uid, o] = Object.entries(studies).find(([, x]) => x.PatientID === '77654033')!
    const body = JSON.stringify({ project: 'open', study: uid })
    const push = (token: string, b = body) => req('/api/pacs/nodes/clinic/push', { method: 'POST', token, body: b, headers: { 'content-type': 'application/json' } })
    expect((await push(readerToken)).status).toBe(403)
    const sent = await push(adminToken)
    expect(sent.status).toBe(200)
    expect(await sent.json()).toMatchObject({ completed: o.instances, failed: 0, instances: o.instances })
    expect((await push(adminToken, JSON.stringify({ project: 'open', study: '1.2.3' }))).status).toBe(404)
    expect((await push(adminToken, JSON.stringify({ project: 'open', study: 'x;y' }))).status).toBe(400)
  }, 60_000)

  test('the page shows the hostile PatientName as text, and pseudonyms for a pseudonymising project', async () => {
    const session = await s.auth.openSession(admin)
    const headers = { cookie: `nora_session=${session.cookie}` }
    const page = await (await req('/pacs?search=1&node=clinic&level=study', { headers })).text()
    expect(page).not.toContain(XSS)
    expect(page).not.toMatch(/<img[\s>]/i)
    expect(page).toContain('<td>&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;</td>')
    expect(page).toContain('<td>&lt;img src</td>')
    expect(page).toContain('8 studies from clinic')
    expect((page.match(/name="study" value="/g) ?? []).length).toBe(8)
    const region = await (await req('/pacs?search=1&node=clinic&level=study&project=pseudo', { headers: { ...headers, 'hx-request': 'true' } })).text()
    expect(region).not.toContain('<html')
    expect(region).toContain('shown pseudonymised as project pseudo will store them')
    for (const secret of ['98890234', 'Doe', 'Citizen', '<td>&lt;img src</td>', 'HOSTILE1']) expect(region).not.toContain(secret)
    const badDate = await req('/pacs?search=1&node=clinic&level=study&StudyDate=2020-13-45', { headers: { ...headers, 'hx-request': 'true' } })
    expect(badDate.status).toBe(200)
    expect(await badDate.text()).toContain('is not a date or date range')
    // the page's pull form: expected counts and patients come from the PACS, pseudonymised for the project
    const form = (fields: [string, string][]) => new URLSearchParams(fields)
    const uids = ['1.3.6.1.4.1.5962.1.1.0.0.0.1196527414.5534.0.1', '1.3.6.1.4.1.5962.1.1.0.0.0.1196530851.28319.0.1']
    const post = (body: URLSearchParams, extra: Record<string, string> = {}) =>
      req('/pacs/pulls', { method: 'POST', body, headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded', 'hx-request': 'true', ...extra } })
    const fields: [string, string][] = [['node', 'clinic'], ['project', 'pseudo'], ...uids.map((u): [string, string] => ['study', u])]
    expect((await post(form(fields))).status).toBe(403) // no CSRF token
    const started = await post(form([...fields, ['_csrf', session.csrfToken]]))
    expect(started.status).toBe(200)
    expect(started.headers.get('hx-trigger')).toBe('pacs-pulls-changed')
    const partial = await started.text()
    expect(partial).toContain('hx-trigger="every 1s"')
    expect(partial).toContain('0 / 3')
    expect(partial).toContain('0 / 4')
    expect(partial).not.toContain('77654033')
    expect(partial).toMatch(/<td>P[A-Z2-9]{10}<\/td>/)
    const id = Number(partial.match(/id="pull-(\d+)"/)![1])
    const pull = await json(`/api/pacs/pulls/${id}`, adminToken)
    expect(pull.body.studies.map((x: { expected: number }) => x.expected)).toEqual([3, 4])
    const none = await post(form([['node', 'clinic'], ['project', 'pseudo'], ['_csrf', session.csrfToken]]))
    expect(await none.text()).toContain('select at least one study to pull')
    const anonymous = await req('/pacs', { redirect: 'manual' })
    expect(anonymous.status).toBe(303)
    expect(anonymous.headers.get('location')).toBe('/login?next=%2Fpacs')
  })
})
