import { describe, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { checkRelative, escapeLike, filePatternToLike, parseFilePattern, parsePsid } from '../../../src/archive/file-pattern'
import { UsageError } from '../../../src/core/errors'

/**
 * The reference for what a LIKE operand matches is SQLite itself (not our code): each pattern is run against a
 * list of names with `LIKE ? ESCAPE '!'`, as FilesRepo does.
 */
const sqlite = new Database(':memory:')
const likeMatches = (like: string, names: string[]) =>
  names.filter((n) => (sqlite.query("SELECT ? LIKE ? ESCAPE '!' AS m").get(n, like) as { m: number }).m === 1)

describe('filePatternToLike', () => {
  test('* becomes %, _ stays, literal % and ! are escaped with !', () => {
    expect(filePatternToLike('anat/*.nii.gz')).toBe('anat/%.nii.gz')
    expect(filePatternToLike('run_1/*')).toBe('run_1/%')
    expect(filePatternToLike('100%/a!b')).toBe('100!%/a!!b')
    expect(filePatternToLike('plain/name.txt')).toBe('plain/name.txt')
  })

  test('patterns match what the seed documents, judged by SQLite', () => {
    const names = ['anat/T1.nii.gz', 'anat/T2.nii.gz', 'anat/T1.json', 'func/bold.nii.gz', 'anat/sub/T1.nii.gz']
    expect(likeMatches(filePatternToLike('anat/*.nii.gz'), names)).toEqual(['anat/T1.nii.gz', 'anat/T2.nii.gz', 'anat/sub/T1.nii.gz'])
    expect(likeMatches(filePatternToLike('anat/T_.nii.gz'), names)).toEqual(['anat/T1.nii.gz', 'anat/T2.nii.gz'])
    expect(likeMatches(filePatternToLike('*'), names)).toEqual(names)
  })

  test('a literal % or ! matches only itself', () => {
    const names = ['a/100%.txt', 'a/1000.txt', 'a/100x.txt', 'a/hi!.txt', 'a/hiX.txt']
    expect(likeMatches(filePatternToLike('a/100%.txt'), names)).toEqual(['a/100%.txt'])
    expect(likeMatches(filePatternToLike('a/hi!.txt'), names)).toEqual(['a/hi!.txt'])
  })

  test('_ matches exactly one character', () => {
    const names = ['x/a1.txt', 'x/a12.txt', 'x/a.txt', 'x/a_.txt']
    expect(likeMatches(filePatternToLike('x/a_.txt'), names)).toEqual(['x/a1.txt', 'x/a_.txt'])
  })
})

describe('escapeLike', () => {
  test('escapes !, % and _ so text matches literally', () => {
    expect(escapeLike('50%_off!')).toBe('50!%!_off!!')
    expect(escapeLike('plain')).toBe('plain')
  })

  test('as a prefix operand it matches the literal text only', () => {
    const names = ['a_b/1', 'axb/1', 'a%b/1', 'aXXb/1', 'a!b/1']
    expect(likeMatches(`${escapeLike('a_b')}%`, names)).toEqual(['a_b/1'])
    expect(likeMatches(`${escapeLike('a%b')}%`, names)).toEqual(['a%b/1'])
    expect(likeMatches(`${escapeLike('a!b')}%`, names)).toEqual(['a!b/1'])
  })
})

describe('parseFilePattern', () => {
  test('a plain pattern applies to the path inside a study', () => {
    expect(parseFilePattern('anat/*.nii.gz')).toEqual({ path: 'anat/*.nii.gz' })
  })

  test('a PID#SID/ prefix names the study', () => {
    expect(parseFilePattern('P001#S01/anat/*.nii.gz')).toEqual({ patientsId: 'P001', studiesId: 'S01', path: 'anat/*.nii.gz' })
    expect(parseFilePattern('P001#/anat/x')).toEqual({ patientsId: 'P001', studiesId: undefined, path: 'anat/x' })
  })

  test('a study reference with a second # is refused, not cut short', () => {
    expect(() => parseFilePattern('P1#S1#X/anat/*.nii')).toThrow(UsageError)
    expect(() => parseFilePattern('P1##/anat/*.nii')).toThrow(/one "#" only/)
  })

  test('a # further down the path is part of a file name', () => {
    expect(parseFilePattern('anat/run#1.nii')).toEqual({ path: 'anat/run#1.nii' })
  })

  test('a study reference with nothing after it is refused', () => {
    expect(() => parseFilePattern('P001#S01/')).toThrow(UsageError)
    expect(() => parseFilePattern('P001#S01')).toThrow(/nothing after the study reference/)
  })

  test('absolute paths, . and .. segments and NUL bytes are refused', () => {
    expect(() => parseFilePattern('/etc/passwd')).toThrow(/must be relative/)
    expect(() => parseFilePattern('../other/x')).toThrow(/"\." or "\.\." segments/)
    expect(() => parseFilePattern('anat/../../x')).toThrow(UsageError)
    expect(() => parseFilePattern('P1#S1/../../../etc/passwd')).toThrow(UsageError)
    expect(() => parseFilePattern('./x')).toThrow(UsageError)
    expect(() => parseFilePattern('a\0b')).toThrow(/NUL/)
    expect(() => parseFilePattern('')).toThrow(/empty/)
  })

  test('names that merely contain dots are fine', () => {
    expect(parseFilePattern('a..b/x...y')).toEqual({ path: 'a..b/x...y' })
    expect(() => checkRelative('.hidden/file', 'x')).not.toThrow()
  })
})

describe('parsePsid', () => {
  test('splits PID and PID#SID, refuses malformed ones', () => {
    expect(parsePsid('P1')).toEqual({ patientsId: 'P1', studiesId: undefined })
    expect(parsePsid('P1#S2')).toEqual({ patientsId: 'P1', studiesId: 'S2' })
    for (const bad of ['', '#S2', 'P1#', 'P1#S2#X']) expect(() => parsePsid(bad)).toThrow(UsageError)
  })
})
