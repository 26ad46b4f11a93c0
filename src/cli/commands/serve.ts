import { httpDeps, openServices, readingHousekeeping, startDicomNode } from '../../app'
import { ServiceError } from '../../core/errors'
import { createApp } from '../../http/create-app'
import { removeOrphanUploads } from '../../http/upload/orphans'
import { serverBodyLimit } from '../../http/upload/upload-limits'
import { serveApp } from '../../http/base-path'
import { VERSION } from '../../version'
import type { ParsedArgs } from '../args'
import { configFrom, type Out } from '../context'
import { secureProjects } from '../../archive/secure-modes'
import { handleJobCli, setServerUrl } from '../job-broker'
import { removePid, runningPid, writePid } from '../daemon/pid-file'
import { httpUrl, portFree } from '../daemon/ports'

/** How often `nora serve` deletes expired sessions and old login failures. */
const PRUNE_EVERY_MS = 3600_000

/** `nora serve`: the server in the foreground (what `nora start` runs in the background). */
export async function serve(args: ParsedArgs, io: Out): Promise<number> {
  const config = configFrom(args)
  const { host, port, publicUrl } = config.main.http
  const other = runningPid(config.dataRoot)
  if (other && other !== process.pid) throw new ServiceError(`nora is already running for ${config.home} (pid ${other}); nora stop first`)
  if (!(await portFree(host, port)))
    throw new ServiceError(`port ${port} on ${host} is taken by another program; set http.port in conf/main.conf or NORA_HTTP_PORT`)
  const services = await openServices(config)
  secureProjects(config.dataRoot, (line) => void io.out(line))
  // This server answers its jobs' `nora` commands (POST api/job-cli, with the run's token).
  setServerUrl(httpUrl(host, port, publicUrl, config.main.http.basePath))
  const password = await services.users.ensureInitialAdmin()
  if (password) io.out(`created user "admin" with password: ${password}\n(printed once; change it with: nora --admin passwd admin)`)
  // Expired sessions, stale login failures and long-expired tokens: at start, then hourly (indexed deletes).
  const prune = () =>
    services.auth
      .prune()
      .then((n) => {
        if (n.sessions + n.loginFailures + n.tokens)
          io.out(`pruned ${n.sessions} expired session(s), ${n.loginFailures} old login failure(s), ${n.tokens} long-expired API token(s)`)
      })
      .catch((e) => io.out(`pruning sessions and login failures failed: ${(e as Error).message}`))
      .then(() => readings.prune())
      .then((n) => {
        if (n.sessions + n.folders) io.out(`pruned ${n.sessions} idle reading session(s), ${n.folders} ROI folder(s) of readings that are gone`)
      })
      .catch((e) => io.out(`pruning reading sessions failed: ${(e as Error).message}`))
  // Reading sessions idle for a week (superseded or never used) and ROI folders of deleted readings: the same rhythm.
  const readings = readingHousekeeping(services)
  await prune()
  const pruner = setInterval(prune, PRUNE_EVERY_MS)
  const interrupted = await services.importer.recoverInterrupted()
  if (interrupted.length) io.out(`marked interrupted imports as failed: ${interrupted.join(', ')}`)
  void services.jobs.recover({ adopt: true })
  void services.importQueue.cluster?.recover().catch((e) => io.out(`import jobs: ${(e as Error).message}`))
  const node = await startDicomNode(services, (line) => void io.out(line))
  const deps = httpDeps(services, node.state)
  const orphans = removeOrphanUploads(deps.uploadsDir) // no upload is in flight yet: what is there was cut off
  if (orphans.length) io.out(`removed ${orphans.length} unfinished upload${orphans.length === 1 ? '' : 's'} left by an earlier run: ${orphans.slice(0, 5).join(', ')}${orphans.length > 5 ? ', ...' : ''}`)
  const app = createApp(deps).post('/api/job-cli', async ({ request, body }) => {
    const r = await handleJobCli(services, request.headers.get('authorization'), body)
    return Response.json(r.result, { status: r.status })
  })
  const server = serveApp(app, { hostname: host, port, maxRequestBodySize: serverBodyLimit(deps.uploadLimits), basePath: config.main.http.basePath })
  writePid(config.dataRoot)
  io.out(`nora ${VERSION} serving ${httpUrl(host, port, publicUrl, config.main.http.basePath)} (database ${services.db.dialect}, queue ${config.main.jobs.queue}, home ${config.home})`)
  await new Promise<void>((resolve) => {
    const stop = () => resolve()
    process.once('SIGTERM', stop)
    process.once('SIGINT', stop)
  })
  io.out('nora stopping')
  clearInterval(pruner)
  node.stop()
  await server.stop()
  await services.close()
  removePid(config.dataRoot)
  return 0
}
