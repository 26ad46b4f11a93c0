import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { User } from '../../../src/core/types'
import { startApp, type Dialect, type Harness } from './harness'

const PW = 'long enough password 1'
const P = 'gridP'

/** Gridstats' API: listing (rights, states, search, sort, paging), one job as JSON, its log (range, tail, path checks), kill. */
for (const dialect of ['sqlite', 'mysql'] as Dialect[])
describe(`jobs API (Gridstats data) on ${dialect}`, () => {
  let h: Harness
  let ann: User
  let annS: { cookie: string; csrf: string }
  let bobS: { cookie: string; csrf: string }
  let batchId = 0

  const get = (path: string, s?: { cookie: string }, headers: Record<string, string> = {}) => h.request(path, { headers: { accept: 'application/json', ...(s && { cookie: s.cookie }), ...headers } })
  const post = (path: string, s: { cookie: string; csrf?: string }, body: unknown = {}) =>
    h.request(path, { method: 'POST', headers: { 'content-type': 'application/json', cookie: s.cookie, ...(s.csrf && { 'x-csrf-token': s.csrf }) }, body: JSON.stringify(body) })

  async function study(psid: string, files: Record<string, string>) {
    const [pid, sid] = psid.split('#') as [string, string]
    const paths = Object.entries(files).map(([rel, content]) => {
      const abs = join(h.services.archive.projectDir({ name: P } as never), pid, sid, rel)
      mkdirSync(join(abs, '..'), { recursive: true })
      writeFileSync(abs, content)
      return abs
    })
    await h.services.archive.addFiles(ann, P, paths)
  }

  beforeAll(async () => {
    h = await startApp(dialect)
    ann = await h.user('ann', PW)
    await h.user('bob', PW)
    await h.services.archive.createProject(ann, P)
    await study('P1#S1', { 't1_a/s001.nii': 'x'.repeat(11) })
    await study('P2#S1', { 't1_a/s001.nii': 'y'.repeat(22) })
    await study('P3#S1', { 'dwi/s001.nii': 'no t1' })
    annS = await h.login('ann', PW)
    bobS = await h.login('bob', PW)
    const batch = { name: 'count', jobs: [{ type: 'bash', name: 'count', script: 'echo "counting $f1"; echo "to stderr" >&2; wc -c < "$f1" | tr -d " " > "$o1"', args: { f1: 't1*/s0__.nii', o1: 'out/n.txt' } }] }
    const launched = await h.services.jobs.launch(ann, P, batch, { studies: ['P1#S1', 'P2#S1', 'P3#S1'] })
    batchId = launched.batchId
    await h.services.jobs.run(ann, batchId)
  })

  afterAll(async () => {
    await h?.close()
  })

  test('401 without a session or token', async () => {
    expect((await get('/api/jobs')).status).toBe(401)
    expect((await get('/api/jobs/1')).status).toBe(401)
    expect((await get('/api/jobs/1/log')).status).toBe(401)
    expect((await post('/api/jobs/1/kill', { cookie: '' })).status).toBe(401)
  })

  test('by default errored jobs stay and finished ones leave; finished=1 shows all', async () => {
    const open = await (await get('/api/jobs', annS)).json()
    expect(open.jobs.map((j: { psid: string; state: string }) => `${j.psid} ${j.state}`)).toEqual(['P3#S1 error'])
    expect(open.jobs[0].reason).toBe('no file matches t1*/s0__.nii')
    const all = await (await get('/api/jobs?finished=1&sort=psid&dir=asc', annS)).json()
    expect(all.total).toBe(3)
    expect(all.jobs.map((j: { psid: string; state: string }) => `${j.psid} ${j.state}`)).toEqual(['P1#S1 done', 'P2#S1 done', 'P3#S1 error'])
    expect(all.jobs[0]).toMatchObject({ project: P, batchId, jobName: 'count', user: 'ann' })
    expect(all.jobs[0].durationMs).toBeGreaterThanOrEqual(0)
    const onlyDone = await (await get('/api/jobs?state=d', annS)).json()
    expect(onlyDone.total).toBe(2)
    const searched = await (await get(`/api/jobs?finished=1&q=${encodeURIComponent('P2#')}`, annS)).json()
    expect(searched.jobs.map((j: { psid: string }) => j.psid)).toEqual(['P2#S1'])
    expect((await get('/api/jobs?state=zz', annS)).status).toBe(400)
  })

  test('a user without the read right sees no jobs and gets 404 for one', async () => {
    const id = (await (await get('/api/jobs?finished=1', annS)).json()).jobs[0].id
    expect((await (await get('/api/jobs?finished=1', bobS)).json()).total).toBe(0)
    expect((await get(`/api/jobs?project=${P}`, bobS)).status).toBe(403)
    expect((await get(`/api/jobs/${id}`, bobS)).status).toBe(404)
    expect((await get(`/api/jobs/${id}/log`, bobS)).status).toBe(404)
    expect((await post(`/api/jobs/${id}/kill`, bobS)).status).toBe(404)
  })

  test('JSON view and the log: whole, tail and byte range', async () => {
    const all = (await (await get('/api/jobs?finished=1&sort=psid&dir=asc', annS)).json()).jobs
    const one = await (await get(`/api/jobs/${all[0].id}`, annS)).json()
    expect(one.job.script).toContain('wc -c')
    expect(one.job.args).toEqual([
      { name: 'f1', type: 'FILE', value: 't1*/s0__.nii' },
      { name: 'o1', type: 'OUT', value: 'out/n.txt' },
    ])
    const log = await get(all[0].log, annS)
    expect(log.status).toBe(200)
    expect(log.headers.get('content-type')).toContain('text/plain')
    const text = await log.text()
    expect(text).toContain(`counting ${h.services.archive.projectDir({ name: P } as never)}/P1/S1/t1_a/s001.nii`)
    expect(text).toContain('to stderr')
    const tail = await (await get(`${all[0].log}?tail=10`, annS)).text()
    expect(tail).toBe(text.slice(-10))
    const ranged = await get(all[0].log, annS, { range: 'bytes=0-7' })
    expect(ranged.status).toBe(206)
    expect(await ranged.text()).toBe(text.slice(0, 8))
    // The errored job never started: it has no log, and says why.
    const err = await get(all[2].log, annS)
    expect(err.status).toBe(404)
    expect(await err.text()).toContain('no file matches t1*/s0__.nii')
  })

  test('a log path outside the project (in the database or by symlink) is refused', async () => {
    const all = (await (await get('/api/jobs?finished=1&sort=psid&dir=asc', annS)).json()).jobs
    const id = all[1].id
    await h.services.db.run('UPDATE gridjobs SET log_path = ? WHERE id = ?', ['/etc/passwd', id])
    const res = await get(`/api/jobs/${id}/log`, annS)
    expect(res.status).toBe(400)
    expect((await res.json()).error).toContain('not inside project')
    const link = join(h.services.archive.projectDir({ name: P } as never), 'P2', 'S1', 'log', 'evil.log')
    mkdirSync(join(link, '..'), { recursive: true })
    symlinkSync('/etc/hostname', link)
    await h.services.db.run('UPDATE gridjobs SET log_path = ? WHERE id = ?', [link, id])
    expect((await get(`/api/jobs/${id}/log`, annS)).status).toBe(400)
    await h.services.db.run('UPDATE gridjobs SET log_path = ? WHERE id = ?', [join(h.services.archive.projectDir({ name: P } as never), '..', 'other', 'x.log'), id])
    expect((await get(`/api/jobs/${id}/log`, annS)).status).toBe(404) // does not exist: not read either
  })

  test('kill: CSRF needed, write right needed, then the running job ends as error "killed by ann"', async () => {
    const batch = { name: 'sleepy', jobs: [{ type: 'bash', name: 'sleep', script: 'echo start; sleep 30; echo never > "$o1"', args: { o1: 'out/never.txt' } }] }
    const { batchId: b } = await h.services.jobs.launch(ann, P, batch, { studies: ['P1#S1'] })
    const running = h.services.jobs.run(ann, b)
    let job: { id: number; state: string } | undefined
    for (let i = 0; i < 100 && job?.state !== 'running'; i++) {
      await Bun.sleep(50)
      job = (await (await get(`/api/jobs?batch=${b}`, annS)).json()).jobs[0]
    }
    expect(job?.state).toBe('running')
    expect((await post(`/api/jobs/${job!.id}/kill`, { cookie: annS.cookie })).status).toBe(403) // no CSRF token
    const ann2 = await h.services.repos.users.create({ username: 'reader', passwordHash: await Bun.password.hash(PW, { algorithm: 'argon2id', memoryCost: 1024, timeCost: 1 }) })
    await h.services.repos.rights.grant(ann2.id, (await h.services.repos.projects.byName(P))!.id, 'read')
    const readerS = await h.login('reader', PW)
    expect((await post(`/api/jobs/${job!.id}/kill`, readerS)).status).toBe(403)
    expect((await post(`/api/jobs/${job!.id}/suspend`, readerS)).status).toBe(403)
    const suspended = await post(`/api/jobs/${job!.id}/suspend`, annS)
    expect(await suspended.json()).toMatchObject({ state: 'running', reason: 'suspended by ann' })
    const row = (await (await get(`/api/jobs?batch=${b}`, annS)).json()).jobs[0]
    expect(row.reason).toBe('suspended by ann')
    const procState = () => readFileSync(`/proc/${row.externalId}/stat`, 'utf8').split(') ')[1]![0]
    for (let i = 0; i < 40 && procState() !== 'T'; i++) await Bun.sleep(25) // signals arrive asynchronously
    expect(procState()).toBe('T') // stopped
    expect(await (await post(`/api/jobs/${job!.id}/resume`, annS)).json()).toMatchObject({ state: 'running', reason: '' })
    for (let i = 0; i < 40 && procState() === 'T'; i++) await Bun.sleep(25)
    expect(procState()).not.toBe('T')
    expect((await post(`/api/jobs/${job!.id}/explode`, annS)).status).toBe(400)
    const t0 = Date.now()
    const killed = await post(`/api/jobs/${job!.id}/kill`, annS)
    expect(killed.status).toBe(200)
    expect(await killed.json()).toMatchObject({ id: job!.id, state: 'error', reason: 'killed by ann' })
    const summary = await running
    expect(Date.now() - t0).toBeLessThan(10_000)
    expect(summary.errors).toBe(1)
    const after = await (await get(`/api/jobs/${job!.id}`, annS)).json()
    expect(after.state).toBe('error')
    expect((await post(`/api/jobs/${job!.id}/kill`, annS)).status).toBe(400) // not running any more
  })

  test('the Gridstats page and its rows partial: login first, hostile names escaped, finished ones only when asked', async () => {
    const anon = await h.request('/gridstats', { redirect: 'manual' })
    expect(anon.status).toBe(303)
    const evil = '<img src=x onerror=alert(1)>'
    const { batchId: b } = await h.services.jobs.launch(ann, P, { jobs: [{ type: 'bash', name: evil, script: 'exit 2' }] }, { studies: ['P1#S1'] })
    await h.services.jobs.run(ann, b)
    const page = await (await h.request('/gridstats', { headers: { cookie: annS.cookie } })).text()
    expect(page).not.toContain(evil)
    expect(page).toContain('&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;')
    expect(page).toMatch(/src="(\/|&#x2F;)static(\/|&#x2F;)js(\/|&#x2F;)gridstats\.[0-9a-f]{16}\.js"/)
    expect(page).toContain('hx-trigger="every 3s"')
    const rows = await (await h.request(`/gridstats/rows?batch=${b}`, { headers: { cookie: annS.cookie, 'hx-request': 'true' } })).text()
    expect(rows).not.toContain('<html')
    expect([...rows.matchAll(/<tr class="gs-job state-(\w+)"/g)].map((m) => m[1])).toEqual(['error'])
    const done = await (await h.request(`/gridstats/rows?finished=1&batch=${batchId}`, { headers: { cookie: annS.cookie } })).text()
    expect([...done.matchAll(/<tr class="gs-job state-(\w+)"/g)].map((m) => m[1]).sort()).toEqual(['done', 'done', 'error'])
    expect(await (await h.request('/gridstats/rows', { headers: { cookie: bobS.cookie } })).text()).not.toContain('gs-job state-')
  })

  test('10,000 jobs: paging, the error filter and search find the right rows (speed: bench gridstats)', async () => {
    const s = h.services
    const project = (await s.repos.projects.byName(P))!
    const subject = await s.repos.subjects.subject(project.id, 'P1')
    const st = await s.repos.subjects.study(subject!.id, 'S1')
    await s.db.transaction(async (tx) => {
      const jobs = s.repos.jobs.withDb(tx)
      const b = await jobs.createBatch(project.id, ann.id, 'study', '{}', 'bulk')
      for (let i = 0; i < 10_000; i++) {
        const run = await jobs.createRun(b, project.id, subject!.id, st!.id, `P${i}#S1`)
        const c = await jobs.createCommand({ projectId: project.id, userId: ann.id, subjectId: subject!.id, studyId: st!.id, batchId: b, runId: run, position: 0, job: JSON.stringify({ type: 'bash', name: `bulk${i}`, script: 'true', args: [] }) })
        const g = await jobs.createGridjob(c, project.id, 'local', 'nobody', '')
        await jobs.gridjobFinished(g, i % 10 === 0 ? 'error' : 'done', i % 10 === 0 ? 1 : 0, i % 10 === 0 ? 'exit code 1' : null)
      }
    })
    await get('/api/jobs?finished=1', annS) // warm up
    for (let i = 0; i < 5; i++) {
      const res = await get('/api/jobs?finished=1&limit=100', annS)
      const body = await res.json()
      expect(body.jobs).toHaveLength(100)
      expect(body.total).toBeGreaterThan(10_000)
    }
    // How fast is for bench/gridstats.ts to measure; a timed assertion fails on a busy machine (seen: 764 ms at load 9).
    const errors = await (await get('/api/jobs?state=e&sort=psid&dir=asc&limit=5&offset=5', annS)).json()
    expect(errors.total).toBe(1000 + 3) // 1,000 bulk errors, the P3 one, the killed one and the hostile-name one
    expect(errors.jobs).toHaveLength(5)
    const searched = await (await get('/api/jobs?finished=1&q=bulk9999', annS)).json()
    expect(searched.jobs.map((j: { jobName: string }) => j.jobName)).toEqual(['bulk9999'])
  }, 60_000)
})
