import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { openServices, startDicomNode, type Services } from '../../../src/app'
import { loadConfig } from '../../../src/config/load-config'
import { PushService } from '../../../src/pacs/push-service'
import type { Pull } from '../../../src/pacs/pull-service'
import { freePort, makeHome, type TestHome } from '../../helpers/home'
import { runNora } from '../../helpers/nora-binary'
import { freshMysqlDatabase } from '../../services/mariadb'
import { DICOMDIRTESTS, startOrthanc, type Orthanc } from '../../services/orthanc'
import { archiveOf, ROOT, Switch, until } from './pull-helpers'

/**
 * Pulls from a real Orthanc (the clinic's PACS) loaded with pydicom's dicomdirtests: by C-MOVE to nora's SCP and by
 * C-GET, the project must hold exactly what `nora --import` of the same folder gives (paths and sizes of every file).
 * The instance counts are Orthanc's own (its REST API), not ours.
 */
for (const dialect of ['sqlite', 'mysql'] as const)
describe(`PACS pulls and push against a real Orthanc (${dialect})`, () => {
  let orthanc: Orthanc
  let home: TestHome
  let s: Services
  let node: Awaited<ReturnType<typeof startDicomNode>>
  const studies: { uid: string; instances: number; orthancId: string }[] = []
  const flaky = new Switch(freePort(), 0)
  let mysql: Awaited<ReturnType<typeof freshMysqlDatabase>> | undefined

  beforeAll(async () => {
    if (dialect === 'mysql') mysql = await freshMysqlDatabase()
    home = makeHome({ dicom: 'quietSeconds: 2, pullRetrySeconds: 1, pullMaxAttempts: 6', mysql: mysql?.options })
    orthanc = await startOrthanc({ nora: ['NORA', '127.0.0.1', home.dicomPort] })
    orthanc.load(DICOMDIRTESTS)
    ;(flaky as unknown as { target: number }).target = orthanc.dicomPort
    await runNora(['init'], { home: home.home })
    const at = `host: "127.0.0.1", port: ${orthanc.dicomPort}`
    writeFileSync(
      join(home.home, 'conf/pacs.conf'),
      `{ nodes: { clinic: { aet: "ORTHANC", ${at} }, clinicget: { aet: "ORTHANC", ${at}, retrieve: "get" }, flaky: { aet: "ORTHANC", host: "127.0.0.1", port: ${flaky.port} } } }`,
    )
    for (const p of ['byzip', 'moved', 'got', 'flaky']) expect((await runNora(['--createproject', p], { home: home.home })).code).toBe(0)
    // The reference: the folder imported by `nora --import`, once. Its one error is TINY_ALPHA's image-less series,
    // which dcm2niix cannot convert: archived as DICOM only (the same happens to it in a pull).
    const byzip = await runNora(['-p', 'byzip', '--import', DICOMDIRTESTS], { home: home.home, timeoutMs: 120_000 })
    const errors = (byzip.stdout + byzip.stderr).split('\n').filter((l) => l.startsWith('error '))
    expect(errors.length, byzip.stdout + byzip.stderr).toBe(1)
    expect(errors[0]).toContain('kept as DICOM only')
    // Orthanc's own view of its studies: the reference counts.
    for (const id of (await (await fetch(`${orthanc.url}studies`)).json()) as string[]) {
      const st = (await (await fetch(`${orthanc.url}studies/${id}`)).json()) as { MainDicomTags: { StudyInstanceUID: string } }
      const inst = (await (await fetch(`${orthanc.url}studies/${id}/instances`)).json()) as unknown[]
      studies.push({ uid: st.MainDicomTags.StudyInstanceUID, instances: inst.length, orthancId: id })
    }
    expect(studies.length).toBe(7)
    s = await openServices(loadConfig(home.home, {}))
    expect(Number((await s.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM dicom_series d JOIN projects p ON p.id = d.project_id WHERE p.name = 'byzip'"))!.n)).toBe(14)
    node = await startDicomNode(s, () => {})
  }, 180_000)
  afterAll(async () => {
    node?.stop()
    await flaky.down()
    await s?.close()
    await orthanc?.stop()
    await mysql?.drop()
    home?.cleanup()
  }, 30_000)

  const finished = (id: number) =>
    until(`pull ${id} to finish`, async () => {
      const p = await s.pulls.get(ROOT, id)
      return p.state === 'running' ? undefined : p
    })

  /** C-FIND first (as the CLI and the page do), for the expected counts. */
  async function pullAll(nodeName: string, project: string): Promise<Pull> {
    const found = await s.pacs.find(nodeName, 'STUDY', {})
    expect(found.length).toBe(7)
    const created = await s.pulls.create(ROOT, { node: nodeName, project, studies: found.map((f) => ({ studyInstanceUid: f.StudyInstanceUID!, expectedInstances: Number(f.NumberOfStudyRelatedInstances), patientId: f.PatientID, description: f.StudyDescription })) })
    expect(created.studies.every((x) => x.state === 'pending')).toBe(true)
    return finished(created.id)
  }

  function expectCounts(pull: Pull) {
    expect(pull.state).toBe('done')
    for (const st of pull.studies) {
      const ref = studies.find((x) => x.uid === st.studyInstanceUid)!
      expect({ uid: st.studyInstanceUid, state: st.state, received: st.received, expected: st.expected }).toEqual({ uid: ref.uid, state: 'imported', received: ref.instances, expected: ref.instances })
    }
  }

  test('a C-MOVE pull of all 7 studies gives the same archive as importing the folder', async () => {
    const pull = await pullAll('clinic', 'moved')
    expectCounts(pull)
    expect(await archiveOf(s.db, 'moved')).toEqual(await archiveOf(s.db, 'byzip'))
  }, 120_000)

  test('a C-GET pull of all 7 studies gives the same archive as importing the folder', async () => {
    const pull = await pullAll('clinicget', 'got')
    expectCounts(pull)
    expect(await archiveOf(s.db, 'got')).toEqual(await archiveOf(s.db, 'byzip'))
  }, 120_000)

  test('an unknown node is refused with the configured ones listed; the pull needs write on the project', async () => {
    await expect(s.pulls.create(ROOT, { node: 'nowhere', project: 'moved', studies: [{ studyInstanceUid: '1.2.3' }] })).rejects.toThrow('no PACS node "nowhere" in conf/pacs.conf; configured: clinic, clinicget, flaky')
    const reader = { ...ROOT, id: 999, username: 'reader', isSiteAdmin: false }
    await expect(s.pulls.create(reader, { node: 'clinic', project: 'moved', studies: [{ studyInstanceUid: '1.2.3' }] })).rejects.toThrow('user "reader" may not write project "moved"')
    await expect(s.pulls.create(ROOT, { node: 'clinic', project: 'moved', studies: [{ studyInstanceUid: '1.2.x' }] })).rejects.toThrow('"1.2.x" is not a StudyInstanceUID')
  })

  test('PACS down during a pull: the studies fail with the reason, are retried when it is back, nothing is lost', async () => {
    const two = studies.filter((x) => x.instances > 2 && x.instances < 20).slice(0, 2)
    const created = await s.pulls.create(ROOT, { node: 'flaky', project: 'flaky', studies: two.map((x) => ({ studyInstanceUid: x.uid, expectedInstances: x.instances })) })
    const failed = await until('both studies to fail', async () => {
      const p = await s.pulls.get(ROOT, created.id)
      return p.studies.every((x) => x.state === 'failed') ? p : undefined
    })
    for (const st of failed.studies) {
      expect(st.reason).toContain(`PACS "flaky" (ORTHANC) at 127.0.0.1:${flaky.port} did not answer: connect ECONNREFUSED`)
      expect(st.attempts).toBeGreaterThanOrEqual(1)
    }
    expect(failed.state).toBe('running') // attempts are left: it goes on
    await flaky.up()
    const done = await finished(created.id)
    expect(done.state).toBe('done')
    for (const st of done.studies) {
      expect(st.state).toBe('imported')
      expect(st.received).toBe(two.find((x) => x.uid === st.studyInstanceUid)!.instances)
      expect(st.attempts).toBeGreaterThanOrEqual(2)
    }
    const n = await s.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM dicom_instances i JOIN dicom_series d ON d.id = i.series_id JOIN projects p ON p.id = d.project_id WHERE p.name = 'flaky'")
    expect(Number(n!.n)).toBe(two[0]!.instances + two[1]!.instances)
  }, 120_000)

  test('push: a study deleted from the PACS is sent back from its kept originals (Orthanc counts the instances)', async () => {
    const target = studies.find((x) => x.instances === 11)!
    expect((await fetch(`${orthanc.url}studies/${target.orthancId}`, { method: 'DELETE' })).ok).toBe(true)
    expect(((await (await fetch(`${orthanc.url}studies`)).json()) as string[]).length).toBe(6)
    const progress: number[] = []
    const push = new PushService({ dataRoot: s.config.dataRoot, pulls: s.repos.pulls, archive: s.archive, pacs: s.pacs })
    const out = await push.pushStudy(ROOT, 'clinic', 'moved', target.uid, (done) => progress.push(done))
    expect(out).toMatchObject({ completed: 11, failed: 0, warning: 0, instances: 11 })
    expect(progress.at(-1)).toBe(11)
    const ids = (await (await fetch(`${orthanc.url}studies`)).json()) as string[]
    expect(ids.length).toBe(7)
    const back = (await (await fetch(`${orthanc.url}tools/lookup`, { method: 'POST', body: target.uid })).json()) as { ID: string; Type: string }[]
    expect(back[0]?.Type).toBe('Study')
    expect(((await (await fetch(`${orthanc.url}studies/${back[0]!.ID}/instances`)).json()) as unknown[]).length).toBe(11)
    await expect(push.pushStudy(ROOT, 'clinic', 'moved', '1.2.3.4')).rejects.toThrow('project "moved" has no study with StudyInstanceUID 1.2.3.4')
    // One series of it: delete the study again, push a single series; Orthanc then holds that series' instances only.
    const series = (await (await fetch(`${orthanc.url}studies/${back[0]!.ID}/series`)).json()) as { MainDicomTags: { SeriesInstanceUID: string }; Instances: string[] }[]
    const one = series.sort((a, b) => a.Instances.length - b.Instances.length)[0]!
    expect((await fetch(`${orthanc.url}studies/${back[0]!.ID}`, { method: 'DELETE' })).ok).toBe(true)
    const part = await push.pushStudy(ROOT, 'clinic', 'moved', target.uid, undefined, [one.MainDicomTags.SeriesInstanceUID])
    expect(part).toMatchObject({ completed: one.Instances.length, failed: 0, instances: one.Instances.length })
    const again = (await (await fetch(`${orthanc.url}tools/lookup`, { method: 'POST', body: target.uid })).json()) as { ID: string }[]
    expect(((await (await fetch(`${orthanc.url}studies/${again[0]!.ID}/instances`)).json()) as unknown[]).length).toBe(one.Instances.length)
    await expect(push.pushStudy(ROOT, 'clinic', 'moved', target.uid, undefined, ['1.2.3'])).rejects.toThrow('has no kept series 1.2.3')
  }, 60_000)
})
