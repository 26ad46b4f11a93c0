import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { clusterDefaults } from '../../../src/jobs/executors'
import { loadSlurmConf } from '../../../src/config/slurm-conf'
import { defaultNoraArgv, importJobLog, QueuedImport, queuedImportDir } from '../../../src/importer/queued-import'
import { hostname } from 'node:os'
import { DICOMDIRTESTS, zipOf } from '../../helpers/dicom-fixtures'
import { startApp, type Harness } from '../http/harness'
import { serviceOrSkip, slurm, titled, type SlurmHandle } from '../../services/slurm'

/**
 * Every file under `root` as "relative/path size" (the archive an import made), sorted. The kept-DICOM bundles
 * (.tar.gz) carry their packing time, so for them the members' names and sizes count (read by Python's tarfile).
 */
function listing(root: string): string[] {
  const out: string[] = []
  const bundles: string[] = []
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (p.endsWith('.tar.gz')) bundles.push(p)
      else out.push(`${relative(root, p)} ${statSync(p).size}`)
    }
  }
  walk(root)
  const py = 'import sys, tarfile\nfor p in sys.argv[1:]:\n  with tarfile.open(p) as t:\n    print(p, sorted((m.name, m.size) for m in t.getmembers()))'
  const r = Bun.spawnSync(['/usr/bin/python3', '-c', py, ...bundles], { stdout: 'pipe', stderr: 'pipe' })
  expect(r.exitCode).toBe(0)
  for (const line of r.stdout.toString().trim().split('\n').filter(Boolean)) out.push(relative(root, line))
  return out.sort()
}

