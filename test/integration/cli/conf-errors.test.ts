import { afterAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../../helpers/home'
import { runNora } from '../../helpers/nora-binary'
import { spawns } from './cli-harness'

// A broken conf/main.conf stops every command with one line naming the file, the key and what was wrong (exit 2).
describe('conf/main.conf errors through the binary', () => {
  const homes: string[] = []
  afterAll(() => {
    for (const h of homes) rmSync(h, { recursive: true, force: true })
  })
  function homeWith(mainConf: string | undefined): string {
    const home = mkdtempSync(join(tmpdir(), 'nora-conf-'))
    homes.push(home)
    mkdirSync(join(home, 'conf'))
    if (mainConf !== undefined) writeFileSync(join(home, 'conf', 'main.conf'), mainConf)
    return home
  }

  test('http.port "80a": the file, the key and the value; exit 2 for start, status, test and project commands', async () => {
    const home = homeWith('{ http: { port: "80a" } }')
    for (const args of [['start'], ['status'], ['test', 'db'], ['-p', 'P', '-s', '*']]) {
      const r = await runNora(args, { home })
      expect(r.stderr.trim()).toBe('nora: conf/main.conf: http.port: expected integer 1-65535, got "80a"')
      expect(r.code).toBe(2)
      expect(r.stdout).toBe('')
    }
    expect(existsSync(join(home, 'data', 'nora.pid'))).toBe(false)
  }, spawns(4))

  test('a port out of range', async () => {
    const r = await runNora(['status'], { home: homeWith('{ http: { port: 70000 } }') })
    expect(r.stderr).toContain('conf/main.conf: http.port: expected integer 1-65535, got 70000')
    expect(r.code).toBe(2)
  }, spawns(1))

  test('an unknown key is named with its path and the keys that exist there', async () => {
    const top = await runNora(['start'], { home: homeWith(`{ htp: { port: ${freePort()} } }`) })
    expect(top.code).toBe(2)
    expect(top.stderr).toContain('conf/main.conf: htp: unknown key')
    expect(top.stderr).toContain('http')

    const nested = await runNora(['start'], { home: homeWith('{ http: { prt: 8080 } }') })
    expect(nested.code).toBe(2)
    expect(nested.stderr).toContain('conf/main.conf: http.prt: unknown key')
    expect(nested.stderr).toContain('port')
  }, spawns(2))

  test('a syntax error names the file', async () => {
    const r = await runNora(['status'], { home: homeWith('{ http: { port: 80, }') })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('conf/main.conf: not valid JSON5')
  }, spawns(1))

  test('a missing main.conf says where it looked and how to create it', async () => {
    const home = homeWith(undefined)
    for (const args of [['start'], ['status'], ['-p', 'P', '-s', '*'], ['--admin', 'users']]) {
      const r = await runNora(args, { home })
      expect(r.code).toBe(2)
      expect(r.stderr).toContain(`conf/main.conf: missing (looked for ${join(home, 'conf', 'main.conf')})`)
      expect(r.stderr).toContain('nora init')
    }
    expect(existsSync(join(home, 'data'))).toBe(false)
  }, spawns(4))

  test('a bad NORA_HTTP_PORT is named like a conf key', async () => {
    const r = await runNora(['status'], { home: homeWith('{}'), env: { NORA_HTTP_PORT: 'abc' } })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('NORA_HTTP_PORT: expected integer 1-65535, got "abc"')
  }, spawns(1))
})
