import { describe, expect, test } from 'bun:test'
import type { DicomHeader } from '../../../src/dicom/dicom-header'
import { checkNaming } from '../../../src/dicom/series-naming'
import { defaultStudiesId, idProblem, planImport, sanitizeName, seriesNames, type StagedInstance } from '../../../src/importer/import-plan'

const header = (over: Partial<DicomHeader> = {}): DicomHeader => ({
  sopInstanceUid: '1.2.3.1',
  seriesInstanceUid: '1.2.3',
  studyInstanceUid: '1.2',
  patientId: 'PID1',
  patientName: 'Doe^John',
  birthDate: '19700101',
  sex: 'M',
  studyDate: '20240131',
  studyTime: '142501.123',
  studyDescription: 'Brain',
  accessionNumber: 'A1',
  seriesDescription: 'T1 MPRAGE',
  protocolName: 't1_mprage',
  seriesNumber: 3,
  modality: 'MR',
  transferSyntaxUid: '1.2.840.10008.1.2.1',
  ...over,
})
const inst = (h: Partial<DicomHeader>, sourceName = 'x.dcm'): StagedInstance => ({ stagedPath: '/tmp/x', sourceName, header: header(h) })

describe('series naming', () => {
  test("the seed's default: <ProtocolName or SeriesDescription>/s<SeriesNumber:3>", () => {
    expect(seriesNames(header())).toEqual({ folder: 't1_mprage', baseName: 's003' })
    expect(seriesNames(header({ protocolName: '' }))).toEqual({ folder: 'T1_MPRAGE', baseName: 's003' })
    expect(seriesNames(header({ protocolName: '', seriesDescription: '', seriesNumber: undefined }))).toEqual({ folder: 'mr', baseName: 's000' })
  })

  test('a project template names series its own way', () => {
    expect(seriesNames(header(), '{modality}_{description}/{studydate}_s{series:4}')).toEqual({ folder: 'MR_T1_MPRAGE', baseName: '20240131_s0003' })
  })

  test('hostile names become one safe path segment', () => {
    expect(seriesNames(header({ protocolName: '../../etc/passwd' })).folder).toBe('etc_passwd')
    expect(seriesNames(header({ protocolName: '<img src=x onerror=alert(1)>' })).folder).toBe('img_src_x_onerror_alert_1')
    expect(sanitizeName('..', 'fallback')).toBe('fallback')
    expect(sanitizeName('', 'fallback')).toBe('fallback')
  })

  test('templates are checked', () => {
    expect(() => checkNaming('{protocol}')).toThrow('give FOLDER/FILE')
    expect(() => checkNaming('{nope}/s{series:3}')).toThrow('unknown field "nope"')
    expect(() => checkNaming('{protocol}/s{series:3')).toThrow('outside a {field}')
    expect(() => checkNaming('{protocol|description}/s{series:3}')).not.toThrow()
  })
})

describe('planImport', () => {
  test('groups instances into studies and series and drops duplicate instances', () => {
    const plans = planImport([
      inst({ sopInstanceUid: 'a' }),
      inst({ sopInstanceUid: 'a' }),
      inst({ sopInstanceUid: 'b' }),
      inst({ sopInstanceUid: 'c', seriesInstanceUid: '1.2.4', seriesNumber: 4 }),
      inst({ sopInstanceUid: 'd', studyInstanceUid: '1.9', seriesInstanceUid: '1.9.1', studyDate: '20240201', studyTime: '' }),
    ])
    expect(plans.map((p) => [p.patientsId, p.studiesId, p.series.map((s) => `${s.folder}/${s.baseName}:${s.instances.length}`)])).toEqual([
      ['PID1', '20240131_142501', ['t1_mprage/s003:2', 't1_mprage/s004:1']],
      ['PID1', '20240201', ['t1_mprage/s003:1']],
    ])
  })

  test('two series that would get one name in a study get _2', () => {
    const plans = planImport([inst({ sopInstanceUid: 'a' }), inst({ sopInstanceUid: 'b', seriesInstanceUid: '1.2.9' })])
    expect(plans[0]!.series.map((s) => s.baseName)).toEqual(['s003', 's003_2'])
  })

  test('--patients_id, --studies_id and --pattern override the headers', () => {
    expect(planImport([inst({})], { patientsId: 'P9', studiesId: 'S9' })[0]).toMatchObject({ patientsId: 'P9', studiesId: 'S9' })
    const pattern = /(?<studies_id>[\w\-]+)\/(?<patients_id>\w+)$/ // the seed's example, applied to the folder
    expect(planImport([inst({}, 'in/visit-2/subj07/IM0001')], { pattern })[0]).toMatchObject({ patientsId: 'subj07', studiesId: 'visit-2' })
  })

  test('a study without a date gets a stable code from its UID', () => {
    const id = defaultStudiesId(header({ studyDate: '', studyInstanceUid: '1.2.840.99' }))
    expect(id).toMatch(/^S[0-9a-f]{10}$/)
    expect(defaultStudiesId(header({ studyDate: '', studyInstanceUid: '1.2.840.99' }))).toBe(id)
  })
})

