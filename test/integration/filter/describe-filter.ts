import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Services } from '../../../src/app'
import { httpDeps } from '../../../src/app'
import type { FilterBars } from '../../../src/archive/filter/compile-filter'
import { StudiesService } from '../../../src/archive/filter/studies-service'
import { queryStudies, type StudyQueryOptions } from '../../../src/archive/filter/study-query'
import { filterCommand } from '../../../src/cli/commands/filter'
import type { ParsedArgs } from '../../../src/cli/args'
import type { Out } from '../../../src/cli/context'
import { ForbiddenError, UsageError } from '../../../src/core/errors'
import type { User } from '../../../src/core/types'
import { createApp } from '../../../src/http/create-app'
import { startApp, ORIGIN, type Dialect, type Harness } from '../http/harness'

/**
 * One fixture project, the same on every dialect:
 *
 *   P001 Adams^Anna   S01 20240101 "Brain MR"  t1_trio_3/s001.nii, t1_trio_3/s001.json   STAG control      job done
 *                     S02 20240201 "Brain CT"  ct_head/s001.nii.gz (FTAG good)            STAG patient      job running
 *   P002 Baker^Bob    S01 20230505 "MPR study" MPR_t1_sag/s123.nii                         STAG control      PTAG pilot; subject job queued
 *   P003 Carter^Cid   S01 20220101 "Knee 50% protocol" t1_trio_3/x001.nii, odd!dir/50%_file.nii  STAG controlled  job error
 *                     S02 20220202 "Knee follow-up"    t1_trio_3/s002.nii                  STAG patient
 *   P004 O'Brien^Dan  S01 20210101 "back\slash desc"  t1_tri/s0.nii
 *                     S02 20210202 "underscore"       t1-trio/s07.nii
 *   P005 adams^zoe    S01 20200101 ""          T1_TRIO_9/S009.NII                           STAG CONTROL
 *   P006 Brown^Ben    (no studies)                                                         PTAG pilot
 *
 * and a second project holding look-alikes that must never show up.
 */
const FIXTURE = [
  {
    pid: 'P001', name: 'Adams^Anna', birth: '19700101', sex: 'F', studies: [
      { sid: 'S01', date: '20240101', desc: 'Brain MR', mod: 'MR', files: ['t1_trio_3/s001.nii', 't1_trio_3/s001.json'], tags: ['control'], job: 'done' },
      { sid: 'S02', date: '20240201', desc: 'Brain CT', mod: 'CT', files: ['ct_head/s001.nii.gz'], ftags: ['good'], tags: ['patient'], job: 'running' },
    ],
  },
  {
    pid: 'P002', name: 'Baker^Bob', birth: '19800202', sex: 'M', ptags: ['pilot'], subjectJob: 'queued', studies: [
      { sid: 'S01', date: '20230505', desc: 'MPR study', mod: 'MR', files: ['MPR_t1_sag/s123.nii'], tags: ['control'] },
    ],
  },
  {
    pid: 'P003', name: 'Carter^Cid', birth: '19900303', sex: 'M', studies: [
      { sid: 'S01', date: '20220101', desc: 'Knee 50% protocol', mod: 'MR', files: ['t1_trio_3/x001.nii', 'odd!dir/50%_file.nii'], tags: ['controlled'], job: 'error' },
      { sid: 'S02', date: '20220202', desc: 'Knee follow-up', mod: 'MR', files: ['t1_trio_3/s002.nii'], tags: ['patient'] },
    ],
  },
  {
    pid: 'P004', name: "O'Brien^Dan", birth: '20000404', sex: 'M', studies: [
      { sid: 'S01', date: '20210101', desc: 'back\\slash desc', mod: 'MR', files: ['t1_tri/s0.nii'] },
      { sid: 'S02', date: '20210202', desc: 'underscore', mod: 'MR', files: ['t1-trio/s07.nii'] },
    ],
  },
  {
    pid: 'P005', name: 'adams^zoe', birth: '20100505', sex: 'F', studies: [
      { sid: 'S01', date: '20200101', desc: '', mod: 'MR', files: ['T1_TRIO_9/S009.NII'], tags: ['CONTROL'] },
    ],
  },
  { pid: 'P006', name: 'Brown^Ben', birth: '19600606', sex: 'M', ptags: ['pilot'], studies: [] },
] as const satisfies readonly {
  pid: string
  name: string
  birth: string
  sex: string
  ptags?: readonly string[]
  subjectJob?: string
  studies: readonly { sid: string; date: string; desc: string; mod: string; files: readonly string[]; tags?: readonly string[]; ftags?: readonly string[]; job?: string }[]
}[]

