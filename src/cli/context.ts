import { statSync } from 'node:fs'
import { userInfo } from 'node:os'
import { openServices, type Services } from '../app'
import { loadConfig, resolveHome, type Config } from '../config/load-config'
import { AuthError } from '../core/errors'
import type { User } from '../core/types'
import { one, type ParsedArgs } from './args'

export interface Out {
  /** Writes a line; the promise resolves once it left the process (await it in loops for backpressure). */
  out(line: string): Promise<void>
  err(line: string): Promise<void>
  /** True when stdout is a terminal (progress bars). */
  tty: boolean
}

/** Writes complete in order, so the last one's promise tells when everything before it is out. */
function lineWriter(stream: NodeJS.WriteStream) {
  let last: Promise<void> = Promise.resolve()
  const write = (line: string) => (last = new Promise<void>((resolve) => stream.write(`${line}\n`, () => resolve())))
  return { write, drained: () => last }
}
const stdoutLines = lineWriter(process.stdout)
const stderrLines = lineWriter(process.stderr)

export const stdio: Out = { out: stdoutLines.write, err: stderrLines.write, tty: Boolean(process.stdout.isTTY) }

/** Resolves when everything written to stdout and stderr has left the process: await it before exiting. */
export const drainStdio = () => Promise.all([stdoutLines.drained(), stderrLines.drained()])

export function configFrom(args: ParsedArgs): Config {
  return loadConfig(resolveHome(one(args, 'home')))
}

export async function withServices<T>(args: ParsedArgs, fn: (s: Services) => Promise<T>): Promise<T> {
  const services = await openServices(configFrom(args))
  try {
    return await fn(services)
  } finally {
    await services.close()
  }
}

/**
 * Who runs this command: `--user NAME` or NORA_USER (jobs get the launching user this way); else the nora user
 * named like the login; else, for root or the owner of the data root, the site admin (they can read the database
 * anyway). Anyone else is asked to say who they are.
 */
export async function actorOf(s: Services, args: ParsedArgs): Promise<User> {
  const named = one(args, 'user') ?? process.env.NORA_USER
  if (named) {
    const u = await s.repos.users.byUsername(named)
    if (!u || u.disabled) throw new AuthError(`no active nora user "${named}"`)
    return u
  }
  const login = userInfo().username
  const same = await s.repos.users.byUsername(login)
  if (same && !same.disabled) return same
  let owner = -1
  try {
    owner = statSync(s.config.dataRoot).uid
  } catch {}
  if (process.getuid?.() === 0 || process.getuid?.() === owner) {
    return { id: 0, username: login, displayName: 'console', email: '', isSiteAdmin: true, source: 'local', disabled: false, createdAt: 0 }
  }
  throw new AuthError(`the login "${login}" is no nora user; set NORA_USER or --user NAME`)
}
