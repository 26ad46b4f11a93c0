// The SQLCondition translator: the seed's simple forms become filter bars (and an exact check of the rows); anything
// else is refused with a message that shows the filter-bar form to write. Nothing here ever reaches a database.
import { describe, expect, test } from 'bun:test'
import { compileFilters } from '../../../src/archive/filter/compile-filter'
import { matches, translateCondition, type ConditionRow } from '../../../src/reading/sql-condition'

const row = (o: Partial<ConditionRow>): ConditionRow => ({ patients_id: 'P1', name: 'Doe^John', birth_date: '19700101', studies_id: 'S1', study_date: '20200101', description: 'CT thorax', modality: 'CT', tags: [], subject_tags: [], ...o })

describe('accepted forms', () => {
  test("the seed's example: STAG LIKE '%Training%'", () => {
    const t = translateCondition("STAG LIKE '%Training%'")
    expect(t.bars).toEqual({ q: 'STAG:*Training*' })
    expect(t.filterText).toBe('STAG:*Training*')
    expect(matches(t.condition, row({ tags: ['xTrainingy'] }))).toBe(true)
    expect(matches(t.condition, row({ tags: ['training'] }))).toBe(true) // LIKE ignores case, as MySQL's collation
    expect(matches(t.condition, row({ tags: ['Train'] }))).toBe(false)
  })

  test('AND / OR over tags and SDESC stay in one bar; AND binds tighter than OR', () => {
    const t = translateCondition("STAG = 'a' OR PTAG LIKE 'b%' AND SDESC LIKE '%thorax%'")
    expect(t.bars).toEqual({ q: 'STAG:a PTAG:b* & SDESC:*thorax*' })
    expect(matches(t.condition, row({ tags: ['a'] }))).toBe(true)
    expect(matches(t.condition, row({ tags: ['ab'] }))).toBe(false) // = is exact, though the bar's STAG:a is a prefix
    expect(matches(t.condition, row({ subject_tags: ['bx'] }))).toBe(true)
    expect(matches(t.condition, row({ subject_tags: ['bx'], description: 'MR head' }))).toBe(false)
  })

  test('parentheses distribute into the bar\'s OR of AND-groups', () => {
    const t = translateCondition("(STAG = 'a' OR STAG = 'b') AND PTAG = 'c'")
    expect(t.bars).toEqual({ q: 'STAG:a & PTAG:c STAG:b & PTAG:c' })
  })

  test('patient/study columns go to their own bars, AND-ed; values with spaces are quoted', () => {
    const t = translateCondition("PatientName LIKE 'Doe%' AND StudyID = 'S1' AND STAG LIKE '%two words%'")
    expect(t.bars).toEqual({ name: 'Doe*', studies_id: 'S1', q: 'STAG:"*two words*"' })
    expect(matches(t.condition, row({ tags: ['has two words'] }))).toBe(true)
    expect(matches(t.condition, row({ tags: ['has two words'], studies_id: 'S10' }))).toBe(false)
  })

  test('one column with tags in an OR: the column bar holds them all', () => {
    const t = translateCondition("Modality = 'CT' OR STAG = 'ct-like'")
    expect(t.bars).toEqual({ modality: 'CT STAG:ct-like' })
  })

  test('STAG NOT LIKE (the serious cases: not tagged for training) is checked on the rows', () => {
    const t = translateCondition("STAG NOT LIKE '%Training%' AND Modality = 'CT'")
    expect(t.bars).toEqual({ modality: 'CT' })
    expect(t.filterText).toContain('without STAG:*Training*')
    expect(matches(t.condition, row({ tags: ['other'] }))).toBe(true)
    expect(matches(t.condition, row({ tags: ['Training'] }))).toBe(false)
  })

  test('the bars compile with the archive\'s filter compiler (parameters only, no user text in the SQL)', () => {
    const t = translateCondition("PatientName LIKE 'O''Brien%' AND STAG LIKE '%x; DROP TABLE studies --%'")
    const sql = compileFilters(t.bars)
    expect(sql.sql).not.toContain('DROP')
    expect(sql.sql).not.toContain('Brien')
    expect(sql.params).toContain("O'Brien%")
  })
})

describe('refused forms, with the filter-bar form to write', () => {
  const refused = (sql: string, why: RegExp) => {
    expect(() => translateCondition(sql)).toThrow(why)
    expect(() => translateCondition(sql)).toThrow(/filter-bar language, e\.g\. "filter": "STAG:\*Training"/)
  }
  test('statements, sub-selects, functions, comments', () => {
    refused("STAG LIKE 'a'; DROP TABLE studies", /";/)
    refused('id IN (SELECT study_id FROM study_tags)', /not a field/)
    refused("EXISTS (SELECT 1)", /SQL beyond the accepted forms/)
    refused("LOWER(STAG) = 'a'", /"LOWER" at position 1 is not a field/)
    refused("STAG = 'a' -- comment", /"-/)
  })
  test('unknown fields, operators and unclosed quotes', () => {
    refused("password = 'x'", /"password" at position 1 is not a field/)
    refused("StudyDate > '2020'", /">/)
    refused("STAG LIKE 'open", /not closed/)
    refused("(STAG = 'a'", /"\)" is missing/)
    refused('STAG LIKE', /quoted value/)
  })
  test('OR across two columns (bars are AND-ed)', () => {
    refused("PatientName = 'a' OR StudyID = 'b'", /combined with OR/)
  })
  test('negation only on tags, only AND-ed at the top', () => {
    refused("PatientName NOT LIKE 'a%'", /works on STAG and PTAG only/)
    refused("STAG = 'a' OR STAG != 'b'", /only as a condition AND-ed/)
  })
})
