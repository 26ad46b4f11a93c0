import { describe, expect, test } from 'bun:test'
import { UsageError } from '../../../src/core/errors'
import type { FileEntry, User } from '../../../src/core/types'
import { parseBatch } from '../../../src/jobs/job-spec'
import { JobInputError, resolveJob, type ArchiveForJobs } from '../../../src/jobs/resolve-args'
import { byDate, candidates, formatStudyReference, parseStudyReference, sdescRegex, StudyReferenceError, type StudyInfo } from '../../../src/jobs/study-reference'

const actor: User = { id: 1, username: 'ann', displayName: '', email: '', isSiteAdmin: true, source: 'local', disabled: false, createdAt: 0 }

const studies: StudyInfo[] = [
  { studiesId: 'S3', studyDate: '', description: 'no date', modality: 'OT' },
  { studiesId: 'S2', studyDate: '20200301', description: 'MR brain T1', modality: 'MR' },
  { studiesId: 'S1', studyDate: '20190105', description: 'CT head_spiral', modality: 'CT\\SR' },
  { studiesId: 'S4', studyDate: '20210101', description: 'ct follow-up', modality: 'ct' },
]
const ids = (ref: string) => candidates(parseStudyReference(ref), 'P1', studies).map((s) => s.studiesId)

describe('study references', () => {
  test('written forms parse and print back', () => {
    for (const t of ['own', 'any', 'all', 'first', 'last', '#2', 'SDESC:CT*', 'MOD:CT', 'S2', 'ID:first'])
      expect(formatStudyReference(parseStudyReference(t))).toBe(t)
    expect(parseStudyReference('FIRST')).toEqual({ kind: 'first' })
    expect(parseStudyReference('mod:mr')).toEqual({ kind: 'mod', modality: 'MR' })
    expect(parseStudyReference('id:S7')).toEqual({ kind: 'id', studiesId: 'S7' })
    for (const bad of ['', '#0', 'a/b', 'FOO:bar', 'x#y']) expect(() => parseStudyReference(bad)).toThrow(UsageError)
  })

  test('date order: by study_date, studies without a date last, then studies_id', () => {
    expect(byDate(studies).map((s) => s.studiesId)).toEqual(['S1', 'S2', 'S4', 'S3'])
    expect(ids('first')).toEqual(['S1'])
    expect(ids('last')).toEqual(['S3'])
    expect(ids('#2')).toEqual(['S2'])
    expect(ids('all')).toEqual(['S1', 'S2', 'S4', 'S3'])
    expect(ids('S4')).toEqual(['S4'])
  })

  test('SDESC as the filter bars: case-insensitive prefix, * any run, _ one character', () => {
    expect(ids('SDESC:ct')).toEqual(['S1', 'S4'])
    expect(ids('SDESC:*T1')).toEqual(['S2'])
    expect(ids('SDESC:CT head_spiral')).toEqual(['S1'])
    expect(sdescRegex('c_ f').test('ct follow-up')).toBe(true)
    expect(sdescRegex('c_ f').test('ctt follow-up')).toBe(false)
    expect(sdescRegex('a.b').test('axb')).toBe(false)
  })

  test('MOD matches one part of the modality, any letter case', () => {
    expect(ids('MOD:CT')).toEqual(['S1', 'S4'])
    expect(ids('MOD:SR')).toEqual(['S1'])
    expect(ids('MOD:M*')).toEqual(['S2'])
  })

  test('nothing matches: an error that names the subject and the reference', () => {
    const err = (ref: string, list = studies) => {
      try {
        candidates(parseStudyReference(ref), 'P1', list)
      } catch (e) {
        expect(e).toBeInstanceOf(StudyReferenceError)
        return (e as Error).message
      }
      throw new Error('no error')
    }
    expect(err('SDESC:PET*')).toBe('no study of P1 matches SDESC:PET*')
    expect(err('MOD:PT')).toBe('no study of P1 matches MOD:PT')
    expect(err('#9')).toBe('no study of P1 matches #9 (it has 4)')
    expect(err('first', [])).toBe('P1 has no study')
    expect(err('own')).toContain('needs a study-level batch')
  })

  test('parseBatch: subject level, subjects, and which references each level and type allows', () => {
    const job = (args: Record<string, unknown>) => [{ type: 'bash', script: 'true', args }]
    const b = parseBatch({ level: 'subject', subjects: ['P1', 'P2', 'P1'], jobs: job({ f1: { value: 'ct/*.nii', study: 'mod:ct' }, o1: { value: 'x.txt', study: 'last' } }) })
    expect(b.level).toBe('subject')
    expect(b.subjects).toEqual(['P1', 'P2'])
    expect(b.jobs[0]!.args).toEqual([
      { name: 'f1', type: 'FILE', value: 'ct/*.nii', study: 'MOD:CT' },
      { name: 'o1', type: 'OUT', value: 'x.txt', study: 'last' },
    ])
    // The stored form (a list) reads back with its references.
    expect(parseBatch(JSON.parse(JSON.stringify(b))).jobs[0]!.args).toEqual(b.jobs[0]!.args)
    expect(() => parseBatch({ level: 'subject', jobs: job({ f1: { value: 'x', study: 'own' } }) })).toThrow('no own study')
    expect(() => parseBatch({ level: 'subject', jobs: job({ o1: { value: 'x', study: 'all' } }) })).toThrow('only for FILE')
    expect(() => parseBatch({ level: 'study', subjects: ['P1'], jobs: job({}) })).toThrow('"subjects" is for "level": "subject"')
    expect(() => parseBatch({ level: 'subject', subjects: ['P1#S1'], jobs: job({}) })).toThrow('PATIENTS_IDs')
    expect(() => parseBatch({ jobs: job({ s1: { value: 'x', study: 'first' } }) })).toThrow('only FILE, OUT and PATHOUT')
    expect(() => parseBatch({ jobs: job({ f1: { value: 'x', study: 'SOMETHING:x' } }) })).toThrow('is not one of')
  })
})

