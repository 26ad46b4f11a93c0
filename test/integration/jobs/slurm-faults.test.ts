import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { jobsCommand } from '../../../src/cli/commands/jobs'
import { LOST_BY_SCHEDULER } from '../../../src/jobs/executor'
import type { BatchSummary } from '../../../src/jobs/jobs-service'
import { SlurmExecutor } from '../../../src/jobs/slurm-executor'
import { JobsRepo } from '../../../src/store/repos/jobs-repo'
import { serviceOrSkip, slurm, slurmCmd, startSlurmctld, stopSlurmctld, titled, type SlurmHandle } from '../../services/slurm'
import { arrayOf, executorWorld, type ExecutorWorld } from './describe-executor'

const untilTrue = async (what: string, f: () => Promise<boolean> | boolean, ms = 30_000) => {
  const t0 = Date.now()
  while (!(await f())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await Bun.sleep(100)
  }
}

// The cluster is asked for while the file loads, so that without one (outside CI) the tests are reported skipped.
const up = await serviceOrSkip('slurm', slurm)

describe.skipIf(!up.handle)(titled('Slurm faults', up.skip), () => {
  const h = up.handle as SlurmHandle
  let w: ExecutorWorld
  let timeLimited: Promise<BatchSummary> | undefined
  let timeLimitedAt = 0

  beforeAll(async () => {
    process.env.SLURM_CONF = h.conf
    w = await executorWorld('slurm', 'faults')
    for (let i = 10; i < 30; i++) await w.study(`P${i}#S1`, { 't1_mprage/s001.nii': 'y' })
    // The time-limit fault takes Slurm's 1-minute granularity plus its 30 s check: start it first, check it last.
    const { batchId } = await w.jobs.launch(w.ann, w.project, { studies: ['P1#S1'], jobs: [{ type: 'bash', name: 'long', script: 'sleep 300', resources: { queue: 'DPXshort', timeMinutes: 1 } }] })
    timeLimitedAt = Date.now()
    timeLimited = w.jobs.run(w.ann, batchId)
  }, 60_000)
  afterAll(async () => {
    await w?.close()
    await h?.stop()
  }, 60_000)

  test('slurmctld stopped while jobs are queued: "scheduler down", jobs kept; reconciled and finished when it is back', async () => {
    slurmCmd(h, ['scontrol', 'update', 'PartitionName=DPXimport', 'State=DOWN'])
    try {
      const job = { type: 'bash', name: 'imp', script: 'echo "$NORA_PSID" > "$o1"', args: { o1: 'out/imp.txt' }, resources: { queue: 'DPXimport' } }
      const { batchId } = await w.jobs.launch(w.ann, w.project, { studies: ['P1#S1', 'P2#S1', 'P3#S1'], jobs: [job] })
      const done = w.jobs.run(w.ann, batchId)
      await untilTrue('3 jobs submitted', async () => (await w.jobs.list(w.ann, { batchId })).filter((g) => g.externalId).length === 3)
      const ids = (await w.jobs.list(w.ann, { batchId })).map((g) => g.externalId)
      expect(slurmCmd(h, ['squeue', '-h', '-r', '-o', '%i %T %r', '-j', ids.join(',')]).trim().split('\n').map((l) => l.split(' ')[1])).toEqual(['PENDING', 'PENDING', 'PENDING'])
      await stopSlurmctld(h)
      await untilTrue('the reconciler to notice', () => w.jobs.schedulerStatus().down !== '', 60_000)
      expect(w.jobs.schedulerStatus().down).toMatch(/^scheduler down: slurm: (squeue|scontrol) failed/)
      await Bun.sleep(1000)
      const kept = await w.jobs.list(w.ann, { batchId })
      expect(kept.map((g) => g.state)).toEqual(['queued', 'queued', 'queued'])
      // `nora jobs` says so too, and lists the jobs as they were.
      const io = { lines: [] as string[], errs: [] as string[], tty: false, out: async (l: string) => void io.lines.push(l), err: async (l: string) => void io.errs.push(l) }
      expect(await jobsCommand(w.s, { positional: ['jobs'], options: new Map([['user', ['ann']], ['state', ['q']], ['json', []]]) }, io)).toBe(0)
      expect(io.errs[0]).toMatch(/^scheduler down: slurm: .*: job states as last known$/)
      expect(JSON.parse(io.lines[0]!).filter((g: { batchId: number }) => g.batchId === batchId)).toHaveLength(3)
      // A batch launched while the scheduler is down waits (queued) and is submitted when it is back.
      const late = await w.jobs.launch(w.ann, w.project, { studies: ['P3#S1'], jobs: [{ type: 'bash', script: 'echo late' }] })
      const lateDone = w.jobs.run(w.ann, late.batchId)
      await Bun.sleep(1500)
      expect((await w.jobs.list(w.ann, { batchId: late.batchId })).map((g) => [g.state, g.externalId])).toEqual([['queued', '']])
      await startSlurmctld(h)
      slurmCmd(h, ['scontrol', 'update', 'PartitionName=DPXimport', 'State=UP'])
      expect((await lateDone).runs[0]!.state).toBe('done')
      const summary = await done
      expect(summary.runs.map((r) => [r.psid, r.state])).toEqual([1, 2, 3].map((i) => [`P${i}#S1`, 'done']))
      expect(w.jobs.schedulerStatus().down).toBe('')
      expect(readFileSync(join(w.projectDir(), 'P2/S1/out/imp.txt'), 'utf8')).toBe('P2#S1\n')
    } finally {
      try {
        slurmCmd(h, ['scontrol', 'update', 'PartitionName=DPXimport', 'State=UP'])
      } catch {}
    }
  }, 90_000)

  test('a job cancelled in Slurm (scancel) is an error with the reason; a job Slurm never knew is "lost by the scheduler"', async () => {
    const { batchId } = await w.jobs.launch(w.ann, w.project, { studies: ['P2#S1'], jobs: [{ type: 'bash', script: 'sleep 60' }, { type: 'bash', script: 'true' }] })
    const done = w.jobs.run(w.ann, batchId)
    await untilTrue('the job to run', async () => (await w.jobs.list(w.ann, { batchId }))[0]?.state === 'running')
    const [g] = await w.jobs.list(w.ann, { batchId })
    slurmCmd(h, ['scancel', g!.externalId])
    expect((await done).runs).toEqual([{ psid: 'P2#S1', state: 'error', reason: 'job 1 (bash): cancelled in Slurm (CANCELLED)' }])
    expect(await w.jobs.list(w.ann, { batchId })).toHaveLength(1)
    const lost = await new SlurmExecutor({ queue: 'DPXproc', timeMinutes: 1, memMb: 100, cpus: 1 }).poll([{ externalId: '987654', exitFile: join(w.home.home, 'none.exit') }])
    expect(lost.get('987654')).toEqual({ state: 'error', exitCode: null, reason: LOST_BY_SCHEDULER })
  }, 60_000)

  test('nora killed while 20 jobs run: the jobs stay queued/running in the table; a new nora re-attaches by Slurm job id and finishes the runs', async () => {
    const studies = Array.from({ length: 20 }, (_, i) => `P${i + 10}#S1`)
    const batch = { studies, jobs: [{ type: 'bash', name: 'slow', script: 'sleep 6; echo 1 > "$o1"', args: { o1: 'out/r1.txt' } }, { type: 'bash', name: 'next', script: 'echo 2 > "$o1"', args: { o1: 'out/r2.txt TAG(after)' } }] }
    const runner = Bun.spawn(['bun', join(import.meta.dir, 'runner-fixture.ts'), w.home.home, w.project, 'ann', JSON.stringify(batch)], { stdout: 'pipe', stderr: 'inherit', env: { ...process.env, SLURM_CONF: h.conf } })
    const repo = new JobsRepo(w.s.db)
    const slow = async () => (await repo.gridjobs({ executor: 'slurm' })).filter((g) => JSON.parse(g.job).name === 'slow')
    await untilTrue('20 jobs submitted by the runner', async () => (await slow()).filter((g) => g.externalId).length === 20, 60_000)
    runner.kill('SIGKILL')
    await runner.exited
    const before = await slow()
    expect(before.every((g) => g.state === 'queued' || g.state === 'running')).toBe(true)
    // The 20 runs' first jobs went as one array job: tasks 0-19 of one Slurm job id.
    expect(arrayOf(before.map((g) => g.externalId))).toEqual({ arrays: 1, tasks: Array.from({ length: 20 }, (_, i) => i) })
    const t0 = Date.now()
    const { lost, adopted } = await w.jobs.recover({ adopt: true })
    expect(lost).toBe(0)
    expect(adopted).toHaveLength(20)
    // Right afterwards: nothing lost, nothing in error; Slurm still runs them.
    const after = await slow()
    expect(after.map((g) => g.state).filter((s) => s !== 'queued' && s !== 'running')).toEqual([])
    expect(after.every((g) => g.runner !== before[0]!.runner)).toBe(true)
    await Promise.all(adopted)
    const batchId = after[0]!.batchId!
    const runs = await repo.runs(batchId)
    expect(runs.map((r) => `${r.state} ${r.reason}`.trim())).toEqual(Array(20).fill('done'))
    for (const psid of studies) expect(existsSync(join(w.projectDir(), psid.replace('#', '/'), 'out/r2.txt'))).toBe(true)
    // The inputs of the adopted array (and of the arrays the second jobs went in) are removed once their tasks ended.
    await untilTrue('the array inputs to be swept', () => readdirSync(join(w.home.home, 'data', 'jobarrays')).length === 0)
    console.log(`slurm: 20 adopted jobs finished ${Date.now() - t0} ms after the restart`)
  }, 120_000)

  test('a job exceeding its time limit (DPXshort, 1 minute) is an error "time limit reached"', async () => {
    const summary = await timeLimited!
    expect(summary.runs).toEqual([{ psid: 'P1#S1', state: 'error', reason: 'job 1 (long): time limit reached (Slurm TIMEOUT)' }])
    console.log(`slurm: time-limited job ended after ${((Date.now() - timeLimitedAt) / 1000).toFixed(0)} s`)
  }, 150_000)
})
