import { describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildCommand, MATLAB_NOT_CONFIGURED, matlabSource, matlabString } from '../../../src/jobs/job-command'
import { parseJob } from '../../../src/jobs/job-spec'
import type { ResolvedJob } from '../../../src/jobs/resolve-args'

const hostile = "a';system('rm -rf ~');'.nii"
const ctx = (dir: string, matlab?: string) => ({ project: 'P', psid: 'P1', user: 'ann', home: '/h', exitFile: join(dir, 'exit'), ...(matlab && { matlab }) })

describe('MATLAB literals', () => {
  test('quotes are doubled, control and non-ASCII characters become char(N)', () => {
    expect(matlabString('plain/path.nii')).toBe("'plain/path.nii'")
    expect(matlabString('')).toBe("''")
    expect(matlabString(hostile)).toBe("'a'';system(''rm -rf ~'');''.nii'")
    expect(matlabString('a\nb')).toBe("['a' char(10) 'b']")
    expect(matlabString('\r\n')).toBe('char([13 10])')
    expect(matlabString('é')).toBe('char(233)')
    expect(matlabString("x'\ty")).toBe("['x''' char(9) 'y']")
  })

  test('the exact argv: matlab -batch with $f1... replaced by literals (a cell for `all`, numbers in parentheses)', () => {
    const job = parseJob({ type: 'matlab', name: 'seg', script: "x = $f1; y = ${n1}^2; ok = $flag; files = $f2; out = $o1; disp('\\$f1 stays')", args: { f1: 'x', f2: { value: '*', study: 'all' }, n1: -3, o1: 'o.txt', flag: { type: 'LOGICAL', value: true } } }, 0)
    const resolved: ResolvedJob = {
      args: [
        { name: 'f1', type: 'FILE', value: `/d/P1/S1/${hostile}`, all: [`/d/P1/S1/${hostile}`] },
        { name: 'f2', type: 'FILE', value: '/d/a b.nii', all: ['/d/a b.nii', "/d/c'd.nii"], multi: true },
        { name: 'o1', type: 'OUT', value: '/d/P1/S1/o.txt' },
        { name: 'n1', type: 'NUMERIC', value: '-3' },
        { name: 'flag', type: 'LOGICAL', value: 'true' },
      ],
      outs: [],
      pathouts: [],
      home: {},
    }
    const dir = mkdtempSync(join(tmpdir(), 'nora-ml-'))
    try {
      const cmd = buildCommand(job, resolved, ctx(dir, '/opt/matlab/bin/matlab'))
      expect(cmd.argv.slice(3)).toEqual([
        'nora-job',
        '/opt/matlab/bin/matlab',
        '-batch',
        "x = '/d/P1/S1/a'';system(''rm -rf ~'');''.nii'; y = (-3)^2; ok = true; files = {'/d/a b.nii', '/d/c''d.nii'}; out = '/d/P1/S1/o.txt'; disp('\\$f1 stays')",
      ])
      expect(cmd.argv.slice(0, 2)).toEqual(['/bin/bash', '-c'])
      expect(cmd.env.f1).toBe(`/d/P1/S1/${hostile}`)
      expect(matlabSource(job, resolved)).toBe(cmd.argv[6]!)
      expect(() => buildCommand(job, resolved, ctx(dir))).toThrow(MATLAB_NOT_CONFIGURED)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('`all`: several paths as separate argv entries', () => {
  const paths = ['/d/P1/CT1/a b.nii', '/d/P1/MR1/x\ny.nii', "/d/P1/MR2/q'$(id).nii"]
  const resolved: ResolvedJob = {
    args: [
      { name: 'f1', type: 'FILE', value: paths[0]!, all: paths, multi: true },
      { name: 's1', type: 'STRING', value: 'after' },
    ],
    outs: [],
    pathouts: [],
    home: {},
  }
  async function run(argv: string[], env: Record<string, string>, cwd: string) {
    const p = Bun.spawn(argv, { env, cwd, stdout: 'pipe', stderr: 'pipe' })
    const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
    return { out, err }
  }

  test('bash: $1..$3 are the paths, f1_all the array of them, $s1 and $4 after them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nora-all-'))
    try {
      const job = parseJob({ type: 'bash', script: 'printf "<%s>" "$#" "${f1_all[@]}" "$4" "$s1"', args: { f1: 'x', s1: 'y' } }, 0)
      const cmd = buildCommand(job, resolved, ctx(dir))
      const r = await run(cmd.argv, cmd.env, dir)
      expect(r.err).toBe('')
      expect(r.out).toBe(`<4>${paths.map((p) => `<${p}>`).join('')}<after><after>`)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('python: f1_all is the list from sys.argv, f1 the first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nora-all-'))
    try {
      const job = parseJob({ type: 'python', script: 'import json, sys\nprint(json.dumps([$f1, f1_all, $s1, sys.argv[1:]]))', args: { f1: 'x', s1: 'y' }, interpreter: '/usr/bin/python3' }, 0)
      const cmd = buildCommand(job, resolved, ctx(dir))
      const r = await run(cmd.argv, cmd.env, dir)
      expect(r.err).toBe('')
      expect(JSON.parse(r.out)).toEqual([paths[0], paths, 'after', [...paths, 'after']])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
