import { afterAll } from 'bun:test'
import { serviceOrSkip, slurm, titled } from '../../services/slurm'
import { describeExecutor } from './describe-executor'

// The cluster is asked for while the file loads, so that without one (outside CI) the tests are reported skipped.
const cluster = await serviceOrSkip('slurm', slurm)
const h = cluster.handle
if (h) process.env.SLURM_CONF = h.conf
describeExecutor('slurm', cluster.skip)
afterAll(async () => {
  await h?.stop()
}, 60_000)

import { describe, expect, test } from 'bun:test'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { selfTest } from '../../../src/cli/commands/self-test'
import { jobsCommand } from '../../../src/cli/commands/jobs'
import { launchCommand } from '../../../src/cli/commands/launch'
import { makeHome } from '../../helpers/home'
import { executorWorld, TWO_JOBS } from './describe-executor'

const argsOf = (positional: string[], o: Record<string, string | true> = {}) => ({ positional, options: new Map(Object.entries(o).map(([k, v]) => [k, v === true ? [] : [v]])) })
const capture = () => {
  const lines: string[] = []
  const errs: string[] = []
  return { lines, errs, tty: false, out: async (l: string) => void lines.push(l), err: async (l: string) => void errs.push(l) }
}

describe.skipIf(!h)(titled('CLI on Slurm', cluster.skip), () => {
  test('nora test slurm submits a job to DPXproc and DPXimport and reports each; a missing partition fails by name', async () => {
    const home = makeHome({ extra: 'jobs: { queue: "slurm" }' })
    try {
      const io = capture()
      expect(await selfTest(argsOf(['test', 'slurm'], { home: home.home }), io)).toBe(0)
      expect(io.lines[0]).toMatch(/^slurm {2}OK {3}DPXproc OK \d+\.\d s \(job \d+\); DPXimport OK \d+\.\d s \(job \d+\)$/)
      writeFileSync(join(home.home, 'conf', 'slurm.conf'), '{ queues: { import: "NoSuchPart" } }')
      const bad = capture()
      expect(await selfTest(argsOf(['test', 'slurm'], { home: home.home }), bad)).toBe(1)
      expect(bad.lines[0]).toMatch(/^slurm {2}FAIL DPXproc OK .*; NoSuchPart FAIL: .*invalid partition/i)
    } finally {
      home.cleanup()
    }
  }, 60_000)

  test('arrayMax 1: every run goes as a job of its own (no array), and the batch runs as with arrays', async () => {
    const w = await executorWorld('slurm', 'single_slurm', ', arrayMax: 1')
    try {
      const { batchId } = await w.jobs.launch(w.ann, w.project, { studies: ['P1#S1', 'P2#S1', 'P3#S1'], jobs: [TWO_JOBS[0]] })
      expect((await w.jobs.run(w.ann, batchId)).runs.map((r) => r.state)).toEqual(['done', 'done', 'done'])
      const ids = (await w.jobs.list(w.ann, { batchId })).map((g) => g.externalId)
      expect(ids.every((id) => /^\d+$/.test(id)) && new Set(ids).size === 3).toBe(true)
    } finally {
      await w.close()
    }
  }, 60_000)

  test('nora jobs --rerun-errors BATCH reruns the failed runs; --suspend/--resume; --state e lists errors', async () => {
    const w = await executorWorld('slurm', 'cli_slurm')
    try {
      const { batchId } = await w.jobs.launch(w.ann, w.project, { studies: ['P4#S1', 'P2#S1'], jobs: [TWO_JOBS[0]] })
      expect((await w.jobs.run(w.ann, batchId)).errors).toBe(1)
      const errs = capture()
      expect(await jobsCommand(w.s, argsOf(['jobs'], { state: 'e', user: 'ann', json: true }), errs)).toBe(0)
      expect((JSON.parse(errs.lines[0]!) as { psid: string }[]).map((g) => g.psid)).toEqual(['P4#S1'])
      await w.study('P4#S1', { 't1_mprage/s001.nii': 'late t1' })
      const io = capture()
      expect(await jobsCommand(w.s, argsOf(['jobs'], { 'rerun-errors': String(batchId), user: 'ann' }), io)).toBe(0)
      // nora -p P --launch JSON runs on Slurm when jobs.queue is "slurm".
      const launched = capture()
      expect(await launchCommand(w.s, argsOf([], { project: w.project, launch: JSON.stringify({ studies: ['P1#S1'], jobs: [{ type: 'bash', script: 'echo "on $SLURM_JOB_PARTITION" > "$o1"', args: { o1: 'out/where.txt TAG(cli)' } }] }), user: 'ann' }), launched)).toBe(0)
      expect(launched.lines.at(-1)).toMatch(/^batch \d+ done: 1 runs, 1 done, 0 failed$/)
      expect(readFileSync(join(w.projectDir(), 'P1/S1/out/where.txt'), 'utf8')).toBe('on DPXproc\n')
      expect(io.lines.at(-1)).toMatch(/^batch \d+ done: 1 runs, 1 done, 0 failed$/)

      const k = await w.jobs.launch(w.ann, w.project, { studies: ['P3#S1'], jobs: [{ type: 'bash', script: 'sleep 2; echo ok' }] })
      const done = w.jobs.run(w.ann, k.batchId)
      let g
      for (let i = 0; i < 200 && g?.state !== 'running'; i++) {
        await Bun.sleep(50)
        g = (await w.jobs.list(w.ann, { batchId: k.batchId }))[0]
      }
      const sus = capture()
      expect(await jobsCommand(w.s, argsOf(['jobs'], { suspend: String(g!.id), user: 'ann' }), sus)).toBe(0)
      expect(sus.lines[0]).toBe(`job ${g!.id}: running (suspended by ann)`)
      const squeue = Bun.spawnSync(['squeue', '-h', '-o', '%T', '-j', g!.externalId], { env: process.env, stdout: 'pipe' }).stdout.toString().trim()
      expect(squeue).toBe('SUSPENDED')
      await Bun.sleep(3000)
      expect((await w.jobs.list(w.ann, { batchId: k.batchId }))[0]!.state).toBe('running')
      const res = capture()
      expect(await jobsCommand(w.s, argsOf(['jobs'], { resume: String(g!.id), user: 'ann' }), res)).toBe(0)
      expect(res.lines[0]).toBe(`job ${g!.id}: running`)
      expect((await done).runs[0]!.state).toBe('done')
    } finally {
      await w.close()
    }
  }, 60_000)
})
