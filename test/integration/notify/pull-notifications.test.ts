import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { openServices, startDicomNode, type Services } from '../../../src/app'
import { loadConfig } from '../../../src/config/load-config'
import type { User } from '../../../src/core/types'
import { makeHome, type TestHome } from '../../helpers/home'
import { DICOMDIRTESTS, startOrthanc, type Orthanc } from '../../services/orthanc'
import { serviceOrSkip, titled } from '../../services/slurm'
import { until } from '../pacs/pull-helpers'

const up = await serviceOrSkip('orthanc', async () => {
  const home = makeHome({ dicom: 'quietSeconds: 2, pullRetrySeconds: 1, pullMaxAttempts: 1' })
  try {
    return { home, orthanc: await startOrthanc({ nora: ['NORA', '127.0.0.1', home.dicomPort] }) }
  } catch (e) {
    home.cleanup()
    throw e
  }
})

/** A PACS pull that ends tells the user who asked for it: done from a real Orthanc, failed from a node that is down. */
describe.skipIf(!up.handle)(titled('notifications: PACS pulls (a real Orthanc)', up.skip), () => {
  const { home, orthanc } = up.handle as { home: TestHome; orthanc: Orthanc }
  let s: Services
  let node: Awaited<ReturnType<typeof startDicomNode>>
  let ann: User

  beforeAll(async () => {
    orthanc.load(DICOMDIRTESTS)
    const at = `host: "127.0.0.1", port: ${orthanc.dicomPort}`
    writeFileSync(join(home.home, 'conf/pacs.conf'), `{ nodes: { clinic: { aet: "ORTHANC", ${at} }, down: { aet: "ORTHANC", host: "127.0.0.1", port: 1 } } }`)
    s = await openServices(loadConfig(home.home, {}))
    ann = await s.repos.users.create({ username: 'ann', passwordHash: null })
    await s.archive.createProject(ann, 'pulled')
    node = await startDicomNode(s, () => {})
  }, 120_000)
  afterAll(async () => {
    node?.stop()
    await s?.close()
    await orthanc?.stop()
    home?.cleanup()
  }, 30_000)

  test('done: "PACS pull N from clinic into pulled finished"; failed: "... failed"', async () => {
    const found = await s.pacs.find('clinic', 'STUDY', {})
    const small = found.sort((a, b) => Number(a.NumberOfStudyRelatedInstances) - Number(b.NumberOfStudyRelatedInstances))[0]!
    const ok = await s.pulls.create(ann, { node: 'clinic', project: 'pulled', studies: [{ studyInstanceUid: small.StudyInstanceUID!, expectedInstances: Number(small.NumberOfStudyRelatedInstances) }] })
    const done = await until('the pull notice', async () => (await s.notifications.list(ann, { limit: 10 })).find((n) => n.kind === 'pull-done'))
    expect(done.message).toBe(`PACS pull ${ok.id} from clinic into pulled finished`)
    const bad = await s.pulls.create(ann, { node: 'down', project: 'pulled', studies: [{ studyInstanceUid: small.StudyInstanceUID! }] })
    const failed = await until('the failed pull notice', async () => (await s.notifications.list(ann, { limit: 10 })).find((n) => n.kind === 'pull-failed'))
    expect(failed.message).toBe(`PACS pull ${bad.id} from down into pulled failed; the PACS page shows why`)
    // The import of the pulled study ran as the puller (nora itself), not as ann: one notice for ann per pull, no import notice.
    expect((await s.notifications.list(ann, { limit: 10 })).map((n) => n.kind).sort()).toEqual(['pull-done', 'pull-failed'])
  }, 150_000)
})
