import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openServices, startDicomNode, type Services } from '../../../src/app'
import { runCli } from '../../../src/cli'
import type { Out } from '../../../src/cli/context'
import { loadConfig } from '../../../src/config/load-config'
import type { User } from '../../../src/core/types'
import { AUTOEXEC_ACTOR } from '../../../src/jobs/autoexec'
import { waitFor } from '../../helpers/dcmtk'
import { PYDICOM, python, zipOf } from '../../helpers/dicom-fixtures'
import { makeHome, type TestHome } from '../../helpers/home'

const P = 'autoP'
/** Writes the study's NIfTI path and size into out/qc.txt, tagged "qc". */
const QC = { name: 'qc', jobs: [{ type: 'bash', name: 'qc', script: 'echo "$f1 $(wc -c < "$f1")" > "$o1"', args: { f1: '*/s0*.nii', o1: 'out/qc.txt TAG(qc)' } }] }

function capture(): Out & { lines: string[]; errs: string[] } {
  const lines: string[] = []
  const errs: string[] = []
  return { lines, errs, tty: false, out: async (l) => void lines.push(l), err: async (l) => void errs.push(l) }
}

/** Autoexecution queues: after an import (upload path and CLI with --autoexec_queue), and --launch_autoexec. */
describe('autoexec', () => {
  let home: TestHome
  let s: Services
  let ann: User
  let zip: string
  /** MR_small.dcm as a new patient PID with new study/series/instance UIDs (written by pydicom), zipped. */
  const zipFor = (pid: string) => {
    const folder = mkdtempSync(join(tmpdir(), 'nora-ae-'))
    python(
      'import sys, pydicom; from pydicom.uid import generate_uid\nds = pydicom.dcmread(sys.argv[1])\nds.PatientID = sys.argv[2]\nds.StudyInstanceUID = generate_uid(); ds.SeriesInstanceUID = generate_uid(); ds.SOPInstanceUID = generate_uid(); ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID\nds.save_as(sys.argv[3])',
      [join(PYDICOM, 'MR_small.dcm'), pid, join(folder, 'x.dcm')],
    )
    return zipOf(folder)
  }
  const cli = async (...argv: string[]) => {
    const io = capture()
    const code = await runCli(['--home', home.home, '--user', 'ann', ...argv], io)
    return { code, ...io }
  }
  const batches = async () => Number((await s.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM batches'))?.n)
  const qcOf = (psid: string) => join(s.archive.projectDir({ name: P } as never), ...psid.split('#'), 'out', 'qc.txt')

  beforeAll(async () => {
    home = makeHome()
    s = await openServices(loadConfig(home.home))
    ann = await s.repos.users.create({ username: 'ann', passwordHash: null })
    await s.archive.createProject(ann, P)
    const folder = mkdtempSync(join(tmpdir(), 'nora-ae-'))
    mkdirSync(join(folder, 'd'))
    copyFileSync(join(PYDICOM, 'MR_small.dcm'), join(folder, 'd', 'MR_small.dcm'))
    zip = zipOf(folder)
  })

  afterAll(async () => {
    await s?.close()
    home?.cleanup()
  })

  test('--autoexec names a saved batch (or none); an unknown name is refused', async () => {
    expect((await cli('-p', P, '--autoexec', 'qc')).code).toBe(1)
    await s.batchLibrary.save(ann, P, 'qc', QC)
    const r = await cli('-p', P, '--autoexec', 'qc')
    expect(r.code).toBe(0)
    expect(r.lines).toEqual([`autoexecution queue of "${P}": qc`])
    expect((await s.batchLibrary.list(ann, P)).map((b) => `${b.name} ${b.autoexec}`)).toEqual(['qc true'])
  }, 60_000)

  test('an upload import (no queue named) runs the project queue on the new study, as the importing user', async () => {
    const before = await batches()
    const record = await (await s.importer.submit(ann, P, zip, { label: 'upload', here: true })).ended
    expect(record.state).toBe('done')
    await s.autoexec.idle()
    expect(await batches()).toBe(before + 1)
    const jobs = await s.jobs.list(ann, { states: ['done', 'error'] })
    expect(jobs).toHaveLength(1)
    expect(jobs[0]).toMatchObject({ state: 'done', user: 'ann', project: P })
    const out = readFileSync(qcOf(jobs[0]!.psid), 'utf8')
    expect(out).toMatch(new RegExp(`^${s.archive.projectDir({ name: P } as never)}/${jobs[0]!.psid.replace('#', '/')}/[^/]+/s0\\d*\\.nii \\d+\\n$`))
    const tagged: string[] = []
    for await (const page of s.archive.select(ann, P, 'out/qc.txt')) for (const f of page) tagged.push(...f.tags)
    expect(tagged).toEqual(['qc'])
    // The same data again brings nothing new: no batch.
    await (await s.importer.submit(ann, P, zip, { label: 'upload', here: true })).ended
    await s.autoexec.idle()
    expect(await batches()).toBe(before + 1)
  }, 60_000)

  test('CLI --import runs no queue unless --autoexec_queue; with DEFAULT it waits for the batch', async () => {
    const before = await batches()
    const plain = await cli('-p', P, '--import', zipFor('CLI1'))
    expect(plain.code).toBe(0)
    expect(await batches()).toBe(before)
    const r = await cli('-p', P, '--import', zipFor('CLI2'), '--autoexec_queue', 'DEFAULT', '--handle_job_result')
    expect(r.code).toBe(0)
    expect(r.lines.at(-1)).toBe('DONE')
    expect(await batches()).toBe(before + 1)
    const done = (await s.jobs.list(ann, { states: ['done'] })).map((j) => j.psid)
    const cli2 = done.find((p) => p.startsWith('CLI2#'))!
    expect(cli2).toBeDefined()
    expect(existsSync(qcOf(cli2))).toBe(true) // finished before the command returned
    expect(done.some((p) => p.startsWith('CLI1#'))).toBe(false)
    const unknown = await cli('-p', P, '--import', zipFor('CLI3'), '--autoexec_queue', 'nosuch')
    expect(await batches()).toBe(before + 1)
    expect(unknown.code).toBe(1) // refused before importing
    expect(unknown.errs.join('\n')).toContain('no saved batch "nosuch"')
    expect(await s.repos.subjects.subject((await s.repos.projects.byName(P))!.id, 'CLI3')).toBeUndefined()
  }, 60_000)

  test('--launch_autoexec PID#SID runs the queue on that study and reports', async () => {
    const subject = await s.repos.subjects.subject((await s.repos.projects.byName(P))!.id, 'CLI1')
    const cli1 = `CLI1#${(await s.repos.subjects.studiesOf(subject!.id))[0]!.studiesId}`
    expect(existsSync(qcOf(cli1))).toBe(false)
    const r = await cli('-p', P, '--launch_autoexec', cli1)
    expect(r.code).toBe(0)
    expect(r.lines.at(-1)).toMatch(/^batch \d+ done$/)
    expect(existsSync(qcOf(cli1))).toBe(true)
    const missing = await cli('-p', P, '--launch_autoexec', 'NOPE#X')
    expect(missing.code).toBe(1)
    expect(missing.errs.join('\n')).toContain('no study NOPE#X')
  }, 60_000)

  test('--autoexec none: imports run nothing', async () => {
    expect((await cli('-p', P, '--autoexec', 'none')).code).toBe(0)
    const before = await batches()
    expect((await (await s.importer.submit(ann, P, zipFor('NONE1'), { label: 'upload', here: true })).ended).counts.series).toBe(1)
    await s.autoexec.idle()
    expect(await batches()).toBe(before)
    const r = await cli('-p', P, '--launch_autoexec', 'X#Y')
    expect(r.code).toBe(1)
    expect(r.errs.join('\n')).toContain('has no autoexecution queue')
  }, 60_000)
})

/** routes.conf names the queue for a routed DICOM study: storescu (dcmtk) sends, the receiver imports, the batch runs. */
describe('autoexec after a routed DICOM study', () => {
  let home: TestHome
  let s: Services
  let node: { stop(): void } | undefined

  beforeAll(async () => {
    home = makeHome({ dicom: 'quietSeconds: 1' })
    writeFileSync(join(home.home, 'conf/pacs.conf'), '{ allowedCallingAets: ["SCANNER"] }')
    writeFileSync(join(home.home, 'conf/routes.conf'), '{ rules: [ { callingAet: "SCANNER", project: "routedP", autoexecQueue: "routed qc" } ] }')
    s = await openServices(loadConfig(home.home))
    const bea = await s.repos.users.create({ username: 'bea', passwordHash: null })
    await s.archive.createProject(bea, 'routedP')
    await s.batchLibrary.save(bea, 'routedP', 'routed qc', QC) // named by routes.conf, not the project's own queue
    node = await startDicomNode(s, () => {})
  })

  afterAll(async () => {
    node?.stop()
    await s?.close()
    home?.cleanup()
  })

  test('the routed study gets the queue routes.conf names', async () => {
    // storescu runs beside this process (the receiver runs in it: a synchronous spawn would block it).
    const sent = Bun.spawn(['storescu', '-aec', 'NORA', '-aet', 'SCANNER', '127.0.0.1', String(home.dicomPort), join(PYDICOM, 'MR_small.dcm')], { stdout: 'pipe', stderr: 'pipe' })
    expect(await sent.exited).toBe(0)
    const admin = { ...AUTOEXEC_ACTOR }
    const job = await waitFor('the routed study\'s autoexec job', async () => (await s.jobs.list(admin, { project: 'routedP', states: ['done', 'error'] }))[0], 60_000)
    expect(job).toMatchObject({ state: 'done', project: 'routedP', user: '' })
    expect(readFileSync(join(s.archive.projectDir({ name: 'routedP' } as never), ...job.psid.split('#'), 'out', 'qc.txt'), 'utf8')).toMatch(/s0\d*\.nii \d+\n$/)
  }, 90_000)
})
