import { afterAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { arrayIdOf, createArrayDir, inTaskRange, recordArrayId, sweepArrayDirs, writeArrayInputs } from '../../../src/jobs/array-inputs'
import type { SubmitRequest } from '../../../src/jobs/executor'
import { WRAPPER } from '../../../src/jobs/job-command'

const root = mkdtempSync(join(tmpdir(), 'nora-array-inputs-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** A request whose command prints its argv and $V, the way the job wrapper runs it (log and exit file). */
function req(i: number, value: string, shared = 'same for all'): SubmitRequest {
  const dir = join(root, `study${i}`)
  mkdirSync(dir, { recursive: true })
  const logPath = join(dir, 'job.log')
  const exitFile = join(dir, '.job.log.exit')
  const argv = ['/bin/bash', '-c', WRAPPER, 'nora-job', '/bin/bash', '-c', 'printf "<%s>\\n" "$@" "$V" "$SHARED" "$PWD"; exit 3', 'x', value, `arg ${i}`]
  return { command: { argv, env: { V: value, SHARED: shared, NORA_EXIT_FILE: exitFile, PATH: process.env.PATH ?? '/usr/bin:/bin' } }, logPath, cwd: dir, exitFile, resources: {}, name: 't' }
}

describe('array job inputs', () => {
  const hostile = ["it's $(touch /tmp/nora-pwned) `id` ; rm -rf / \\ \"q\"", 'two\nlines\n', '', '$HOME ${PATH} * ?', 'ünïcödé\ttab']
  const reqs = hostile.map((v, i) => req(i, v))

  test('task i runs request i exactly: argv, its own and shared variables, its folder; output in its own log, exit code recorded (bash is the judge)', () => {
    const dir = createArrayDir(join(root, 'arrays'), undefined)
    expect((statSync(dir).mode & 0o777).toString(8)).toBe('700')
    const script = writeArrayInputs(dir, reqs, { variable: 'SLURM_ARRAY_TASK_ID', first: 0 })
    // The shared variable is written once, in common.sh; the tasks file has one line per task.
    expect(readFileSync(join(dir, 'common.sh'), 'utf8')).toContain("export SHARED='same for all'")
    expect(readFileSync(join(dir, 'tasks'), 'utf8').split('\n')).toHaveLength(reqs.length + 1)
    for (const [i, r] of reqs.entries()) {
      const p = Bun.spawnSync(['/bin/bash', script], { env: { SLURM_ARRAY_TASK_ID: String(i), PATH: process.env.PATH }, cwd: '/', stdout: 'pipe', stderr: 'pipe' })
      expect(p.exitCode).toBe(3)
      expect(p.stdout.toString()).toBe('')
      const v = hostile[i]!
      expect(readFileSync(r.logPath, 'utf8')).toBe([v, `arg ${i}`, v, 'same for all', r.cwd].map((s) => `<${s}>\n`).join(''))
      expect(readFileSync(r.exitFile, 'utf8')).toBe('3\n')
    }
    expect(existsSync('/tmp/nora-pwned')).toBe(false)
  })

  test('SGE counts from 1; an index without a line fails saying so', () => {
    const dir = createArrayDir(join(root, 'arrays'), undefined)
    const script = writeArrayInputs(dir, reqs.slice(0, 2), { variable: 'SGE_TASK_ID', first: 1 })
    rmSync(reqs[1]!.logPath, { force: true })
    expect(Bun.spawnSync(['/bin/bash', script], { env: { SGE_TASK_ID: '2', PATH: process.env.PATH }, stdout: 'pipe', stderr: 'pipe' }).exitCode).toBe(3)
    expect(readFileSync(reqs[1]!.logPath, 'utf8')).toStartWith('<two\nlines\n>')
    const none = Bun.spawnSync(['/bin/bash', script], { env: { SGE_TASK_ID: '3', PATH: process.env.PATH }, stdout: 'pipe', stderr: 'pipe' })
    expect(none.exitCode).toBe(1)
    expect(none.stderr.toString()).toContain('no task 3 in')
    expect(Bun.spawnSync(['/bin/bash', script], { env: { PATH: process.env.PATH }, stdout: 'pipe', stderr: 'pipe' }).stderr.toString()).toContain('not a task of a nora array job')
  })

  test('task ranges as Slurm and SGE list pending tasks; array ids of task ids', () => {
    expect([0, 1, 2, 3, 4, 5, 6].filter((n) => inTaskRange('2-5%2', n))).toEqual([2, 3, 4, 5])
    expect([3, 4, 7, 8, 9, 10, 11].filter((n) => inTaskRange('4,7,9-10', n))).toEqual([4, 7, 9, 10])
    expect([1, 2, 3, 4, 5, 6, 7].filter((n) => inTaskRange('1-7:2', n))).toEqual([1, 3, 5, 7])
    expect(inTaskRange('5', 5)).toBe(true)
    expect([arrayIdOf('123_4'), arrayIdOf('123.4'), arrayIdOf('123'), arrayIdOf('')]).toEqual(['123', '123', undefined, undefined])
  })

  test('sweep: a folder goes when no task of its array is open (at once when gridjobs name its tasks, after the grace when none does yet); never-submitted ones after an hour', async () => {
    const sweepRoot = join(root, 'sweep')
    const dirOf = (id?: string) => {
      const d = createArrayDir(sweepRoot, undefined)
      if (id) recordArrayId(d, id)
      return d
    }
    const [open, ended, unrecordedOld, unrecordedNew, unsubmittedOld, unsubmittedNew] = [dirOf('41'), dirOf('42'), dirOf('43'), dirOf('44'), dirOf(), dirOf()]
    const old = (Date.now() - 2 * 3600_000) / 1000
    utimesSync(join(unrecordedOld, 'array-id'), old, old)
    utimesSync(unsubmittedOld, old, old)
    writeFileSync(join(unsubmittedNew, 'tasks'), '')
    const tasks: Record<string, { open: number; total: number }> = { '41': { open: 2, total: 5 }, '42': { open: 0, total: 5 } }
    expect(await sweepArrayDirs(sweepRoot, async (id) => tasks[id] ?? { open: 0, total: 0 })).toBe(3)
    expect([open, ended, unrecordedOld, unrecordedNew, unsubmittedOld, unsubmittedNew].map(existsSync)).toEqual([true, false, false, true, false, true])
  })
})
