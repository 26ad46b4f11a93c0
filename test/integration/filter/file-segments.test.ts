import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { queryStudies } from '../../../src/archive/filter/study-query'
import { startApp, type Dialect, type Harness } from '../http/harness'

/**
 * The file bar's indexed forms (file names and nested paths as index ranges, migration 010) and the table's first-
 * subjects walk must give exactly the studies the definition gives: a pattern without `/` matches the start of any
 * path segment, one with `/` the start of the path; `*` any run, `_` one character (a `/` too), letter case ignored.
 * The expected rows come from that definition written here as a regular expression, over paths at every depth.
 */
const PATHS = [
  't1_mprage/s001.nii', // series/file
  'T1_MPRAGE/S002.NII', // upper case
  'a/b/t1_deep.nii', // a file name two folders down
  'dir/t1_mid/x.nii', // a middle segment
  'x/t1/mprage.nii', // `_` meeting a `/`
  'notes.txt', // no folder
  'dwi/s003.nii',
  'flair/s9x.nii',
  'odd!dir/50%_file.nii',
]

const likeRegex = (pattern: string, anchored: boolean) => {
  const body = [...pattern].map((c) => (c === '*' ? '.*' : c === '_' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('')
  return new RegExp(`${anchored ? '^' : '(^|/)'}${body}`, 'is')
}
/** Does a study with these paths match one file term (no & or OR: the fixture's queries are single terms). */
const matches = (paths: string[], pattern: string) => paths.some((p) => likeRegex(pattern, pattern.includes('/')).test(p))

function segments(dialect: Dialect) {
  describe(`file bar over paths at every depth (${dialect})`, () => {
    let h: Harness
    let projectId: number
    /** Subject i (P00..P23) has two studies; study j of subject i has the paths whose index is congruent to i + j mod 3. */
    const studies: { key: string; paths: string[] }[] = []
    beforeAll(async () => {
      h = await startApp(dialect)
      const { repos } = h.services
      projectId = (await repos.projects.create('lab')).id
      const other = (await repos.projects.create('other')).id
      const op = await repos.subjects.ensureSubject(other, 'P00')
      const os = await repos.subjects.ensureStudy(other, op.id, 'S0')
      for (const p of PATHS) await repos.files.upsert(other, os.id, p, 1, 'nifti')
      for (let i = 0; i < 24; i++) {
        const pid = `P${String(i).padStart(2, '0')}`
        const subject = await repos.subjects.ensureSubject(projectId, pid)
        for (let j = 0; j < 2; j++) {
          const study = await repos.subjects.ensureStudy(projectId, subject.id, `S${j}`)
          const paths = PATHS.filter((_, k) => (k + i + j) % 3 === 0 || (i % 4 === 0 && k === 0))
          for (const p of paths) await repos.files.upsert(projectId, study.id, p, 1, 'nifti')
          studies.push({ key: `${pid}#S${j}`, paths })
        }
      }
    }, 120_000)
    afterAll(async () => {
      await h?.close()
    })

    for (const pattern of ['t1_', 't1', 'T1_MPRAGE', 's00', 'mprage', 't1_deep', 't1_mid', 'b', '*deep', 'x.nii', 'notes', '50%', 'odd!', 't1_mprage/s0', 'a/b/', 'zzz'])
      test(`"${pattern}": every page of 5, and the total, are the definition's`, async () => {
        const want = studies.filter((s) => matches(s.paths, pattern)).map((s) => s.key)
        const got: string[] = []
        for (let offset = 0; offset < want.length + 5; offset += 5) {
          const page = await queryStudies(h.services.db, projectId, { file: pattern }, { limit: 5, offset })
          expect(page.total).toBe(want.length)
          got.push(...page.rows.map((r) => `${r.patients_id}#${r.studies_id}`))
        }
        expect(got).toEqual(want)
      })
  })
}

segments('sqlite')
segments('mysql')
