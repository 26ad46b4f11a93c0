import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { openServices, type Services } from '../../../src/app'
import type { Out } from '../../../src/cli/context'
import { loadConfig } from '../../../src/config/load-config'
import type { User } from '../../../src/core/types'
import { isAlive } from '../../../src/core/process-alive'
import { JobsService } from '../../../src/jobs/jobs-service'
import { migrate } from '../../../src/store/migrate'
import { migrations } from '../../../src/store/migrations'
import { m003Jobs } from '../../../src/store/migrations/003-jobs'
import { JobsRepo } from '../../../src/store/repos/jobs-repo'
import { launchCommand } from '../../../src/cli/commands/launch'
import { jobsCommand } from '../../../src/cli/commands/jobs'
import { jobCliUrl } from '../../../src/cli/job-broker'
import type { ParsedArgs } from '../../../src/cli/args'
import { makeHome, type TestHome } from '../../helpers/home'
import { ensureBinary, REPO } from '../../helpers/nora-binary'
import type { MysqlOptions } from '../../../src/store/mysql-db'

const TWO_JOBS = [
  { type: 'bash', name: 'size', script: 'wc -c < "$f1" | tr -d " " > "$o1"', args: { f1: 't1*/s0__.nii', o1: 'out/size.txt TAG(sized)' } },
  { type: 'python', name: 'double', script: 'n = int(open($f1).read())\nopen($o1, "w").write(str(2 * n))', args: { f1: 'out/size.txt', o1: 'out/double.txt TAG(done)' }, interpreter: '/usr/bin/python3' },
]

function captureOut(): Out & { lines: string[]; errs: string[] } {
  const lines: string[] = []
  const errs: string[] = []
  return { lines, errs, tty: false, out: async (l) => void lines.push(l), err: async (l) => void errs.push(l) }
}

const argsOf = (o: Record<string, string | true>): ParsedArgs => ({ positional: [], options: new Map(Object.entries(o).map(([k, v]) => [k, v === true ? [] : [v]])) })

