import { spawn } from 'node:child_process'
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { openArchive } from '../../app-archive'
import { UsersService } from '../../auth/users-service'
import { ServiceError } from '../../core/errors'
import { one, type ParsedArgs } from '../args'
import { configFrom, type Out } from '../context'
import { isAlive } from '../../core/process-alive'
import { logPath, runningPid } from '../daemon/pid-file'
import { fetchHealth, httpUrl, portFree } from '../daemon/ports'
import { selfArgv } from '../daemon/self-command'

/**
 * `nora start`: prepares the database (migrations, first admin) in this process so the password is printed
 * here, then runs `nora serve` in the background and waits until /api/health answers.
 */
export async function start(args: ParsedArgs, io: Out): Promise<number> {
  const config = configFrom(args)
  const { host, port, publicUrl, basePath } = config.main.http
  const url = httpUrl(host, port, publicUrl, basePath)
  const pid = runningPid(config.dataRoot)
  if (pid) throw new ServiceError(`nora is already running (pid ${pid}) at ${url}; use nora stop first`)
  if (!(await portFree(host, port)))
    throw new ServiceError(`port ${port} on ${host} is taken by another program; set http.port in conf/main.conf or NORA_HTTP_PORT`)

  const { dicom } = config.main
  if (dicom.enabled && !(await portFree('0.0.0.0', dicom.port)))
    throw new ServiceError(`DICOM port ${dicom.port} is taken by another program; set dicom.port in conf/main.conf or NORA_DICOM_PORT`)
  // The database (migrated) and the first admin; the server it forks builds the rest.
  const core = await openArchive(config)
  try {
    const password = await new UsersService(core.repos).ensureInitialAdmin()
    if (password) io.out(`created user "admin" with password: ${password}\n(printed once; change it with: nora --admin passwd admin)`)
  } finally {
    await core.db.close()
  }

  const log = logPath(config.dataRoot)
  mkdirSync(dirname(log), { recursive: true })
  const fd = openSync(log, 'a')
  const [cmd, ...rest] = selfArgv('serve', '--home', config.home)
  const child = spawn(cmd!, rest, { detached: true, stdio: ['ignore', fd, fd], env: process.env })
  child.unref()
  closeSync(fd)

  const timeoutMs = Number(one(args, 'timeout') ?? 30) * 1000
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (!isAlive(child.pid!)) break
    const h = await fetchHealth(url, 1000)
    if (h?.status === 'ok' && runningPid(config.dataRoot) === child.pid) {
      io.out(`nora is running at ${url} (pid ${child.pid}); log: ${log}`)
      return 0
    }
    await Bun.sleep(100)
  }
  const tail = readFileSync(log, 'utf8').split('\n').slice(-15).join('\n')
  if (isAlive(child.pid!)) process.kill(child.pid!, 'SIGTERM')
  throw new ServiceError(`nora did not become healthy within ${timeoutMs / 1000} s; end of ${log}:\n${tail}`)
}
