import { describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { UsageError } from '../../../src/core/errors'
import type { FileEntry, User } from '../../../src/core/types'
import { buildCommand, pythonSource } from '../../../src/jobs/job-command'
import { parseBatch, parseJob, parseOut, scriptReferences } from '../../../src/jobs/job-spec'
import { JobInputError, resolveJob, type ArchiveForJobs } from '../../../src/jobs/resolve-args'

describe('scriptReferences', () => {
  test('finds $f1..$f9, $o, $p, $n, $s and ${x1}, in order of first use, once each', () => {
    expect(scriptReferences('cp "$f1" "$o1"; echo ${s2} $n3 $p1 $f1')).toEqual(['f1', 'o1', 's2', 'n3', 'p1'])
  })
  test('ignores other variables, longer names and escaped dollars', () => {
    expect(scriptReferences('echo $HOME $f10 $file $o1x \\$f2 $x1 $f0')).toEqual([])
  })
})

describe('parseOut', () => {
  test('splits the name from TAG(...)', () => {
    expect(parseOut('out/x.txt TAG(done)')).toEqual({ name: 'out/x.txt', tags: ['done'] })
    expect(parseOut('out/x.txt  TAG( a , b )')).toEqual({ name: 'out/x.txt', tags: ['a', 'b'] })
    expect(parseOut('out/x.txt')).toEqual({ name: 'out/x.txt', tags: [] })
  })
  test('a malformed TAG is an error, not part of the file name', () => {
    expect(() => parseOut('out/x.txt TAG(done')).toThrow(UsageError)
  })
})

describe('parseJob / parseBatch', () => {
  test('types come from the names; explicit types for LOGICAL and OPTION', () => {
    const j = parseJob({ type: 'bash', script: 'echo "$s1" "$f1" $n1', args: { s1: 'hi', n1: '2.5', f1: 't1*/s0__.nii', o1: 'a.txt', flag: { type: 'logical', value: 'yes' }, mode: { type: 'OPTION', value: 'fast' } } }, 0)
    expect(j.args.map((a) => [a.name, a.type, a.value])).toEqual([
      ['f1', 'FILE', 't1*/s0__.nii'],
      ['o1', 'OUT', 'a.txt'],
      ['n1', 'NUMERIC', 2.5],
      ['s1', 'STRING', 'hi'],
      ['flag', 'LOGICAL', true],
      ['mode', 'OPTION', 'fast'],
    ])
  })
  test('a script that uses an argument the job does not give is refused with the names', () => {
    expect(() => parseJob({ type: 'bash', script: 'cat $f1 > $o2', args: { f1: 'x' } }, 0)).toThrow('the script uses $o2 but "args" has no o2')
  })
  test('bad values and names are refused', () => {
    expect(() => parseJob({ type: 'bash', script: 'x', args: { n1: 'abc' } }, 0)).toThrow('not a number')
    expect(() => parseJob({ type: 'bash', script: 'x', args: { PATH: 'x' } }, 0)).toThrow(UsageError)
    expect(() => parseJob({ type: 'bash', script: 'x', args: { other: 'x' } }, 0)).toThrow('needs a type')
    expect(() => parseJob({ type: 'perl', script: 'x' }, 0)).toThrow('"type" must be one of bash, python, matlab')
    expect(() => parseJob({ type: 'bash', script: 'x', args: { f1: { type: 'OUT', value: 'a' } } }, 0)).toThrow('is a FILE by its name')
  })
  test('a batch needs jobs and study references of the form PID#SID', () => {
    expect(() => parseBatch('{')).toThrow('not valid JSON')
    expect(() => parseBatch({ jobs: [] })).toThrow('non-empty')
    expect(() => parseBatch({ studies: ['P1'], jobs: [{ type: 'bash', script: 'true' }] })).toThrow('PATIENTS_ID#STUDIES_ID')
    expect(() => parseBatch({ level: 'patient', jobs: [{ type: 'bash', script: 'true' }] })).toThrow('is not a level')
    const b = parseBatch(JSON.stringify({ studies: ['P1#S1', 'P1#S1', 'P2#S1'], jobs: [{ type: 'bash', script: 'true' }] }))
    expect(b.studies).toEqual(['P1#S1', 'P2#S1'])
    expect(b.level).toBe('study')
  })
})

const actor: User = { id: 1, username: 'ann', displayName: '', email: '', isSiteAdmin: true, source: 'local', disabled: false, createdAt: 0 }

/** An archive of fixed files under /data/P/<pid>/<sid>/ (the resolution logic only; the real archive is in the integration tests). */
function fixedArchive(files: Record<string, string[]>): ArchiveForJobs {
  return {
    async *select(_a, _p, pattern, ref) {
      const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/_/g, '.')}$`)
      const psid = `${ref!.patientsId}#${ref!.studiesId}`
      const hits = (files[psid] ?? []).filter((f) => re.test(f))
      yield hits.map((path, i) => ({ id: i, project: 'P', patients_id: ref!.patientsId!, studies_id: ref!.studiesId!, path, relative: path, absolute: `/data/P/${ref!.patientsId}/${ref!.studiesId}/${path}`, size: 0, tags: [] }) as FileEntry)
    },
    async outputPath(_a, _p, name, ref, folder) {
      return `/data/P/${ref!.patientsId}/${ref!.studiesId}/${name}${folder ? '/' : ''}`
    },
  }
}

