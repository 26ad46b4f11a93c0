import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openServices, type Services } from '../../../src/app'
import { loadConfig } from '../../../src/config/load-config'
import type { User } from '../../../src/core/types'
import type { JobsService } from '../../../src/jobs/jobs-service'
import { makeHome, type TestHome } from '../../helpers/home'
import { titled } from '../../services/slurm'

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

/**
 * A home whose jobs.queue is `queue` (conf/slurm.conf polls every 300 ms; `slurmConf`: more of its keys), a project
 * with studies P1..P3 (t1) and P4 (no t1).
 */
export async function executorWorld(queue: 'local' | 'slurm' | 'sge', project = `exec_${queue}`, slurmConf = ''): Promise<ExecutorWorld> {
  const home = makeHome({ extra: `jobs: { queue: "${queue}", localWorkers: 4 }` })
  writeFileSync(join(home.home, 'conf', 'slurm.conf'), `{ pollMs: 300, defaults: { timeMinutes: 10, memMb: 100, cpus: 1 }${slurmConf} }`)
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

/** How many array jobs task ids (`ID_i` Slurm, `ID.i` SGE) belong to, and their task indices in order. */
export function arrayOf(ids: string[]): { arrays: number; tasks: number[] } {
  const parts = ids.map((id) => /^(\d+)[_.](\d+)$/.exec(id) ?? ['', id, 'NaN'])
  return { arrays: new Set(parts.map((p) => p[1])).size, tasks: parts.map((p) => Number(p[2])).sort((a, b) => a - b) }
}

/**
 * The executor contract: the same batches give the same results on local, Slurm and SGE. `skip`: why the scheduler
 * cannot run here (serviceOrSkip of test/services/slurm.ts, which fails under CI=true instead); the tests are then
 * reported as skipped.
 */
export function describeExecutor(queue: 'local' | 'slurm' | 'sge', skip?: string) {
  describe.skipIf(skip !== undefined)(titled(`executor contract: ${queue}`, skip), () => {
    let w: ExecutorWorld
    beforeAll(async () => {
      w = await executorWorld(queue)
    }, 60_000)
    afterAll(async () => {
      await w?.close()
    }, 60_000)

    const select = async (pattern: string) => {
      const out = []
      for await (const page of w.s.archive.select(w.ann, w.project, pattern)) out.push(...page)
      return out.sort((a, b) => a.relative.localeCompare(b.relative))
    }

    test('two jobs (bash, then python) over three studies: outputs written, registered, tagged; in order', async () => {
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
        expect(g.externalId).toMatch(queue === 'local' ? /^\d+$/ : /^\d+([_.]\d+)?$/)
      }
      // On a cluster the first job of the three runs went as one array job: its tasks 0-2 (Slurm) or 1-3 (SGE).
      if (queue !== 'local') expect(arrayOf(grid.filter((g) => g.position === 0).map((g) => g.externalId))).toEqual({ arrays: 1, tasks: queue === 'slurm' ? [0, 1, 2] : [1, 2, 3] })
      for (const psid of ['P1#S1', 'P2#S1', 'P3#S1']) {
        const [first, second] = grid.filter((g) => g.psid === psid).sort((a, b) => a.position - b.position)
        expect(second!.submittedAt).toBeGreaterThanOrEqual(first!.finishedAt!)
      }
    }, 60_000)

    test('exit 0 without the declared output: error "output missing"; a non-zero exit: its code, stderr in the log', async () => {
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

    // Array jobs are the clusters' (a local job is a process of its own).
    if (queue !== 'local') test('a batch step of 12 runs is one array job (at most 6 tasks at once): each run its own log and state; a task suspended and resumed, a running and a pending task killed end only their runs; the killed runs rerun', async () => {
      const a = await executorWorld(queue, `arrays_${queue}`, ', arrayLimit: 6')
      try {
        const studies = Array.from({ length: 12 }, (_, i) => `P${i + 10}#S1`)
        for (const [i, psid] of studies.entries()) await a.study(psid, { 't1_mprage/s001.nii': 'z'.repeat(i + 1) })
        // The tasks wait for the test to release them (at most 2 min), not for a fixed time: on a busy machine a task
        // that slept a fixed time could end before the test suspended it, and the limit's second wave could start.
        const release = mkdtempSync(join(tmpdir(), 'nora-release-'))
        chmodSync(release, 0o755)
        const gate = `for i in $(seq 600); do [ -e ${release}/go ] && break; sleep 0.2; done`
        const job = { type: 'bash', name: 'slow', script: `${gate}; echo "run $NORA_PSID as $(id -un):$(id -Gn)"; wc -c < "$f1" | tr -d " " > "$o1"`, args: { f1: 't1*/s0__.nii', o1: 'out/slow.txt' } }
        const { batchId } = await a.jobs.launch(a.ann, a.project, { studies, jobs: [job] })
        const done = a.jobs.run(a.ann, batchId)
        const jobs = () => a.jobs.list(a.ann, { batchId })
        await waitUntil('12 tasks submitted', async () => (await jobs()).filter((g) => g.externalId).length === 12)
        const grid = await jobs()
        const first = queue === 'slurm' ? 0 : 1
        expect(arrayOf(grid.map((g) => g.externalId))).toEqual({ arrays: 1, tasks: Array.from({ length: 12 }, (_, i) => i + first) })
        const arrayId = grid[0]!.externalId.split(/[_.]/)[0]!
        // Its inputs: a folder of nora's that the project's group may read, not change (as root; else nora's alone).
        const [inputs] = readdirSync(join(a.home.home, 'data', 'jobarrays'))
        const statOf = (p: string) => tool(['stat', '-c', '%a %U %G', join(a.home.home, 'data', 'jobarrays', inputs!, p)]).trim()
        const group = tool(['stat', '-c', '%G', a.projectDir()]).trim()
        const asRoot = process.getuid?.() === 0
        expect([statOf('.'), statOf('tasks'), statOf('common.sh')]).toEqual(asRoot ? [`2750 root ${group}`, `640 root ${group}`, `640 root ${group}`] : [expect.stringMatching(/^700 /), expect.stringMatching(/^640 /), expect.stringMatching(/^640 /)])
        // The scheduler's own view: one array job of 12 tasks, at most 6 running.
        if (queue === 'slurm') expect(tool(['scontrol', '-o', 'show', 'job', arrayId])).toMatch(/ArrayTaskThrottle=6\b/)
        else expect(tool(['qstat', '-j', arrayId])).toMatch(/job-array tasks:\s+1-12:1/)
        const running = await waitUntil('a task to run', async () => (await jobs()).find((g) => g.state === 'running'))
        // The scheduler shows a task running a moment before its job step has opened the log: wait for the log, so
        // that the task is really under way when it is suspended and killed.
        await waitUntil('the running task to open its log', async () => existsSync(running.logPath))
        // The last task waits behind the limit of 6.
        const pending = (await jobs()).find((g) => g.externalId === `${arrayId}${queue === 'slurm' ? '_11' : '.12'}`)!
        expect(pending.state).toBe('queued')
        expect((await a.jobs.suspend(a.ann, running.id)).reason).toBe('suspended by ann')
        expect(schedulerState(queue, running.externalId)).toMatch(queue === 'slurm' ? /^SUSPENDED$/ : /s/)
        await a.jobs.resume(a.ann, running.id)
        // SGE may show the resumed task in transfer ("t") for a moment before "r": poll for the running state.
        const runningState = queue === 'slurm' ? /^RUNNING$/ : /^r$/
        await waitUntil('the resumed task to run again', async () => runningState.test(schedulerState(queue, running.externalId)))
        await a.jobs.kill(a.ann, running.id)
        await a.jobs.kill(a.ann, pending.id)
        writeFileSync(join(release, 'go'), '')
        const summary = await done
        const killed = new Set([running.psid, pending.psid])
        for (const r of summary.runs) expect([r.psid, r.state, r.reason]).toEqual(killed.has(r.psid) ? [r.psid, 'error', 'job 1 (slow): killed by ann'] : [r.psid, 'done', ''])
        for (const g of await jobs()) {
          if (killed.has(g.psid)) continue
          // Slurm adds the account's own group (sbatch --uid/--gid), which owns nothing.
          const groups = readFileSync(g.logPath, 'utf8').match(/^run (\S+) as ([^:]+):(.*)\n$/)
          expect(groups?.slice(1, 3)).toEqual([g.psid, asRoot ? 'nora-jobs' : tool(['id', '-un']).trim()])
          if (asRoot) expect(groups![3]!.split(' ').filter((n) => n !== 'nora-jobs')).toEqual([group])
          expect(readFileSync(join(a.projectDir(), g.psid.replace('#', '/'), 'out/slow.txt'), 'utf8')).toBe(`${studies.indexOf(g.psid) + 1}\n`)
        }
        // The killed running task never reached its echo; the killed pending one never started (no log).
        expect(readFileSync(running.logPath, 'utf8')).toBe('')
        expect(existsSync(pending.logPath)).toBe(false)
        const again = await a.jobs.rerunErrors(a.ann, batchId)
        expect(again.runs.map((r) => r.psid).sort()).toEqual([...killed].sort())
        expect((await a.jobs.run(a.ann, again.batchId)).runs.map((r) => r.state)).toEqual(['done', 'done'])
        expect(arrayOf((await a.jobs.list(a.ann, { batchId: again.batchId })).map((g) => g.externalId)).arrays).toBe(1)
        // Every array's inputs went with its last task.
        expect(readdirSync(join(a.home.home, 'data', 'jobarrays'))).toEqual([])
        rmSync(release, { recursive: true })
      } finally {
        await a.close()
      }
    }, 180_000)
  })
}

/** Polls `f` until it gives something truthy (every 100 ms, for at most `ms`). */
async function waitUntil<T>(what: string, f: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const t0 = Date.now()
  for (;;) {
    const v = await f()
    if (v) return v
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await Bun.sleep(100)
  }
}

/** A scheduler command's output (the environment of the test: SLURM_CONF, SGE_*). */
function tool(argv: string[]): string {
  const r = Bun.spawnSync(argv, { env: process.env, stdout: 'pipe', stderr: 'pipe' })
  if (r.exitCode !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr.toString()}`)
  return r.stdout.toString()
}

/** The state the scheduler itself shows for a task: Slurm's (squeue %T), SGE's letters (qstat). */
function schedulerState(queue: string, externalId: string): string {
  if (queue === 'slurm') return tool(['squeue', '-h', '-r', '-o', '%T', '-j', externalId]).trim()
  const [job, task] = externalId.split('.')
  const line = tool(['qstat', '-u', '*']).split('\n').find((l) => l.trim().split(/\s+/)[0] === job && l.trim().split(/\s+/).at(-1) === task)
  return line?.trim().split(/\s+/)[4] ?? ''
}
