import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ArchiveService } from '../../../src/archive/archive-service'
import { ArchiveWriter } from '../../../src/archive/archive-writer'
import { Rights } from '../../../src/auth/rights'
import type { User } from '../../../src/core/types'
import { PullService } from '../../../src/pacs/pull-service'
import type { Db } from '../../../src/store/db'
import { migrate } from '../../../src/store/migrate'
import { MysqlDb } from '../../../src/store/mysql-db'
import { createRepos, type Repos } from '../../../src/store/repos'
import { SqliteDb } from '../../../src/store/sqlite-db'
import { freshMysqlDatabase } from '../../services/mariadb'
import { ROOT } from './pull-helpers'

/** The pulls tables and their service on both dialects: rights, validation, the runner's queries (due, claims, guards). */
for (const dialect of ['sqlite', 'mysql'] as const)
  describe(`pulls repository and service (${dialect})`, () => {
    let db: Db
    let repos: Repos
    let pulls: PullService
    let dir: string
    let mysql: Awaited<ReturnType<typeof freshMysqlDatabase>> | undefined
    let reader: User

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'nora-pulls-'))
      if (dialect === 'mysql') {
        mysql = await freshMysqlDatabase()
        db = await MysqlDb.open(mysql.options)
      } else db = await SqliteDb.open(join(dir, 'nora.db'))
      await migrate(db)
      repos = createRepos(db)
      const rights = new Rights(repos)
      const archive = new ArchiveService(dir, repos, rights, new ArchiveWriter(db))
      await archive.createProject(ROOT, 'alpha')
      await archive.createProject(ROOT, 'beta')
      reader = await repos.users.create({ username: 'reader', passwordHash: null })
      await repos.rights.grant(reader.id, (await repos.projects.byName('alpha'))!.id, 'read')
      const nodes = { node: (n: string) => { if (n !== 'clinic') throw new Error(`no PACS node "${n}" in conf/pacs.conf; configured: clinic`) } }
      pulls = new PullService({ pulls: repos.pulls, archive, rights, nodes })
    })
    afterAll(async () => {
      await db?.close()
      await mysql?.drop()
      rmSync(dir, { recursive: true, force: true })
    })

    test('create keeps the studies once each, with their expected counts; get, list and rights', async () => {
      const p = await pulls.create(ROOT, { node: 'clinic', project: 'alpha', studies: [{ studyInstanceUid: '1.2.3', expectedInstances: 4, patientId: 'P<1>', description: 'Head' }, { studyInstanceUid: ' 1.2.4 ' }, { studyInstanceUid: '1.2.3' }] })
      expect(p).toMatchObject({ project: 'alpha', node: 'clinic', user: 'root', state: 'running' })
      expect(p.studies.map((s) => [s.studyInstanceUid, s.expected, s.state, s.received, s.patientId])).toEqual([['1.2.3', 4, 'pending', 0, 'P<1>'], ['1.2.4', null, 'pending', 0, '']])
      await pulls.create(ROOT, { node: 'clinic', project: 'beta', studies: [{ studyInstanceUid: '9.9' }] })
      expect((await pulls.list(ROOT)).map((x) => x.project)).toEqual(['beta', 'alpha'])
      expect((await pulls.list(reader)).map((x) => x.project)).toEqual(['alpha']) // beta is not the reader's
      expect((await pulls.list(ROOT, { project: 'beta' })).length).toBe(1)
      await expect(pulls.get(reader, 2)).rejects.toThrow('may not read project "beta"')
      await expect(pulls.create(reader, { node: 'clinic', project: 'alpha', studies: [{ studyInstanceUid: '1.2' }] })).rejects.toThrow('may not write project "alpha"')
      await expect(pulls.create(ROOT, { node: 'pacs9', project: 'alpha', studies: [{ studyInstanceUid: '1.2' }] })).rejects.toThrow('configured: clinic')
      await expect(pulls.create(ROOT, { node: 'clinic', project: 'alpha', studies: [] })).rejects.toThrow('at least one study')
      await expect(pulls.get(ROOT, 999)).rejects.toThrow('no pull 999')
    })

    test('due: pending first, failed only after the backoff and while attempts are left; a study is taken once', async () => {
      const [a, b] = await repos.pulls.studies(1)
      const now = Date.now()
      expect((await repos.pulls.due(now, 3, 10)).map((s) => s.studyInstanceUid).sort()).toEqual(['1.2.3', '1.2.4', '9.9'])
      expect(await repos.pulls.transition(a!.id, ['pending', 'failed'], 'moving', { attempts: 1 })).toBe(true)
      expect(await repos.pulls.transition(a!.id, ['pending', 'failed'], 'moving', { attempts: 1 })).toBe(false) // a second runner
      await repos.pulls.transition(a!.id, ['moving'], 'failed', { reason: 'PACS down', nextAttemptAt: now + 60_000 })
      expect((await repos.pulls.due(now, 3, 10)).map((s) => s.studyInstanceUid)).not.toContain('1.2.3')
      expect((await repos.pulls.due(now + 61_000, 3, 10)).map((s) => s.studyInstanceUid)).toContain('1.2.3')
      expect((await repos.pulls.due(now + 61_000, 1, 10)).map((s) => s.studyInstanceUid)).not.toContain('1.2.3') // attempts used up
      await repos.pulls.transition(b!.id, ['pending'], 'imported')
      const claims = (await repos.pulls.activeClaims()).map((c) => c.studyInstanceUid).sort()
      expect(claims).toEqual(['1.2.3', '9.9']) // imported ones are no longer held back from routes.conf
    })

    test('cancel stops a running pull (write right needed); its studies are no longer due or claimed', async () => {
      await expect(pulls.cancel(reader, 1)).rejects.toThrow('may not write project "alpha"')
      const c = await pulls.cancel(ROOT, 2)
      expect(c.state).toBe('cancelled')
      await expect(pulls.cancel(ROOT, 2)).rejects.toThrow('pull 2 is cancelled, not running')
      expect((await repos.pulls.due(Date.now(), 3, 10)).map((s) => s.studyInstanceUid)).not.toContain('9.9')
      expect((await repos.pulls.activeClaims()).map((c) => c.studyInstanceUid)).not.toContain('9.9')
    })
  })
