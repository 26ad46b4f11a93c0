import { existsSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import { userInfo } from 'node:os'
import { ServiceError } from '../core/errors'

/** The account install.sh creates for jobs, used when nora runs as root and jobs.runAs is not set. */
export const DEFAULT_JOB_ACCOUNT = 'nora-jobs'
export const SETPRIV = '/usr/bin/setpriv'

/** Whom job code runs as. `drop`: another account than nora's (nora is root); jobs then start through setpriv. */
export interface JobAccount {
  name: string
  uid: number
  gid: number
  drop: boolean
}

/** An account from NSS (getent passwd), or undefined. */
export function lookupAccount(name: string): { uid: number; gid: number; home: string } | undefined {
  const r = Bun.spawnSync(['getent', 'passwd', name], { stdout: 'pipe', stderr: 'ignore' })
  if (r.exitCode !== 0) return undefined
  const f = r.stdout.toString().trim().split(':')
  const uid = Number(f[2])
  const gid = Number(f[3])
  return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid, home: f[5] ?? '' } : undefined
}

const CREATE = (name: string) => `useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin ${name}`

/**
 * Decides whom jobs run as (conf/main.conf jobs.runAs):
 * - nora runs as root: jobs.runAs, or `nora-jobs` when unset and that account exists; never root. Without such an
 *   account jobs are refused, with the command that creates it.
 * - nora runs as another account: jobs run as that same account (jobs.runAs empty or naming it); another account
 *   cannot be reached without root and is refused.
 */
export function resolveJobAccount(runAs: string, uid = process.getuid?.() ?? 0): JobAccount {
  const self = userInfo().username
  if (uid !== 0) {
    if (runAs && runAs !== self) {
      const other = lookupAccount(runAs)
      if (!other || other.uid !== uid)
        throw new ServiceError(`jobs.runAs is "${runAs}", but nora runs as "${self}" (uid ${uid}), not root, and cannot start processes as another account; leave jobs.runAs empty (jobs then run as "${self}") or run nora as root`)
    }
    return { name: self, uid, gid: process.getgid?.() ?? uid, drop: false }
  }
  const name = runAs || DEFAULT_JOB_ACCOUNT
  const acct = lookupAccount(name)
  if (!acct)
    throw new ServiceError(
      runAs
        ? `jobs.runAs names the account "${runAs}", which does not exist on this machine; create it (${CREATE(runAs)}) or change jobs.runAs in conf/main.conf`
        : `nora runs as root and jobs.runAs is not set in conf/main.conf: jobs would run as root. Create the account ${DEFAULT_JOB_ACCOUNT} (install.sh does: ${CREATE(DEFAULT_JOB_ACCOUNT)}) or set jobs.runAs to an unprivileged account`,
    )
  if (acct.uid === 0) throw new ServiceError(`jobs.runAs "${name}" is root (uid 0); jobs must run as an unprivileged account`)
  if (!existsSync(SETPRIV)) throw new ServiceError(`${SETPRIV} is missing (apt-get install util-linux): nora starts jobs as ${name} through it`)
  return { name, uid: acct.uid, gid: acct.gid, drop: true }
}

/** `nora status`: whom jobs run as, and what isolates them, in one line (never throws). */
export function describeJobAccount(runAs: string): string {
  try {
    const a = resolveJobAccount(runAs)
    if (a.drop) return `run as ${a.name} (uid ${a.uid}), each with its project's group nora-p-<project> only`
    return `run as ${a.name} (uid ${a.uid}), nora's own account: no per-project groups without root, and job code can read what nora reads (database, conf, keys); see README "What job code can reach"`
  } catch (e) {
    return `refused: ${(e as Error).message}`
  }
}

/** The argv prefix that starts a job's command as `account` with `gid` as its only group, without new privileges. */
export function dropArgv(account: JobAccount, gid: number): string[] {
  if (!account.drop) return []
  return [SETPRIV, `--reuid=${account.uid}`, `--regid=${gid}`, `--groups=${gid}`, '--no-new-privs', '--', '/bin/sh', '-c', 'umask 007 && exec "$@"', 'nora-job']
}

/**
 * Checks that the job account can reach `dir` (every folder above it searchable by "others", or by the group `gid`)
 * before a job is started there, so that a closed NORA_HOME (mode 0700) fails with its name instead of a bare EACCES.
 */
export function checkReachable(dir: string, gid: number): void {
  for (let d = dirname(dir); ; d = dirname(d)) {
    const st = statSync(d)
    const ok = st.mode & 0o001 || (st.gid === gid && st.mode & 0o010)
    if (!ok) throw new ServiceError(`the job account cannot enter ${d} (mode ${(st.mode & 0o7777).toString(8)}): jobs run below it; allow passing through with: chmod o+x ${d}`)
    if (d === dirname(d)) return
  }
}
