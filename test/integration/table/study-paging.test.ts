import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { queryStudies, type SortColumn } from '../../../src/archive/filter/study-query'
import { startApp, type Dialect, type Harness } from '../http/harness'

/**
 * The table's fast paths (an unfiltered page sorted by a subject column walks the first subjects only; a filtered
 * page carries a window count) must give exactly the rows and totals of the plain definition: every study, ordered
 * by lower(key), key, patients_id, studies_id, paged by limit/offset. The expected order is computed here in JS
 * (names that differ only in letter case tie differently by dialect: MySQL's name column compares case-blind).
 */
const SUBJECTS = [
  { pid: 'b02', name: 'Zed', birth: '1990', sex: 'M', studies: ['S2', 'S1', 's3'] },
  { pid: 'A01', name: 'zoe', birth: '1980', sex: 'F', studies: ['S1'] },
  { pid: 'a03', name: 'Adam', birth: '1980', sex: 'M', studies: [] },
  { pid: 'C04', name: 'adams', birth: '2000', sex: 'F', studies: ['S9', 'S10'] },
  { pid: 'c05', name: 'Eve', birth: '1970', sex: 'O', studies: ['X'] },
  { pid: 'D06', name: '', birth: '', sex: '', studies: [] },
  { pid: 'd07', name: 'Bob', birth: '1990', sex: 'M', studies: ['S1', 'S2'] },
]

function paging(dialect: Dialect) {
  describe(`table paging fast paths (${dialect})`, () => {
    let h: Harness
    let projectId: number
    beforeAll(async () => {
      h = await startApp(dialect)
      const { repos } = h.services
      projectId = (await repos.projects.create('lab')).id
      // Another project's data must never show.
      const other = (await repos.projects.create('other')).id
      for (const x of SUBJECTS) {
        const p = await repos.subjects.ensureSubject(projectId, x.pid, { name: x.name, birthDate: x.birth, sex: x.sex })
        for (const sid of x.studies) await repos.subjects.ensureStudy(projectId, p.id, sid, { description: `${x.pid} ${sid}` })
        const q = await repos.subjects.ensureSubject(other, x.pid, { name: x.name })
        await repos.subjects.ensureStudy(other, q.id, 'OTHER')
      }
    }, 60_000)
    afterAll(async () => {
      await h?.close()
    })

    const expected = (sort: 'patients_id' | 'name' | 'birth_date' | 'sex', dir: 'asc' | 'desc') => {
      const rows = SUBJECTS.flatMap((x) => x.studies.map((sid) => ({ ...x, sid, key: { patients_id: x.pid, name: x.name, birth_date: x.birth, sex: x.sex }[sort] })))
      const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
      rows.sort((a, b) => cmp(a.key.toLowerCase(), b.key.toLowerCase()) || cmp(a.key, b.key) || cmp(a.pid, b.pid) || cmp(a.sid, b.sid))
      if (dir === 'desc') rows.reverse()
      return rows.map((r) => `${r.pid}#${r.sid}`)
    }

    for (const sort of ['patients_id', 'name', 'birth_date', 'sex'] as const)
      for (const dir of ['asc', 'desc'] as const)
        test(`sorted by ${sort} ${dir}: every page of 2 (and past the end), unfiltered and filtered, is the defined order`, async () => {
          const want = expected(sort, dir)
          for (const bars of [{}, { patients_id: '*' }]) {
            const got: string[] = []
            for (let offset = 0; offset < want.length + 4; offset += 2) {
              const page = await queryStudies(h.services.db, projectId, bars, { sort: sort as SortColumn, dir, limit: 2, offset })
              expect(page.total).toBe(want.length)
              got.push(...page.rows.map((r) => `${r.patients_id}#${r.studies_id}`))
            }
            expect(got).toEqual(want)
          }
        })
  })
}

paging('sqlite')
paging('mysql')
