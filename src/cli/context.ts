import type { AsyncLocalStorage } from 'node:async_hooks'
import { statSync } from 'node:fs'
import { userInfo } from 'node:os'
import type { Services } from '../app'
import type { ArchiveCore } from '../app-archive'
import type { ImportCore } from '../app-import'
import { loadConfig, resolveHome, type Config } from '../config/load-config'
import { AuthError } from '../core/errors'
import type { User } from '../core/types'
import type { UsersRepo } from '../store/repos/users-repo'
import { systemUser } from '../core/system-user'
import { one, type ParsedArgs } from './args'

export interface Out {
  /** Writes a line; the promise resolves once it left the process (await it in loops for backpressure). */
  out(line: string): Promise<void>
  err(line: string): Promise<void>
  /** True when stdout is a terminal (progress bars). */
  tty: boolean
}

/**
 * Writes complete in order, so the last one's promise tells when everything before it is out. Through Bun.write on
 * Bun.stdout/Bun.stderr: setting up process.stdout (a Node stream) costs every command ~45 ms of its start. A
 * write to a reader that went away (`nora -s '*' | head`) ends quietly, as with a Node stream.
 */
function lineWriter(file: typeof Bun.stdout) {
  let last: Promise<void> = Promise.resolve()
  const write = (line: string) =>
    (last = last.then(
      () => Bun.write(file, `${line}\n`).then(
        () => undefined,
        () => undefined,
      ),
    ))
  return { write, drained: () => last }
}
const stdoutLines = lineWriter(Bun.stdout)
const stderrLines = lineWriter(Bun.stderr)

export const stdio: Out = {
  out: stdoutLines.write,
  err: stderrLines.write,
  // Asked only by progress bars (import, launch): Node's stream is set up then, not for every command.
  get tty() {
    return Boolean(process.stdout.isTTY)
  },
}

/** Resolves when everything written to stdout and stderr has left the process: await it before exiting. */
export const drainStdio = () => Promise.all([stdoutLines.drained(), stderrLines.drained()])

export function configFrom(args: ParsedArgs): Config {
  return loadConfig(resolveHome(one(args, 'home')))
}

/**
 * Runs `fn` with the whole app (every service: the converter, jobs, PACS...). Loaded here, on first use, so the
 * commands that need less (--help, --version, --select, --add) never load or initialise it.
 */
export async function withServices<T>(args: ParsedArgs, fn: (s: Services) => Promise<T>): Promise<T> {
  const { openServices } = await import('../app')
  const services = await openServices(configFrom(args))
  try {
    return await fn(services)
  } finally {
    await services.close()
  }
}

/** Runs `fn` with the database and the archive only (no converter, DICOM, jobs or HTTP): the light path. */
export async function withArchive<T>(args: ParsedArgs, fn: (s: ArchiveCore) => Promise<T>): Promise<T> {
  const { openArchive } = await import('../app-archive')
  const s = await openArchive(configFrom(args))
  try {
    return await fn(s)
  } finally {
    await s.db.close()
  }
}

/** Runs `fn` with the database, the archive and the importer only (no jobs, PACS or HTTP): `--import`'s light path. */
export async function withImport<T>(args: ParsedArgs, fn: (s: ImportCore) => Promise<T>): Promise<T> {
  const { openImport } = await import('../app-import')
  const s = await openImport(configFrom(args))
  try {
    return await fn(s)
  } finally {
    await s.close()
  }
}

/** The user a job's command acts as (its run token's, limited to the run's project), while the server runs it. */
// Made by the server when it first runs a job's command; a plain CLI never loads node:async_hooks.
let jobActor: AsyncLocalStorage<User> | undefined

/** Runs `fn` with `actorOf` answering `user` (a run token's scoped user): the server side of `nora` inside a job. */
export function actingAs<T>(user: User, fn: () => Promise<T>): Promise<T> {
  jobActor ??= new (require('node:async_hooks') as typeof import('node:async_hooks')).AsyncLocalStorage<User>()
  return jobActor.run(user, fn)
}

/** What finding the acting user needs: the data root (whose owner is trusted) and the users. */
export interface ActorLookup {
  config: Pick<Config, 'dataRoot'>
  repos: { users: Pick<UsersRepo, 'byUsername'> }
}

/** True for root and for the account that owns the data root (nora's own): they can read the database anyway. */
function trustedAccount(s: Pick<ActorLookup, 'config'>): boolean {
  const uid = process.getuid?.()
  if (uid === 0) return true
  try {
    return uid === statSync(s.config.dataRoot).uid
  } catch {
    return false
  }
}

/**
 * Who runs this command. A job's command (run by the server for `nora` inside a job): its run token's user. Else
 * `--user NAME` or NORA_USER, honoured only for root and the account nora serves as (the owner of the data root),
 * who can read the database anyway; jobs never get that far (their `nora` sends its commands with NORA_RUN_TOKEN,
 * and the job account cannot read the database). Else the nora user named like the login; else, for root or the
 * owner of the data root, the site admin. Anyone else is asked to say who they are.
 */
export async function actorOf(s: ActorLookup, args: ParsedArgs): Promise<User> {
  const scoped = jobActor?.getStore()
  if (scoped) return scoped
  const named = one(args, 'user') ?? process.env.NORA_USER
  if (named) {
    if (!trustedAccount(s))
      throw new AuthError(`--user and NORA_USER are honoured only for root and the account nora serves as (the owner of ${s.config.dataRoot}); inside a job, nora acts with the run's token (NORA_RUN_TOKEN)`)
    const u = await s.repos.users.byUsername(named)
    if (!u || u.disabled) throw new AuthError(`no active nora user "${named}"`)
    return u
  }
  const login = userInfo().username
  const same = await s.repos.users.byUsername(login)
  if (same && !same.disabled) return same
  if (trustedAccount(s)) {
    return systemUser(login, 'console')
  }
  throw new AuthError(`the login "${login}" is no nora user (and only root and the account nora serves as may name one with --user or NORA_USER)`)
}