const ALL_STUDIES = ['P001#S01', 'P001#S02', 'P002#S01', 'P003#S01', 'P003#S02', 'P004#S01', 'P004#S02', 'P005#S01']

async function load(s: Services, projectName: string, subjects: typeof FIXTURE | readonly (typeof FIXTURE)[number][]) {
  const { repos, db } = s
  const project = await repos.projects.create(projectName)
  for (const sub of subjects) {
    const subject = await repos.subjects.ensureSubject(project.id, sub.pid, { name: sub.name, birthDate: sub.birth, sex: sub.sex })
    if ('ptags' in sub) await repos.tags.add('subject', [subject.id], [...sub.ptags])
    if ('subjectJob' in sub)
      await db.run('INSERT INTO commands (project_id, subject_id, study_id, job, state, created_at) VALUES (?, ?, NULL, ?, ?, ?)', [project.id, subject.id, '{}', sub.subjectJob, 0])
    for (const st of sub.studies) {
      const study = await repos.subjects.ensureStudy(project.id, subject.id, st.sid, { studyDate: st.date, description: st.desc, modality: st.mod })
      for (const path of st.files) {
        const fileId = await repos.files.upsert(project.id, study.id, path, 1, 'nifti')
        if ('ftags' in st) await repos.tags.add('file', [fileId], [...st.ftags])
      }
      if ('tags' in st) await repos.tags.add('study', [study.id], [...st.tags])
      if ('job' in st)
        await db.run('INSERT INTO commands (project_id, subject_id, study_id, job, state, created_at) VALUES (?, ?, ?, ?, ?, ?)', [project.id, subject.id, study.id, '{}', st.job, 0])
    }
  }
  return project
}

