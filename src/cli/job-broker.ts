import type { Services } from '../app'
import { NoraError } from '../core/errors'
import type { ParsedArgs } from './args'
import { actingAs, type Out } from './context'
import { runningPid } from './daemon/pid-file'
import { fetchHealth, httpUrl } from './daemon/ports'
import type { JobCliResult } from './job-client'
import { manage } from './commands/manage'

/**
 * What `nora` inside a job may do: the project commands on the run's own project. Everything else (--sql, --admin,
 * --user, --import, --launch..., --createproject, --policy, --pseudonyms, --autoexec, subcommands) is refused.
 */
const ALLOWED = new Set(['project', 'psid', 'add', 'del', 'select', 'addtag', 'rmtag', 'out', 'pathout', 'json', 'byfilename', 'filter'])

const result = (code: number, err: string[], out: string[] = []): JobCliResult => ({ code, out, err })

function parsedOf(body: unknown): ParsedArgs | undefined {
  if (typeof body !== 'object' || body === null) return undefined
  const { positional, options } = body as { positional?: unknown; options?: unknown }
  if (!Array.isArray(positional) || !positional.every((p) => typeof p === 'string')) return undefined
  if (typeof options !== 'object' || options === null || Array.isArray(options)) return undefined
  const map = new Map<string, string[]>()
  for (const [k, v] of Object.entries(options)) {
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) return undefined
    map.set(k, v as string[])
  }
  return { positional: positional as string[], options: map }
}

/**
 * Runs one command of `nora` inside a job (POST api/job-cli, `Authorization: Bearer NORA_RUN_TOKEN`): as the run
 * token's user, limited to the run's project (`-p` defaults to it and may not name another; the study defaults to
 * the run's). Returns the HTTP status and the command's exit code and output lines.
 */
export async function handleJobCli(s: Services, authorization: string | null, body: unknown): Promise<{ status: number; result: JobCliResult }> {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1] ?? ''
  let scope
  try {
    scope = await s.jobs.runTokens.resolve(token)
  } catch (e) {
    return { status: 401, result: result(3, [`nora: ${(e as Error).message}`]) }
  }
  const args = parsedOf(body)
  if (!args) return { status: 400, result: result(2, ['nora: the request carries no command ({positional, options})']) }
  if (args.positional.length) return { status: 403, result: result(3, [`nora: "nora ${args.positional[0]}" is not available inside a job; a job's nora acts on its own project only (--select, --add, --addtag, --rmtag, --del, --out, --pathout, --filter)`]) }
  const refused = [...args.options.keys()].filter((k) => !ALLOWED.has(k))
  if (refused.length)
    return {
      status: 403,
      result: result(3, [`nora: ${refused.map((k) => `--${k}`).join(', ')} ${refused.length === 1 ? 'is' : 'are'} not available inside a job: its run token (NORA_RUN_TOKEN) acts as ${scope.user.username} on project "${scope.project.name}" only, with --select, --add, --addtag, --rmtag, --del, --out, --pathout and --filter`]),
    }
  const named = args.options.get('project')?.at(-1)
  if (named !== undefined && named !== scope.project.name)
    return { status: 403, result: result(3, [`nora: this job's run token is for project "${scope.project.name}", not "${named}"`]) }
  args.options.set('project', [scope.project.name])
  if (!args.options.has('psid')) args.options.set('psid', [scope.psid])
  const out: string[] = []
  const err: string[] = []
  const io: Out = { tty: false, out: async (l) => void out.push(l), err: async (l) => void err.push(l) }
  try {
    const code = await actingAs(scope.user, () => manage(s, args, io))
    return { status: 200, result: { code, out, err } }
  } catch (e) {
    if (e instanceof NoraError) return { status: 200, result: { code: e.exitCode, out, err: [...err, `nora: ${e.message}`] } }
    return { status: 500, result: { code: 1, out, err: [...err, `nora: unexpected error: ${(e as Error).message}`] } }
  }
}

/** Set by `nora serve`: its own URL, where its jobs' `nora` commands go (POST api/job-cli). */
let serverUrl: string | undefined
export function setServerUrl(url: string): void {
  serverUrl = url
}

const brokers = new WeakMap<Services, { url: string; stop(): void }>()

/**
 * The URL a job's `nora` sends its commands to: this server's (nora serve), or the running server of this home,
 * or else a listener on loopback that this process (a CLI that runs a batch) opens for as long as it runs.
 */
export async function jobCliUrl(s: Services): Promise<string> {
  if (serverUrl) return serverUrl
  const own = brokers.get(s)
  if (own) return own.url
  const { host, port, publicUrl, basePath } = s.config.main.http
  if (runningPid(s.config.dataRoot)) {
    const url = httpUrl(host, port, publicUrl, basePath)
    if ((await fetchHealth(url))?.status) return url
  }
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    maxRequestBodySize: 16 * 1024 * 1024,
    async fetch(req) {
      if (req.method !== 'POST' || new URL(req.url).pathname !== '/api/job-cli') return new Response('not found', { status: 404 })
      const r = await handleJobCli(s, req.headers.get('authorization'), await req.json().catch(() => undefined))
      return Response.json(r.result, { status: r.status })
    },
  })
  server.unref()
  const broker = { url: `http://127.0.0.1:${server.port}/`, stop: () => void server.stop(true) }
  brokers.set(s, broker)
  return broker.url
}

export function stopBroker(s: Services): void {
  brokers.get(s)?.stop()
  brokers.delete(s)
}
