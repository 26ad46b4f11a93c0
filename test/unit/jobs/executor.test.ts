import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LOST_BY_SCHEDULER, readExitCode, shellQuote, writeJobScript } from '../../../src/jobs/executor'
import { parseQstatXml } from '../../../src/jobs/sge-executor'
import { parseSqueueJson, slurmStateOf } from '../../../src/jobs/slurm-executor'
import { SlurmExecutor } from '../../../src/jobs/slurm-executor'

const dir = mkdtempSync(join(tmpdir(), 'nora-exec-unit-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('job scripts for sbatch/qsub', () => {
  test('values with quotes, $(), newlines and ; reach the job exactly (bash is the judge)', () => {
    const hostile = `a'b"c $(touch ${dir}/pwned) \`id\` ; rm -rf ~\nline2 \\ end`
    const script = join(dir, 'job.sh')
    writeJobScript(script, { argv: ['/bin/bash', '-c', 'printf "%s|" "$V" "$1" "$#"', 'x', hostile, 'second'], env: { V: hostile, PATH: '/usr/bin:/bin', 'NOT-A-NAME': 'x', SLURM_JOB_ID: '1' } }, dir)
    const r = Bun.spawnSync(['/bin/bash', script], { stdout: 'pipe', stderr: 'pipe', env: {} })
    expect(r.stdout.toString()).toBe(`${hostile}|${hostile}|2|`)
    expect(readFileSync(script, 'utf8')).not.toContain('SLURM_JOB_ID')
    expect(Bun.file(join(dir, 'pwned')).size).toBe(0)
    expect(shellQuote("it's")).toBe(`'it'\\''s'`)
  })

  test('readExitCode: the number the wrapper wrote, nothing for a missing or garbled file', () => {
    writeFileSync(join(dir, 'ok.exit'), '3\n')
    writeFileSync(join(dir, 'bad.exit'), 'x')
    expect(readExitCode(join(dir, 'ok.exit'))).toBe(3)
    expect(readExitCode(join(dir, 'bad.exit'))).toBeUndefined()
    expect(readExitCode(join(dir, 'none.exit'))).toBeUndefined()
  })
})

describe('Slurm states', () => {
  const exit0 = join(dir, 'zero.exit')
  const exit143 = join(dir, 'term.exit')
  writeFileSync(exit0, '0\n')
  writeFileSync(exit143, '143\n')
  test('pending, running, suspended; finished with the exit file; ended by Slurm with its reason', () => {
    expect(slurmStateOf('PENDING', 'Resources', '', null)).toEqual({ state: 'queued', exitCode: null, reason: 'Resources' })
    expect(slurmStateOf('RUNNING', 'None', '', null).state).toBe('running')
    expect(slurmStateOf('SUSPENDED', 'None', '', null)).toMatchObject({ state: 'running', suspended: true })
    expect(slurmStateOf('COMPLETED', 'None', exit0, 0)).toEqual({ state: 'done', exitCode: 0, reason: '' })
    expect(slurmStateOf('FAILED', 'NonZeroExitCode', join(dir, 'none'), 2)).toEqual({ state: 'done', exitCode: 2, reason: '' })
    expect(slurmStateOf('TIMEOUT', 'TimeLimit', exit143, 0)).toEqual({ state: 'error', exitCode: 143, reason: 'time limit reached (Slurm TIMEOUT)' })
    expect(slurmStateOf('CANCELLED', 'None', join(dir, 'none'), null)).toEqual({ state: 'error', exitCode: null, reason: 'cancelled in Slurm (CANCELLED)' })
    expect(slurmStateOf('NODE_FAIL', 'None', join(dir, 'none'), null).reason).toBe('the node failed (Slurm NODE_FAIL)')
    // A job that finished well just before Slurm cancelled it keeps its success.
    expect(slurmStateOf('CANCELLED', 'None', exit0, null)).toEqual({ state: 'done', exitCode: 0, reason: '' })
  })

  test('squeue --json of Slurm 22.05 (openapi v0.0.38), recorded from a real slurmctld', () => {
    const jobs = parseSqueueJson(readFileSync(join(import.meta.dir, 'fixtures/squeue-22.05.json'), 'utf8'))
    expect([...jobs.values()].map((j) => j.state).sort()).toEqual(['COMPLETED', 'PENDING', 'RUNNING'])
    for (const j of jobs.values()) if (j.state === 'COMPLETED') expect(j.exit).toBe(0)
  })

  test('without Slurm commands: poll says "scheduler down", submit fails saying what to install', async () => {
    const ex = new SlurmExecutor({ queue: 'DPXproc', timeMinutes: 1, memMb: 10, cpus: 1 }, { PATH: dir })
    await expect(ex.poll([{ externalId: '1', exitFile: '' }])).rejects.toThrow(/^scheduler down: slurm: squeue failed/)
    expect(LOST_BY_SCHEDULER).toBe('lost by the scheduler')
  })
})

describe('SGE states', () => {
  test('qstat -xml of gridengine 8.1.9, recorded from a real qmaster: a running and a held job', () => {
    expect(parseQstatXml(readFileSync(join(import.meta.dir, 'fixtures/qstat-sge-8.1.9.xml'), 'utf8'))).toEqual(new Map([['16', 'r'], ['17', 'hqw']]))
  })
})