export function describeFilter(dialect: Dialect) {
  describe(`filter bars on ${dialect}`, () => {
    let h: Harness
    let projectId: number
    let reader: User
    let outsider: User

    beforeAll(async () => {
      h = await startApp(dialect)
      projectId = (await load(h.services, 'filterproj', FIXTURE)).id
      // Look-alikes in another project: same ids, same files, same tags, same jobs.
      await load(h.services, 'otherproj', [FIXTURE[0], FIXTURE[2]])
      reader = await h.user('reader', 'pw-reader-1')
      outsider = await h.user('outsider', 'pw-outsider-1')
      await h.services.users.grant('reader', 'filterproj', 'read')
    })

    afterAll(async () => {
      await h?.close()
    })

    const ids = async (bars: FilterBars, o: StudyQueryOptions = {}) =>
      (await queryStudies(h.services.db, projectId, bars, { limit: 1000, ...o })).rows.map((r) => (r.studies_id === null ? r.patients_id : `${r.patients_id}#${r.studies_id}`))
    const sorted = async (bars: FilterBars, o: StudyQueryOptions = {}) => (await ids(bars, o)).sort()

    describe('the seed examples (file bar)', () => {
      test('t1_trio*/s0*.nii: studies with a T1 from a trio (_ is one character: t1-trio matches too)', async () => {
        expect(await sorted({ file: 't1_trio*/s0*.nii' })).toEqual(['P001#S01', 'P003#S02', 'P004#S02', 'P005#S01'])
      })

      test('t1_trio*/s0*.nii MPR_t1*/s*.nii: either naming convention', async () => {
        expect(await sorted({ file: 't1_trio*/s0*.nii MPR_t1*/s*.nii' })).toEqual(['P001#S01', 'P002#S01', 'P003#S02', 'P004#S02', 'P005#S01'])
      })

      test('t1_tri*/s0*.nii & STAG:control: and the study tag', async () => {
        expect(await sorted({ file: 't1_tri*/s0*.nii' })).toEqual(['P001#S01', 'P003#S02', 'P004#S01', 'P004#S02', 'P005#S01'])
        expect(await sorted({ file: 't1_tri*/s0*.nii & STAG:control' })).toEqual(['P001#S01', 'P005#S01'])
      })

      test('STAG:control: the tag, with the implicit trailing wildcard and ignoring case', async () => {
        expect(await sorted({ file: 'STAG:control' })).toEqual(['P001#S01', 'P002#S01', 'P003#S01', 'P005#S01'])
        expect(await sorted({ file: 'STAG:control*d' })).toEqual(['P003#S01'])
      })

      test('JOB:e: the study with an errornous job; at subject level, its subject', async () => {
        expect(await sorted({ file: 'JOB:e' })).toEqual(['P003#S01'])
        expect(await sorted({ file: 'JOB:e' }, { level: 'subject' })).toEqual(['P003'])
      })

      test('name bar "A B": names starting with A or B, any case', async () => {
        expect(await sorted({ name: 'A B' })).toEqual(['P001#S01', 'P001#S02', 'P002#S01', 'P005#S01'])
        expect(await sorted({ name: 'A B' }, { level: 'subject' })).toEqual(['P001', 'P002', 'P005', 'P006'])
      })
    })

    describe('the language against the database', () => {
      test('precedence: a b & c = a OR (b AND c)', async () => {
        expect(await sorted({ name: 'Carter Adams & STAG:patient' })).toEqual(['P001#S02', 'P003#S01', 'P003#S02'])
        expect(await sorted({ name: 'Carter & STAG:patient Adams' })).toEqual(['P001#S01', 'P001#S02', 'P003#S02', 'P005#S01'])
      })

      test('file terms without / match the start of the folder or of the file name', async () => {
        expect(await sorted({ file: 's00' })).toEqual(['P001#S01', 'P001#S02', 'P003#S02', 'P005#S01'])
        expect(await sorted({ file: 't1_trio' })).toEqual(['P001#S01', 'P003#S01', 'P003#S02', 'P004#S02', 'P005#S01'])
        expect(await sorted({ file: 'rio' })).toEqual([])
        expect(await sorted({ file: '*rio_3' })).toEqual(['P001#S01', 'P003#S01', 'P003#S02'])
        expect(await sorted({ file: '*.json' })).toEqual(['P001#S01'])
      })

      test('_ is exactly one character', async () => {
        expect(await sorted({ file: 't1_tri/' })).toEqual(['P004#S01'])
        expect(await sorted({ file: 't1_tri_/s0_.nii' })).toEqual(['P004#S02'])
        expect(await sorted({ patients_id: 'P00_' })).toEqual(ALL_STUDIES)
      })

      test('quotes group a value with spaces', async () => {
        expect(await sorted({ description: '"Knee 50"' })).toEqual(['P003#S01'])
        expect(await sorted({ description: 'Knee 50' })).toEqual(['P003#S01', 'P003#S02'])
        expect(await sorted({ file: 'SDESC:"brain c"' })).toEqual(['P001#S02'])
      })

      test('PTAG, FTAG, SDESC', async () => {
        expect(await sorted({ file: 'PTAG:pilot' })).toEqual(['P002#S01'])
        expect(await sorted({ file: 'PTAG:pilot' }, { level: 'subject' })).toEqual(['P002', 'P006'])
        expect(await sorted({ file: 'FTAG:good' })).toEqual(['P001#S02'])
        expect(await sorted({ file: 'FTAG:goo & SDESC:BRAIN' })).toEqual(['P001#S02'])
        expect(await sorted({ q: 'SDESC:brain' })).toEqual(['P001#S01', 'P001#S02'])
      })

      test('JOB: a subject job counts for all its studies; q, r and any', async () => {
        expect(await sorted({ file: 'JOB:q' })).toEqual(['P002#S01'])
        expect(await sorted({ file: 'JOB:r' })).toEqual(['P001#S02'])
        expect(await sorted({ file: 'JOB:' })).toEqual(['P001#S01', 'P001#S02', 'P002#S01', 'P003#S01'])
        expect(await sorted({ file: 'JOB:q JOB:r JOB:e' }, { level: 'subject' })).toEqual(['P001', 'P002', 'P003'])
      })

      test('column bars: dates, modality, ids; the q bar', async () => {
        expect(await sorted({ study_date: '2024' })).toEqual(['P001#S01', 'P001#S02'])
        expect(await sorted({ birth_date: '19' })).toEqual(['P001#S01', 'P001#S02', 'P002#S01', 'P003#S01', 'P003#S02'])
        expect(await sorted({ modality: 'ct' })).toEqual(['P001#S02'])
        expect(await sorted({ studies_id: 'S02' })).toEqual(['P001#S02', 'P003#S02', 'P004#S02'])
        expect(await sorted({ q: 'carter underscore' })).toEqual(['P003#S01', 'P003#S02', 'P004#S02'])
      })

      test('several bars are ANDed', async () => {
        expect(await sorted({ name: 'A B', file: 't1*' })).toEqual(['P001#S01', 'P005#S01'])
        expect(await sorted({ name: 'A B', file: 't1*', modality: 'CT' })).toEqual([])
      })

      test('empty bars select everything of the project, never the other project', async () => {
        expect(await sorted({})).toEqual(ALL_STUDIES)
        expect(await sorted({ name: '', file: '  &  ' })).toEqual(ALL_STUDIES)
        expect((await queryStudies(h.services.db, projectId, {})).total).toBe(8)
        expect(await sorted({}, { level: 'subject' })).toEqual(['P001', 'P002', 'P003', 'P004', 'P005', 'P006'])
      })
    })

    describe('quoting of user input', () => {
      test("a quote in a name matches literally", async () => {
        expect(await sorted({ name: "O'B" })).toEqual(['P004#S01', 'P004#S02'])
        expect(await sorted({ name: "o'brien^dan" })).toEqual(['P004#S01', 'P004#S02'])
      })

      test('% and ! match only themselves', async () => {
        expect(await sorted({ description: '"Knee 50%"' })).toEqual(['P003#S01'])
        expect(await sorted({ description: '%' })).toEqual([])
        expect(await sorted({ file: 'odd!dir/50%' })).toEqual(['P003#S01'])
        expect(await sorted({ file: '50%_' })).toEqual(['P003#S01'])
        expect(await sorted({ file: '%' })).toEqual([])
        expect(await sorted({ file: '!' })).toEqual([])
        expect(await sorted({ file: 'odd!' })).toEqual(['P003#S01'])
      })

      test('a backslash matches itself (not an escape, on MySQL either)', async () => {
        expect(await sorted({ description: 'back\\slash' })).toEqual(['P004#S01'])
        expect(await sorted({ description: 'back\\' })).toEqual(['P004#S01'])
        expect(await sorted({ description: 'back\\\\' })).toEqual([])
        expect(await sorted({ description: 'back_slash' })).toEqual(['P004#S01'])
        expect(await sorted({ description: 'back%' })).toEqual([])
      })

      test('paths and tags ignore case on both dialects', async () => {
        expect(await sorted({ file: 't1_trio_9/s009.nii' })).toEqual(['P005#S01'])
        expect(await sorted({ file: 'STAG:Control & T1_TRIO_9' })).toEqual(['P005#S01'])
      })
    })

    describe('hostile input', () => {
      const hostile = [
        "'; DROP TABLE studies; --",
        "' OR '1'='1",
        "\\'; DELETE FROM files; --",
        '" OR 1=1 --',
        "STAG:' OR 1=1 --",
        'PTAG:") OR ("1"="1',
        '"unbalanced',
        '-- comment',
        '%%%',
      ]
      for (const input of hostile)
        test(`${JSON.stringify(input)} matches nothing and changes nothing, in every bar`, async () => {
          for (const bar of ['q', 'patients_id', 'name', 'birth_date', 'studies_id', 'study_date', 'description', 'modality', 'file'] as const)
            expect(await ids({ [bar]: input })).toEqual([])
          expect(await sorted({})).toEqual(ALL_STUDIES)
          expect(Number((await h.services.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM files'))!.n)).toBe(16)
        })

      test('very long input: at the limit it runs, beyond it is a usage error', async () => {
        expect(await ids({ name: 'x'.repeat(4000) })).toEqual([])
        expect(await ids({ file: Array.from({ length: 100 }, (_, i) => `t${i}'`).join(' & ') })).toEqual([])
        expect(await sorted({ name: Array.from({ length: 99 }, (_, i) => `z${i}`).join(' ') + ' Carter' })).toEqual(['P003#S01', 'P003#S02'])
        await expect(queryStudies(h.services.db, projectId, { name: 'x'.repeat(4001) })).rejects.toThrow(UsageError)
      })
    })

    describe('rows, sorting and paging', () => {
      test('a row has the subject and study columns and their tags', async () => {
        const { rows } = await queryStudies(h.services.db, projectId, { patients_id: 'P001', studies_id: 'S01' })
        expect(rows).toEqual([
          {
            patients_id: 'P001', name: 'Adams^Anna', birth_date: '19700101', sex: 'F',
            studies_id: 'S01', study_date: '20240101', description: 'Brain MR', modality: 'MR',
            tags: ['control'], subject_tags: [], studies: 1,
          },
        ])
        const sub = await queryStudies(h.services.db, projectId, { name: 'Baker' }, { level: 'subject' })
        expect(sub.rows).toEqual([
          { patients_id: 'P002', name: 'Baker^Bob', birth_date: '19800202', sex: 'M', studies_id: null, study_date: null, description: null, modality: null, tags: ['pilot'], subject_tags: ['pilot'], studies: 1 },
        ])
      })

      test('subject level counts the matching studies', async () => {
        const { rows } = await queryStudies(h.services.db, projectId, { file: 't1_trio' }, { level: 'subject' })
        expect(rows.map((r) => [r.patients_id, r.studies])).toEqual([['P001', 1], ['P003', 2], ['P004', 1], ['P005', 1]])
        const all = await queryStudies(h.services.db, projectId, {}, { level: 'subject' })
        expect(all.rows.find((r) => r.patients_id === 'P006')!.studies).toBe(0)
      })

      test('sort by any column, either direction (case-insensitive), ties by ids', async () => {
        expect(await ids({}, { sort: 'study_date', dir: 'desc' })).toEqual(['P001#S02', 'P001#S01', 'P002#S01', 'P003#S02', 'P003#S01', 'P004#S02', 'P004#S01', 'P005#S01'])
        expect(await ids({}, { sort: 'name' })).toEqual(['P001#S01', 'P001#S02', 'P005#S01', 'P002#S01', 'P003#S01', 'P003#S02', 'P004#S01', 'P004#S02'])
        expect(await ids({}, { sort: 'modality', dir: 'desc' })).toEqual(['P005#S01', 'P004#S02', 'P004#S01', 'P003#S02', 'P003#S01', 'P002#S01', 'P001#S01', 'P001#S02'])
        expect(await ids({}, { sort: 'birth_date', dir: 'desc', level: 'subject' })).toEqual(['P005', 'P004', 'P003', 'P002', 'P001', 'P006'])
        expect(await ids({ file: 's' }, { sort: 'study_date', level: 'subject' })).toEqual(['P005', 'P004', 'P003', 'P002', 'P001'])
      })

      test('paging: limit and offset, with the total of all matches', async () => {
        const page = await queryStudies(h.services.db, projectId, {}, { sort: 'patients_id', limit: 3, offset: 3 })
        expect(page.rows.map((r) => `${r.patients_id}#${r.studies_id}`)).toEqual(['P003#S01', 'P003#S02', 'P004#S01'])
        expect(page.total).toBe(8)
        expect((await queryStudies(h.services.db, projectId, {}, { limit: 3, offset: 9 })).rows).toEqual([])
        expect((await queryStudies(h.services.db, projectId, { name: 'A B' }, { level: 'subject', limit: 1 })).total).toBe(4)
      })

      test('options outside the whitelist are usage errors', async () => {
        const bad: StudyQueryOptions[] = [
          { sort: 'id; DROP TABLE studies' as never },
          { dir: 'up' as never },
          { level: 'file' as never },
          { limit: 0 },
          { limit: 1001 },
          { limit: 1.5 },
          { offset: -1 },
        ]
        for (const o of bad) await expect(queryStudies(h.services.db, projectId, {}, o)).rejects.toThrow(UsageError)
      })
    })

    describe('service, HTTP and CLI', () => {
      const service = () => new StudiesService(h.services.db, h.services.archive)

      test('the service checks the read right', async () => {
        expect((await service().list(reader, 'filterproj', { file: 'JOB:e' })).rows.map((r) => r.studies_id)).toEqual(['S01'])
        await expect(service().list(outsider, 'filterproj', {})).rejects.toThrow(ForbiddenError)
        const pages = []
        for await (const rows of service().all(reader, 'filterproj', {})) pages.push(rows.length)
        expect(pages).toEqual([8])
      })

      const app = () => {
        const deps = { ...httpDeps(h.services), studies: service() }
        return createApp(deps)
      }
      const get = async (path: string, token?: string) => {
        const res = await app().handle(new Request(new URL(path, ORIGIN), token ? { headers: { authorization: `Bearer ${token}` } } : {}))
        return { status: res.status, body: (await res.json()) as Record<string, unknown> }
      }

      test('GET /api/projects/:project/studies with bars, sort and paging', async () => {
        const token = await h.services.auth.createToken(reader, 'test')
        const q = new URLSearchParams({ name: 'A B', file: 't1_trio*/s0*.nii', sort: 'study_date', dir: 'desc' })
        const r = await get(`/api/projects/filterproj/studies?${q}`, token)
        expect(r.status).toBe(200)
        expect(r.body.total).toBe(2)
        expect((r.body.rows as { patients_id: string }[]).map((x) => x.patients_id)).toEqual(['P001', 'P005'])
        const paged = await get(`/api/projects/filterproj/studies?limit=2&offset=2&level=subject`, token)
        expect(paged.body).toMatchObject({ total: 6, limit: 2, offset: 2 })
        expect((paged.body.rows as { patients_id: string }[]).map((x) => x.patients_id)).toEqual(['P003', 'P004'])
      })

      test('HTTP: no caller 401, no right 403, bad input 400', async () => {
        expect((await get('/api/projects/filterproj/studies')).status).toBe(401)
        const outsiderToken = await h.services.auth.createToken(outsider, 'test')
        expect((await get('/api/projects/filterproj/studies', outsiderToken)).status).toBe(403)
        const token = await h.services.auth.createToken(reader, 'test2')
        expect((await get('/api/projects/filterproj/studies?sort=password', token)).status).toBe(400)
        expect((await get('/api/projects/filterproj/studies?limit=5000', token)).status).toBe(400)
        expect((await get(`/api/projects/filterproj/studies?file=${encodeURIComponent('JOB:zz')}`, token)).status).toBe(400)
        const hostile = await get(`/api/projects/filterproj/studies?name=${encodeURIComponent("'; DROP TABLE studies; --")}`, token)
        expect(hostile).toEqual({ status: 200, body: { rows: [], total: 0, limit: 100, offset: 0 } })
      })

      const run = async (options: [string, string[]][]) => {
        const lines: string[] = []
        const io: Out = { out: async (l) => void lines.push(l), err: async (l) => void lines.push(`ERR ${l}`), tty: false }
        const args: ParsedArgs = { positional: [], options: new Map(options) }
        const code = await filterCommand(h.services, args, io)
        return { code, lines }
      }

      test('nora -p P --filter prints patients_id#studies_id a line, or JSON', async () => {
        const plain = await run([['project', ['filterproj']], ['filter', ['t1_tri*/s0*.nii & STAG:control']], ['user', ['reader']]])
        expect(plain).toEqual({ code: 0, lines: ['P001#S01', 'P005#S01'] })
        const json = await run([['project', ['filterproj']], ['filter', ['JOB:e']], ['json', []], ['user', ['reader']]])
        expect(JSON.parse(json.lines.join('\n'))).toMatchObject([{ patients_id: 'P003', studies_id: 'S01', tags: ['controlled'] }])
        const none = await run([['project', ['filterproj']], ['filter', ['nothing_here']], ['json', []], ['user', ['reader']]])
        expect(JSON.parse(none.lines.join('\n'))).toEqual([])
        await expect(run([['project', ['filterproj']], ['filter', ['x']], ['user', ['outsider']]])).rejects.toThrow(ForbiddenError)
        await expect(run([['project', ['filterproj']], ['user', ['reader']]])).rejects.toThrow(UsageError)
      })
    })
  })
}