/** Batches on the local executor against a real store of `dialect` (a fresh database per suite). */
export function describeJobs(dialect: 'sqlite' | 'mysql', database: () => Promise<{ mysql?: MysqlOptions; drop(): Promise<void> }>) {
  describe(`local batches on ${dialect}`, () => {
    let home: TestHome
    let s: Services
    let jobs: JobsService
    let ann: User
    let drop = async () => {}
    const project = 'jobsP'
    const projectDir = () => join(home.home, 'data', 'projects', project)

    async function study(psid: string, files: Record<string, string>) {
      const [pid, sid] = psid.split('#') as [string, string]
      const paths = Object.entries(files).map(([rel, content]) => {
        const abs = join(s.archive.projectDir({ name: project } as never), pid, sid, rel)
        mkdirSync(join(abs, '..'), { recursive: true })
        writeFileSync(abs, content)
        return abs
      })
      await s.archive.addFiles(ann, project, paths)
    }

    beforeAll(async () => {
      const db = await database()
      drop = db.drop
      home = makeHome({ ...(db.mysql && { mysql: db.mysql }), extra: 'jobs: { localWorkers: 3 }' })
      s = await openServices(loadConfig(home.home))
      await migrate(s.db, [...migrations.filter((m) => m.id !== 3), m003Jobs])
      ann = await s.repos.users.create({ username: 'ann', passwordHash: null })
      await s.archive.createProject(ann, project)
      for (const i of [1, 2, 3]) await study(`P${i}#S1`, { 't1_mprage/s001.nii': 'x'.repeat(10 * i) })
      await study('P4#S1', { 'dwi/s001.nii': 'no t1 here' })
      jobs = s.jobs
    })

    afterAll(async () => {
      await s?.close()
      home?.cleanup()
      await drop()
    })

    const select = async (pattern: string) => {
      const out = []
      for await (const page of s.archive.select(ann, project, pattern)) out.push(...page)
      return out.sort((a, b) => a.relative.localeCompare(b.relative))
    }

    test('two jobs (bash, then python) over three studies: outputs exist, are registered and tagged; jobs ran in order', async () => {
      const progress: number[] = []
      const { batchId, runs } = await jobs.launch(ann, project, { level: 'study', studies: ['P1#S1', 'P2#S1', 'P3#S1'], jobs: TWO_JOBS })
      expect(runs.map((r) => r.psid)).toEqual(['P1#S1', 'P2#S1', 'P3#S1'])
      const summary = await jobs.run(ann, batchId, (p) => progress.push(p.done))
      expect(summary.runs.map((r) => [r.psid, r.state, r.reason])).toEqual([
        ['P1#S1', 'done', ''],
        ['P2#S1', 'done', ''],
        ['P3#S1', 'done', ''],
      ])
      expect(progress.at(-1)).toBe(3)
      for (const i of [1, 2, 3]) {
        expect(readFileSync(join(projectDir(), `P${i}`, 'S1', 'out/size.txt'), 'utf8').trim()).toBe(String(10 * i))
        expect(readFileSync(join(projectDir(), `P${i}`, 'S1', 'out/double.txt'), 'utf8')).toBe(String(20 * i))
      }
      const doubles = await select('out/double.txt')
      expect(doubles.map((f) => [f.relative, f.tags])).toEqual([1, 2, 3].map((i) => [`P${i}/S1/out/double.txt`, ['done']]))
      expect((await select('out/size.txt')).map((f) => f.tags)).toEqual([['sized'], ['sized'], ['sized']])
      const grid = await jobs.list(ann, { batchId })
      expect(grid).toHaveLength(6)
      for (const g of grid) {
        expect(g).toMatchObject({ state: 'done', exitCode: 0, executor: 'local', reason: '' })
        expect(g.logPath.startsWith(join(projectDir(), g.psid.replace('#', '/'), 'log/'))).toBe(true)
        expect(existsSync(g.logPath)).toBe(true)
      }
      // Within a run, job 2 started only after job 1 finished.
      for (const psid of ['P1#S1', 'P2#S1', 'P3#S1']) {
        const [first, second] = grid.filter((g) => g.psid === psid).sort((a, b) => a.position - b.position)
        expect(second!.startedAt!).toBeGreaterThanOrEqual(first!.finishedAt!)
      }
      const states = await s.db.all<{ state: string }>('SELECT state FROM commands WHERE batch_id = ?', [batchId])
      expect(states.map((r) => r.state)).toEqual(Array(6).fill('done'))
      // The filter bars see the jobs: no study of the batch has a job in error.
      const rows = []
      for await (const page of s.studies.all(ann, project, { q: 'JOB:e' } as never)) rows.push(...page)
      expect(rows.map((r) => r.patients_id)).not.toContain('P1')
    }, 60_000)

    test('a missing input errors that run only; the others go on', async () => {
      const { batchId } = await jobs.launch(ann, project, { studies: ['P4#S1', 'P1#S1'], jobs: TWO_JOBS })
      const summary = await jobs.run(ann, batchId)
      expect(summary.runs).toEqual([
        { psid: 'P4#S1', state: 'error', reason: 'job 1 (size): no file matches t1*/s0__.nii' },
        { psid: 'P1#S1', state: 'done', reason: '' },
      ])
      expect(summary.errors).toBe(1)
      const cmds = await s.db.all<{ state: string; position: number }>("SELECT c.state, c.position FROM commands c JOIN runs r ON r.id = c.run_id WHERE r.batch_id = ? AND r.psid = 'P4#S1' ORDER BY c.position", [batchId])
      expect(cmds.map((c) => c.state)).toEqual(['error', 'skipped'])
      expect(existsSync(join(projectDir(), 'P4', 'S1', 'out'))).toBe(false)
      const e = (await jobs.list(ann, { batchId, states: ['error'] }))[0]!
      expect(e).toMatchObject({ psid: 'P4#S1', reason: 'no file matches t1*/s0__.nii' })
    }, 60_000)

    test('exit 0 without the declared output is an error "output missing"; the next job does not run', async () => {
      const batch = { studies: ['P2#S1'], jobs: [{ type: 'bash', script: 'echo "not writing $o1"', args: { o1: 'out/none.txt TAG(never)' } }, TWO_JOBS[0]] }
      const { batchId } = await jobs.launch(ann, project, batch)
      const summary = await jobs.run(ann, batchId)
      const missing = join(projectDir(), 'P2', 'S1', 'out/none.txt')
      expect(summary.runs).toEqual([{ psid: 'P2#S1', state: 'error', reason: `job 1 (bash): output missing: ${missing}` }])
      const [g] = await jobs.list(ann, { batchId })
      expect(g).toMatchObject({ state: 'error', exitCode: 0, reason: `output missing: ${missing}` })
      expect(readFileSync(g!.logPath, 'utf8')).toBe(`not writing ${missing}\n`)
      expect(await select('out/none.txt')).toEqual([])
    }, 60_000)

    test('a file named `a;rm -rf ~.nii` in the archive reaches the script as one argument', async () => {
      await study('P5#S1', { 'odd/a;rm -rf ~.nii': 'hostile' })
      const { batchId } = await jobs.launch(ann, project, {
        studies: ['P5#S1'],
        jobs: [{ type: 'bash', script: 'printf "%s\\n" "$#" "$1" > "$o1"; cat $f1 >> "$o1" 2>/dev/null; true', args: { f1: 'odd/a;*.nii', o1: 'out/args.txt' } }],
      })
      expect((await jobs.run(ann, batchId)).errors).toBe(0)
      const abs = join(projectDir(), 'P5', 'S1', 'odd/a;rm -rf ~.nii')
      expect(readFileSync(join(projectDir(), 'P5', 'S1', 'out/args.txt'), 'utf8')).toBe(`2\n${abs}\n`)
      expect(existsSync(abs)).toBe(true)
    }, 60_000)

    test('a non-zero exit is an error with its code, and stderr is in the log', async () => {
      const { batchId } = await jobs.launch(ann, project, { studies: ['P3#S1'], jobs: [{ type: 'bash', script: 'echo oops >&2; exit 3' }] })
      const summary = await jobs.run(ann, batchId)
      expect(summary.runs[0]).toEqual({ psid: 'P3#S1', state: 'error', reason: 'job 1 (bash): exit code 3' })
      const [g] = await jobs.list(ann, { batchId })
      expect(g!.exitCode).toBe(3)
      expect(readFileSync(g!.logPath, 'utf8')).toBe('oops\n')
    }, 60_000)

    test('a job writing 100 MB to stdout: the log holds it all and the runner\'s memory stays flat', async () => {
      Bun.gc(true)
      const before = process.memoryUsage().rss
      let peak = before
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10)
      const { batchId } = await jobs.launch(ann, project, { studies: ['P1#S1'], jobs: [{ type: 'bash', script: 'head -c 100000000 /dev/zero | tr "\\0" x; echo' }] })
      const summary = await jobs.run(ann, batchId)
      clearInterval(sampler)
      expect(summary.errors).toBe(0)
      const [g] = await jobs.list(ann, { batchId })
      expect(statSync(g!.logPath).size).toBe(100_000_001)
      // The output never passes through nora: growth far below the 100 MB written.
      expect(peak - before).toBeLessThan(30 * 1024 * 1024)
    }, 60_000)

    test('nora is on the job\'s PATH with NORA_RUN_TOKEN/NORA_URL/NORA_PSID: `nora -p P -a $o1 --addtag` works inside a job', async () => {
      await ensureBinary()
      const withNora = new JobsService({ db: s.db, jobs: new JobsRepo(s.db), repos: s.repos, rights: s.rights, archive: s.archive, studies: s.studies, home: home.home, localWorkers: 2, noraDir: REPO, noraUrl: () => jobCliUrl(s) })
      const script = 'echo "$NORA_PSID" > "$o1" && nora -p "$NORA_PROJECT" -a "$o1" --addtag viaNora,"$s1"'
      const { batchId } = await withNora.launch(ann, project, { studies: ['P1#S1', 'P2#S1'], jobs: [{ type: 'bash', script, args: { o1: 'out/psid.txt', s1: 'second' } }] })
      const summary = await withNora.run(ann, batchId)
      expect(summary.runs.map((r) => r.reason)).toEqual(['', ''])
      const files = await select('out/psid.txt')
      expect(files.map((f) => [f.relative, f.tags.sort()])).toEqual([
        ['P1/S1/out/psid.txt', ['second', 'viaNora']],
        ['P2/S1/out/psid.txt', ['second', 'viaNora']],
      ])
      expect(readFileSync(files[0]!.absolute, 'utf8')).toBe('P1#S1\n')
    }, 180_000)

    test('nora ended while jobs ran: a job still running is re-adopted and its run goes on; a job whose process is gone is "lost"', async () => {
      const batch = {
        studies: ['P1#S1', 'P2#S1'],
        jobs: [
          { type: 'bash', script: 'sleep 60 & wait; echo a > "$o1"', args: { o1: 'out/adopt1.txt' } },
          { type: 'bash', script: 'echo b > "$o1"', args: { o1: 'out/adopt2.txt TAG(adopted)' } },
        ],
      }
      const runner = Bun.spawn(['bun', join(import.meta.dir, 'runner-fixture.ts'), home.home, project, 'ann', JSON.stringify(batch)], { stdout: 'pipe', stderr: 'inherit' })
      const repo = new JobsRepo(s.db)
      let running: Awaited<ReturnType<JobsRepo['gridjobs']>> = []
      for (let i = 0; i < 200 && running.length < 2; i++) {
        await Bun.sleep(50)
        running = (await repo.gridjobs({ states: ['running'] })).filter((g) => JSON.parse(g.job).script === batch.jobs[0]!.script)
      }
      expect(running).toHaveLength(2)
      runner.kill('SIGKILL')
      await runner.exited
      const p1 = running.find((g) => g.psid === 'P1#S1')!
      const p2 = running.find((g) => g.psid === 'P2#S1')!
      // P2's job dies too (while nora is down); P1's keeps running: its `sleep 60` is cut short so that it ends soon.
      process.kill(-Number(p2.externalId), 'SIGKILL')
      while (isAlive(Number(p2.externalId))) await Bun.sleep(20)
      const { lost, adopted } = await jobs.recover({ adopt: true })
      expect(lost).toBe(1)
      expect(adopted).toHaveLength(1)
      expect((await repo.gridjob(p2.id))).toMatchObject({ state: 'error', reason: 'lost: the process ended while nora was down' })
      expect((await repo.gridjob(p1.id))!.state).toBe('running')
      expect(Bun.spawnSync(['pkill', '-x', 'sleep', '-g', p1.externalId]).exitCode).toBe(0)
      await Promise.all(adopted)
      expect((await repo.gridjob(p1.id))).toMatchObject({ state: 'done', exitCode: 0 })
      const runs = await repo.runs(p1.batchId!)
      expect(runs.map((r) => [r.psid, r.state, r.reason])).toEqual([
        ['P1#S1', 'done', ''],
        ['P2#S1', 'error', 'job 1 (bash): lost: the process ended while nora was down'],
      ])
      expect((await select('out/adopt2.txt')).map((f) => [f.relative, f.tags])).toEqual([['P1/S1/out/adopt2.txt', ['adopted']]])
    }, 60_000)

    test('a job that ended well while nora was down, but whose input is gone by then: recorded with that reason, not "lost"', async () => {
      await study('P5#S1', { 'in/x.txt': 'input' })
      const script = 'while [ ! -e "$o1.go" ]; do sleep 0.05; done; cp "$f1" "$o1"'
      const batch = { studies: ['P5#S1'], jobs: [{ type: 'bash', script, args: { f1: 'in/x.txt', o1: 'out/copy.txt' } }] }
      const runner = Bun.spawn(['bun', join(import.meta.dir, 'runner-fixture.ts'), home.home, project, 'ann', JSON.stringify(batch)], { stdout: 'pipe', stderr: 'inherit' })
      const repo = new JobsRepo(s.db)
      let g: Awaited<ReturnType<JobsRepo['gridjobs']>>[number] | undefined
      for (let i = 0; i < 400 && !g; i++) {
        await Bun.sleep(50)
        g = (await repo.gridjobs({ states: ['running'] })).find((x) => JSON.parse(x.job).script === script)
      }
      expect(g).toBeDefined()
      runner.kill('SIGKILL')
      await runner.exited
      // While nora is down the input leaves the archive, then the job ends with exit 0.
      const input = join(projectDir(), 'P5', 'S1', 'in', 'x.txt')
      const output = join(projectDir(), 'P5', 'S1', 'out', 'copy.txt')
      writeFileSync(`${output}.go`, '')
      while (isAlive(Number(g!.externalId))) await Bun.sleep(20)
      expect(readFileSync(output, 'utf8')).toBe('input')
      expect(await s.archive.deleteFiles(ann, project, [input])).toBe(1)
      const { lost } = await jobs.recover({ adopt: true })
      expect(lost).toBe(1)
      const after = (await repo.gridjob(g!.id))!
      expect(after).toMatchObject({ state: 'error', exitCode: 0 })
      expect(after.reason).toBe('ended (exit code 0) while nora was down, but its outputs cannot be checked: no file matches in/x.txt')
      expect((await repo.runs(g!.batchId!)).map((r) => [r.psid, r.state, r.reason])).toEqual([['P5#S1', 'error', `job 1 (bash): ${after.reason}`]])
    }, 60_000)

    test('CLI: --launch with --select-studies runs, prints a summary and exits 1 when a run failed; nora jobs lists and filters', async () => {
      const io = captureOut()
      const json = JSON.stringify({ jobs: [TWO_JOBS[0]] })
      const code = await launchCommand(s, argsOf({ project, launch: json, 'select-studies': 's0*.nii', user: 'ann' }), io)
      expect(code).toBe(1)
      expect(io.errs.join('\n')).toContain('error   P4#S1: job 1 (size): no file matches t1*/s0__.nii')
      expect(io.lines.at(-1)).toMatch(/^batch \d+ error: 4 runs, 3 done, 1 failed$/)
      const file = join(home.home, 'batch.json')
      writeFileSync(file, JSON.stringify({ studies: ['P1#S1'], jobs: [TWO_JOBS[0]] }))
      const ok = captureOut()
      expect(await launchCommand(s, argsOf({ project, launchfile: file, user: 'ann' }), ok)).toBe(0)
      expect(ok.lines.at(-1)).toMatch(/^batch \d+ done: 1 runs, 1 done, 0 failed$/)
      const list = captureOut()
      expect(await jobsCommand(s, argsOf({ state: 'e', user: 'ann', json: true }), list)).toBe(0)
      const errors = JSON.parse(list.lines[0]!) as { state: string }[]
      expect(errors.length).toBeGreaterThan(0)
      expect(errors.every((g) => g.state === 'error')).toBe(true)
      await expect(jobsCommand(s, argsOf({ state: 'x', user: 'ann' }), captureOut())).rejects.toThrow('--state takes q, r, e or d')
    }, 60_000)

    test('--throwerror: the first failed run stops the batch; nora jobs --kill ends a running job', async () => {
      const io = captureOut()
      const json = JSON.stringify({ studies: ['P4#S1', 'P1#S1'], jobs: [{ type: 'bash', script: 'if [ "$NORA_PSID" = P4#S1 ]; then exit 1; fi; sleep 30' }] })
      const t0 = Date.now()
      expect(await launchCommand(s, argsOf({ project, launch: json, throwerror: true, user: 'ann' }), io)).toBe(1)
      expect(Date.now() - t0).toBeLessThan(15_000)
      expect(io.errs.join('\n')).toContain('error   P1#S1: job 1 (bash): batch stopped: run P4#S1 failed (--throwerror)')
      // --kill from "another process" (a second service on the same store).
      const { batchId } = await jobs.launch(ann, project, { studies: ['P3#S1'], jobs: [{ type: 'bash', script: 'sleep 30' }] })
      const done = jobs.run(ann, batchId)
      let g
      for (let i = 0; i < 100 && g?.state !== 'running'; i++) {
        await Bun.sleep(50)
        g = (await jobs.list(ann, { batchId }))[0]
      }
      const killer = captureOut()
      expect(await jobsCommand(s, argsOf({ kill: String(g!.id), user: 'ann' }), killer)).toBe(0)
      expect(killer.lines[0]).toBe(`job ${g!.id}: error (killed by ann)`)
      const summary = await done
      expect(summary.runs[0]).toEqual({ psid: 'P3#S1', state: 'error', reason: 'job 1 (bash): killed by ann' })
    }, 60_000)
  })
}
