import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureBinary, NORA, runNora } from '../../helpers/nora-binary'
import { alive, cliHome, DIALECTS, lines, loginWorks, ok, type CliHome, spawns } from './cli-harness'

// The server's life cycle through the built binary: init, start, status, test db, stop; on SQLite and MariaDB.
for (const dialect of DIALECTS) {
  describe(`nora init/start/status/stop (${dialect})`, () => {
    let h: CliHome
    let password: string | undefined

    beforeAll(async () => {
      h = await cliHome(dialect)
    })
    afterAll(async () => {
      await h?.close()
    }, spawns(2))

    test('init prints the admin password once; a second init keeps it', async () => {
      const first = await h.init()
      ok(first.result)
      password = first.password
      expect(password).toMatch(/^\S{12,}$/)
      expect(first.result.stdout).toContain(`database ${dialect}`)
      expect(existsSync(join(h.dataRoot, 'projects'))).toBe(true)

      const second = await h.init()
      ok(second.result)
      expect(second.password).toBeUndefined()
      expect(second.result.stdout).not.toContain(password!)
      expect(second.result.stdout).toContain('passwords unchanged')
      expect(second.result.stdout).toContain(`kept ${join(h.home, 'conf', 'main.conf')}`)
    }, spawns(2))

    test('start prints the URL and /api/health answers; the first password still signs in', async () => {
      const r = await h.start()
      expect(r.stdout).toContain(`nora is running at ${h.url}`)
      expect(r.stdout).not.toContain('created user') // init made the admin already
      const pid = h.pid()
      expect(pid).toBeGreaterThan(0)
      expect(alive(pid!)).toBe(true)

      const health = await fetch(new URL('api/health', h.url))
      expect(health.status).toBe(200)
      const body = (await health.json()) as { status: string; database: { dialect: string; ok: boolean } }
      expect(body.status).toBe('ok')
      expect(body.database).toMatchObject({ dialect, ok: true })

      expect(await loginWorks(h.url, 'admin', password!)).toBe(true)
      expect(await loginWorks(h.url, 'admin', `${password}x`)).toBe(false)
    }, spawns(3))

    test('a second start refuses: already running, non-zero', async () => {
      const before = h.pid()
      const r = await h.nora(['start'])
      expect(r.code).not.toBe(0)
      expect(r.stderr).toContain('already running')
      expect(r.stderr).toContain(`pid ${before}`)
      expect(h.pid()).toBe(before!)
      expect((await fetch(new URL('api/health', h.url))).status).toBe(200)
    }, spawns(1))

    test('status exits 0 while the server is up', async () => {
      const r = ok(await h.nora(['status']))
      expect(r.stdout).toContain(`running (pid ${h.pid()})`)
      expect(r.stdout).toMatch(/^database\s+.*OK/m)
      expect(r.stdout).toContain(`${h.url} answering`)
    }, spawns(1))

    test('test db prints OK', async () => {
      const r = ok(await h.nora(['test', 'db']))
      expect(lines(r)).toHaveLength(1)
      expect(r.stdout).toMatch(/^db\s+OK\s+.*read\/write OK/)
      expect(r.stdout).toContain(dialect)
    }, spawns(1))

    test('stop stops it: pid gone, port closed, status non-zero', async () => {
      const pid = h.pid()!
      const r = ok(await h.nora(['stop']))
      expect(r.stdout).toContain(`nora stopped (pid ${pid})`)
      expect(alive(pid)).toBe(false)
      expect(existsSync(join(h.dataRoot, 'nora.pid'))).toBe(false)
      await expect(fetch(new URL('api/health', h.url))).rejects.toThrow()

      const st = await h.nora(['status'])
      expect(st.code).not.toBe(0)
      expect(st.stdout).toMatch(/^process\s+stopped/m)
      expect(st.stdout).toContain('not answering')

      const again = ok(await h.nora(['stop']))
      expect(again.stdout).toContain('not running')
    }, spawns(3))
  })
}

