import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { isAlive } from '../../src/core/process-alive'

/**
 * The Slurm cluster of the suite: the one test/run.sh started (SLURM_CONF, NORA_TEST_SLURM_DIR), or, when a test
 * file runs alone, a private one started here by test/services/slurm.sh (stopped by `stop()`). Under CI=true a
 * cluster that cannot be had is a failure; elsewhere `reason` says why the tests skip.
 */
export interface SlurmHandle {
  conf: string
  dir: string
  env: Record<string, string | undefined>
  stop(): Promise<void>
}

const REPO = join(import.meta.dir, '..', '..')
const SHELL_HELPERS = `log() { printf '%s\\n' "$*" >&2; }; die() { printf 'error: %s\\n' "$*" >&2; exit 1; }
wait_until() { local deadline=$((SECONDS + $1)); shift; until "$@" >/dev/null 2>&1; do ((SECONDS < deadline)) || return 1; sleep 0.2; done; }`

function answers(env: Record<string, string | undefined>): boolean {
  const r = Bun.spawnSync(['sinfo', '-h', '-o', '%P'], { env, stdout: 'pipe', stderr: 'pipe' })
  return r.exitCode === 0 && r.stdout.toString().includes('DPXproc')
}

let shared: Promise<SlurmHandle> | undefined

/** A running cluster with partitions DPXproc, DPXimport and DPXshort (MaxTime 1 min); throws saying why not. */
export function slurm(): Promise<SlurmHandle> {
  shared ??= open()
  return shared
}

async function open(): Promise<SlurmHandle> {
  const conf = process.env.SLURM_CONF
  if (conf && existsSync(conf)) {
    const env = { ...process.env, SLURM_CONF: conf }
    if (!answers(env)) throw new Error(`Slurm at SLURM_CONF=${conf} does not answer (sinfo failed); test/run.sh starts one (NORA_TEST_SERVICES="mariadb slurm")`)
    const dir = process.env.NORA_TEST_SLURM_DIR ?? join(conf, '..')
    return { conf, dir, env, stop: async () => {} }
  }
  if (Bun.spawnSync(['sh', '-c', 'command -v sbatch && (command -v slurmctld || test -x /usr/sbin/slurmctld)'], { stdout: 'pipe' }).exitCode !== 0)
    throw new Error('Slurm is not installed: apt-get install slurmctld slurmd slurm-client munge')
  const script = `${SHELL_HELPERS}\nsource ${JSON.stringify(join(REPO, 'test/services/slurm.sh'))}\nslurm_start >&2\necho "$SLURM_CONF"`
  const r = Bun.spawnSync(['bash', '-c', script], { stdout: 'pipe', stderr: 'pipe', env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin` } })
  if (r.exitCode !== 0) throw new Error(`could not start a private Slurm: ${r.stderr.toString().trim().split('\n').slice(-5).join(' | ')}`)
  const started = r.stdout.toString().trim()
  const dir = join(started, '..')
  const env = { ...process.env, SLURM_CONF: started }
  return {
    conf: started,
    dir,
    env,
    async stop() {
      for (const p of ['slurmd', 'slurmctld', 'munge']) {
        const pid = pidOf(dir, p)
        if (pid) await stopPid(pid)
      }
      rmSync(dir, { recursive: true, force: true })
      shared = undefined // the next file that needs Slurm starts a fresh one
    },
  }
}

function pidOf(dir: string, name: string): number | undefined {
  const f = join(dir, `${name}.pid`)
  if (!existsSync(f)) return undefined
  const pid = Number(readFileSync(f, 'utf8').trim())
  return pid > 0 ? pid : undefined
}

async function stopPid(pid: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  try {
    process.kill(pid, signal)
  } catch {
    return
  }
  for (let i = 0; i < 150 && isAlive(pid); i++) await Bun.sleep(100)
  if (isAlive(pid)) process.kill(pid, 'SIGKILL')
}

/** Stops slurmctld (by its pid file): the fault "the scheduler is down". slurmd and the jobs keep running. */
export async function stopSlurmctld(h: SlurmHandle): Promise<void> {
  const pid = pidOf(h.dir, 'slurmctld')
  if (!pid) throw new Error(`no slurmctld pid in ${h.dir}`)
  await stopPid(pid)
}

/** Starts slurmctld again on the same state (its jobs are remembered) and waits until squeue answers. */
export async function startSlurmctld(h: SlurmHandle): Promise<void> {
  // Through bash and setsid, as slurm_start does: a daemon started straight from a test is reaped with the test.
  const r = Bun.spawnSync(['bash', '-c', 'setsid /usr/sbin/slurmctld -f "$1" </dev/null', 'start', h.conf], { env: h.env, stdout: 'pipe', stderr: 'pipe' })
  if (r.exitCode !== 0) throw new Error(`slurmctld did not start: ${r.stderr.toString()}`)
  for (let i = 0; i < 150; i++) {
    if (Bun.spawnSync(['squeue', '-h'], { env: h.env, stdout: 'pipe', stderr: 'pipe' }).exitCode === 0) return
    await Bun.sleep(200)
  }
  throw new Error('slurmctld restarted but squeue does not answer within 30 s')
}

/** Runs a Slurm client command against the cluster; returns stdout. */
export function slurmCmd(h: SlurmHandle, argv: string[]): string {
  const r = Bun.spawnSync(argv, { env: h.env, stdout: 'pipe', stderr: 'pipe' })
  if (r.exitCode !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr.toString().trim()}`)
  return r.stdout.toString()
}

/** In CI a missing service fails the test; elsewhere the test is skipped with the reason printed. */
export function requireOrSkip(what: string, e: unknown): boolean {
  const why = `${what} not available: ${(e as Error).message}`
  if (process.env.CI === 'true') throw new Error(`${why} (CI=true: a test whose scheduler is not up fails)`)
  console.warn(`SKIP ${why}`)
  return false
}

/**
 * A scheduler for a whole test file, asked for while the file loads (top-level await) so that its tests can be
 * declared with describe.skipIf / test.skipIf: bun then reports them as skipped, not passed. Resolves to the handle,
 * or, outside CI, to the reason it cannot run (printed once). Under CI=true it rejects, and the file fails.
 */
export async function serviceOrSkip<T>(what: string, start: () => Promise<T>): Promise<{ handle?: T; skip?: string }> {
  try {
    return { handle: await start() }
  } catch (e) {
    requireOrSkip(what, e)
    return { skip: `${what} not available: ${(e as Error).message}` }
  }
}

/** The name of a describe block, saying so when it is skipped (the reason is printed once, by requireOrSkip). */
export const titled = (name: string, skip: string | undefined) => (skip ? `${name} (skipped: ${skip.replace(/:.*/, '')})` : name)
