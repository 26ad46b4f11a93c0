import { describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readDicomHeader } from '../../../src/dicom/dicom-header'
import { instanceUidProblems } from '../../../src/dicom/uid'
import { PYDICOM, python } from '../../helpers/dicom-fixtures'

describe('instance UIDs of a header', () => {
  const ok = { studyInstanceUid: '1.2.840.1', seriesInstanceUid: '1.2.840.1.2', sopInstanceUid: '1.2.840.1.2.3' }

  test('three UIDs: nothing to say', () => expect(instanceUidProblems(ok)).toEqual([]))

  test('each bad one is named with its value and what is wrong', () => {
    expect(instanceUidProblems({ ...ok, studyInstanceUid: '..' })).toEqual(['StudyInstanceUID ".." is not digits separated by single dots'])
    expect(instanceUidProblems({ ...ok, seriesInstanceUid: '', sopInstanceUid: '1.2/3' })).toEqual(['SeriesInstanceUID "" is empty', 'SOPInstanceUID "1.2/3" is not digits separated by single dots'])
    expect(instanceUidProblems({ ...ok, studyInstanceUid: `1.${'2'.repeat(63)}` })).toEqual(['StudyInstanceUID "1.222222222222222222222222222222222222222222222222222222222222222" is 65 characters long (at most 64)'])
  })
})

describe('the header keeps UIDs as written', () => {
  test('dcmjs would read "1.2/3" as "1.23" and "../../etc" as "....": readDicomHeader gives the bytes pydicom wrote', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nora-uids-'))
    try {
      python(
        `
import sys, warnings, pydicom
warnings.simplefilter('ignore')
d = pydicom.dcmread(sys.argv[1])
d.StudyInstanceUID, d.SeriesInstanceUID = '1.2/3', '../../etc'
d.save_as(sys.argv[2])`,
        [join(PYDICOM, 'CT_small.dcm'), join(dir, 'x.dcm')],
      )
      const h = readDicomHeader(readFileSync(join(dir, 'x.dcm')), 'x.dcm')
      expect([h.studyInstanceUid, h.seriesInstanceUid]).toEqual(['1.2/3', '../../etc'])
      expect(instanceUidProblems(h)).toHaveLength(2)
      const good = readDicomHeader(readFileSync(join(PYDICOM, 'CT_small.dcm')), 'CT_small.dcm')
      expect(good.sopInstanceUid).toBe('1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322') // odd length: NUL padding is not part of it
      expect(instanceUidProblems(good)).toEqual([])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
