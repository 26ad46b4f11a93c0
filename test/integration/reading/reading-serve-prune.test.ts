// `nora serve` (the built ./nora, started with `nora start`) prunes the Reading Tool's leftovers when it starts (and
// hourly): a reader's sessions idle for more than a week (one replaced by a newer start, one never used) go, and the
// ROI folder of a reading that no longer exists goes; a recent session and a live reading's folder stay. The log says
// what went.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { openServices, readingServiceOf } from '../../../src/app'
import { loadConfig } from '../../../src/config/load-config'
import { makeHome, type TestHome } from '../../helpers/home'
import { runNora } from '../../helpers/nora-binary'

const P = 'SERVEPRUNE'

describe('nora serve prunes idle reading sessions and orphaned ROI folders', () => {
  let home: TestHome
  let readingId = 0
  const sessions: number[] = []
  let fresh = 0
  const must = async (args: string[]) => {
    const r = await runNora(args, { home: home.home, timeoutMs: 120_000 })
    if (r.code !== 0) throw new Error(`nora ${args.join(' ')}: ${r.stdout}${r.stderr}`)
    return r.stdout
  }
  const readings = () => join(home.home, 'data', 'readings')

  beforeAll(async () => {
    home = makeHome()
    await must(['init'])
    await must(['--createproject', P])
    await must(['--admin', 'adduser', 'bob', '--password', 'long enough password 1'])
    await must(['--admin', 'grant', 'bob', P, 'read'])
    // Before the server runs: a reading, bob's two sessions of a week and a day ago and one of today.
    const s = await openServices(loadConfig(home.home, {}))
    try {
      const admin = (await s.repos.users.byUsername('admin'))!
      const bob = (await s.repos.users.byUsername('bob'))!
      const project = (await s.repos.projects.byName(P))!
      const subject = await s.repos.subjects.ensureSubject(project.id, 'P1', { name: 'Name^P1' })
      await s.repos.subjects.ensureStudy(project.id, subject.id, 'S1', { studyDate: '20240101', description: 'MR' })
      const service = readingServiceOf(s)
      readingId = (await service.create(admin, P, { name: 'PRUNE1', mode: 'individual', admins: [], readers: ['bob'], form: { type: 'basis', items: [{ type: 'radio', name: 'finding', options: ['yes', 'no'] }] }, reading: { reading: {} } })).id
      for (let i = 0; i < 2; i++) sessions.push((await service.startSession(bob, P, readingId, 'serious')).sessionId)
      const old = Date.now() - 8 * 24 * 3600_000
      await s.db.run('UPDATE reading_sessions SET created_at = ? WHERE reading_id = ?', [old, readingId])
      fresh = (await service.startSession(bob, P, readingId, 'training')).sessionId
    } finally {
      await s.close()
    }
    // The live reading's ROI folder, and one of a reading that is gone.
    mkdirSync(join(readings(), String(readingId), '7'), { recursive: true })
    writeFileSync(join(readings(), String(readingId), '7', '1.nii.gz'), 'live')
    mkdirSync(join(readings(), '424242', '9'), { recursive: true })
    writeFileSync(join(readings(), '424242', '9', '1.nii.gz'), 'orphan')
    await must(['start'])
  }, 240_000)

  afterAll(async () => {
    if (home) await runNora(['stop'], { home: home.home })
    home?.cleanup()
  }, 60_000)

  test('at start: the idle sessions and the orphaned folder go; the fresh session and the live folder stay', async () => {
    const log = join(home.home, 'data', 'logs', 'nora.log')
    const deadline = Date.now() + 60_000
    while (existsSync(join(readings(), '424242')) && Date.now() < deadline) await Bun.sleep(100)
    expect(existsSync(join(readings(), '424242'))).toBe(false)
    expect(readFileSync(join(readings(), String(readingId), '7', '1.nii.gz'), 'utf8')).toBe('live')
    expect(readFileSync(log, 'utf8')).toContain('pruned 2 idle reading session(s), 1 ROI folder(s) of readings that are gone')
    await must(['stop'])
    const s = await openServices(loadConfig(home.home, {}))
    try {
      const left = (await s.db.all('SELECT id FROM reading_sessions WHERE reading_id = ? ORDER BY id', [readingId])).map((r) => Number(r.id))
      expect(left).toEqual([fresh])
      expect(left).not.toContain(sessions[0])
    } finally {
      await s.close()
    }
  }, 120_000)
})
