import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { escapeLike, filePatternToLike } from '../../../src/archive/file-pattern'
import { ForbiddenError, UsageError } from '../../../src/core/errors'
import type { Db, Dialect } from '../../../src/store/db'
import { migrate, schemaVersion } from '../../../src/store/migrate'
import { migrations } from '../../../src/store/migrations'
import { createRepos, type Repos } from '../../../src/store/repos'
import type { FileQuery, FileRow } from '../../../src/store/repos/files-repo'
import { runAdminSql } from '../../../src/store/sql-console'

/** Every page of a FilesRepo.select, flattened. */
async function selectAll(repos: Repos, q: FileQuery): Promise<{ rows: FileRow[]; pages: number }> {
  const rows: FileRow[] = []
  let pages = 0
  for await (const page of repos.files.select(q)) {
    pages++
    rows.push(...page)
  }
  return { rows, pages }
}

const count = async (db: Db, sql: string, params: (string | number)[] = []) => Number((await db.get<{ n: number }>(sql, params))?.n ?? 0)

/** A unique name per call, so the tests in one database never collide. */
let seq = 0
const uniq = (prefix: string) => `${prefix}${++seq}_${Math.random().toString(36).slice(2, 7)}`

/**
 * The store's contract, written once and run against every dialect. `open` returns a fresh, empty database
 * (not yet migrated); `dispose` removes it afterwards.
 */
