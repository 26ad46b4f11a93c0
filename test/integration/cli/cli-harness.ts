import { expect } from 'bun:test'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { MysqlOptions } from '../../../src/store/mysql-db'
import { makeHome, type TestHome } from '../../helpers/home'
import { runNora, type RunResult } from '../../helpers/nora-binary'
import { freshMysqlDatabase } from '../../services/mariadb'

export type Dialect = 'sqlite' | 'mysql'
export const DIALECTS: Dialect[] = ['sqlite', 'mysql']

/** A temp NORA_HOME driven through the built ./nora. */
export interface CliHome extends TestHome {
  dialect: Dialect
  dataRoot: string
  /** Runs ./nora with this home as NORA_HOME and working directory. */
  nora(args: string[], env?: Record<string, string>): Promise<RunResult>
  /** `nora init`; returns the admin password it printed (undefined when it printed none). */
  init(): Promise<{ result: RunResult; password?: string }>
  /** `nora start`, expecting success. */
  start(): Promise<RunResult>
  /** The pid in data/nora.pid, if any. */
  pid(): number | undefined
  /** Stops a server this home started (by its pid) and drops the MySQL database. */
  close(): Promise<void>
}

export const PASSWORD_LINE = /created user "admin" with password: (\S+)/

/**
 * The timeout of a test or hook that runs ./nora `n` times (`start` counts 3: it waits for the server). One spawn
 * takes 0.3-0.4 s on an idle machine and several times that on a busy 2-core one; bun's default of 5 s is not enough.
 */
export const spawns = (n: number) => Math.max(20_000, n * 3_000)

/** A home on SQLite or on a fresh database of the shared MariaDB (127.0.0.1:3306); `mysql` overrides the latter. */
export async function cliHome(dialect: Dialect, opts: { mysql?: MysqlOptions; extra?: string } = {}): Promise<CliHome> {
  const fresh = dialect === 'mysql' && !opts.mysql ? await freshMysqlDatabase('nora_cli') : undefined
  const base = makeHome({ mysql: opts.mysql ?? fresh?.options, extra: opts.extra })
  const dataRoot = join(base.home, 'data')
  const h: CliHome = {
    ...base,
    dialect,
    dataRoot,
    nora: (args, env) => runNora(args, { home: base.home, env }),
    async init() {
      const result = await h.nora(['init'])
      return { result, password: result.stdout.match(PASSWORD_LINE)?.[1] }
    },
    async start() {
      const r = await h.nora(['start'])
      if (r.code !== 0) throw new Error(`nora start failed (${r.code}): ${r.stderr}${r.stdout}`)
      return r
    },
    pid() {
      const f = join(dataRoot, 'nora.pid')
      return existsSync(f) ? Number(readFileSync(f, 'utf8').trim()) : undefined
    },
    async close() {
      const pid = h.pid()
      if (pid && alive(pid)) {
        process.kill(pid, 'SIGTERM')
        const deadline = Date.now() + 10_000
        while (alive(pid) && Date.now() < deadline) await Bun.sleep(50)
        if (alive(pid)) process.kill(pid, 'SIGKILL')
      }
      base.cleanup()
      await fresh?.drop()
    },
  }
  return h
}

/** True while the process runs; a zombie (exited, not yet reaped by init) counts as gone. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat[stat.lastIndexOf(')') + 2] !== 'Z'
  } catch {
    return false
  }
}

/** Signs in through the real login form (double-submit CSRF); returns the response of POST /login. */
export async function postLogin(url: string, username: string, password: string): Promise<Response> {
  const page = await fetch(new URL('login', url))
  const html = await page.text()
  const pre = page.headers.getSetCookie().find((c) => c.startsWith('nora_login_csrf='))?.split(';')[0]
  const csrf = html.match(/name="_csrf" value="([^"]+)"/)?.[1]
  expect(pre).toBeDefined()
  expect(csrf).toBeDefined()
  return fetch(new URL('login', url), {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: pre!, 'content-type': 'application/x-www-form-urlencoded', origin: new URL(url).origin },
    body: new URLSearchParams({ username, password, _csrf: csrf!, next: '/' }),
  })
}

/** True when POST /login accepted the password (a redirect that sets a session cookie). */
export async function loginWorks(url: string, username: string, password: string): Promise<boolean> {
  const res = await postLogin(url, username, password)
  await res.arrayBuffer()
  return res.status === 303 && res.headers.getSetCookie().some((c) => /^nora_session=[^;]+/.test(c))
}

/** Lines of stdout without the trailing empty one. */
export const lines = (r: RunResult) => r.stdout.split('\n').filter(Boolean)

/** Asserts a command succeeded, showing its output when not. */
export function ok(r: RunResult): RunResult {
  if (r.code !== 0) throw new Error(`exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
  return r
}
