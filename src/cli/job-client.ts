import { resolve } from 'node:path'
import { NoraError } from '../core/errors'
import { parseArgs } from './args'
import { stdio, type Out } from './context'

/** What the nora that runs a job's command answers (POST api/job-cli). */
export interface JobCliResult {
  code: number
  out: string[]
  err: string[]
}

/** Options whose values are the job's file paths: made absolute where the job's working directory is known. */
const PATH_OPTIONS = ['add', 'del']

/**
 * `nora` inside a batch job (NORA_RUN_TOKEN set): the job account cannot read the database, conf or keys, so the
 * command is sent to the nora that launched the job (NORA_URL) with the run's token, which runs it as the run's user
 * on the run's project only (`-p` defaults to it, the study to the run's). `--help` and `--version` answer here.
 */
export async function runInJob(argv: string[], token: string, url: string | undefined, io: Out = stdio): Promise<number> {
  let parsed
  try {
    parsed = parseArgs(argv)
  } catch (e) {
    if (e instanceof NoraError) {
      await io.err(`nora: ${e.message}`)
      return e.exitCode
    }
    throw e
  }
  if (parsed.options.has('help') || (parsed.options.has('version') && parsed.positional.length === 0)) {
    const { runCli } = await import('./index')
    return runCli(argv, io)
  }
  if (!url) {
    await io.err('nora: NORA_URL is not set in this job, so nora cannot be reached from it (the job was not started by a nora that serves jobs)')
    return 4
  }
  const options: Record<string, string[]> = {}
  for (const [k, v] of parsed.options) options[k] = PATH_OPTIONS.includes(k) ? v.map((p) => resolve(p)) : v
  let res: Response
  try {
    res = await fetch(new URL('api/job-cli', url.endsWith('/') ? url : `${url}/`), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ positional: parsed.positional, options }),
    })
  } catch (e) {
    await io.err(`nora: cannot reach nora at ${url} (${(e as Error).message}); inside a job, nora commands go through the nora that launched it`)
    return 4
  }
  const body = (await res.json().catch(() => undefined)) as JobCliResult | undefined
  if (!body || !Array.isArray(body.out) || !Array.isArray(body.err) || typeof body.code !== 'number') {
    await io.err(`nora: ${url} answered ${res.status} without a command result`)
    return 4
  }
  for (const l of body.out) await io.out(l)
  for (const l of body.err) await io.err(l)
  return body.code
}
