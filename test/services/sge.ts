import { join } from 'node:path'
import { isAlive } from '../../src/core/process-alive'

/**
 * The SGE cell of the suite: the one test/run.sh started (SGE_ROOT, SGE_QMASTER_PORT...), or, when a test file
 * runs alone, one started here by test/services/sge.sh and stopped by `stop()` (or, when a cell left behind by
 * a killed run still answers, that one, which `stop()` leaves running).
 */
export interface SgeHandle {
  env: Record<string, string | undefined>
  stop(): Promise<void>
}

const REPO = join(import.meta.dir, '..', '..')
const SHELL_HELPERS = `log() { printf '%s\\n' "$*" >&2; }; die() { printf 'error: %s\\n' "$*" >&2; exit 1; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
wait_until() { local deadline=$((SECONDS + $1)); shift; until "$@" >/dev/null 2>&1; do ((SECONDS < deadline)) || return 1; sleep 0.2; done; }`

const answers = (env: Record<string, string | undefined>) => {
  const r = Bun.spawnSync(['qstat', '-f'], { env, stdout: 'pipe', stderr: 'pipe' })
  return r.exitCode === 0 && r.stdout.toString().includes('DPXproc@')
}

let shared: Promise<SgeHandle> | undefined

export function sge(): Promise<SgeHandle> {
  shared ??= open()
  return shared
}

async function open(): Promise<SgeHandle> {
  if (process.env.SGE_QMASTER_PORT) {
    const env = { ...process.env, SGE_ROOT: process.env.SGE_ROOT ?? '/var/lib/gridengine', SGE_CELL: process.env.SGE_CELL ?? 'default' }
    if (!answers(env)) throw new Error(`SGE at port ${process.env.SGE_QMASTER_PORT} does not answer (qstat -f); test/run.sh starts it (NORA_TEST_SERVICES="mariadb slurm sge")`)
    return { env, stop: async () => {} }
  }
  const script = `${SHELL_HELPERS}\nsource ${JSON.stringify(join(REPO, 'test/services/sge.sh'))}\nsge_start >&2\necho "$SGE_QMASTER_PORT $SGE_EXECD_PORT $SGE_STARTED_QMASTER $SGE_STARTED_EXECD"`
  const r = Bun.spawnSync(['bash', '-c', script], { stdout: 'pipe', stderr: 'pipe', env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin` } })
  if (r.exitCode !== 0) throw new Error(`could not start SGE: ${r.stderr.toString().trim().split('\n').slice(-5).join(' | ')}`)
  const [qport, eport, qpid, epid] = r.stdout.toString().trim().split(' ')
  const env = { ...process.env, SGE_ROOT: '/var/lib/gridengine', SGE_CELL: 'default', SGE_QMASTER_PORT: qport, SGE_EXECD_PORT: eport }
  return {
    env,
    async stop() {
      for (const pid of [Number(epid), Number(qpid)]) {
        if (!(pid > 0)) continue
        try {
          process.kill(pid, 'SIGTERM')
        } catch {
          continue
        }
        for (let i = 0; i < 300 && isAlive(pid); i++) await Bun.sleep(100)
      }
      shared = undefined // the next file that needs SGE starts it again
    },
  }
}