export function describeStore(dialect: Dialect, open: () => Promise<Db>, dispose: () => Promise<void> = async () => {}) {
  describe(`store on ${dialect}`, () => {
    let db: Db
    let repos: Repos
    let firstRun: { applied: number[] }

    beforeAll(async () => {
      db = await open()
      expect(db.dialect).toBe(dialect)
      firstRun = await migrate(db)
      repos = createRepos(db)
    })

    afterAll(async () => {
      await db?.close()
      await dispose()
    })

    /** A project with one subject and one study, for the file tests. */
    async function studyFixture(pid = 'P001', sid = 'S01') {
      const project = await repos.projects.create(uniq('proj_'))
      const subject = await repos.subjects.ensureSubject(project.id, pid)
      const study = await repos.subjects.ensureStudy(project.id, subject.id, sid)
      return { project, subject, study }
    }

    describe('migrate', () => {
      test('a fresh database gets every migration, in order', async () => {
        const ids = migrations.map((m) => m.id).sort((a, b) => a - b)
        expect(firstRun.applied).toEqual(ids)
        expect(firstRun.applied[0]).toBe(1)
        const steps = migrations.reduce((n, m) => n + m.statements.length, 0)
        expect(await count(db, 'SELECT COUNT(*) AS n FROM schema_migrations')).toBe(steps)
        // The seed's tables exist and are empty.
        for (const table of ['projects', 'users', 'rights', 'sessions', 'api_tokens', 'subjects', 'studies', 'files', 'file_tags', 'commands', 'gridjobs'])
          expect(await count(db, `SELECT COUNT(*) AS n FROM ${table}`)).toBe(0)
      })

      test('a second run applies nothing and the schema version is the newest migration', async () => {
        const before = await count(db, 'SELECT COUNT(*) AS n FROM schema_migrations')
        expect(await migrate(db)).toEqual({ applied: [] })
        expect(await count(db, 'SELECT COUNT(*) AS n FROM schema_migrations')).toBe(before)
        expect(await schemaVersion(db)).toBe(Math.max(...migrations.map((m) => m.id)))
        expect(await schemaVersion(db)).toBeGreaterThanOrEqual(1)
      })

      test('a migration that stopped half way resumes at the statement where it stopped', async () => {
        const table = uniq('mig_')
        const m = { id: 900, name: 'test', statements: [`CREATE TABLE ${table}_a (x INTEGER) {table}`, `CREATE TABLE ${table}_b (x INTEGER) {table}`] }
        // Pretend step 0 landed and the process died before step 1.
        await db.run(`CREATE TABLE ${table}_a (x INTEGER)`)
        await db.run('INSERT INTO schema_migrations (id, step, name, applied_at) VALUES (900, 0, ?, 0)', ['test'])
        expect(await migrate(db, [m])).toEqual({ applied: [900] })
        expect(await count(db, `SELECT COUNT(*) AS n FROM ${table}_b`)).toBe(0)
        expect(await migrate(db, [m])).toEqual({ applied: [] })
        await db.run(`DROP TABLE ${table}_a`)
        await db.run(`DROP TABLE ${table}_b`)
        await db.run('DELETE FROM schema_migrations WHERE id = 900')
      })
    })

    describe('projects', () => {
      test('create, find by name, list in name order', async () => {
        const b = await repos.projects.create(uniq('zz_b_'), 'second')
        const a = await repos.projects.create(uniq('zz_a_'), 'first')
        expect(await repos.projects.byName(a.name)).toEqual(a)
        expect(await repos.projects.byName('no_such_project')).toBeUndefined()
        const names = (await repos.projects.list()).map((p) => p.name)
        expect(names.indexOf(a.name)).toBeGreaterThanOrEqual(0)
        expect(names.indexOf(a.name)).toBeLessThan(names.indexOf(b.name))
        expect(a.id).not.toBe(b.id)
      })

      test('names are unique', async () => {
        const name = uniq('dup_')
        await repos.projects.create(name)
        await expect(repos.projects.create(name)).rejects.toThrow()
        expect((await repos.projects.list()).filter((p) => p.name === name)).toHaveLength(1)
      })

      test('settings round-trip as JSON', async () => {
        const p = await repos.projects.create(uniq('set_'))
        expect(await repos.projects.settings(p.id)).toEqual({})
        await repos.projects.saveSettings(p.id, { viewer: { colormap: 'gray' }, n: 3 })
        expect(await repos.projects.settings(p.id)).toEqual({ viewer: { colormap: 'gray' }, n: 3 })
      })
    })

    describe('users, rights, sessions, tokens, login failures', () => {
      test('users: create, look up, unique user names, flags', async () => {
        const name = uniq('user_')
        const u = await repos.users.create({ username: name, passwordHash: 'h1', displayName: 'Ann', email: 'a@lab.example' })
        expect(u).toMatchObject({ username: name, displayName: 'Ann', email: 'a@lab.example', isSiteAdmin: false, disabled: false, source: 'local' })
        expect(await repos.users.byUsername(name)).toEqual(u)
        expect(await repos.users.byId(u.id)).toEqual(u)
        expect(await repos.users.passwordHash(u.id)).toBe('h1')
        await expect(repos.users.create({ username: name, passwordHash: 'h2' })).rejects.toThrow()
        expect(await repos.users.passwordHash(u.id)).toBe('h1')
        await repos.users.setSiteAdmin(u.id, true)
        await repos.users.setDisabled(u.id, true)
        await repos.users.setPasswordHash(u.id, 'h3')
        expect(await repos.users.byId(u.id)).toMatchObject({ isSiteAdmin: true, disabled: true })
        expect(await repos.users.passwordHash(u.id)).toBe('h3')
        const ldap = await repos.users.create({ username: uniq('ldap_'), passwordHash: null, source: 'ldap' })
        expect(ldap.source).toBe('ldap')
        expect(await repos.users.passwordHash(ldap.id)).toBeNull()
        expect(await repos.users.count()).toBe((await repos.users.list()).length)
      })

      test('rights: grant, change, revoke, list both ways', async () => {
        const u = await repos.users.create({ username: uniq('r_'), passwordHash: null })
        const p1 = await repos.projects.create(uniq('rp1_'))
        const p2 = await repos.projects.create(uniq('rp2_'))
        await repos.projects.create(uniq('rp3_'))
        expect(await repos.rights.roleOf(u.id, p1.id)).toBeUndefined()
        await repos.rights.grant(u.id, p1.id, 'read')
        await repos.rights.grant(u.id, p1.id, 'write') // replaces, does not add a second row
        await repos.rights.grant(u.id, p2.id, 'admin')
        expect(await repos.rights.roleOf(u.id, p1.id)).toBe('write')
        expect(await count(db, 'SELECT COUNT(*) AS n FROM rights WHERE user_id = ?', [u.id])).toBe(2)
        expect(await repos.rights.forUser(u.id)).toEqual([
          { project: p1.name, role: 'write' },
          { project: p2.name, role: 'admin' },
        ])
        expect(await repos.rights.forProject(p2.id)).toEqual([{ username: u.username, role: 'admin' }])
        expect((await repos.projects.listForUser(u.id)).map((p) => p.name)).toEqual([p1.name, p2.name])
        expect(await repos.rights.revoke(u.id, p1.id)).toBe(true)
        expect(await repos.rights.revoke(u.id, p1.id)).toBe(false)
        expect((await repos.projects.listForUser(u.id)).map((p) => p.name)).toEqual([p2.name])
      })

      test('rights: a grant needs an existing user and project', async () => {
        const p = await repos.projects.create(uniq('fk_'))
        await expect(repos.rights.grant(987654321, p.id, 'read')).rejects.toThrow()
        expect(await count(db, 'SELECT COUNT(*) AS n FROM rights WHERE project_id = ?', [p.id])).toBe(0)
      })

      test('sessions: create, find, delete, expire', async () => {
        const u = await repos.users.create({ username: uniq('s_'), passwordHash: null })
        const live = 'a'.repeat(63) + String(seq % 10)
        const old = 'b'.repeat(63) + String(seq % 10)
        const now = Date.now()
        await repos.sessions.create(live, u.id, 'c'.repeat(64), now + 60_000)
        await repos.sessions.create(old, u.id, 'd'.repeat(64), now - 1)
        expect(await repos.sessions.find(live)).toEqual({ userId: u.id, csrfToken: 'c'.repeat(64), expiresAt: now + 60_000 })
        await expect(repos.sessions.create(live, u.id, 'e'.repeat(64), now)).rejects.toThrow()
        await repos.sessions.deleteExpired(now)
        expect(await repos.sessions.find(old)).toBeUndefined()
        expect(await repos.sessions.find(live)).toBeDefined()
        await repos.sessions.delete(live)
        expect(await repos.sessions.find(live)).toBeUndefined()
      })

      test('tokens: hash lookup, last use, list, delete only one\'s own', async () => {
        const u = await repos.users.create({ username: uniq('t_'), passwordHash: null })
        const other = await repos.users.create({ username: uniq('t_'), passwordHash: null })
        const hash = uniq('h').padEnd(64, '0')
        const id = await repos.tokens.create(u.id, hash, 'laptop')
        await expect(repos.tokens.create(other.id, hash, 'copy')).rejects.toThrow()
        expect((await repos.tokens.list(u.id))[0]).toMatchObject({ id, name: 'laptop', lastUsedAt: null })
        expect(await repos.tokens.userIdFor(hash)).toBe(u.id)
        expect(await repos.tokens.userIdFor('f'.repeat(64))).toBeUndefined()
        expect((await repos.tokens.list(u.id))[0]!.lastUsedAt).toBeNumber()
        expect(await repos.tokens.delete(other.id, id)).toBe(false)
        expect(await repos.tokens.userIdFor(hash)).toBe(u.id)
        expect(await repos.tokens.delete(u.id, id)).toBe(true)
        expect(await repos.tokens.userIdFor(hash)).toBeUndefined()
      })

      test('tokens: an expired one does not resolve; per-user delete; long-expired ones pruned (migration 009)', async () => {
        const u = await repos.users.create({ username: uniq('te_'), passwordHash: null })
        const other = await repos.users.create({ username: uniq('te_'), passwordHash: null })
        const now = Date.now()
        const live = uniq('l').padEnd(64, '1')
        const soon = uniq('s').padEnd(64, '2')
        const ancient = uniq('a').padEnd(64, '3')
        const theirs = uniq('o').padEnd(64, '4')
        await repos.tokens.create(u.id, live, 'no expiry')
        await repos.tokens.create(u.id, soon, 'expiring', now + 60_000)
        await repos.tokens.create(u.id, ancient, 'ancient', now - 1_000_000)
        await repos.tokens.create(other.id, theirs, 'theirs')
        expect(await repos.tokens.userIdFor(soon, now)).toBe(u.id)
        expect(await repos.tokens.userIdFor(soon, now + 60_000)).toBeUndefined()
        expect(await repos.tokens.expiredAt(soon)).toBe(now + 60_000)
        expect(await repos.tokens.expiredAt(live)).toBeUndefined()
        expect(await repos.tokens.userIdFor(ancient, now)).toBeUndefined()
        expect((await repos.tokens.list(u.id)).map((t) => [t.name, t.expiresAt])).toEqual([
          ['no expiry', null],
          ['expiring', now + 60_000],
          ['ancient', now - 1_000_000],
        ])
        expect(await repos.tokens.pruneExpired(now - 500_000)).toBeGreaterThanOrEqual(1)
        expect((await repos.tokens.list(u.id)).map((t) => t.name)).toEqual(['no expiry', 'expiring'])
        const id = (await repos.tokens.list(u.id))[0]!.id
        expect(await repos.tokens.ownerOf(id)).toEqual({ userId: u.id, name: 'no expiry' })
        expect(await repos.tokens.deleteForUser(u.id)).toBe(2)
        expect(await repos.tokens.list(u.id)).toEqual([])
        expect(await repos.tokens.userIdFor(theirs)).toBe(other.id)
      })

      test("sessions: deleteForUser ends one user's sessions only", async () => {
        const u = await repos.users.create({ username: uniq('sd_'), passwordHash: null })
        const other = await repos.users.create({ username: uniq('sd_'), passwordHash: null })
        const mine = [uniq('m1').padEnd(64, '5'), uniq('m2').padEnd(64, '6')]
        const theirs = uniq('t').padEnd(64, '7')
        for (const h of mine) await repos.sessions.create(h, u.id, 'c'.repeat(64), Date.now() + 60_000)
        await repos.sessions.create(theirs, other.id, 'c'.repeat(64), Date.now() + 60_000)
        expect(await repos.sessions.deleteForUser(u.id)).toBe(2)
        for (const h of mine) expect(await repos.sessions.find(h)).toBeUndefined()
        expect(await repos.sessions.find(theirs)).toBeDefined()
      })

      test('login failures: count in a window, clear, prune', async () => {
        const subject = `user:${uniq('lf_')}`
        const t0 = 1_000_000
        await repos.loginFailures.record([subject, 'addr:192.0.2.1'], t0)
        await repos.loginFailures.record([subject], t0 + 10)
        await repos.loginFailures.record([subject], t0 + 20)
        expect(await repos.loginFailures.countSince(subject, t0)).toBe(3)
        expect(await repos.loginFailures.countSince(subject, t0 + 5)).toBe(2)
        expect(await repos.loginFailures.countSince(`${subject}x`, 0)).toBe(0)
        await repos.loginFailures.prune(t0 + 15)
        expect(await repos.loginFailures.countSince(subject, 0)).toBe(1)
        await repos.loginFailures.clear(subject)
        expect(await repos.loginFailures.countSince(subject, 0)).toBe(0)
      })

      test('deleting a user removes their rights, sessions and tokens', async () => {
        const u = await repos.users.create({ username: uniq('del_'), passwordHash: null })
        const p = await repos.projects.create(uniq('delp_'))
        await repos.rights.grant(u.id, p.id, 'admin')
        await repos.sessions.create(uniq('sess').padEnd(64, '1'), u.id, 'x'.repeat(64), Date.now() + 1000)
        await repos.tokens.create(u.id, uniq('tok').padEnd(64, '2'), 't')
        await db.run('DELETE FROM users WHERE id = ?', [u.id])
        for (const table of ['rights', 'sessions', 'api_tokens']) expect(await count(db, `SELECT COUNT(*) AS n FROM ${table} WHERE user_id = ?`, [u.id])).toBe(0)
        expect(await repos.projects.byName(p.name)).toBeDefined()
      })
    })

    describe('subjects, studies, files, tags', () => {
      test('ensureSubject and ensureStudy are idempotent and keep the first fields', async () => {
        const project = await repos.projects.create(uniq('sub_'))
        const s1 = await repos.subjects.ensureSubject(project.id, 'P1', { name: 'Doe^Jane', sex: 'F', birthDate: '19700101' })
        const s1again = await repos.subjects.ensureSubject(project.id, 'P1', { name: 'other' })
        expect(s1again).toEqual(s1)
        expect(s1).toMatchObject({ patientsId: 'P1', name: 'Doe^Jane', sex: 'F', birthDate: '19700101', projectId: project.id })
        const st = await repos.subjects.ensureStudy(project.id, s1.id, 'S1', { modality: 'MR', studyDate: '20240101', studyUid: '1.2.3' })
        expect(await repos.subjects.ensureStudy(project.id, s1.id, 'S1')).toEqual(st)
        await repos.subjects.ensureStudy(project.id, s1.id, 'S0')
        expect((await repos.subjects.studiesOf(s1.id)).map((s) => s.studiesId)).toEqual(['S0', 'S1'])
        expect(await repos.subjects.counts(project.id)).toEqual({ subjects: 1, studies: 2, files: 0 })
      })

      test('the same patients_id in two projects is two subjects', async () => {
        const a = await repos.projects.create(uniq('pa_'))
        const b = await repos.projects.create(uniq('pb_'))
        const sa = await repos.subjects.ensureSubject(a.id, 'P1')
        const sb = await repos.subjects.ensureSubject(b.id, 'P1')
        expect(sa.id).not.toBe(sb.id)
        await expect(db.run('INSERT INTO subjects (project_id, patients_id, created_at) VALUES (?, ?, 0)', [a.id, 'P1'])).rejects.toThrow()
      })

      test('ensureSubject racing with itself creates one subject', async () => {
        const project = await repos.projects.create(uniq('race_'))
        const all = await Promise.all(Array.from({ length: 8 }, () => repos.subjects.ensureSubject(project.id, 'RACE')))
        expect(new Set(all.map((s) => s.id)).size).toBe(1)
        expect((await repos.subjects.counts(project.id)).subjects).toBe(1)
      })

      test('files: upsert registers once, updates size and type on the second call', async () => {
        const { project, study } = await studyFixture()
        const id = await repos.files.upsert(project.id, study.id, 'anat/T1.nii.gz', 100, 'nifti', { dims: [1, 2, 3] })
        expect(await repos.files.upsert(project.id, study.id, 'anat/T1.nii.gz', 200, 'nifti')).toBe(id)
        expect(await repos.files.idOf(study.id, 'anat/T1.nii.gz')).toBe(id)
        const { rows } = await selectAll(repos, { projectId: project.id, pathLike: '%' })
        expect(rows).toEqual([{ id, path: 'anat/T1.nii.gz', size: 200, patients_id: 'P001', studies_id: 'S01', tags: [] }])
        await repos.files.delete(id)
        expect(await repos.files.idOf(study.id, 'anat/T1.nii.gz')).toBeUndefined()
      })

      test('tags: add counts only new ones, remove, and select reports them sorted', async () => {
        const { project, subject, study } = await studyFixture()
        const f1 = await repos.files.upsert(project.id, study.id, 'a.nii', 1, 'nifti')
        const f2 = await repos.files.upsert(project.id, study.id, 'b.nii', 1, 'nifti')
        expect(await repos.tags.add('file', [f1, f2], ['qc-ok', 'baseline'])).toBe(4)
        expect(await repos.tags.add('file', [f1], ['qc-ok', 'new'])).toBe(1)
        expect(await repos.tags.of('file', f1)).toEqual(['baseline', 'new', 'qc-ok'])
        expect(await repos.tags.remove('file', [f1, f2], ['baseline', 'absent'])).toBe(2)
        const { rows } = await selectAll(repos, { projectId: project.id, pathLike: '%' })
        expect(rows.map((r) => [r.path, r.tags])).toEqual([
          ['a.nii', ['new', 'qc-ok']],
          ['b.nii', ['qc-ok']],
        ])
        expect(await repos.tags.add('subject', [subject.id], ['control'])).toBe(1)
        expect(await repos.tags.add('study', [study.id], ['3T'])).toBe(1)
        expect(await repos.tags.of('subject', subject.id)).toEqual(['control'])
        expect(await repos.tags.of('study', study.id)).toEqual(['3T'])
      })

      test('deleting a project removes its subjects, studies, files, tags and rights, and nothing of another project', async () => {
        const { project, subject, study } = await studyFixture('PX', 'SX')
        const keep = await studyFixture('PX', 'SX')
        const u = await repos.users.create({ username: uniq('casc_'), passwordHash: null })
        await repos.rights.grant(u.id, project.id, 'read')
        const fileIds: number[] = []
        for (const path of ['a/1.nii', 'a/2.nii', 'b/3.json']) fileIds.push(await repos.files.upsert(project.id, study.id, path, 1, 'x'))
        const keptFile = await repos.files.upsert(keep.project.id, keep.study.id, 'a/1.nii', 1, 'x')
        await repos.tags.add('file', [...fileIds, keptFile], ['t'])
        await repos.tags.add('subject', [subject.id, keep.subject.id], ['t'])
        await repos.tags.add('study', [study.id, keep.study.id], ['t'])
        expect(await repos.subjects.counts(project.id)).toEqual({ subjects: 1, studies: 1, files: 3 })

        await repos.projects.delete(project.id)

        expect(await repos.projects.byName(project.name)).toBeUndefined()
        for (const table of ['subjects', 'studies', 'files', 'rights'])
          expect(await count(db, `SELECT COUNT(*) AS n FROM ${table} WHERE project_id = ?`, [project.id])).toBe(0)
        const marks = fileIds.map(() => '?').join(',')
        expect(await count(db, `SELECT COUNT(*) AS n FROM file_tags WHERE file_id IN (${marks})`, fileIds)).toBe(0)
        expect(await count(db, 'SELECT COUNT(*) AS n FROM subject_tags WHERE subject_id = ?', [subject.id])).toBe(0)
        expect(await count(db, 'SELECT COUNT(*) AS n FROM study_tags WHERE study_id = ?', [study.id])).toBe(0)
        // The other project is untouched.
        expect(await repos.subjects.counts(keep.project.id)).toEqual({ subjects: 1, studies: 1, files: 1 })
        expect(await repos.tags.of('file', keptFile)).toEqual(['t'])
        expect(await repos.tags.of('subject', keep.subject.id)).toEqual(['t'])
        expect(await repos.tags.of('study', keep.study.id)).toEqual(['t'])
      })

      test('deleting a subject removes its studies and files; deleting a study only its own', async () => {
        const { project, subject, study } = await studyFixture()
        const other = await repos.subjects.ensureStudy(project.id, subject.id, 'S02')
        await repos.files.upsert(project.id, study.id, 'x.nii', 1, 'nifti')
        await repos.files.upsert(project.id, other.id, 'y.nii', 1, 'nifti')
        await repos.subjects.deleteStudy(study.id)
        expect(await repos.subjects.counts(project.id)).toEqual({ subjects: 1, studies: 1, files: 1 })
        await repos.subjects.deleteSubject(subject.id)
        expect(await repos.subjects.counts(project.id)).toEqual({ subjects: 0, studies: 0, files: 0 })
      })
    })

    describe('files.select', () => {
      let project: { id: number }
      const paths = [
        'anat/T1w.nii.gz',
        'anat/T1w.json',
        'anat/T2w.nii.gz',
        'anat/T12.nii.gz',
        'func/run_1.nii.gz',
        'func/runX1.nii.gz',
        'func/run_10.nii.gz',
        'stats/100%.txt',
        'stats/1000.txt',
        'stats/hi!.txt',
        'stats/hiX.txt',
      ]
      beforeAll(async () => {
        const f = await studyFixture('P1', 'S1')
        project = f.project
        for (const p of paths) await repos.files.upsert(f.project.id, f.study.id, p, p.length, 'x')
        const s2 = await repos.subjects.ensureStudy(f.project.id, f.subject.id, 'S2')
        await repos.files.upsert(f.project.id, s2.id, 'anat/T1w.nii.gz', 1, 'nifti')
        const p2 = await repos.subjects.ensureSubject(f.project.id, 'P2')
        const p2s1 = await repos.subjects.ensureStudy(f.project.id, p2.id, 'S1')
        await repos.files.upsert(f.project.id, p2s1.id, 'anat/T1w.nii.gz', 1, 'nifti')
        // The same path in another project must never show up here.
        const other = await studyFixture('P1', 'S1')
        await repos.files.upsert(other.project.id, other.study.id, 'anat/T1w.nii.gz', 1, 'nifti')
      })

      const find = async (pattern: string, extra: Partial<FileQuery> = {}) =>
        (await selectAll(repos, { projectId: project.id, pathLike: filePatternToLike(pattern), ...extra })).rows.map((r) => `${r.patients_id}#${r.studies_id}/${r.path}`)

      test('* matches any run of characters, including across folders', async () => {
        expect(await find('anat/*.nii.gz')).toEqual(['P1#S1/anat/T1w.nii.gz', 'P1#S1/anat/T2w.nii.gz', 'P1#S1/anat/T12.nii.gz', 'P1#S2/anat/T1w.nii.gz', 'P2#S1/anat/T1w.nii.gz'])
        expect((await find('*')).length).toBe(paths.length + 2)
      })

      test('_ matches exactly one character', async () => {
        expect(await find('anat/T_w.nii.gz', { studiesId: 'S1', patientsId: 'P1' })).toEqual(['P1#S1/anat/T1w.nii.gz', 'P1#S1/anat/T2w.nii.gz'])
        expect(await find('func/run_1.nii.gz')).toEqual(['P1#S1/func/run_1.nii.gz', 'P1#S1/func/runX1.nii.gz'])
      })

      test('a literal % and ! match only themselves', async () => {
        expect(await find('stats/100%.txt')).toEqual(['P1#S1/stats/100%.txt'])
        expect(await find('stats/hi!.txt')).toEqual(['P1#S1/stats/hi!.txt'])
      })

      test('escapeLike makes _ literal too', async () => {
        const rows = (await selectAll(repos, { projectId: project.id, pathLike: `${escapeLike('func/run_1')}%` })).rows.map((r) => r.path)
        expect(rows).toEqual(['func/run_1.nii.gz', 'func/run_10.nii.gz'])
      })

      test('patientsId and studiesId narrow the selection', async () => {
        expect(await find('anat/T1w.nii.gz', { patientsId: 'P1' })).toEqual(['P1#S1/anat/T1w.nii.gz', 'P1#S2/anat/T1w.nii.gz'])
        expect(await find('anat/T1w.nii.gz', { studiesId: 'S1' })).toEqual(['P1#S1/anat/T1w.nii.gz', 'P2#S1/anat/T1w.nii.gz'])
        expect(await find('anat/T1w.nii.gz', { patientsId: 'P2', studiesId: 'S2' })).toEqual([])
        expect(await find('nothing/*')).toEqual([])
      })
    })

    describe('hostile strings', () => {
      const hostile = [
        "'; DROP TABLE files; --",
        'back\\slash\\\\double',
        'quote"double',
        "it's",
        '100% sure',
        'under_score',
        'bang!mark',
        '`backtick`',
        'tab\there',
        'ümlaut ñ 脳',
        'brain 🧠 emoji',
        '<script>alert(1)</script>',
      ]

      test('are stored and found back verbatim as paths, ids, descriptions and tags', async () => {
        const project = await repos.projects.create(uniq('hostile_'), hostile.join(' | '))
        expect((await repos.projects.byName(project.name))!.description).toBe(hostile.join(' | '))
        for (const [i, h] of hostile.entries()) {
          const subject = await repos.subjects.ensureSubject(project.id, `${h}#${i}`, { name: h })
          const study = await repos.subjects.ensureStudy(project.id, subject.id, h, { description: h })
          const id = await repos.files.upsert(project.id, study.id, `dir ${h}/${h}.nii`, i, 'nifti')
          await repos.tags.add('file', [id], [h])
          expect(await repos.subjects.subject(project.id, `${h}#${i}`)).toMatchObject({ name: h })
          expect(await repos.subjects.study(subject.id, h)).toMatchObject({ studiesId: h, description: h })
          // Found by exact, escaped LIKE: only this one file.
          const { rows } = await selectAll(repos, { projectId: project.id, pathLike: escapeLike(`dir ${h}/${h}.nii`) })
          expect(rows).toEqual([{ id, path: `dir ${h}/${h}.nii`, size: i, patients_id: `${h}#${i}`, studies_id: h, tags: [h] }])
        }
        const { rows } = await selectAll(repos, { projectId: project.id, pathLike: '%' })
        expect(rows.map((r) => r.path).sort()).toEqual(hostile.map((h) => `dir ${h}/${h}.nii`).sort())
        // The tables the injection string names are still there.
        expect(await count(db, 'SELECT COUNT(*) AS n FROM files WHERE project_id = ?', [project.id])).toBe(hostile.length)
      })

      test('a user named like an injection is just a name', async () => {
        const name = `x' OR '1'='1`
        const u = await repos.users.create({ username: name, passwordHash: null })
        expect((await repos.users.byUsername(name))!.id).toBe(u.id)
        expect(await repos.users.byUsername("nobody' OR '1'='1")).toBeUndefined()
      })

      // On Linux T1.nii and t1.nii are two files on disk; the store must not merge them (MySQL: utf8mb4_bin columns).
      test('paths that differ only in letter case are two files', async () => {
        const { project, study } = await studyFixture()
        const a = await repos.files.upsert(project.id, study.id, 'anat/T1.nii', 1, 'nifti')
        const b = await repos.files.upsert(project.id, study.id, 'anat/t1.nii', 2, 'nifti')
        expect(a).not.toBe(b)
        expect(await repos.files.idOf(study.id, 'anat/T1.nii')).toBe(a)
        expect(await repos.files.idOf(study.id, 'anat/t1.nii')).toBe(b)
      })
    })

    describe('paging', () => {
      test('a selection of more than 5000 files returns every file exactly once, in pages', async () => {
        const { project, study } = await studyFixture()
        const n = 10_001
        await db.transaction(async (tx) => {
          for (let start = 0; start < n; start += 500) {
            const chunk = Array.from({ length: Math.min(500, n - start) }, (_, k) => start + k)
            await tx.run(
              `INSERT INTO files (project_id, study_id, path, size, type, created_at) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, 0)').join(', ')}`,
              chunk.flatMap((i) => [project.id, study.id, `series/f${String(i).padStart(5, '0')}.dcm`, i, 'dicom']),
            )
          }
        })
        const first = (await selectAll(repos, { projectId: project.id, pathLike: 'series/f00000.dcm' })).rows[0]!
        await repos.tags.add('file', [first.id], ['first'])
        const { rows, pages } = await selectAll(repos, { projectId: project.id, pathLike: 'series/%.dcm' })
        expect(pages).toBe(3)
        expect(rows.length).toBe(n)
        expect(new Set(rows.map((r) => r.id)).size).toBe(n)
        const expected = Array.from({ length: n }, (_, i) => `series/f${String(i).padStart(5, '0')}.dcm`)
        expect(rows.map((r) => r.path).sort()).toEqual(expected)
        expect(rows.find((r) => r.id === first.id)!.tags).toEqual(['first'])
        expect(rows.filter((r) => r.tags.length > 0)).toHaveLength(1)
        // A narrower pattern still pages correctly.
        const tens = await selectAll(repos, { projectId: project.id, pathLike: filePatternToLike('series/f*0.dcm') })
        expect(tens.rows.length).toBe(1001)
        expect(new Set(tens.rows.map((r) => r.id)).size).toBe(1001)
      }, 60_000)
    })

    describe('transactions', () => {
      test('an error rolls back every write of the transaction', async () => {
        const name = uniq('tx_')
        await expect(
          db.transaction(async (tx) => {
            const r = createRepos(tx)
            const p = await r.projects.create(name)
            await r.subjects.ensureSubject(p.id, 'P1')
            throw new Error('boom')
          }),
        ).rejects.toThrow('boom')
        expect(await repos.projects.byName(name)).toBeUndefined()
        expect(await count(db, 'SELECT COUNT(*) AS n FROM projects WHERE name = ?', [name])).toBe(0)
      })

      test('a failing statement rolls back the statements before it', async () => {
        const name = uniq('tx_')
        const taken = uniq('taken_')
        await repos.projects.create(taken)
        await expect(
          db.transaction(async (tx) => {
            await tx.run('INSERT INTO projects (name, description, settings, created_at) VALUES (?, ?, ?, ?)', [name, '', '{}', 0])
            await tx.run('INSERT INTO projects (name, description, settings, created_at) VALUES (?, ?, ?, ?)', [taken, '', '{}', 0])
          }),
        ).rejects.toThrow()
        expect(await repos.projects.byName(name)).toBeUndefined()
        // The database is usable afterwards.
        expect(await db.transaction(async (tx) => (await tx.run('INSERT INTO projects (name, description, settings, created_at) VALUES (?, ?, ?, ?)', [name, '', '{}', 0])).changes)).toBe(1)
        expect(await repos.projects.byName(name)).toBeDefined()
      })

      test('a transaction returns its value and commits', async () => {
        const name = uniq('tx_')
        const id = await db.transaction(async (tx) => (await createRepos(tx).projects.create(name)).id)
        expect((await repos.projects.byName(name))!.id).toBe(id)
      })

      test('another caller never sees half a transaction', async () => {
        const prefix = uniq('half_')
        let release!: () => void
        const gate = new Promise<void>((r) => (release = r))
        let inserted!: () => void
        const firstInserted = new Promise<void>((r) => (inserted = r))
        const tx = db.transaction(async (t) => {
          await t.run('INSERT INTO projects (name, description, settings, created_at) VALUES (?, ?, ?, ?)', [`${prefix}a`, '', '{}', 0])
          inserted()
          await gate
          await t.run('INSERT INTO projects (name, description, settings, created_at) VALUES (?, ?, ?, ?)', [`${prefix}b`, '', '{}', 0])
        })
        await firstInserted
        const seen = db.get<{ n: number }>("SELECT COUNT(*) AS n FROM projects WHERE name LIKE ? ESCAPE '!'", [`${escapeLike(prefix)}%`]).then((r) => Number(r?.n))
        // MySQL answers at once (another connection); SQLite waits until the transaction is over. Neither may see 1.
        await Bun.sleep(20)
        release()
        await tx
        expect([0, 2]).toContain(await seen)
        expect(await count(db, "SELECT COUNT(*) AS n FROM projects WHERE name LIKE ? ESCAPE '!'", [`${escapeLike(prefix)}%`])).toBe(2)
      })

      if (dialect === 'sqlite') {
        test('concurrent transactions on SQLite do not interleave', async () => {
          const name = uniq('counter_')
          const p = await repos.projects.create(name, '0')
          const log: string[] = []
          const increment = (who: string) =>
            db.transaction(async (tx) => {
              log.push(`${who}:read`)
              const v = Number((await tx.get<{ d: string }>('SELECT description AS d FROM projects WHERE id = ?', [p.id]))!.d)
              await Bun.sleep(5)
              await tx.run('UPDATE projects SET description = ? WHERE id = ?', [String(v + 1), p.id])
              log.push(`${who}:write`)
            })
          await Promise.all([increment('a'), increment('b'), increment('c')])
          expect((await repos.projects.byName(name))!.description).toBe('3')
          expect(log).toEqual(['a:read', 'a:write', 'b:read', 'b:write', 'c:read', 'c:write'])
        })

        test('a statement waiting behind a transaction never lands in the next one', async () => {
          const prefix = uniq('lane_')
          const insert = (d: Db, suffix: string) =>
            d.run('INSERT INTO projects (name, description, settings, created_at) VALUES (?, ?, ?, ?)', [`${prefix}${suffix}`, '', '{}', 0])
          let release!: () => void
          const gate = new Promise<void>((r) => (release = r))
          const holder = db.transaction(async () => {
            await gate
          })
          // Queued while the holder runs: first a transaction that will fail, then a plain insert.
          const failing = db.transaction(async (tx) => {
            await insert(tx, 'in_failed_tx')
            await Bun.sleep(5)
            throw new Error('rolled back')
          })
          const plain = insert(db, 'plain')
          release()
          await holder
          await expect(failing).rejects.toThrow('rolled back')
          await plain // resolved: the caller was told its row is stored
          expect(await repos.projects.byName(`${prefix}plain`)).toBeDefined()
          expect(await repos.projects.byName(`${prefix}in_failed_tx`)).toBeUndefined()
        })
      }
    })

    describe('runAdminSql', () => {
      let admin: { username: string }
      const sqlitePath = () => (db.dialect === 'sqlite' ? db.label : undefined)
      const ro = (sql: string) => runAdminSql(db, sql, { write: false, isSiteAdmin: true, sqlitePath: sqlitePath() })
      /** Everything the refused statements aim at: must be identical afterwards. */
      const snapshot = async () => ({
        users: await db.all('SELECT id, username, password_hash, is_site_admin FROM users ORDER BY id'),
        projects: await db.all('SELECT id, name, description FROM projects ORDER BY id'),
        files: await count(db, 'SELECT COUNT(*) AS n FROM files'),
      })

      beforeAll(async () => {
        admin = await repos.users.create({ username: uniq('sqladmin_'), passwordHash: 'keep-me', isSiteAdmin: true })
      })

      test('a non-admin is refused, even for SELECT', async () => {
        const before = await snapshot()
        await expect(runAdminSql(db, 'SELECT 1', { write: false, isSiteAdmin: false, sqlitePath: sqlitePath() })).rejects.toThrow(ForbiddenError)
        await expect(runAdminSql(db, `DELETE FROM users`, { write: true, isSiteAdmin: false, sqlitePath: sqlitePath() })).rejects.toThrow(ForbiddenError)
        expect(await snapshot()).toEqual(before)
      })

      test('read-only allows SELECT and WITH ... SELECT', async () => {
        const rows = await ro(`SELECT username, password_hash FROM users WHERE username = '${admin.username}'`)
        expect(rows).toEqual([{ username: admin.username, password_hash: 'keep-me' }])
        const w = await ro(`WITH a AS (SELECT username FROM users WHERE username = '${admin.username}') SELECT COUNT(*) AS n FROM a`)
        expect(Number(w[0]!.n)).toBe(1)
        expect(await ro('select 1 as one;')).toEqual([{ one: 1 }])
      })

      const writes = [
        "INSERT INTO projects (name, description, settings, created_at) VALUES ('sneaky', '', '{}', 0)",
        "UPDATE users SET password_hash = 'pwned'",
        'DELETE FROM users',
        'DROP TABLE users',
        '  delete from files',
        '/* comment */ DELETE FROM users',
        'REPLACE INTO projects (id, name, created_at) VALUES (1, "x", 0)',
        'TRUNCATE TABLE files',
      ]
      for (const sql of writes) {
        test(`read-only refuses: ${sql.trim().slice(0, 40)}`, async () => {
          const before = await snapshot()
          await expect(ro(sql)).rejects.toThrow(ForbiddenError)
          expect(await snapshot()).toEqual(before)
        })
      }

      test('read-only refuses a second statement after a SELECT', async () => {
        const before = await snapshot()
        await expect(ro('SELECT 1; DROP TABLE users')).rejects.toThrow(UsageError)
        await expect(ro('SELECT 1;DELETE FROM users;')).rejects.toThrow(UsageError)
        expect(await snapshot()).toEqual(before)
      })

      // Statements that look like reads to the checker but write (or try to sneak a second statement past it): the
      // database itself must refuse the write. Whether they error or return rows, nothing may change.
      const disguised = [
        'WITH x AS (SELECT 1) DELETE FROM users',
        "SELECT 'a\\'; DELETE FROM users; --'",
        "SELECT 1 -- '\n; DELETE FROM users",
        'EXPLAIN ANALYZE DELETE FROM users',
        "WITH x AS (SELECT 1) UPDATE users SET password_hash = 'pwned'",
      ]
      for (const sql of disguised) {
        test(`read-only leaves the data alone for: ${JSON.stringify(sql)}`, async () => {
          const before = await snapshot()
          await ro(sql).catch(() => {})
          expect(await snapshot()).toEqual(before)
          expect(await count(db, 'SELECT COUNT(*) AS n FROM users')).toBeGreaterThan(0)
        })
      }

      if (dialect === 'mysql') {
        test('read-only: a SELECT calling a function that writes is stopped by the READ ONLY transaction', async () => {
          const fn = uniq('nora_evil_')
          await db.run(`CREATE FUNCTION ${fn}() RETURNS INT MODIFIES SQL DATA BEGIN UPDATE users SET password_hash = 'pwned'; RETURN 1; END`)
          try {
            const before = await snapshot()
            await expect(ro(`SELECT ${fn}() AS x`)).rejects.toThrow(/READ ONLY/i)
            expect(await snapshot()).toEqual(before)
            // The connection goes back to the pool usable for writes.
            const name = uniq('after_ro_')
            for (let i = 0; i < 6; i++) await repos.projects.create(`${name}_${i}`)
            expect((await repos.projects.list()).filter((p) => p.name.startsWith(name))).toHaveLength(6)
          } finally {
            await db.run(`DROP FUNCTION ${fn}`)
          }
        })
      }

      if (dialect === 'sqlite') {
        test('read-only refuses a PRAGMA that sets a value', async () => {
          const version = await db.get<{ user_version: number }>('PRAGMA user_version')
          await expect(ro('PRAGMA user_version = 77')).rejects.toThrow(ForbiddenError)
          expect(await db.get('PRAGMA user_version')).toEqual(version)
          expect(await ro('PRAGMA user_version')).toEqual([version as Record<string, unknown>])
        })
      }

      test('an empty statement is a usage error', async () => {
        await expect(ro('   ')).rejects.toThrow(UsageError)
        await expect(ro(';')).rejects.toThrow(UsageError)
      })

      test('with write, changes are made and reported', async () => {
        const name = uniq('sqlw_')
        const opts = { write: true, isSiteAdmin: true, sqlitePath: sqlitePath() }
        const r = await runAdminSql(db, `INSERT INTO projects (name, description, settings, created_at) VALUES ('${name}', 'via sql', '{}', 0)`, opts)
        expect(r[0]).toMatchObject({ changes: 1 })
        expect((await repos.projects.byName(name))!.description).toBe('via sql')
        expect((await runAdminSql(db, `UPDATE projects SET description = 'changed' WHERE name = '${name}'`, opts))[0]).toMatchObject({ changes: 1 })
        expect(await runAdminSql(db, `SELECT description FROM projects WHERE name = '${name}'`, opts)).toEqual([{ description: 'changed' }])
        expect((await runAdminSql(db, `DELETE FROM projects WHERE name = '${name}'`, opts))[0]).toMatchObject({ changes: 1 })
        expect(await repos.projects.byName(name)).toBeUndefined()
      })

      test('with write, a second statement is still refused', async () => {
        const before = await snapshot()
        await expect(runAdminSql(db, 'SELECT 1; DELETE FROM users', { write: true, isSiteAdmin: true, sqlitePath: sqlitePath() })).rejects.toThrow(UsageError)
        expect(await snapshot()).toEqual(before)
      })
    })
  })
}
