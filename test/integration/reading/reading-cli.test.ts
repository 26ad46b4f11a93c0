// `nora -p P --reading ID --csv` with the built ./nora (SQLite and MariaDB): results posted through the reading
// service by two readers come out one row per reader × case × repetition, checked cell by cell against what was
// posted (the expected rows are built here, not by the CSV code); a reader gets only their own rows; a stranger is
// refused; a bad id is a usage error.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { openServices, readingServiceOf, type Services } from '../../../src/app'
import { loadConfig } from '../../../src/config/load-config'
import { ensureBinary } from '../../helpers/nora-binary'
import { cliHome, DIALECTS, type CliHome } from '../cli/cli-harness'
import { parseCsv, readingConfig } from './describe-reading-api'

for (const dialect of DIALECTS)
  describe(`nora --reading ID --csv (${dialect})`, () => {
    let h: CliHome
    let readingId = 0
    const posted: { user: string; mode: string; caseKey: string; repetition: number; values: Record<string, unknown>; seconds: number; startedAt: number }[] = []

    beforeAll(async () => {
      await ensureBinary()
      h = await cliHome(dialect)
      const s: Services = await openServices(loadConfig(h.home, {}))
      try {
        const root = await s.repos.users.create({ username: 'root-admin', passwordHash: null, isSiteAdmin: true })
        const project = await s.archive.createProject(root, 'rd')
        for (const [pid, tag] of [['P1', 'Training'], ['P2', undefined], ['P3', undefined]] as const) {
          const subject = await s.repos.subjects.ensureSubject(project.id, pid)
          const study = await s.repos.subjects.ensureStudy(project.id, subject.id, 'S1')
          if (tag) await s.repos.tags.add('study', [study.id], [tag])
        }
        const users: Record<string, Awaited<ReturnType<typeof s.repos.users.create>>> = {}
        for (const [name, role] of [['ann', 'admin'], ['bob', 'read'], ['cat', 'read'], ['dan', 'read']] as const) {
          users[name] = await s.repos.users.create({ username: name, passwordHash: null })
          await s.repos.rights.grant(users[name]!.id, project.id, role)
        }
        const readings = readingServiceOf(s)
        readingId = (await readings.create(users.ann!, 'rd', readingConfig())).id
        for (const who of ['bob', 'cat'] as const) {
          for (const mode of ['serious', 'training'] as const) {
            const session = await readings.startSession(users[who]!, 'rd', readingId, mode)
            for (const c of session.cases.slice(0, who === 'bob' ? 4 : 2)) {
              const values = { side: who === 'bob' ? 'right' : 'both', calc: c.repetition === 2, size: c.index + 0.5, comments: `${who}, "case" ${c.index}` }
              const startedAt = Date.now() - 4000
              await readings.submit(users[who]!, 'rd', readingId, { sessionId: session.sessionId, caseKey: c.caseKey, repetition: c.repetition, stage: c.stage, mode, values, activeSeconds: 2.5, startedAt })
              posted.push({ user: who, mode, caseKey: c.caseKey, repetition: c.repetition, values, seconds: 2.5, startedAt })
            }
          }
        }
      } finally {
        await s.close()
      }
    }, 900_000)

    afterAll(async () => {
      await h?.close()
    })

    const expected = (rows: typeof posted) =>
      rows.map((p) => [p.user, p.mode, p.caseKey, p.caseKey.split('#')[0], 'S1', p.caseKey.replace('#', '/'), String(p.repetition), '1', new Date(p.startedAt).toISOString(), String(p.seconds), p.values.side, String(p.values.calc), String(p.values.size), p.values.comments, ''].join('|')).sort()
    const actual = (csv: string) => {
      const rows = parseCsv(csv.replace(/\n$/, '\r\n'))
      const header = rows[0]!
      expect(header).toEqual(['reader', 'mode', 'case', 'patients_id', 'studies_id', 'study_path', 'repetition', 'stage', 'started_at', 'submitted_at', 'seconds', 'side', 'calc', 'size', 'comments', 'stones', 'annotations'])
      for (const r of rows.slice(1)) expect(Date.parse(r[header.indexOf('submitted_at')]!)).toBeGreaterThan(Date.parse(r[header.indexOf('started_at')]!))
      return rows.slice(1).map((r) => [...r.slice(0, 9), ...r.slice(10, 16)].join('|')).sort()
    }

    test('a reading admin gets every row; each cell is what was posted', async () => {
      const r = await h.nora(['-p', 'rd', '--reading', String(readingId), '--csv', '--user', 'ann'])
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
      expect(posted.length).toBe(10) // bob: 4 serious + 2 training (1 case × 2 repetitions); cat: 2 + 2
      expect(actual(r.stdout)).toEqual(expected(posted))
    }, 60_000)

    test('a reader gets their own rows only; a non-reader is refused; a bad id is a usage error', async () => {
      const bob = await h.nora(['-p', 'rd', '--reading', String(readingId), '--csv', '--user', 'bob'])
      expect(bob.code).toBe(0)
      expect(actual(bob.stdout)).toEqual(expected(posted.filter((p) => p.user === 'bob')))
      const dan = await h.nora(['-p', 'rd', '--reading', String(readingId), '--csv', '--user', 'dan'])
      expect(dan.code).not.toBe(0)
      expect(dan.stderr).toContain('no reader')
      const bad = await h.nora(['-p', 'rd', '--reading', 'x1', '--csv', '--user', 'ann'])
      expect(bad.code).not.toBe(0)
      expect(bad.stderr).toContain('--reading')
      const json = await h.nora(['-p', 'rd', '--reading', String(readingId), '--json', '--user', 'cat'])
      expect(json.code).toBe(0)
      expect((JSON.parse(json.stdout) as { user: string }[]).map((x) => x.user)).toEqual(posted.filter((p) => p.user === 'cat').map(() => 'cat'))
    }, 60_000)
  })
