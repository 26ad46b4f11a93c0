import { describe, expect, test } from 'bun:test'
import { compileDrivingSet, termToLike, underscoreLikes, underscoreSplit } from '../../../src/archive/filter/compile-filter'

describe('underscoreSplit: the literal start of a file pattern and the literal text after its first `_`', () => {
  test('splits at the first `_` when literal text follows', () => {
    expect(underscoreSplit(termToLike('t1_mprage/s1*.nii'))).toEqual({ prefix: 't1', rest: 'mprage/s1' })
    expect(underscoreSplit(termToLike('T1_MPR'))).toEqual({ prefix: 't1', rest: 'mpr' })
  })
  test('nothing to split without a literal start, without text after the `_`, or without a `_`', () => {
    expect(underscoreSplit(termToLike('_abc'))).toBeUndefined()
    expect(underscoreSplit(termToLike('t1_*'))).toBeUndefined()
    expect(underscoreSplit(termToLike('t1__x'))).toBeUndefined()
    expect(underscoreSplit(termToLike('t1*_x'))).toBeUndefined()
    expect(underscoreSplit(termToLike('dwi/s003.nii'))).toBeUndefined()
  })
  test('escaped characters count once: `%` and `!` in the literal start', () => {
    const like = termToLike('50%!x_dir/a')
    expect(underscoreSplit(like)).toEqual({ prefix: '50%!x', rest: 'dir/a' })
  })
  test('underscoreLikes lists only anchored file patterns (with a `/`) of the file bar', () => {
    expect(underscoreLikes({ file: 't1_mprage/s1*.nii t1_mprage flair/s9* & STAG:a_b', name: 'a_b/c' })).toEqual([termToLike('t1_mprage/s1*.nii')])
    expect(underscoreLikes({})).toEqual([])
  })
})

describe('compileDrivingSet', () => {
  const indexed = { projectId: 7, dialect: 'mysql' as const }
  test('one range per known character at the `_`, parameters in the order of their `?`', () => {
    const like = termToLike('t1_mprage/s1*.nii')
    const d = compileDrivingSet({ file: 't1_mprage/s1*.nii' }, indexed, new Map([[like, ['_', '-']]]))!
    expect(d.set.params).toEqual([7, 't1_mprage/s1', 't1_mprage/s2', 't1-mprage/s1', 't1-mprage/s2', like])
    expect(d.set.sql.split('?').length - 1).toBe(d.set.params.length)
    expect(d.bar).toBe('file')
    expect(d.rest).toEqual({ sql: '1 = 1', params: [] })
  })
  test('no file has a character there: the term matches nothing', () => {
    const like = termToLike('t1_mprage/s1*.nii')
    const d = compileDrivingSet({ file: 't1_mprage/s1*.nii' }, indexed, new Map([[like, []]]))!
    expect(d.set.sql).toContain('1 = 0')
  })
  test('a bar with a column term does not drive; the other bars stay conditions', () => {
    expect(compileDrivingSet({ name: 'Doe & PTAG:x' }, indexed)).toBeUndefined()
    const d = compileDrivingSet({ name: 'Doe', q: 'JOB:e', file: 'a/b & STAG:c' }, indexed)!
    expect(d.set.sql).toContain('commands')
    expect(d.rest.sql).toContain('LIKE')
    expect(d.set.sql.split('?').length - 1 + d.rest.sql.split('?').length - 1).toBe(d.set.params.length + d.rest.params.length)
  })
  test('a group of many terms joins the first sets and tests the rest with IN (MariaDB joins at most 61 tables)', () => {
    const d = compileDrivingSet({ file: Array.from({ length: 100 }, (_, i) => `t${i}/x`).join(' & ') }, indexed)!
    expect(d.set.sql.match(/STRAIGHT_JOIN/g)!.length).toBeLessThan(20)
    expect(d.set.sql.match(/h\.id IN \(/g)!.length).toBeGreaterThan(80)
    expect(d.set.sql.split('?').length - 1).toBe(d.set.params.length)
  })
  test('a pattern that is a literal start only is the index range alone; with a trailing space (PAD SPACE) the LIKE stays', () => {
    const exact = compileDrivingSet({ file: 'DWI/s003.nii' }, indexed)!
    expect(exact.set.sql).not.toContain('LIKE')
    expect(exact.set.params).toEqual([7, 'dwi/s003.nii', 'dwi/s003.nij'])
    expect(compileDrivingSet({ file: '"dwi "' }, indexed)!.set.sql).toContain('LIKE')
    expect(compileDrivingSet({ file: 'dwi/s*.nii' }, indexed)!.set.sql).toContain('LIKE')
  })
})
