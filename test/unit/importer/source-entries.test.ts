import { describe, expect, test } from 'bun:test'
import { unsafeEntryName } from '../../../src/importer/source-entries'

describe('archive member names', () => {
  test('ordinary names, and tar\'s "./" prefix, are accepted', () => {
    for (const name of ['a/b.dcm', 'IM0001', './a/b.dcm', 'a//b.dcm', 'a\\b.dcm', 'Patient 1/Série/1.dcm']) expect(unsafeEntryName(name)).toBeUndefined()
  })

  test('names that climb, are absolute or hold control characters are refused with the reason', () => {
    expect(unsafeEntryName('../evil.dcm')).toBe('climbs out with ".."')
    expect(unsafeEntryName('a/../../evil.dcm')).toBe('climbs out with ".."')
    expect(unsafeEntryName('a\\..\\..\\evil.dcm')).toBe('climbs out with ".."')
    expect(unsafeEntryName('/etc/passwd')).toBe('is an absolute path')
    expect(unsafeEntryName('C:\\evil.dcm')).toBe('is an absolute path')
    expect(unsafeEntryName('a\u0000.dcm')).toBe('contains a NUL byte')
    expect(unsafeEntryName('a\u0001.dcm')).toContain('control character')
    expect(unsafeEntryName('.')).toContain('is "."')
    expect(unsafeEntryName(`${'x'.repeat(300)}.dcm`)).toContain('longer than 255 bytes')
  })
})
