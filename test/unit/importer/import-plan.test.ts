import { describe, expect, test } from 'bun:test'
import type { DicomHeader } from '../../../src/dicom/dicom-header'
import { checkNaming } from '../../../src/dicom/series-naming'
import { defaultStudiesId, planImport, safeSegment, seriesNames, type StagedInstance } from '../../../src/importer/import-plan'

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
    expect(safeSegment('..', 'fallback')).toBe('fallback')
    expect(safeSegment('', 'fallback')).toBe('fallback')
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
