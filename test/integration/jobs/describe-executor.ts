import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { openServices, type Services } from '../../../src/app'
import { loadConfig } from '../../../src/config/load-config'
import type { User } from '../../../src/core/types'
import type { JobsService } from '../../../src/jobs/jobs-service'
import { makeHome, type TestHome } from '../../helpers/home'
import { requireOrSkip } from '../../services/slurm'

export const TWO_JOBS = [
  { type: 'bash', name: 'size', script: 'wc -c < "$f1" | tr -d " " > "$o1"', args: { f1: 't1*/s0__.nii', o1: 'out/size.txt TAG(sized)' } },
  { type: 'python', name: 'double', script: 'n = int(open($f1).read())\nopen($o1, "w").write(str(2 * n))', args: { f1: 'out/size.txt', o1: 'out/double.txt TAG(done)' }, interpreter: '/usr/bin/python3' },
]

export interface ExecutorWorld {
  home: TestHome
  s: Services
  jobs: JobsService
  ann: User
  project: string
  projectDir(): string
  study(psid: string, files: Record<string, string>): Promise<void>
  close(): Promise<void>
}

/** A home whose jobs.queue is `queue` (conf/slurm.conf polls every 300 ms), a project with studies P1..P3 (t1) and P4 (no t1). */
export async function executorWorld(queue: 'local' | 'slurm' | 'sge', project = `exec_${queue}`): Promise<ExecutorWorld> {
  const home = makeHome({ extra: `jobs: { queue: "${queue}", localWorkers: 4 }` })
  writeFileSync(join(home.home, 'conf', 'slurm.conf'), '{ pollMs: 300, defaults: { timeMinutes: 10, memMb: 100, cpus: 1 } }')
  const s = await openServices(loadConfig(home.home))
  const ann = await s.repos.users.create({ username: 'ann', passwordHash: null })
  await s.archive.createProject(ann, project)
  const world: ExecutorWorld = {
    home,
    s,
    jobs: s.jobs,
    ann,
    project,
    projectDir: () => join(home.home, 'data', 'projects', project),
    async study(psid, files) {
      const [pid, sid] = psid.split('#') as [string, string]
      const paths = Object.entries(files).map(([rel, content]) => {
        const abs = join(world.projectDir(), pid, sid, rel)
        mkdirSync(join(abs, '..'), { recursive: true })
        writeFileSync(abs, content)
        return abs
      })
      await s.archive.addFiles(ann, project, paths)
    },
    async close() {
      await s.close()
      home.cleanup()
    },
  }
  for (const i of [1, 2, 3]) await world.study(`P${i}#S1`, { 't1_mprage/s001.nii': 'x'.repeat(10 * i) })
  await world.study('P4#S1', { 'dwi/s001.nii': 'no t1 here' })
  return world
}

/**
 * The executor contract: the same batches give the same results on local, Slurm and SGE. `up` makes the
 * scheduler available (throws when it cannot: a failure under CI=true, a printed skip elsewhere).
 */