describe('resolveJob', () => {
  const archive = fixedArchive({ 'P1#S1': ['t1_mprage/s002.nii', 't1_mprage/s001.nii', 'dwi/s001.nii'], 'P2#S1': ['dwi/s001.nii'] })
  const job = parseJob({ type: 'bash', script: 'x', args: { f1: 't1*/s0__.nii', o1: 'out/x.txt TAG(done,qc)', p1: 'res', n1: 3, flag: { type: 'LOGICAL', value: false } } }, 0)

  test('FILE patterns become absolute paths of the study (the first, and all of them), OUT/PATHOUT absolute outputs', async () => {
    const r = await resolveJob(archive, actor, 'P', 'P1#S1', job)
    expect(r.args.find((a) => a.name === 'f1')).toEqual({ name: 'f1', type: 'FILE', value: '/data/P/P1/S1/t1_mprage/s001.nii', all: ['/data/P/P1/S1/t1_mprage/s001.nii', '/data/P/P1/S1/t1_mprage/s002.nii'], studies: ['S1'] })
    expect(r.outs).toEqual([{ name: 'o1', path: '/data/P/P1/S1/out/x.txt', tags: ['done', 'qc'] }])
    expect(r.pathouts).toEqual(['/data/P/P1/S1/res'])
    expect(r.args.map((a) => a.value).slice(2)).toEqual(['/data/P/P1/S1/res', '3', 'false'])
  })

  test('no match is a JobInputError naming the pattern', async () => {
    const e = await resolveJob(archive, actor, 'P', 'P2#S1', job).catch((x) => x)
    expect(e).toBeInstanceOf(JobInputError)
    expect(e.message).toBe('no file matches t1*/s0__.nii')
  })
})

describe('values reach scripts as single arguments, never as shell text', () => {
  const hostile = 'a;rm -rf ~.nii'
  const weird = `$(touch pwned) \`touch pwned2\` "q" 'x' \n*`
  const resolved = {
    args: [
      { name: 'f1', type: 'FILE' as const, value: `/tmp/x/${hostile}`, all: [`/tmp/x/${hostile}`] },
      { name: 's1', type: 'STRING' as const, value: weird },
    ],
    outs: [],
    pathouts: [],
    home: {},
  }

  async function runIt(argv: string[], env: Record<string, string>, cwd: string) {
    const p = Bun.spawn(argv, { env, cwd, stdout: 'pipe', stderr: 'pipe' })
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
    return { out, err, code }
  }

  test('bash: $f1 and $1 are the whole name; nothing in the values is executed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nora-safe-'))
    try {
      const job = parseJob({ type: 'bash', script: 'printf "%s\\n" "$#" "$1" "$f1" "$2" "$s1"', args: { f1: 'x', s1: 'y' } }, 0)
      const cmd = buildCommand(job, resolved, { project: 'P', psid: 'P1#S1', user: 'ann', home: '/h', exitFile: join(dir, 'exit') })
      const r = await runIt(cmd.argv, cmd.env, dir)
      expect(r.code).toBe(0)
      expect(r.out).toBe(`2\n/tmp/x/${hostile}\n/tmp/x/${hostile}\n${weird}\n${weird}\n`)
      expect(readFileSync(join(dir, 'exit'), 'utf8').trim()).toBe('0')
      const { readdirSync } = await import('node:fs')
      expect(readdirSync(dir).sort()).toEqual(['exit'])
      // The values are nowhere in the shell text nora hands to bash.
      expect(cmd.argv.slice(0, 5).join(' ')).not.toContain(hostile)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('python: $f1 becomes the variable f1 bound from the environment; sys.argv holds the values', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nora-safe-'))
    try {
      const job = parseJob({ type: 'python', script: 'import sys, json\nprint(json.dumps([$f1, ${s1}, sys.argv[1:], "$f1 literal?"]))', args: { f1: 'x', s1: 'y' } }, 0)
      const src = pythonSource(job, resolved)
      expect(src).not.toContain(hostile)
      const cmd = buildCommand(job, resolved, { project: 'P', psid: 'P1#S1', user: 'ann', home: '/h', exitFile: join(dir, 'exit') })
      const r = await runIt(cmd.argv, cmd.env, dir)
      expect(r.err).toBe('')
      const [f1, s1, argv] = JSON.parse(r.out)
      expect(f1).toBe(`/tmp/x/${hostile}`)
      expect(s1).toBe(weird)
      expect(argv).toEqual([`/tmp/x/${hostile}`, weird])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('the exit code is recorded even when the script fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nora-safe-'))
    try {
      const job = parseJob({ type: 'bash', script: 'exit 7' }, 0)
      const cmd = buildCommand(job, { args: [], outs: [], pathouts: [], home: {} }, { project: 'P', psid: 'P1#S1', user: 'ann', home: '/h', noraDir: '/opt/nora', exitFile: join(dir, 'exit') })
      expect(cmd.env.PATH!.startsWith('/opt/nora:')).toBe(true)
      expect(cmd.env).toMatchObject({ NORA_USER: 'ann', NORA_PSID: 'P1#S1', NORA_HOME: '/h', NORA_PROJECT: 'P' })
      expect((await runIt(cmd.argv, cmd.env, dir)).code).toBe(7)
      expect(readFileSync(join(dir, 'exit'), 'utf8').trim()).toBe('7')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