/** Files under /data/P/<pid>/<sid>/ and the subjects' studies (the resolution logic only; the real archive is in the integration tests). */
function fixedArchive(files: Record<string, string[]>, subjects: Record<string, StudyInfo[]>): ArchiveForJobs {
  return {
    async *select(_a, _p, pattern, ref) {
      const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/_/g, '.')}$`)
      const hits = (files[`${ref!.patientsId}#${ref!.studiesId}`] ?? []).filter((f) => re.test(f))
      yield hits.map((path, i) => ({ id: i, project: 'P', patients_id: ref!.patientsId!, studies_id: ref!.studiesId!, path, relative: path, absolute: `/data/P/${ref!.patientsId}/${ref!.studiesId}/${path}`, size: 0, tags: [] }) as FileEntry)
    },
    async outputPath(_a, _p, name, ref, folder) {
      return `/data/P/${ref!.patientsId}/${ref!.studiesId}/${name}${folder ? '/' : ''}`
    },
    async studiesOf(_a, _p, pid) {
      return subjects[pid] ?? []
    },
  }
}

describe('resolveJob at subject level', () => {
  const archive = fixedArchive(
    { 'P1#CT1': ['ct/s001.nii', 'ct/s002.nii'], 'P1#MR1': ['t1/s001.nii'], 'P1#MR2': ['t1/s001.nii'], 'P2#MR1': ['t1/s001.nii'] },
    {
      P1: [
        { studiesId: 'MR2', studyDate: '20200601', description: 'MR follow-up', modality: 'MR' },
        { studiesId: 'CT1', studyDate: '20200101', description: 'CT electrodes', modality: 'CT' },
        { studiesId: 'MR1', studyDate: '20200201', description: 'MR T1', modality: 'MR' },
      ],
      P2: [{ studiesId: 'MR1', studyDate: '20200201', description: 'MR T1', modality: 'MR' }],
    },
  )
  const batch = (args: Record<string, unknown>) => parseBatch({ level: 'subject', jobs: [{ type: 'bash', script: 'true', args }] }).jobs[0]!

  test('MOD/SDESC/#N pick the study; OUT goes to its reference, by default the first study by date (also the logs)', async () => {
    const job = batch({ f1: { value: 'ct/*.nii', study: 'MOD:CT' }, f2: { value: 't1/s0__.nii', study: 'SDESC:MR f*' }, f3: { value: 't1/*', study: '#2' }, o1: { value: 'out/a.txt TAG(done)', study: 'MOD:MR' }, o2: 'out/b.txt', p1: { value: 'res', study: 'last' } })
    const r = await resolveJob(archive, actor, 'P', 'P1', job)
    const arg = (n: string) => r.args.find((a) => a.name === n)!
    expect(arg('f1')).toMatchObject({ value: '/data/P/P1/CT1/ct/s001.nii', all: ['/data/P/P1/CT1/ct/s001.nii', '/data/P/P1/CT1/ct/s002.nii'], studies: ['CT1'] })
    expect(arg('f1').multi).toBeUndefined()
    expect(arg('f2').value).toBe('/data/P/P1/MR2/t1/s001.nii')
    expect(arg('f3').value).toBe('/data/P/P1/MR1/t1/s001.nii')
    expect(r.outs).toEqual([
      { name: 'o1', path: '/data/P/P1/MR1/out/a.txt', tags: ['done'] },
      { name: 'o2', path: '/data/P/P1/CT1/out/b.txt', tags: [] },
    ])
    expect(r.pathouts).toEqual(['/data/P/P1/MR2/res'])
    expect(r.home).toEqual({ patientsId: 'P1', studiesId: 'CT1' })
  })

  test('default FILE reference: the first study by date where the pattern matches; all: every file of every study', async () => {
    const r = await resolveJob(archive, actor, 'P', 'P1', batch({ f1: 't1/*.nii', f2: { value: '*.nii', study: 'all' } }))
    expect(r.args[0]).toMatchObject({ value: '/data/P/P1/MR1/t1/s001.nii', studies: ['MR1'] })
    expect(r.args[1]).toMatchObject({ multi: true, studies: ['CT1', 'MR1', 'MR2'], all: ['/data/P/P1/CT1/ct/s001.nii', '/data/P/P1/CT1/ct/s002.nii', '/data/P/P1/MR1/t1/s001.nii', '/data/P/P1/MR2/t1/s001.nii'] })
  })

  test('a reference that finds nothing, or a pattern not in the chosen study: a JobInputError for that run', async () => {
    const e1 = await resolveJob(archive, actor, 'P', 'P2', batch({ f1: { value: 'ct/*.nii', study: 'MOD:CT' } })).catch((x) => x)
    expect(e1).toBeInstanceOf(JobInputError)
    expect(e1.message).toBe('no study of P2 matches MOD:CT')
    const e2 = await resolveJob(archive, actor, 'P', 'P1', batch({ f1: { value: 't1*/s0__.nii', study: 'CT1' } })).catch((x) => x)
    expect(e2.message).toBe('no file matches t1*/s0__.nii in study CT1 of P1')
    const e3 = await resolveJob(archive, actor, 'P', 'P9', batch({ f1: 'x' })).catch((x) => x)
    expect(e3.message).toBe('P9 has no study')
  })

  test('study level: the own study by default, other studies of the subject by reference', async () => {
    const job = parseBatch({ jobs: [{ type: 'bash', script: 'true', args: { f1: 't1/*.nii', f2: { value: 'ct/*', study: 'MOD:CT' }, o1: 'x.txt' } }] }).jobs[0]!
    const r = await resolveJob(archive, actor, 'P', 'P1#MR2', job)
    expect(r.args.map((a) => a.value)).toEqual(['/data/P/P1/MR2/t1/s001.nii', '/data/P/P1/CT1/ct/s001.nii', '/data/P/P1/MR2/x.txt'])
    expect(r.home).toEqual({ patientsId: 'P1', studiesId: 'MR2' })
  })
})
