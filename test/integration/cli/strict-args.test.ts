import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { COMMANDS } from '../../../src/cli/spec'
import { freePort } from '../../helpers/home'
import type { RunResult } from '../../helpers/nora-binary'
import { startOrthanc, type Orthanc } from '../../services/orthanc'
import { cliHome, ok, spawns, type CliHome } from './cli-harness'

// The built binary refuses what it does not understand (issue 11, item 8): by name, exit 2, nothing done.
// Timeouts are sized by the number of ./nora spawns (spawns(n) of cli-harness).

/** No JavaScript stack frame ("    at fn (file:line)") anywhere in the output. */
const noStack = (r: RunResult) => expect(`${r.stdout}${r.stderr}`).not.toMatch(/^\s+at .+/m)

/** Refused as a usage error: exit 2, one message naming `what`, the usage line, nothing on stdout. */
function refused(r: RunResult, what: string | RegExp) {
  expect(r.code, r.stderr).toBe(2)
  expect(r.stdout).toBe('')
  expect(r.stderr).toMatch(typeof what === 'string' ? new RegExp(what.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : what)
  expect(r.stderr).toMatch(/\nusage: nora /)
  noStack(r)
}

describe('strict command lines (sqlite)', () => {
  let h: CliHome
  let orthanc: Orthanc
  const imports = async () => JSON.parse(ok(await h.nora(['--sql', 'SELECT COUNT(*) AS n FROM imports'])).stdout)[0].n as number

  beforeAll(async () => {
    h = await cliHome('sqlite')
    ok((await h.init()).result)
    ok(await h.nora(['-c', 'P']))
    // A real PACS that knows nothing of the UIDs asked for: each one must be looked up (C-FIND) and reported.
    orthanc = await startOrthanc({ nora: ['NORA', '127.0.0.1', h.dicomPort] })
    writeFileSync(
      join(h.home, 'conf/pacs.conf'),
      `{ nodes: { clinic: { aet: "ORTHANC", host: "127.0.0.1", port: ${orthanc.dicomPort} }, down: { aet: "DOWN", host: "127.0.0.1", port: ${freePort()} } } }`,
    )
  }, 120_000)
  afterAll(async () => {
    await orthanc?.stop()
    await h?.close()
  }, 60_000)

  test('pacs pull NODE --study A B C takes all three studies (it pulled only A)', async () => {
    const uids = ['1.2.826.0.1.3680043.99.1', '1.2.826.0.1.3680043.99.2', '1.2.826.0.1.3680043.99.3']
    const r = await h.nora(['-p', 'P', 'pacs', 'pull', 'clinic', '--study', ...uids])
    for (const uid of uids) expect(r.stderr).toContain(`${uid}: not found on clinic; left out`)
    expect(r.stderr).toContain('none of the 3 studies was found on clinic')
    expect(r.code).toBe(2)
    noStack(r)
  }, spawns(8))

  test('--import --help prints the help of --import and imports nothing (it took "--help" as the path)', async () => {
    const r = await h.nora(['-p', 'P', '--import', '--help'])
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    expect(r.stdout).toStartWith('nora -p PROJECT --import SRC [--patients_id PIZ]')
    expect(await imports()).toBe(0)
  }, spawns(4))

  test('a SQL error is one line with the database\'s message, non-zero, no stack', async () => {
    const r = await h.nora(['--sql', 'SELECT * FROM no_such_table'])
    expect(r.code).not.toBe(0)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe('nora --sql: no such table: no_such_table\n')
    const syntax = await h.nora(['--sql', 'SELECT FROM WHERE', '--write'])
    expect(syntax.code).not.toBe(0)
    expect(syntax.stderr).toMatch(/^nora --sql: .*syntax error\n$/)
  }, spawns(4))

  test('a PACS that does not answer is one line, exit 4, no stack', async () => {
    const r = await h.nora(['pacs', 'echo', 'down'])
    expect(r.code).toBe(4)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/^nora: PACS "down" \(DOWN\) at 127\.0\.0\.1:\d+ did not answer/)
    noStack(r)
  }, spawns(4))

  test('unknown options are refused by name, before anything runs', async () => {
    refused(await h.nora(['-p', 'P', '--select', '*', '--jsno']), 'nora: unknown option --jsno')
    refused(await h.nora(['status', '--verbose']), 'unknown option --verbose')
    refused(await h.nora(['-p', 'P', '--add', join(h.home, 'x.txt'), '--tag', 'a']), 'unknown option --tag')
    refused(await h.nora(['-p', 'P', 'pacs', 'pull', 'clinic', '--study', '1.2.3', '--retries', '3']), 'unknown option --retries')
    expect(await imports()).toBe(0)
  }, spawns(8))

  test('options a command does not read are refused by name (two commands at once, -p with --sql)', async () => {
    refused(await h.nora(['-p', 'P', '--add', join(h.home, 'x.txt'), '--del', join(h.home, 'y.txt')]), '--del does not go with --add')
    refused(await h.nora(['-p', 'P', '--sql', 'SELECT 1']), '--project does not go with --sql')
    refused(await h.nora(['-p', 'P', '--import', h.home, '--policy', 'keep']), '--policy does not go with --import')
    refused(await h.nora(['-p', 'P', '-p', 'Q', '-s', '*']), '--project given twice ("P", "Q")')
    expect(await imports()).toBe(0)
  }, spawns(8))

  test('unexpected positional words are refused by name; missing ones are named', async () => {
    refused(await h.nora(['status', 'now']), 'unexpected argument "now" (status takes none)')
    refused(await h.nora(['-p', 'P', '--select', '*', 'series/*']), 'unexpected argument "series/*"')
    refused(await h.nora(['pacs', 'echo', 'clinic', 'down']), 'unexpected argument "down"')
    refused(await h.nora(['--admin', 'revoke', 'bob', 'P', 'extra']), 'unexpected argument "extra"')
    refused(await h.nora(['--admin', 'grant', 'bob']), 'missing PROJECT, RIGHT')
    refused(await h.nora(['test', 'everything']), '"everything" is not one of db, slurm, sge, dicom, ldap, email, all')
  }, spawns(10))

  // Every command of spec.ts, called the way a user asks for help: the words, or the flag without its value.
  const helpLines = COMMANDS.map((c) => {
    const argv = c.name.split(' ')
    return c.project ? ['-p', 'P', ...argv, '--help'] : [...argv, '--help']
  })
  test(`--help works for every command and subcommand (${helpLines.length} commands, and pacs, --admin, nora): exit 0, its usage`, async () => {
    for (const argv of [...helpLines, ['pacs', '--help'], ['--admin', '--help'], ['--help']]) {
      const r = await h.nora(argv)
      expect(r.code, `nora ${argv.join(' ')}: ${r.stderr}`).toBe(0)
      expect(r.stderr).toBe('')
      const words = argv.filter((w) => w !== '--help' && w !== '-p' && w !== 'P')
      expect(r.stdout, `nora ${argv.join(' ')}`).toMatch(/^nora[ :]/)
      for (const w of words) expect(r.stdout.split('\n')[0], `nora ${argv.join(' ')}`).toContain(w)
    }
    expect(await imports()).toBe(0)
  }, spawns(helpLines.length + 4))
})

// MariaDB's own words for a refused statement, one line.
describe('nora --sql errors (mysql)', () => {
  let h: CliHome
  beforeAll(async () => {
    h = await cliHome('mysql')
    ok((await h.init()).result)
  }, 60_000)
  afterAll(async () => {
    await h?.close()
  }, 60_000)

  test('a SQL error is one line with the database\'s message, non-zero, no stack', async () => {
    const r = await h.nora(['--sql', 'SELECT * FROM no_such_table'])
    expect(r.code).not.toBe(0)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/^nora --sql: Table '[^']+\.no_such_table' doesn't exist\n$/)
    noStack(r)
  }, spawns(4))
})