async function importZip(h: Harness, token: string, zip: string): Promise<number> {
  const res = await h.request('/api/projects/demo/imports', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/zip' }, body: Bun.file(zip) })
  expect(res.status).toBe(202)
  return ((await res.json()) as { id: number }).id
}

async function world(extra: string): Promise<{ h: Harness; token: string }> {
  const h = await startApp('sqlite', extra)
  const ann = await h.user('ann', 'pw', { siteAdmin: true })
  await h.services.archive.createProject(ann, 'demo')
  return { h, token: await h.services.auth.createToken(ann, 'test') }
}

/** A QueuedImport on the jobs service's system batches (its Slurm executor and reconciler) and DPXimport, as app.ts builds it (the test picks the command). */
const qDeps = (h: Harness) => ({
  dataRoot: h.services.config.dataRoot,
  home: h.home.home,
  imports: h.services.repos.imports,
  system: h.services.jobs.system,
  resources: clusterDefaults(loadSlurmConf(h.services.config.confDir), 'import'),
})

// The cluster is asked for while the file loads, so that without one (outside CI) the tests are reported skipped.
const up = await serviceOrSkip('slurm', slurm)
const cluster: SlurmHandle | undefined = up.handle
let zip: string
let inline: string[] = []

beforeAll(async () => {
  if (!cluster) return // the tests below are skipped
  process.env.SLURM_CONF = cluster.conf
  zip = zipOf(DICOMDIRTESTS, 'dicomdirtests.zip')
  // The reference: the same zip imported inline (import.executor "inline", the default).
  const { h, token } = await world('')
  try {
    const id = await importZip(h, token, zip)
    await h.services.importQueue.settled()
    expect((await h.services.importer.status(id))?.state).toBe('done')
    inline = listing(join(h.home.home, 'data/projects/demo'))
    expect(inline.length).toBeGreaterThan(20)
  } finally {
    await h.close()
  }
}, 240_000)

afterAll(async () => {
  await cluster?.stop()
}, 60_000)

describe.skipIf(!cluster)(titled('imports as Slurm jobs (import.executor "queue", jobs.queue "slurm")', up.skip), () => {
  test('an uploaded zip runs as a job in partition DPXimport, ends "done", and archives what an inline import does', async () => {
    const { h, token } = await world('import: { executor: "queue" }, jobs: { queue: "slurm" }')
    try {
      const id = await importZip(h, token, zip)
      // GET /api/imports/:id follows the job's progress until it ends.
      let state = ''
      const seen = new Set<string>()
      const deadline = Date.now() + 200_000
      let externalId = ''
      while (Date.now() < deadline) {
        const res = await h.request(`/api/imports/${id}`, { headers: { authorization: `Bearer ${token}` } })
        expect(res.status).toBe(200)
        state = ((await res.json()) as { state: string }).state
        seen.add(state)
        if (!externalId) externalId = (await h.services.repos.jobs.gridjobs({ executor: 'slurm' }))[0]?.externalId ?? ''
        if (state === 'done' || state === 'failed') break
        await Bun.sleep(500)
      }
      expect(state).toBe('done')
      expect(externalId).toMatch(/^\d+$/)
      await h.services.importQueue.settled()
      // The scheduler ran it in the import partition, and it ended with exit code 0.
      const show = Bun.spawnSync(['scontrol', 'show', 'job', externalId], { env: cluster!.env, stdout: 'pipe', stderr: 'pipe' })
      expect(show.stdout.toString()).toContain('Partition=DPXimport')
      expect(show.stdout.toString()).toMatch(/JobName=\S*import-\d+\s/)
      expect(show.stdout.toString()).toMatch(/JobState=COMPLET(ED|ING) .*\n[^]*ExitCode=0:0/)
      // Gridstats' row: a one-job system batch "import ID", reconciled to done.
      const [g] = await h.services.repos.jobs.gridjobs({ executor: 'slurm' })
      expect(g).toMatchObject({ state: 'done', exitCode: 0, externalId, psid: `import ${id}`, project: 'demo' })
      expect(g!.startedAt).not.toBeNull()
      expect(JSON.parse(g!.job)).toMatchObject({ name: 'import', importId: id })
      const { rows } = await h.services.repos.gridstats.page({ states: ['done'], sort: 'id', dir: 'desc', limit: 10, offset: 0 })
      expect(rows.find((r) => r.id === g!.id)).toMatchObject({ psid: `import ${id}`, jobName: 'import', executor: 'slurm', user: 'ann' })
      // The archive equals the inline import's (paths and sizes); the staged source is gone after success.
      expect(listing(join(h.home.home, 'data/projects/demo'))).toEqual(inline)
      expect(existsSync(queuedImportDir(h.services.config.dataRoot, id))).toBe(false)
      // Its log outlives the staging folder, and Gridstats' log link serves it (it lies outside the project).
      expect(g!.logPath).toBe(importJobLog(h.services.config.dataRoot, id))
      const log = await h.request(`/api/jobs/${g!.id}/log`, { headers: { authorization: `Bearer ${token}` } })
      expect(log.status).toBe(200)
      expect(await log.text()).toBe(readFileSync(g!.logPath, 'utf8'))
    } finally {
      await h.close()
    }
  }, 240_000)

  test('a job that exits non-zero marks the import failed with the reason and keeps its staged files', async () => {
    const { h } = await world('import: { executor: "queue" }, jobs: { queue: "slurm" }')
    try {
      const ann = (await h.services.repos.users.byUsername('ann'))!
      const { id, project } = await h.services.importer.create(ann, 'demo', 'upload (test)')
      const source = join(h.home.home, 'upload.zip')
      copyFileSync(zip, source)
      const q = new QueuedImport({ ...qDeps(h), noraArgv: ['/bin/sh', '-c', 'echo failing on purpose; exit 3'] })
      const { gridjobId } = await q.submit(id, project, ann.id, source)
      await q.idle()
      const rec = (await h.services.importer.status(id))!
      expect(rec.state).toBe('failed')
      expect(rec.message).toContain('exit code 3')
      expect(rec.message).toContain('kept in')
      const dir = queuedImportDir(h.services.config.dataRoot, id)
      expect(statSync(join(dir, 'upload.zip')).size).toBe(statSync(zip).size)
      expect(existsSync(source)).toBe(false) // moved into the staging folder
      const g = (await h.services.repos.jobs.gridjob(gridjobId))!
      expect(g).toMatchObject({ state: 'error', exitCode: 3, reason: 'exit code 3' })
      // The failed import's log through Gridstats' log link: what the job printed. Another project's reader gets 404.
      const token = await h.services.auth.createToken(ann, 'log')
      const log = await h.request(`/api/jobs/${gridjobId}/log`, { headers: { authorization: `Bearer ${token}` } })
      expect(log.status).toBe(200)
      expect(await log.text()).toContain('failing on purpose')
      const bob = await h.user('bob', 'pw')
      const bobToken = await h.services.auth.createToken(bob, 'log')
      expect((await h.request(`/api/jobs/${gridjobId}/log`, { headers: { authorization: `Bearer ${bobToken}` } })).status).toBe(404)
      const show = Bun.spawnSync(['scontrol', 'show', 'job', g.externalId], { env: cluster!.env, stdout: 'pipe' })
      expect(show.stdout.toString()).toContain('Partition=DPXimport')

      // A job the scheduler ends (scancel, as an operator would) fails the import with the scheduler's reason.
      const second = await h.services.importer.create(ann, 'demo', 'upload (test 2)')
      const source2 = join(h.home.home, 'upload2.zip')
      copyFileSync(zip, source2)
      const slow = new QueuedImport({ ...qDeps(h), noraArgv: ['/bin/sleep', '60'] })
      const sub = await slow.submit(second.id, second.project, ann.id, source2)
      const ext = (await h.services.repos.jobs.gridjob(sub.gridjobId))!.externalId
      expect(Bun.spawnSync(['scancel', ext], { env: cluster!.env }).exitCode).toBe(0)
      await slow.idle()
      const rec2 = (await h.services.importer.status(second.id))!
      expect(rec2.state).toBe('failed')
      expect(rec2.message).toMatch(/failed: .*(cancel|lost)/i)
      expect(existsSync(join(queuedImportDir(h.services.config.dataRoot, second.id), 'upload2.zip'))).toBe(true)
      expect((await h.services.repos.jobs.gridjob(sub.gridjobId))!.state).toBe('error')
    } finally {
      await h.close()
    }
  }, 120_000)

  test('nora restarted while an import job waits in the queue: the new nora watches it again and records its end', async () => {
    const { h } = await world('import: { executor: "queue" }, jobs: { queue: "slurm" }')
    try {
      const ann = (await h.services.repos.users.byUsername('ann'))!
      const { id, project } = await h.services.importer.create(ann, 'demo', 'upload (restart)')
      const source = join(h.home.home, 'upload.zip')
      copyFileSync(zip, source)
      // The first nora submits the job (which waits 3 s before importing), then "dies": its watcher stops and its
      // runner id names a process that no longer runs.
      const first = new QueuedImport({ ...qDeps(h), noraArgv: ['/bin/sh', '-c', 'sleep 3; exec "$@"', 'delayed', ...defaultNoraArgv()] })
      const { gridjobId } = await first.submit(id, project, ann.id, source)
      first.stop()
      await h.services.db.run('UPDATE gridjobs SET runner = ? WHERE id = ?', [`${hostname()}:999999999`, gridjobId])
      // The restarted nora: the batch recovery leaves the import job alone, the import side takes it over.
      await h.services.jobs.recover({ adopt: true })
      expect(['queued', 'running']).toContain((await h.services.repos.jobs.gridjob(gridjobId))!.state)
      expect(await h.services.importer.recoverInterrupted()).toEqual([])
      const second = new QueuedImport(qDeps(h))
      expect(await second.recover()).toBe(1)
      await second.idle()
      second.stop()
      expect((await h.services.importer.status(id))!.state).toBe('done')
      expect((await h.services.repos.jobs.gridjob(gridjobId))!).toMatchObject({ state: 'done', exitCode: 0 })
      expect(existsSync(queuedImportDir(h.services.config.dataRoot, id))).toBe(false)
      expect(listing(join(h.home.home, 'data/projects/demo'))).toEqual(inline)
    } finally {
      await h.close()
    }
  }, 240_000)
})
