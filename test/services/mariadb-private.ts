import { chownSync, existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mysql from 'mysql2/promise'
import type { MysqlOptions } from '../../src/store/mysql-db'
import { freePort } from '../helpers/home'

/**
 * A MariaDB of the test's own: its datadir in a temp dir, its own free port on 127.0.0.1, stopped by its pid.
 * Tests that stop and restart the database use it, so the shared MariaDB on 3306 is never touched.
 * It never skips: when mariadbd is missing or does not answer, `startPrivateMariadb` throws saying why.
 */
export interface PrivateMariadb {
  host: string
  port: number
  dir: string
  /** The running mariadbd's pid (undefined while stopped). */
  pid: number | undefined
  /** Connection options for a database of this instance (root, empty password). */
  options(database: string): MysqlOptions
  /** True when the server answers a query now. */
  answers(): Promise<boolean>
  /** SIGTERM to the server and wait until it exited (SIGKILL after 30 s). */
  stop(): Promise<void>
  /** Starts the server again on the same datadir and port; resolves once it answers. */
  start(): Promise<void>
  /** Stops it and removes the temp dir. */
  cleanup(): Promise<void>
}

const SBIN = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin']
function which(name: string): string {
  for (const d of SBIN) if (existsSync(join(d, name))) return join(d, name)
  const found = Bun.which(name)
  if (!found) throw new Error(`${name} not found: apt-get install mariadb-server`)
  return found
}

export async function startPrivateMariadb(opts: { readyTimeoutMs?: number } = {}): Promise<PrivateMariadb> {
  const readyTimeoutMs = opts.readyTimeoutMs ?? 30_000
  const mariadbd = which('mariadbd')
  const installDb = which('mariadb-install-db')
  const dir = mkdtempSync(join(tmpdir(), 'nora-mariadb-private-'))
  const datadir = join(dir, 'data')
  const asRoot = process.getuid?.() === 0
  const userArgs: string[] = []
  if (asRoot) {
    // mariadbd refuses to run as root without --user; it runs as "mysql", which must own the temp dir.
    const mysqlUser = Bun.spawnSync(['id', '-u', 'mysql'])
    if (mysqlUser.exitCode === 0) {
      chownSync(dir, Number(mysqlUser.stdout.toString().trim()), Number(Bun.spawnSync(['id', '-g', 'mysql']).stdout.toString().trim()))
      userArgs.push('--user=mysql')
    } else userArgs.push('--user=root')
  }

  // auth "normal": root may log in over TCP with an empty password (the default would be unix_socket only).
  const install = Bun.spawnSync(
    [installDb, '--no-defaults', `--datadir=${datadir}`, ...userArgs, '--auth-root-authentication-method=normal', '--skip-test-db'],
    { stdout: 'pipe', stderr: 'pipe' },
  )
  if (install.exitCode !== 0) {
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`mariadb-install-db failed (${install.exitCode}): ${install.stderr.toString().slice(-2000)}${install.stdout.toString().slice(-2000)}`)
  }

  const port = freePort()
  const host = '127.0.0.1'
  const logFile = join(dir, 'mariadbd.log')
  let proc: ReturnType<typeof Bun.spawn> | undefined

  const answers = async () => {
    try {
      const c = await mysql.createConnection({ host, port, user: 'root', password: '', connectTimeout: 1000 })
      await c.query('SELECT 1')
      await c.end()
      return true
    } catch {
      return false
    }
  }

  const self: PrivateMariadb = {
    host,
    port,
    dir,
    pid: undefined,
    options: (database) => ({ host, port, user: 'root', password: '', database, connectionLimit: 5 }),
    answers,
    async start() {
      if (proc && proc.exitCode === null) throw new Error(`the private MariaDB already runs (pid ${proc.pid})`)
      const fd = openSync(logFile, 'a')
      proc = Bun.spawn(
        [
          mariadbd,
          '--no-defaults',
          `--datadir=${datadir}`,
          `--port=${port}`,
          `--socket=${join(dir, 'sock')}`,
          `--pid-file=${join(dir, 'mariadbd.pid')}`,
          '--bind-address=127.0.0.1',
          '--innodb-buffer-pool-size=32M',
          ...userArgs,
        ],
        { stdout: fd, stderr: fd, stdin: 'ignore' },
      )
      closeSync(fd)
      self.pid = proc.pid
      const deadline = Date.now() + readyTimeoutMs
      while (Date.now() < deadline) {
        if (proc.exitCode !== null) break
        if (await answers()) return
        await Bun.sleep(100)
      }
      const tail = readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n')
      await self.stop()
      throw new Error(`the private MariaDB did not answer on ${host}:${port} within ${readyTimeoutMs / 1000} s; end of ${logFile}:\n${tail}`)
    },
    async stop() {
      const p = proc
      if (!p || p.exitCode !== null || p.signalCode !== null) {
        self.pid = undefined
        return
      }
      p.kill('SIGTERM')
      const killer = setTimeout(() => p.kill('SIGKILL'), 30_000)
      await p.exited
      clearTimeout(killer)
      self.pid = undefined
    },
    async cleanup() {
      await self.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
  try {
    await self.start()
  } catch (e) {
    rmSync(dir, { recursive: true, force: true })
    throw e
  }
  return self
}