export function describeExecutor(queue: 'local' | 'slurm' | 'sge', up: () => Promise<unknown>) {
  describe(`executor contract: ${queue}`, () => {
    let w: ExecutorWorld
    let available = false
    beforeAll(async () => {
      try {
        await up()
        available = true
      } catch (e) {
        available = requireOrSkip(queue, e)
      }
      if (available) w = await executorWorld(queue)
    })
    afterAll(async () => {
      await w?.close()
    })

    const select = async (pattern: string) => {
      const out = []
      for await (const page of w.s.archive.select(w.ann, w.project, pattern)) out.push(...page)
      return out.sort((a, b) => a.relative.localeCompare(b.relative))
    }

    test('two jobs (bash, then python) over three studies: outputs written, registered, tagged; in order', async () => {
      if (!available) return
      const { batchId } = await w.jobs.launch(w.ann, w.project, { studies: ['P1#S1', 'P2#S1', 'P3#S1'], jobs: TWO_JOBS })
      const summary = await w.jobs.run(w.ann, batchId)
      expect(summary.runs.map((r) => [r.psid, r.state, r.reason])).toEqual([1, 2, 3].map((i) => [`P${i}#S1`, 'done', '']))
      for (const i of [1, 2, 3]) expect(readFileSync(join(w.projectDir(), `P${i}`, 'S1', 'out/double.txt'), 'utf8')).toBe(String(20 * i))
      expect((await select('out/double.txt')).map((f) => [f.relative, f.tags])).toEqual([1, 2, 3].map((i) => [`P${i}/S1/out/double.txt`, ['done']]))
      expect((await select('out/size.txt')).map((f) => f.tags)).toEqual([['sized'], ['sized'], ['sized']])
      const grid = await w.jobs.list(w.ann, { batchId })
      expect(grid).toHaveLength(6)
      for (const g of grid) {
        expect(g).toMatchObject({ state: 'done', exitCode: 0, executor: queue, reason: '' })
        expect(g.externalId).toMatch(/^\d+$/)
      }
      for (const psid of ['P1#S1', 'P2#S1', 'P3#S1']) {
        const [first, second] = grid.filter((g) => g.psid === psid).sort((a, b) => a.position - b.position)
        expect(second!.submittedAt).toBeGreaterThanOrEqual(first!.finishedAt!)
      }
    }, 60_000)

    test('exit 0 without the declared output: error "output missing"; a non-zero exit: its code, stderr in the log', async () => {
      if (!available) return
      const { batchId } = await w.jobs.launch(w.ann, w.project, { studies: ['P2#S1'], jobs: [{ type: 'bash', script: 'echo "not writing $o1"', args: { o1: 'out/none.txt TAG(never)' } }, TWO_JOBS[0]] })
      const summary = await w.jobs.run(w.ann, batchId)
      const missing = join(w.projectDir(), 'P2', 'S1', 'out/none.txt')
      expect(summary.runs).toEqual([{ psid: 'P2#S1', state: 'error', reason: `job 1 (bash): output missing: ${missing}` }])
      const [g] = await w.jobs.list(w.ann, { batchId })
      expect(g).toMatchObject({ state: 'error', exitCode: 0 })
      expect(readFileSync(g!.logPath, 'utf8')).toBe(`not writing ${missing}\n`)
      const b = await w.jobs.launch(w.ann, w.project, { studies: ['P3#S1'], jobs: [{ type: 'bash', script: 'echo oops >&2; exit 3' }] })
      expect((await w.jobs.run(w.ann, b.batchId)).runs[0]).toEqual({ psid: 'P3#S1', state: 'error', reason: 'job 1 (bash): exit code 3' })
      const [e] = await w.jobs.list(w.ann, { batchId: b.batchId })
      expect(e!.exitCode).toBe(3)
      expect(readFileSync(e!.logPath, 'utf8')).toBe('oops\n')
    }, 60_000)

    test('a job writing 100 MB to stdout: the log holds it all, nora\'s memory stays flat', async () => {
      if (!available) return
      Bun.gc(true)
      const before = process.memoryUsage().rss
      let peak = before
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10)
      const { batchId } = await w.jobs.launch(w.ann, w.project, { studies: ['P1#S1'], jobs: [{ type: 'bash', script: 'head -c 100000000 /dev/zero | tr "\\0" x; echo' }] })
      const summary = await w.jobs.run(w.ann, batchId)
      clearInterval(sampler)
      expect(summary.errors).toBe(0)
      const [g] = await w.jobs.list(w.ann, { batchId })
      expect(statSync(g!.logPath).size).toBe(100_000_001)
      console.log(`${queue}: 100 MB job, nora RSS growth ${((peak - before) / 1048576).toFixed(1)} MB`)
      // The output never passes through nora (reading it would add >= 100 MB); the margin covers parsing squeue --json.
      expect(peak - before).toBeLessThan(50 * 1024 * 1024)
    }, 60_000)

    test('errors found and rerun: rerunErrors launches the failed runs again (with a modified batch), kill ends a running job', async () => {
      if (!available) return
      const { batchId } = await w.jobs.launch(w.ann, w.project, { studies: ['P4#S1', 'P1#S1'], jobs: [TWO_JOBS[0]] })
      const first = await w.jobs.run(w.ann, batchId)
      expect(first.runs.map((r) => r.state)).toEqual(['error', 'done'])
      const modified = { jobs: [{ ...TWO_JOBS[0], args: { ...TWO_JOBS[0]!.args, f1: 'dwi/s0__.nii' } }] }
      const again = await w.jobs.rerunErrors(w.ann, batchId, modified)
      expect(again.runs.map((r) => r.psid)).toEqual(['P4#S1'])
      expect((await w.jobs.run(w.ann, again.batchId)).runs).toEqual([{ psid: 'P4#S1', state: 'done', reason: '' }])
      expect(readFileSync(join(w.projectDir(), 'P4', 'S1', 'out/size.txt'), 'utf8').trim()).toBe('10')
      await expect(w.jobs.rerunErrors(w.ann, again.batchId)).rejects.toThrow('no run in error')

      const k = await w.jobs.launch(w.ann, w.project, { studies: ['P3#S1'], jobs: [{ type: 'bash', script: 'sleep 30' }] })
      const done = w.jobs.run(w.ann, k.batchId)
      let g
      for (let i = 0; i < 200 && g?.state !== 'running'; i++) {
        await Bun.sleep(50)
        g = (await w.jobs.list(w.ann, { batchId: k.batchId }))[0]
      }
      expect(g?.state).toBe('running')
      const t0 = Date.now()
      expect((await w.jobs.kill(w.ann, g!.id)).state).toBe('error')
      expect((await done).runs[0]).toEqual({ psid: 'P3#S1', state: 'error', reason: 'job 1 (bash): killed by ann' })
      expect(Date.now() - t0).toBeLessThan(15_000)
    }, 90_000)
  })
}