describe('ids that cannot be a folder', () => {
  test('a PatientID or id that reads as a path step is refused with the reason', () => {
    expect(idProblem('..')).toBe('is ".."')
    expect(idProblem('.')).toBe('is "."')
    expect(idProblem(' .. ')).toBe('is ".."')
    expect(idProblem('../x')).toBe('contains the path step ".."')
    expect(idProblem('a/../b')).toBe('contains the path step ".."')
    expect(idProblem('a\\..\\b')).toBe('contains the path step ".."')
    expect(idProblem('x/./y')).toBe('contains the path step "."')
    expect(idProblem('/etc')).toBe('is an absolute path')
    expect(idProblem('a\u0000b')).toBe('contains control characters')
    expect(idProblem('a\nb')).toBe('contains control characters')
  })

  test('ordinary ids, with the characters labs have in them, are names (made "_" by sanitizeName)', () => {
    for (const id of ['PID1', 'Doe^John 12', '123/45', '1.2', '...', '..a', 'a..', '', '12345\u0000', '  PID  '])
      expect(idProblem(id)).toBeUndefined()
    expect(sanitizeName('123/45', 'UNKNOWN')).toBe('123_45')
    expect(sanitizeName('Doe^John 12', 'UNKNOWN')).toBe('Doe_John_12')
  })

  test('a study with such a PatientID is planned apart and refused; it never merges into a real subject', () => {
    const plans = planImport([
      inst({ patientId: 'x', sopInstanceUid: '1' }),
      inst({ patientId: '../x', sopInstanceUid: '2' }),
      inst({ patientId: '..', sopInstanceUid: '3', studyInstanceUid: '1.3' }),
      inst({ patientId: 'UNKNOWN', sopInstanceUid: '4', studyInstanceUid: '1.3' }),
    ])
    expect(plans.map((p) => [p.patientsId, p.refused ?? null, p.series.flatMap((s) => s.instances.map((i) => i.header.sopInstanceUid))])).toEqual([
      ['x', null, ['1']],
      ['../x', 'PatientID "../x" contains the path step "..": it cannot be a folder name', ['2']],
      ['..', 'PatientID ".." is "..": it cannot be a folder name', ['3']],
      ['UNKNOWN', null, ['4']],
    ])
  })

  test('--patients_id and --pattern ids are checked the same way', () => {
    expect(planImport([inst({})], { patientsId: '..' })[0]!.refused).toBe('patients_id ".." is "..": it cannot be a folder name')
    expect(planImport([inst({})], { studiesId: 'a/../b' })[0]!.refused).toBe('studies_id "a/../b" contains the path step "..": it cannot be a folder name')
  })

  test('a hostile ProtocolName becomes one safe folder name', () => {
    expect(planImport([inst({ protocolName: '../../../x' })])[0]!.series[0]!.folder).toBe('x')
    expect(planImport([inst({ protocolName: '..', seriesDescription: '' })])[0]!.series[0]!.folder).toBe('mr')
  })
})
