import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ParsedArgs } from '../../../src/cli/args'
import { launchCommand } from '../../../src/cli/commands/launch'
import type { User } from '../../../src/core/types'
import { startApp, type Dialect, type Harness } from './harness'

const PW = 'long enough password 1'
const P = 'batchP'
const TWO = {
  name: 'size and double',
  level: 'study',
  jobs: [
    { type: 'bash', name: 'size', script: 'wc -c < "$f1" | tr -d " " > "$o1"', args: { f1: 't1*/s0__.nii', o1: 'out/size.txt TAG(sized)' } },
    { type: 'python', name: 'double', script: 'n = int(open($f1).read())\nopen($o1, "w").write(str(2 * n))', args: { f1: 'out/size.txt', o1: 'out/double.txt' }, interpreter: '/usr/bin/python3' },
  ],
}

/** The batch list (save/list/get/delete), preview, launch and rerun-errors over HTTP, with rights and CSRF. */
for (const dialect of ['sqlite', 'mysql'] as Dialect[])
describe(`batches API on ${dialect}`, () => {
  let h: Harness
  let ann: User
  let annS: { cookie: string; csrf: string }
  let bobS: { cookie: string; csrf: string }
  let readerS: { cookie: string; csrf: string }
  const dir = () => h.services.archive.projectDir({ name: P } as never)

  const get = (path: string, s?: { cookie: string }) => h.request(path, { headers: { accept: 'application/json', ...(s && { cookie: s.cookie }) } })
  const send = (method: string, path: string, s: { cookie: string; csrf?: string } | undefined, body?: unknown) =>
    h.request(path, {
      method,
      headers: { 'content-type': 'application/json', ...(s && { cookie: s.cookie }), ...(s?.csrf && { 'x-csrf-token': s.csrf }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    })

  async function study(psid: string, files: Record<string, string>) {
    const [pid, sid] = psid.split('#') as [string, string]
    const paths = Object.entries(files).map(([rel, content]) => {
      const abs = join(dir(), pid, sid, rel)
      mkdirSync(join(abs, '..'), { recursive: true })
      writeFileSync(abs, content)
      return abs
    })
    await h.services.archive.addFiles(ann, P, paths)
  }

  async function waitBatch(batchId: number) {
    for (let i = 0; i < 200; i++) {
      const open = (await (await get(`/api/jobs?batch=${batchId}&state=q,r`, annS)).json()).total
      const all = (await (await get(`/api/jobs?batch=${batchId}&finished=1`, annS)).json()).jobs
      const runs = await h.services.repos.jobs.runs(batchId)
      if (open === 0 && runs.every((r) => r.state !== 'queued' && r.state !== 'running')) return all
      await Bun.sleep(50)
    }
    throw new Error(`batch ${batchId} did not finish`)
  }

  beforeAll(async () => {
    h = await startApp(dialect)
    ann = await h.user('ann', PW)
    await h.user('bob', PW)
    const reader = await h.user('reader', PW)
    const project = await h.services.archive.createProject(ann, P)
    await h.services.repos.rights.grant(reader.id, project.id, 'read')
    await study('P1#S1', { 't1_a/s001.nii': 'x'.repeat(11) })
    await study('P2#S1', { 't1_a/s001.nii': 'y'.repeat(22) })
    await study('P3#S1', { 'dwi/s001.nii': 'no t1' })
    annS = await h.login('ann', PW)
    bobS = await h.login('bob', PW)
    readerS = await h.login('reader', PW)
  })

  afterAll(async () => {
    await h?.close()
  })

  test('rights: 401 anonymous, 403 without read, readers list but cannot save', async () => {
    expect((await get(`/api/projects/${P}/batches`)).status).toBe(401)
    expect((await get(`/api/projects/${P}/batches`, bobS)).status).toBe(403)
    expect((await get(`/api/projects/${P}/batches`, readerS)).status).toBe(200)
    expect((await send('POST', `/api/projects/${P}/batches`, readerS, { name: 'x', batch: TWO })).status).toBe(403)
    expect((await send('POST', `/api/projects/${P}/batches/launch`, readerS, { batch: TWO, studies: ['P1#S1'] })).status).toBe(403)
    expect((await send('POST', `/api/projects/${P}/batches`, { cookie: annS.cookie }, { name: 'x', batch: TWO })).status).toBe(403) // no CSRF token
  })

  test('save, list, get, replace, delete; invalid batches and names are refused with the reason', async () => {
    const saved = await send('POST', `/api/projects/${P}/batches`, annS, { name: 'pipeline', batch: TWO })
    expect(saved.status).toBe(201)
    const list = await (await get(`/api/projects/${P}/batches`, readerS)).json()
    expect(list.batches.map((b: { name: string }) => b.name)).toEqual(['pipeline'])
    const one = await (await get(`/api/projects/${P}/batches/pipeline`, readerS)).json()
    expect(one.batch).toEqual(TWO)
    const bad = await send('POST', `/api/projects/${P}/batches`, annS, { name: 'bad', batch: { jobs: [{ type: 'bash', script: 'cat $f2', args: {} }] } })
    expect(bad.status).toBe(400)
    expect((await bad.json()).error).toContain('the script uses $f2 but "args" has no f2')
    expect((await send('POST', `/api/projects/${P}/batches`, annS, { name: '../x', batch: TWO })).status).toBe(400)
    expect((await send('POST', `/api/projects/${P}/batches`, annS, { name: 'tmp', batch: TWO })).status).toBe(201)
    expect((await send('DELETE', `/api/projects/${P}/batches/tmp`, readerS)).status).toBe(403)
    expect((await send('DELETE', `/api/projects/${P}/batches/tmp`, annS)).status).toBe(200)
    expect((await get(`/api/projects/${P}/batches/tmp`, annS)).status).toBe(404)
  })

  test('a saved batch is what --launchfile reads', async () => {
    const one = await (await get(`/api/projects/${P}/batches/pipeline`, annS)).json()
    const file = join(h.home.home, 'pipeline.json')
    writeFileSync(file, JSON.stringify({ ...one.batch, studies: ['P2#S1'] }))
    const lines: string[] = []
    const io = { tty: false, out: async (l: string) => void lines.push(l), err: async () => {} }
    const args: ParsedArgs = { positional: [], options: new Map([['project', [P]], ['launchfile', [file]], ['user', ['ann']]]) }
    expect(await launchCommand(h.services, args, io)).toBe(0)
    expect(lines.at(-1)).toMatch(/^batch \d+ done: 1 runs, 1 done, 0 failed$/)
    expect(readFileSync(join(dir(), 'P2', 'S1', 'out', 'double.txt'), 'utf8')).toBe('44')
  })

  test('preview: resolved inputs per study, the missing-input error, outputs of earlier jobs', async () => {
    const res = await send('POST', `/api/projects/${P}/batches/preview`, annS, { batch: TWO, studies: ['P1#S1', 'P3#S1'] })
    expect(res.status).toBe(200)
    const p = await res.json()
    expect(p.total).toBe(2)
    const [p1, p3] = p.studies
    expect(p1).toMatchObject({ psid: 'P1#S1', ok: true })
    expect(p1.jobs[0].args).toEqual([
      { name: 'f1', type: 'FILE', value: join(dir(), 'P1', 'S1', 't1_a', 's001.nii'), matches: 1 },
      { name: 'o1', type: 'OUT', value: join(dir(), 'P1', 'S1', 'out', 'size.txt') },
    ])
    expect(p1.jobs[1].args[0]).toMatchObject({ name: 'f1', note: 'job 1 writes it' })
    expect(p3.ok).toBe(false)
    expect(p3.jobs[0].error).toBe('no file matches t1*/s0__.nii')
    expect(existsSync(join(dir(), 'P1', 'S1', 'out', 'size.txt'))).toBe(false) // nothing ran
    expect(await h.services.repos.jobs.gridjobs({ batchId: 999_999 })).toEqual([])
    const byFilter = await (await send('POST', `/api/projects/${P}/batches/preview`, annS, { name: 'pipeline', filter: 't1*/s0*.nii' })).json()
    expect(byFilter.studies.map((s: { psid: string }) => s.psid).sort()).toEqual(['P1#S1', 'P2#S1'])
    expect((await send('POST', `/api/projects/${P}/batches/preview`, bobS, { batch: TWO, studies: ['P1#S1'] })).status).toBe(403)
  })

  test('launch by name on a selection: the server runs it; outputs written and tagged; a missing input errors that run only', async () => {
    const res = await send('POST', `/api/projects/${P}/batches/launch`, annS, { name: 'pipeline', studies: ['P1#S1', 'P3#S1'], level: 'study' })
    expect(res.status).toBe(202)
    const { batchId, runs } = await res.json()
    expect(runs).toBe(2)
    const jobs = await waitBatch(batchId)
    expect(readFileSync(join(dir(), 'P1', 'S1', 'out', 'double.txt'), 'utf8')).toBe('22')
    const states = jobs.map((j: { psid: string; state: string; position: number }) => `${j.psid} ${j.position + 1} ${j.state}`).sort()
    expect(states).toEqual(['P1#S1 1 done', 'P1#S1 2 done', 'P3#S1 1 error'])
    const tagged: string[] = []
    for await (const page of h.services.archive.select(ann, P, 'out/size.txt')) for (const f of page) if (f.tags.includes('sized')) tagged.push(`${f.patients_id}#${f.studies_id}`)
    expect(tagged.sort()).toEqual(['P1#S1', 'P2#S1'])
    expect((await send('POST', `/api/projects/${P}/batches/launch`, annS, { batch: TWO, studies: ['P9#S9'] })).status).toBe(404)
    expect((await send('POST', `/api/projects/${P}/batches/launch`, annS, { batch: TWO, level: 'planet', studies: ['P1#S1'] })).status).toBe(400)
  })

  test('rerun errors of a batch', async () => {
    const { batchId } = await (await send('POST', `/api/projects/${P}/batches/launch`, annS, { name: 'pipeline', studies: ['P3#S1'] })).json()
    await waitBatch(batchId)
    expect((await send('POST', `/api/batches/${batchId}/rerun-errors`, bobS, {})).status).toBe(404)
    expect((await send('POST', `/api/batches/${batchId}/rerun-errors`, readerS, {})).status).toBe(403)
    expect((await send('POST', '/api/batches/999999/rerun-errors', annS, {})).status).toBe(404)
    const res = await send('POST', `/api/batches/${batchId}/rerun-errors`, annS, {})
    expect(res.status).toBe(202)
    const again = await res.json()
    const jobs = await waitBatch(again.batchId)
    expect(jobs.map((j: { psid: string; state: string }) => `${j.psid} ${j.state}`)).toEqual(['P3#S1 error'])
    // With a modified batch (P3 has a dwi, not a t1): the rerun succeeds, and there is nothing left to rerun.
    const modified = { ...TWO, jobs: [{ ...TWO.jobs[0]!, args: { f1: 'dwi/s0__.nii', o1: 'out/size.txt' } }] }
    const fixed = await send('POST', `/api/batches/${again.batchId}/rerun-errors`, annS, { batch: modified })
    expect(fixed.status).toBe(202)
    const thirdId = (await fixed.json()).batchId as number
    const third = await waitBatch(thirdId)
    expect(third.map((j: { psid: string; state: string }) => `${j.psid} ${j.state}`)).toEqual(['P3#S1 done'])
    expect(readFileSync(join(dir(), 'P3', 'S1', 'out', 'size.txt'), 'utf8').trim()).toBe('5')
    const nothing = await send('POST', `/api/batches/${thirdId}/rerun-errors`, annS, {})
    expect(nothing.status).toBe(400)
    expect((await nothing.json()).error).toContain('nothing to rerun')
  })
})
