import { describe, expect, test } from 'bun:test'
import { MAX_FILTER_LENGTH, MAX_FILTER_TERMS, parseFilter, type FilterTerm } from '../../../src/archive/filter/parse-filter'
import { UsageError } from '../../../src/core/errors'

const text = (pattern: string): FilterTerm => ({ kind: 'text', pattern })
const groups = (input: string) => parseFilter(input).anyOf

describe('parseFilter: OR, & and precedence', () => {
  test('space-separated terms are OR', () => {
    expect(groups('A B')).toEqual([[text('A')], [text('B')]])
  })

  test('& joins terms that must all hold', () => {
    expect(groups('A & B')).toEqual([[text('A'), text('B')]])
  })

  test('& binds tighter than a space: a b & c = a OR (b AND c)', () => {
    expect(groups('a b & c')).toEqual([[text('a')], [text('b'), text('c')]])
    expect(groups('a & b c')).toEqual([[text('a'), text('b')], [text('c')]])
    expect(groups('a & b c & d e')).toEqual([[text('a'), text('b')], [text('c'), text('d')], [text('e')]])
  })

  test('& needs no spaces around it', () => {
    expect(groups('a&b')).toEqual([[text('a'), text('b')]])
    expect(groups('a &b c& d')).toEqual([[text('a'), text('b')], [text('c'), text('d')]])
  })

  test('runs of whitespace (tabs, newlines) separate like one space', () => {
    expect(groups('  a \t\n b  ')).toEqual([[text('a')], [text('b')]])
  })

  test('a stray & (leading, trailing, doubled, alone) is ignored', () => {
    expect(groups('& a')).toEqual([[text('a')]])
    expect(groups('a &')).toEqual([[text('a')]])
    expect(groups('a & & b')).toEqual([[text('a'), text('b')]])
    expect(groups('a && b')).toEqual([[text('a'), text('b')]])
    expect(groups('&')).toEqual([])
    expect(groups('& & &')).toEqual([])
  })

  test('a trailing & does not glue to the next OR term', () => {
    expect(groups('a & b &')).toEqual([[text('a'), text('b')]])
  })

  test('empty or blank input is no condition', () => {
    expect(groups('')).toEqual([])
    expect(groups('   ')).toEqual([])
    expect(groups('""')).toEqual([])
  })
})

describe('parseFilter: patterns and quotes', () => {
  test('wildcards stay in the pattern for the compiler', () => {
    expect(groups('t1_trio*/s0*.nii')).toEqual([[text('t1_trio*/s0*.nii')]])
  })

  test('double quotes group a term with spaces and &', () => {
    expect(groups('"MPR t1*" x')).toEqual([[text('MPR t1*')], [text('x')]])
    expect(groups('"a & b"')).toEqual([[text('a & b')]])
    expect(groups('pre"fix with"post')).toEqual([[text('prefix withpost')]])
  })

  test('an unbalanced quote runs to the end of the input', () => {
    expect(groups('a "b c')).toEqual([[text('a')], [text('b c')]])
    expect(groups('"')).toEqual([])
  })

  test('other characters are kept as they are', () => {
    expect(groups(`50% o'brien back\\slash bang! semi;colon`)).toEqual([
      [text('50%')],
      [text("o'brien")],
      [text('back\\slash')],
      [text('bang!')],
      [text('semi;colon')],
    ])
  })
})

describe('parseFilter: special attributes', () => {
  test('STAG, PTAG, FTAG, SDESC take a pattern', () => {
    expect(groups('STAG:control PTAG:pat* FTAG:good SDESC:Brain_MR')).toEqual([
      [{ kind: 'attr', attr: 'STAG', pattern: 'control' }],
      [{ kind: 'attr', attr: 'PTAG', pattern: 'pat*' }],
      [{ kind: 'attr', attr: 'FTAG', pattern: 'good' }],
      [{ kind: 'attr', attr: 'SDESC', pattern: 'Brain_MR' }],
    ])
  })

  test('attribute names ignore letter case', () => {
    expect(groups('stag:x Sdesc:y')).toEqual([[{ kind: 'attr', attr: 'STAG', pattern: 'x' }], [{ kind: 'attr', attr: 'SDESC', pattern: 'y' }]])
  })

  test('a quoted value after the attribute may hold spaces', () => {
    expect(groups('STAG:"two words" & b')).toEqual([[{ kind: 'attr', attr: 'STAG', pattern: 'two words' }, text('b')]])
  })

  test('a quoted attribute prefix is plain text', () => {
    expect(groups('"STAG:x"')).toEqual([[text('STAG:x')]])
  })

  test('an unknown prefix is plain text (a colon in a name or file)', () => {
    expect(groups('XTAG:a c:d')).toEqual([[text('XTAG:a')], [text('c:d')]])
  })

  test('an attribute with an empty value matches any value', () => {
    expect(groups('STAG:')).toEqual([[{ kind: 'attr', attr: 'STAG', pattern: '' }]])
  })

  test('JOB takes q, r, e or the words', () => {
    expect(groups('JOB:q JOB:r JOB:e JOB:queued JOB:Running JOB:ERROR JOB:')).toEqual([
      [{ kind: 'job', state: 'q' }],
      [{ kind: 'job', state: 'r' }],
      [{ kind: 'job', state: 'e' }],
      [{ kind: 'job', state: 'q' }],
      [{ kind: 'job', state: 'r' }],
      [{ kind: 'job', state: 'e' }],
      [{ kind: 'job' }],
    ])
  })

  test('JOB with an unknown state is a usage error that names the valid ones', () => {
    expect(() => parseFilter('JOB:x')).toThrow(UsageError)
    expect(() => parseFilter("JOB:'; DROP TABLE commands; --")).toThrow(/JOB:q \(queued\)/)
  })

  test('the seed examples', () => {
    expect(groups('t1_tri*/s0*.nii & STAG:control')).toEqual([[text('t1_tri*/s0*.nii'), { kind: 'attr', attr: 'STAG', pattern: 'control' }]])
    expect(groups('t1_trio*/s0*.nii MPR_t1*/s*.nii')).toEqual([[text('t1_trio*/s0*.nii')], [text('MPR_t1*/s*.nii')]])
  })
})

describe('parseFilter: hostile input', () => {
  test('input longer than the limit is refused', () => {
    expect(() => parseFilter('a'.repeat(MAX_FILTER_LENGTH + 1))).toThrow(UsageError)
    expect(groups('a'.repeat(MAX_FILTER_LENGTH))).toEqual([[text('a'.repeat(MAX_FILTER_LENGTH))]])
  })

  test('more terms than the limit are refused', () => {
    expect(() => parseFilter(Array.from({ length: MAX_FILTER_TERMS + 1 }, (_, i) => `t${i}`).join(' '))).toThrow(/more than/)
    expect(groups(Array.from({ length: MAX_FILTER_TERMS }, (_, i) => `t${i}`).join(' '))).toHaveLength(MAX_FILTER_TERMS)
  })

  test('a NUL character is refused', () => {
    expect(() => parseFilter('a\0b')).toThrow(UsageError)
  })

  test('SQL in the input is just a pattern', () => {
    expect(groups("'; DROP TABLE studies; --")).toEqual([[text("';")], [text('DROP')], [text('TABLE')], [text('studies;')], [text('--')]])
  })
})
