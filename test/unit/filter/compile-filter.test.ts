import { describe, expect, test } from 'bun:test'
import { compileFilter, compileFilters, FILTER_BARS, JOB_STATES, termToLike, type FilterBar } from '../../../src/archive/filter/compile-filter'
import { MAX_FILTER_LENGTH, parseFilter } from '../../../src/archive/filter/parse-filter'
import { UsageError } from '../../../src/core/errors'

const compile = (input: string, bar: FilterBar = 'name') => compileFilter(parseFilter(input), bar)
const count = (sql: string, needle: string) => sql.split(needle).length - 1
/** The SQL the compiler may emit, without its fixed vocabulary, must be free of anything a user typed. */
const FIXED = /^[\sa-z0-9_.,()=?!']*$/i

describe('termToLike: wildcards and escaping', () => {
  test('implicit trailing wildcard', () => {
    expect(termToLike('A')).toBe('A%')
    expect(termToLike('')).toBe('%')
  })

  test('* is any run, _ is exactly one character', () => {
    expect(termToLike('t1_trio*/s0*.nii')).toBe('t1_trio%/s0%.nii%')
    expect(termToLike('a*')).toBe('a%') // no second trailing wildcard
  })

  test('% and ! are literal (escaped with !), quote and backslash need no escape as parameters', () => {
    expect(termToLike('50%')).toBe('50!%%')
    expect(termToLike('bang!')).toBe('bang!!%')
    expect(termToLike("o'brien")).toBe("o'brien%")
    expect(termToLike('a\\b')).toBe('a\\b%')
    expect(termToLike('%*')).toBe('!%%')
  })
})

describe('compileFilter: shapes', () => {
  test('a column bar: one LIKE per term, OR between groups, AND inside', () => {
    const f = compile('A B & C')
    expect(f.params).toEqual(['A%', 'B%', 'C%'])
    expect(f.sql).toBe(
      "(LOWER(p.name) LIKE LOWER(?) ESCAPE '!' OR (LOWER(p.name) LIKE LOWER(?) ESCAPE '!' AND LOWER(p.name) LIKE LOWER(?) ESCAPE '!'))",
    )
  })

  test('each column bar uses its column', () => {
    const columns: Record<string, string> = {
      patients_id: 'p.patients_id',
      name: 'p.name',
      birth_date: 'p.birth_date',
      studies_id: 's.studies_id',
      study_date: 's.study_date',
      description: 's.description',
      modality: 's.modality',
    }
    for (const [bar, col] of Object.entries(columns)) expect(compile('x', bar as FilterBar).sql).toBe(`LOWER(${col}) LIKE LOWER(?) ESCAPE '!'`)
  })

  test('the file bar: a pattern with / is anchored at the start of the path', () => {
    const f = compile('t1_trio*/s0*.nii', 'file')
    expect(f.sql).toBe("EXISTS (SELECT 1 FROM files f WHERE f.study_id = s.id AND LOWER(f.path) LIKE LOWER(?) ESCAPE '!')")
    expect(f.params).toEqual(['t1_trio%/s0%.nii%'])
  })

  test('the file bar: a pattern without / matches the start of the folder or of the file name', () => {
    const f = compile('s0*.nii', 'file')
    expect(f.params).toEqual(['s0%.nii%', '%/s0%.nii%'])
    expect(count(f.sql, 'LIKE LOWER(?)')).toBe(2)
    expect(f.sql).toContain(' OR ')
  })

  test('the q bar searches patients_id, name, studies_id and description', () => {
    const f = compile('ab', 'q')
    expect(f.params).toEqual(['ab%', 'ab%', 'ab%', 'ab%'])
    for (const col of ['p.patients_id', 'p.name', 's.studies_id', 's.description']) expect(f.sql).toContain(`LOWER(${col})`)
  })

  test('STAG, PTAG, FTAG are EXISTS over their tag tables; SDESC is the study description', () => {
    expect(compile('STAG:control').sql).toBe("EXISTS (SELECT 1 FROM study_tags st WHERE st.study_id = s.id AND LOWER(st.tag) LIKE LOWER(?) ESCAPE '!')")
    expect(compile('PTAG:x').sql).toContain('FROM subject_tags pt WHERE pt.subject_id = p.id')
    expect(compile('FTAG:x').sql).toContain('FROM files ff JOIN file_tags ft ON ft.file_id = ff.id WHERE ff.study_id = s.id')
    expect(compile('SDESC:Brain').sql).toBe("LOWER(s.description) LIKE LOWER(?) ESCAPE '!'")
    expect(compile('STAG:control').params).toEqual(['control%'])
  })

  test('special attributes mean the same in every bar', () => {
    for (const bar of FILTER_BARS) {
      expect(compile('STAG:control', bar)).toEqual(compile('STAG:control', 'name'))
      expect(compile('JOB:e', bar)).toEqual(compile('JOB:e', 'name'))
    }
  })

  test('JOB: the states are parameters, the job links to the study or (study-less) to the subject', () => {
    for (const [letter, states] of Object.entries(JOB_STATES)) {
      const f = compile(`JOB:${letter}`)
      expect(f.params).toEqual([...states])
      expect(f.sql).toContain('FROM commands c WHERE (c.study_id = s.id OR (c.study_id IS NULL AND c.subject_id = p.id))')
      expect(count(f.sql, '?')).toBe(states.length)
    }
    expect(compile('JOB:').params).toEqual([])
  })

  test('empty input compiles to a condition that always holds, with no parameters', () => {
    expect(compile('')).toEqual({ sql: '1 = 1', params: [] })
    expect(compile(' & ')).toEqual({ sql: '1 = 1', params: [] })
  })

  test('the number of ? always equals the number of parameters', () => {
    for (const input of ['a b & c', 'JOB:e & STAG:x y', 'x* & FTAG:y & PTAG:z', 's0 t1/a'])
      for (const bar of FILTER_BARS) {
        const f = compile(input, bar)
        expect(count(f.sql, '?')).toBe(f.params.length)
      }
  })
})

describe('compileFilters: several bars', () => {
  test('the AND of the non-empty bars, parameters in bar order', () => {
    const f = compileFilters({ name: 'A B', file: 't1*', modality: '', patients_id: undefined, description: 'Brain' })
    expect(f.sql).toBe(
      "((LOWER(p.name) LIKE LOWER(?) ESCAPE '!' OR LOWER(p.name) LIKE LOWER(?) ESCAPE '!')) AND (LOWER(s.description) LIKE LOWER(?) ESCAPE '!') AND " +
        "(EXISTS (SELECT 1 FROM files f WHERE f.study_id = s.id AND (LOWER(f.path) LIKE LOWER(?) ESCAPE '!' OR LOWER(f.path) LIKE LOWER(?) ESCAPE '!')))",
    )
    expect(f.params).toEqual(['A%', 'B%', 'Brain%', 't1%', '%/t1%'])
  })

  test('no bars, or only empty ones, is the always-true condition', () => {
    expect(compileFilters({})).toEqual({ sql: '1 = 1', params: [] })
    expect(compileFilters({ name: '  ', file: '&' })).toEqual({ sql: '1 = 1', params: [] })
  })

  test('one bar is not wrapped twice', () => {
    expect(compileFilters({ name: 'A' })).toEqual(compile('A'))
  })

  test('an invalid bar is a usage error', () => {
    expect(() => compileFilters({ name: 'ok', file: 'JOB:zzz' })).toThrow(UsageError)
  })
})

describe('hostile input never reaches the SQL text', () => {
  const hostile = [
    "'; DROP TABLE studies; --",
    "' OR '1'='1",
    '%',
    '_',
    '!',
    '\\',
    "\\'; DELETE FROM files; --",
    '" OR 1=1 --',
    '"unbalanced quote',
    'STAG:\'; DROP TABLE study_tags; --',
    'PTAG:") OR 1=1 --',
    'FTAG:*/../../etc/passwd',
    'SDESC:`backtick` $dollar ${x}',
    "x & 'y' & \"z w\" & STAG:'",
    '/* comment */ -- line',
    'ünïcödé 名前 🧠',
    'a'.repeat(MAX_FILTER_LENGTH),
    Array.from({ length: 100 }, (_, i) => `w${i}'`).join(' & '),
  ]

  for (const input of hostile) {
    test(`${JSON.stringify(input.slice(0, 50))}: SQL has only the fixed vocabulary, the text is in the parameters`, () => {
      for (const bar of FILTER_BARS) {
        const f = compile(input, bar)
        expect(f.sql).toMatch(FIXED)
        expect(count(f.sql, '?')).toBe(f.params.length)
        // Quotes in the SQL are only the fixed ESCAPE '!' literals.
        expect(count(f.sql, "'")).toBe(2 * count(f.sql, "ESCAPE '!'"))
        for (const p of f.params) expect(typeof p).toBe('string')
      }
    })
  }

  test('every word of an injection attempt is a parameter, and the SQL text does not change with it', () => {
    const f = compile("'; DROP TABLE studies; --")
    expect(f.params).toEqual(["';%", 'DROP%', 'TABLE%', 'studies;%', '--%'])
    expect(f.sql).not.toContain('DROP')
    const same = compile('a b c d e')
    expect(f.sql).toBe(same.sql)
  })

  test('a quoted injection is one parameter', () => {
    const f = compile(`"'; DROP TABLE studies; --"`)
    expect(f.params).toEqual(["'; DROP TABLE studies; --%"])
    expect(f.sql).toBe("LOWER(p.name) LIKE LOWER(?) ESCAPE '!'")
  })

  test('LIKE metacharacters in user input are escaped for ESCAPE !', () => {
    expect(compile('100%').params).toEqual(['100!%%'])
    expect(compile('a!b').params).toEqual(['a!!b%'])
    expect(compile('!%').params).toEqual(['!!!%%'])
  })

  test('over-long input is refused before any SQL is built', () => {
    expect(() => compile('x'.repeat(MAX_FILTER_LENGTH + 1))).toThrow(UsageError)
  })
})
