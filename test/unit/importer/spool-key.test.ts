import { describe, expect, test } from 'bun:test'
import { spoolKey, studyOfSpoolKey } from '../../../src/importer/spool-key'

describe('spool folder names', () => {
  test('a study folder is its UID; a late arrival opens <UID>_<ms>', () => {
    expect(spoolKey('1.2.840.1')).toBe('1.2.840.1')
    expect(spoolKey('1.2.840.1', 1700000000123)).toBe('1.2.840.1_1700000000123')
  })

  test('a value that is not a UID never becomes a folder name', () => {
    for (const bad of ['..', '.', '', '../../etc', '1.2/3', '1..2', '1.2.', `1.${'2'.repeat(63)}`, '1.2\u0000'])
      expect(() => spoolKey(bad)).toThrow(/StudyInstanceUID/)
  })

  test('the study of a folder: study 1.2 is never confused with study 1.2.3 or 1.2.1700000000', () => {
    expect(studyOfSpoolKey('1.2')).toBe('1.2')
    expect(studyOfSpoolKey('1.2_1700000000123')).toBe('1.2')
    expect(studyOfSpoolKey('1.2.3')).toBe('1.2.3')
    expect(studyOfSpoolKey('1.2.1700000000')).toBe('1.2.1700000000')
  })
})
