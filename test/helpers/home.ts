import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { MysqlOptions } from '../../src/store/mysql-db'

/** A free TCP port on loopback, chosen by the kernel. */
export function freePort(): number {
  const s = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const port = s.port
  s.stop(true)
  return port
}

export interface TestHome {
  home: string
  httpPort: number
  dicomPort: number
  url: string
  env: Record<string, string>
  cleanup(): void
}

/** A temporary NORA_HOME with a main.conf for SQLite (default) or the given MySQL database, on free ports. */
export function makeHome(opts: { mysql?: MysqlOptions; extra?: string; dicom?: string } = {}): TestHome {
  const home = mkdtempSync(join(tmpdir(), 'nora-home-'))
  chmodSync(home, 0o711) // batch jobs run as nora-jobs, which must pass through NORA_HOME to reach data/projects
  mkdirSync(join(home, 'conf'))
  const httpPort = freePort()
  const dicomPort = freePort()
  const database = opts.mysql ? `{ dialect: "mysql", mysql: ${JSON.stringify(opts.mysql)} }` : '{ dialect: "sqlite" }'
  writeFileSync(
    join(home, 'conf', 'main.conf'),
    `{ http: { host: "127.0.0.1", port: ${httpPort} }, dicom: { port: ${dicomPort}, ${opts.dicom ?? ''} }, database: ${database}, ${opts.extra ?? ''} }`,
  )
  return {
    home,
    httpPort,
    dicomPort,
    url: `http://127.0.0.1:${httpPort}/`,
    env: { NORA_HOME: home },
    cleanup: () => rmSync(home, { recursive: true, force: true }),
  }
}
