import type { ParsedArgs } from '../args'
import { configFrom, type Out } from '../context'
import { isAlive } from '../../core/process-alive'
import { runningPid } from '../daemon/pid-file'

/** `nora stop`: SIGTERM to the server of this home, SIGKILL after 15 s. */
export async function stop(args: ParsedArgs, io: Out): Promise<number> {
  const config = configFrom(args)
  const pid = runningPid(config.dataRoot)
  if (!pid) {
    io.out('nora is not running')
    return 0
  }
  process.kill(pid, 'SIGTERM')
  const deadline = Date.now() + 15_000
  while (isAlive(pid) && Date.now() < deadline) await Bun.sleep(100)
  if (isAlive(pid)) {
    process.kill(pid, 'SIGKILL')
    io.out(`nora (pid ${pid}) did not stop in 15 s and was killed`)
  } else io.out(`nora stopped (pid ${pid})`)
  return 0
}
