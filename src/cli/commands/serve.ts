import { httpDeps, openServices, startDicomNode } from '../../app'
import { ServiceError } from '../../core/errors'
import { createApp } from '../../http/create-app'
import { VERSION } from '../../version'
import type { ParsedArgs } from '../args'
import { configFrom, type Out } from '../context'
import { removePid, runningPid, writePid } from '../daemon/pid-file'
import { httpUrl, portFree } from '../daemon/ports'

/** `nora serve`: the server in the foreground (what `nora start` runs in the background). */
export async function serve(args: ParsedArgs, io: Out): Promise<number> {
  const config = configFrom(args)
  const { host, port, publicUrl } = config.main.http
  const other = runningPid(config.dataRoot)
  if (other && other !== process.pid) throw new ServiceError(`nora is already running for ${config.home} (pid ${other}); nora stop first`)
  if (!(await portFree(host, port)))
    throw new ServiceError(`port ${port} on ${host} is taken by another program; set http.port in conf/main.conf or NORA_HTTP_PORT`)
  const services = await openServices(config)
  const password = await services.users.ensureInitialAdmin()
  if (password) io.out(`created user "admin" with password: ${password}\n(printed once; change it with: nora --admin passwd admin)`)
  const interrupted = await services.importer.recoverInterrupted()
  if (interrupted.length) io.out(`marked interrupted imports as failed: ${interrupted.join(', ')}`)
  void services.jobs.recover({ adopt: true })
  void services.importQueue.cluster?.recover().catch((e) => io.out(`import jobs: ${(e as Error).message}`))
  const node = await startDicomNode(services, (line) => void io.out(line))
  const app = createApp(httpDeps(services, node.state))
  app.listen({ hostname: host, port, maxRequestBodySize: Number.MAX_SAFE_INTEGER })
  writePid(config.dataRoot)
  io.out(`nora ${VERSION} serving ${httpUrl(host, port, publicUrl)} (database ${services.db.dialect}, queue ${config.main.jobs.queue}, home ${config.home})`)
  await new Promise<void>((resolve) => {
    const stop = () => resolve()
    process.once('SIGTERM', stop)
    process.once('SIGINT', stop)
  })
  io.out('nora stopping')
  node.stop()
  await app.stop()
  await services.close()
  removePid(config.dataRoot)
  return 0
}
