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
}

export interface JobCommand {
  argv: string[]
  env: Record<string, string>
}

/**
 * Runs `"$@"` and records its exit code atomically. The wrapper is a fixed string: the job's values never become
 * part of any shell text, they arrive as environment variables and positional arguments.
 */
const WRAPPER = '"$@"; c=$?; printf "%s\\n" "$c" > "$NORA_EXIT_FILE.tmp" && mv -f "$NORA_EXIT_FILE.tmp" "$NORA_EXIT_FILE"; exit $c'

export function defaultPython(): string {
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3'
}

/** Python: `$f1` in the script becomes the name `f1`, bound by a prelude to os.environ's value (never to pasted text). */
export function pythonSource(job: JobSpec, resolved: ResolvedJob): string {
  const lines = ['import os as _nora_os', 'def _nora_num(v):', '    try:', '        return int(v)', '    except ValueError:', '        return float(v)']
  for (const a of resolved.args) {
    const env = `_nora_os.environ[${JSON.stringify(a.name)}]`
    if (a.type === 'NUMERIC') lines.push(`${a.name} = _nora_num(${env})`)
    else if (a.type === 'LOGICAL') lines.push(`${a.name} = ${env} == "true"`)
    else lines.push(`${a.name} = ${env}`)
    if (a.all) lines.push(`${a.name}_all = _nora_os.environ[${JSON.stringify(`${a.name}_all`)}].split("\\n")`)
  }
  const refs = new Set(scriptReferences(job.script))
  const body = job.script.replace(/(\\)?\$(?:\{([fopns][1-9])\}|([fopns][1-9])(?![A-Za-z0-9_]))/g, (whole, esc, a, b) => (!esc && refs.has(a ?? b) ? (a ?? b) : whole))
  return `${lines.join('\n')}\n${body}`
}

/** The argv and environment of one job: `bash -c SCRIPT` or `python3 -c SOURCE`, values as env vars and positional arguments. */
export function buildCommand(job: JobSpec, resolved: ResolvedJob, ctx: JobContext, baseEnv: Record<string, string | undefined> = process.env): JobCommand {
  const positional = resolved.args.map((a) => a.value)
  const inner = job.type === 'bash' ? ['/bin/bash', '-c', job.script, `nora-${job.name}`, ...positional] : [job.interpreter ?? defaultPython(), '-c', pythonSource(job, resolved), ...positional]
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(baseEnv)) if (v !== undefined && !/^(f|o|p|n|s)[1-9]$/.test(k)) env[k] = v
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
  return { argv: ['/bin/bash', '-c', WRAPPER, 'nora-job', ...inner], env }
}