describe('nora start on a taken port', () => {
  let h: CliHome
  beforeAll(async () => {
    h = await cliHome('sqlite')
    ok((await h.init()).result)
  }, spawns(1))
  afterAll(async () => {
    await h?.close()
  }, spawns(2))

  test('refuses with a message naming the port, non-zero; starts once the port is free', async () => {
    const squatter = Bun.listen({ hostname: '127.0.0.1', port: h.httpPort, socket: { data() {} } })
    try {
      const r = await h.nora(['start'])
      expect(r.code).not.toBe(0)
      expect(r.stderr).toContain(`port ${h.httpPort}`)
      expect(r.stderr).toContain('taken')
      expect(h.pid()).toBeUndefined()
      const st = await h.nora(['status'])
      expect(st.code).not.toBe(0)
    } finally {
      squatter.stop(true)
    }
    const r = await h.start()
    expect(r.stdout).toContain(h.url)
    ok(await h.nora(['stop']))
  }, spawns(6))
})

describe('nora stop when nothing reaps the server', () => {
  let h: CliHome
  let parent: ReturnType<typeof Bun.spawn> | undefined
  beforeAll(async () => {
    h = await cliHome('sqlite')
    ok((await h.init()).result)
    await ensureBinary()
  }, spawns(1))
  afterAll(async () => {
    parent?.kill()
    await parent?.exited
    await h?.close()
  }, spawns(2))

  // In a container whose PID 1 is a shell, the exited server stays a zombie: stop must not wait 15 s and "kill" it.
  test('stop reports a clean stop at once when the parent never waits for the server', async () => {
    const log = join(h.home, 'serve.log')
    parent = Bun.spawn(['bash', '-c', `"${NORA}" serve > "${log}" 2>&1 & exec sleep 120`], {
      cwd: h.home,
      env: { ...process.env, NORA_HOME: h.home },
    })
    const deadline = Date.now() + 20_000
    while (!(h.pid() && (await fetch(new URL('api/health', h.url)).then((r) => r.ok, () => false))) && Date.now() < deadline) await Bun.sleep(50)
    const pid = h.pid()!
    expect(pid).toBeGreaterThan(0)
    const r = ok(await h.nora(['stop']))
    expect(r.stdout.trim()).toBe(`nora stopped (pid ${pid})`)
    expect(alive(pid)).toBe(false)
    expect((await h.nora(['status'])).code).not.toBe(0)
  }, 60_000) // up to 20 s for the server to answer, 15 s for stop, and the spawns
})

describe('--help of every command', () => {
  // A home without conf/: help must not need a configuration.
  const empty = mkdtempSync(join(tmpdir(), 'nora-help-'))
  afterAll(() => rmSync(empty, { recursive: true, force: true }))

  const cases: [string[], RegExp][] = [
    [['--help'], /^nora: medical imaging research platform/],
    [['-h'], /^nora: medical imaging research platform/],
    [['init', '--help'], /^nora init\n/],
    [['start', '--help'], /^nora start \[--timeout SECONDS\]\n/],
    [['stop', '--help'], /^nora stop\n/],
    [['status', '--help'], /^nora status\n/],
    [['serve', '--help'], /^nora serve\n/],
    [['test', '--help'], /^nora test \[db\|slurm\|sge\|dicom\|ldap\|email\|all\]/],
    [['--admin', '--help'], /^nora --admin COMMAND/],
    [['--admin', 'users', '--help'], /^nora --admin users\n/],
  ]
  for (const [args, usage] of cases) {
    test(`nora ${args.join(' ')}`, async () => {
      const r = await runNora(args, { home: empty })
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
      expect(r.stdout).toMatch(usage)
    }, spawns(1))
  }

  test('the main help lists every subcommand and the project options', async () => {
    const r = await runNora(['--help'], { home: empty })
    for (const word of ['init', 'start', 'stop', 'status', 'serve', 'test', '--createproject', '--add', '--select', '--sql', '--admin'])
      expect(r.stdout).toContain(word)
  }, spawns(1))

  test('an unknown command prints the usage on stderr and exits 2', async () => {
    const r = await runNora(['frobnicate'], { home: empty })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('unknown command "frobnicate"')
  }, spawns(1))
})
