import { existsSync } from 'node:fs'
import { scriptReferences, type JobSpec } from './job-spec'
import type { ResolvedJob } from './resolve-args'

export interface JobContext {
  project: string
  psid: string
  user: string
  home: string
  /** The folder holding the `nora` executable, put first on the job's PATH. */
  noraDir?: string
  /** The wrapper writes the exit code here (how a nora that restarted learns how an adopted job ended). */
  exitFile: string
  /** The matlab executable (config jobs.matlab) for MATLAB jobs. */
  matlab?: string
  /** NORA_RUN_TOKEN: what `nora` inside the job acts with (the run's user, on this project only). */
  runToken?: string
  /** NORA_URL: the nora that answers the job's `nora` commands. */
  noraUrl?: string
  /** The account the job runs as when it is not nora's: the argv that drops to it (dropArgv; empty when the scheduler does it), its name, HOME and TMPDIR. */
  runAs?: { argv: string[]; name: string; home: string }
}

export interface JobCommand {
  argv: string[]
  env: Record<string, string>
}

/**
 * Runs `"$@"` and records its exit code atomically. The wrapper is a fixed string: the job's values never become
 * part of any shell text, they arrive as environment variables and positional arguments. With NORA_LOG_FILE (a task
 * of an array job) the output is appended to that log first, opened as the job's own account.
 */
export const WRAPPER = '[ -z "$NORA_LOG_FILE" ] || exec >>"$NORA_LOG_FILE" 2>&1 || exit 1; "$@"; c=$?; printf "%s\\n" "$c" > "$NORA_EXIT_FILE.tmp" && mv -f "$NORA_EXIT_FILE.tmp" "$NORA_EXIT_FILE"; exit $c'

export function defaultPython(): string {
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3'
}

/** Python: `$f1` in the script becomes the name `f1`, bound by a prelude to os.environ's value (never to pasted text). */
export function pythonSource(job: JobSpec, resolved: ResolvedJob): string {
  const lines = ['import os as _nora_os', 'import sys as _nora_sys', 'def _nora_num(v):', '    try:', '        return int(v)', '    except ValueError:', '        return float(v)']
  for (const a of resolved.args) {
    const env = `_nora_os.environ[${JSON.stringify(a.name)}]`
    if (a.type === 'NUMERIC') lines.push(`${a.name} = _nora_num(${env})`)
    else if (a.type === 'LOGICAL') lines.push(`${a.name} = ${env} == "true"`)
    else lines.push(`${a.name} = ${env}`)
    const at = multiAt(resolved).get(a.name)
    // `all`: the paths are positional arguments (sys.argv[1] is the first), never split from text.
    if (at) lines.push(`${a.name}_all = _nora_sys.argv[${at.start}:${at.start + at.count}]`)
    else if (a.all) lines.push(`${a.name}_all = _nora_os.environ[${JSON.stringify(`${a.name}_all`)}].split("\\n")`)
  }
  const refs = new Set(scriptReferences(job.script))
  const body = job.script.replace(/(\\)?\$(?:\{([fopns][1-9])\}|([fopns][1-9])(?![A-Za-z0-9_]))/g, (whole, esc, a, b) => (!esc && refs.has(a ?? b) ? (a ?? b) : whole))
  return `${lines.join('\n')}\n${body}`
}

/** Positional arguments: one per argument, every path of a FILE with the study reference `all`. */
export function positionalOf(resolved: ResolvedJob): string[] {
  return resolved.args.flatMap((a) => (a.multi && a.all ? a.all : [a.value]))
}

/** Where each `all` FILE's paths are among the positional arguments ($1 is 1). */
function multiAt(resolved: ResolvedJob): Map<string, { start: number; count: number }> {
  const at = new Map<string, { start: number; count: number }>()
  let i = 1
  for (const a of resolved.args) {
    const n = a.multi && a.all ? a.all.length : 1
    if (a.multi) at.set(a.name, { start: i, count: n })
    i += n
  }
  return at
}

/** Bash: `f1_all` arrays of the `all` FILEs, from the positional arguments (the prelude holds numbers only). */
export function bashSource(job: JobSpec, resolved: ResolvedJob): string {
  const prelude = [...multiAt(resolved)].map(([name, { start, count }]) => `${name}_all=("\${@:${start}:${count}}")`)
  return prelude.length ? `${prelude.join('; ')}\n${job.script}` : job.script
}

/**
 * A MATLAB char literal of any text: printable ASCII between single quotes (a quote doubled), every other UTF-16
 * unit (newline, non-ASCII) as char(N), concatenated: `a'b<newline>` -> `['a''b' char(10)]`.
 */
