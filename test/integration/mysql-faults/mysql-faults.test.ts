import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { freePort } from '../../helpers/home'
import { startPrivateMariadb, type PrivateMariadb } from '../../services/mariadb-private'
import { cliHome, ok, type CliHome } from '../cli/cli-harness'

interface Health {
  status: string
  database: { dialect: string; ok: boolean; error?: string }
}
const health = async (url: string) => {
  const r = await fetch(new URL('api/health', url))
  return { status: r.status, body: (await r.json()) as Health }
}

describe('MySQL unreachable when nora starts', () => {
  let h: CliHome
  let mysqlPort: number
  beforeAll(async () => {
    mysqlPort = freePort() // nothing listens here
    h = await cliHome('mysql', { mysql: { host: '127.0.0.1', port: mysqlPort, user: 'root', password: '', database: 'nora_nowhere', connectionLimit: 2 } })
  })
  afterAll(async () => {
    await h?.close()
  })

  test('nora start fails naming host and port, non-zero; no server is left behind', async () => {
    const r = await h.nora(['start'])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain(`cannot reach MySQL at 127.0.0.1:${mysqlPort}`)
    expect(r.stderr).toContain('database.mysql in conf/main.conf')
    expect(r.stderr).not.toContain('    at ') // one clear line, no stack
    expect(existsSync(join(h.dataRoot, 'nora.pid'))).toBe(false)
    await expect(fetch(new URL('api/health', h.url))).rejects.toThrow()
  }, 60_000)

  test('nora test db fails naming host and port, non-zero', async () => {
    const r = await h.nora(['test', 'db'])
    expect(r.code).not.toBe(0)
    expect(r.stdout).toMatch(new RegExp(`^db\\s+FAIL .*cannot reach MySQL at 127\\.0\\.0\\.1:${mysqlPort}`))
  }, 60_000)

  test('nora status reports the database as unreachable, non-zero', async () => {
    const r = await h.nora(['status'])
    expect(r.code).not.toBe(0)
    expect(r.stdout).toMatch(new RegExp(`^database\\s+mysql: .*127\\.0\\.0\\.1:${mysqlPort}`, 'm'))
  }, 60_000)
})

describe('MariaDB restarted while nora runs', () => {
  let db: PrivateMariadb
  let h: CliHome
  let token: string
  const projects = () => fetch(new URL('api/projects', h.url), { headers: { authorization: `Bearer ${token}` } })

  beforeAll(async () => {
    db = await startPrivateMariadb()
    h = await cliHome('mysql', { mysql: db.options('nora_restart') })
    ok((await h.init()).result)
    ok(await h.nora(['-c', 'Survivor']))
    token = ok(await h.nora(['--admin', 'token', 'admin'])).stdout.trim()
    await h.start()
  }, 60_000)
  afterAll(async () => {
    await h?.close()
    await db?.cleanup()
  })

  test('requests work before, fail clearly while MariaDB is down, and work again on the first try after it is back', async () => {
    const before = await projects()
    expect(before.status).toBe(200)
    expect(await before.json()).toEqual([{ name: 'Survivor', description: '' }])
    expect((await health(h.url)).body.database.ok).toBe(true)

    const serverPid = h.pid()!
    await db.stop()
    expect(await db.answers()).toBe(false)

    const down = await health(h.url)
    expect(down.status).toBe(503)
    expect(down.body.status).toBe('degraded')
    expect(down.body.database.ok).toBe(false)
    expect(down.body.database.error).toContain(`127.0.0.1:${db.port}`)
    const failed = await projects()
    expect(failed.status).toBe(503)
    expect(await failed.text()).toContain(`cannot reach MySQL at 127.0.0.1:${db.port}`)

    await db.start() // same datadir, same port; resolves once it answers
    // nora kept running through the outage.
    expect(h.pid()).toBe(serverPid)

    // The very first request after MariaDB answers again succeeds: no retry by the client.
    const after = await projects()
    expect(after.status).toBe(200)
    expect(await after.json()).toEqual([{ name: 'Survivor', description: '' }])
    const healthy = await health(h.url)
    expect(healthy.status).toBe(200)
    expect(healthy.body).toMatchObject({ status: 'ok', database: { dialect: 'mysql', ok: true } })

    // The CLI against the restarted server, and the data from before the restart is all there.
    ok(await h.nora(['test', 'db']))
    expect(ok(await h.nora(['--admin', 'projects'])).stdout.trim()).toBe('Survivor')
  }, 60_000)

  test("a restart that no request notices: the pool's old connections are all dead, the first request still works", async () => {
    // Several requests at once leave several idle connections in nora's pool.
    const burst = await Promise.all(Array.from({ length: 8 }, () => projects()))
    for (const r of burst) {
      expect(r.status).toBe(200)
      await r.arrayBuffer()
    }
    await db.stop()
    await db.start()
    const after = await projects()
    expect(after.status).toBe(200)
    expect(await after.json()).toEqual([{ name: 'Survivor', description: '' }])
    const again = await Promise.all(Array.from({ length: 8 }, () => projects()))
    expect(again.map((r) => r.status)).toEqual(Array(8).fill(200))
    expect((await health(h.url)).body.database.ok).toBe(true)
  }, 60_000)
})
