import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LOST_BY_SCHEDULER, readExitCode, shellQuote, writeJobScript } from '../../../src/jobs/executor'
import { parseQstatXml } from '../../../src/jobs/sge-executor'
import { parseScontrol, parseSqueue, slurmStateOf } from '../../../src/jobs/slurm-executor'
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

  test('squeue -r and scontrol -o of Slurm 22.05, recorded from a real slurmctld: a job and an array (2 running, 3 pending by its %2 limit, 1 cancelled while pending)', () => {
    const jobs = parseSqueue(readFileSync(join(import.meta.dir, 'fixtures/squeue-r-22.05.txt'), 'utf8'))
    expect([...jobs].map(([id, j]) => [id, j.state, j.reason]).sort()).toEqual([
      ['1_0', 'RUNNING', 'None'],
      ['1_1', 'RUNNING', 'None'],
      ['1_2', 'PENDING', 'JobArrayTaskLimit'],
      ['1_3', 'PENDING', 'JobArrayTaskLimit'],
      ['1_4', 'PENDING', 'JobArrayTaskLimit'],
      ['4', 'COMPLETED', 'None'],
    ])
    // scontrol lists the pending tasks as one record with their range (2-4%2); a task cancelled while pending is gone.
    const array = parseScontrol(readFileSync(join(import.meta.dir, 'fixtures/scontrol-array-22.05.txt'), 'utf8'))
    expect(array.find('1_0')).toEqual({ state: 'RUNNING', reason: 'None', exit: 0 })
    for (const t of ['1_2', '1_3', '1_4']) expect(array.find(t)).toEqual({ state: 'PENDING', reason: 'JobArrayTaskLimit', exit: 0 })
    expect(array.find('1_5')).toBeUndefined()
    expect(array.find('2_0')).toBeUndefined()
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