export function matlabString(s: string): string {
  const parts: string[] = []
  let lit = ''
  let codes: number[] = []
  const flushCodes = () => {
    if (codes.length) parts.push(codes.length === 1 ? `char(${codes[0]})` : `char([${codes.join(' ')}])`)
    codes = []
  }
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0x20 && c <= 0x7e) {
      flushCodes()
      lit += c === 0x27 ? "''" : s[i]
    } else {
      if (lit) parts.push(`'${lit}'`)
      lit = ''
      codes.push(c)
    }
  }
  flushCodes()
  if (lit || parts.length === 0) parts.push(`'${lit}'`)
  return parts.length === 1 ? parts[0]! : `[${parts.join(' ')}]`
}

/** What `$f1` becomes in a MATLAB script: a char literal, a number in parentheses, true/false, a cell of paths for `all`. */
export function matlabValue(a: ResolvedJob['args'][number]): string {
  if (a.type === 'NUMERIC') {
    const n = Number(a.value)
    if (!Number.isFinite(n)) throw new Error(`${a.name} is not a number: ${a.value}`)
    return `(${String(n)})`
  }
  if (a.type === 'LOGICAL') return a.value === 'true' ? 'true' : 'false'
  if (a.multi && a.all) return `{${a.all.map(matlabString).join(', ')}}`
  return matlabString(a.value)
}

/** The statement `matlab -batch` runs: the script with `$f1`, `${o1}`, `$flag`... replaced by MATLAB literals of the arguments' values. */
export function matlabSource(job: JobSpec, resolved: ResolvedJob): string {
  const values = new Map(resolved.args.map((a) => [a.name, matlabValue(a)]))
  // Every declared argument, as bash would expand it: `$name` (the longest name) or `${name}`; `\$name` stays.
  return job.script.replace(/(\\)?\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (whole, esc, a, b) => (!esc && values.has(a ?? b) ? values.get(a ?? b)! : whole))
}

export const MATLAB_NOT_CONFIGURED = 'MATLAB jobs need jobs.matlab in conf/main.conf (the path of the matlab executable)'

/** The argv and environment of one job: `bash -c SCRIPT`, `python3 -c SOURCE` or `matlab -batch STATEMENT`, values as env vars and positional arguments. */
export function buildCommand(job: JobSpec, resolved: ResolvedJob, ctx: JobContext, baseEnv: Record<string, string | undefined> = process.env): JobCommand {
  const positional = positionalOf(resolved)
  let inner: string[]
  if (job.type === 'matlab') {
    if (!ctx.matlab) throw new Error(MATLAB_NOT_CONFIGURED)
    inner = [ctx.matlab, '-batch', matlabSource(job, resolved)]
  } else if (job.type === 'bash') inner = ['/bin/bash', '-c', bashSource(job, resolved), `nora-${job.name}`, ...positional]
  else inner = [job.interpreter ?? defaultPython(), '-c', pythonSource(job, resolved), ...positional]
  const env: Record<string, string> = {}
  // nora's own NORA_* (NORA_USER of the shell that started it...) and sudo's traces are not the job's.
  for (const [k, v] of Object.entries(baseEnv)) if (v !== undefined && !/^(f|o|p|n|s)[1-9]$/.test(k) && !/^(NORA_|SUDO_)/.test(k)) env[k] = v
  for (const a of resolved.args) {
    env[a.name] = a.value
    if (a.all) env[`${a.name}_all`] = a.all.join('\n')
  }
  Object.assign(env, {
    NORA_USER: ctx.user,
    NORA_PSID: ctx.psid,
    NORA_HOME: ctx.home,
    NORA_PROJECT: ctx.project,
    NORA_EXIT_FILE: ctx.exitFile,
    PATH: [ctx.noraDir, baseEnv.PATH ?? '/usr/local/bin:/usr/bin:/bin'].filter(Boolean).join(':'),
  })
  if (ctx.runToken) env.NORA_RUN_TOKEN = ctx.runToken
  if (ctx.noraUrl) env.NORA_URL = ctx.noraUrl
  if (ctx.runAs) Object.assign(env, { HOME: ctx.runAs.home, TMPDIR: ctx.runAs.home, USER: ctx.runAs.name, LOGNAME: ctx.runAs.name })
  // Everything, the wrapper too, runs as the job account: nora (root) never writes into the folders a job can change.
  return { argv: [...(ctx.runAs?.argv ?? []), '/bin/bash', '-c', WRAPPER, 'nora-job', ...inner], env }
}
