// Blind mode hides what it must (names, IDs, dates, other readers' and earlier results); the CSV has one row per
// reader × case × repetition with every form value as a column, read back with an RFC 4180 reader written here.
import { describe, expect, test } from 'bun:test'
import { blindCase, blindResults, caseToken, type ResultView } from '../../../src/reading/blind'
import { formInputs, checkValues } from '../../../src/reading/form'
import { parseReadingConfig, readerView } from '../../../src/reading/reading-config'
import { resultsCsv } from '../../../src/reading/results-csv'
import { checkTiming } from '../../../src/reading/timing'
import { tagChanges } from '../../../src/reading/use-as-tag'

const KEY = 'k'.repeat(64)

describe('blind mode', () => {
  const c = { index: 2, caseKey: 'PAT123#STU9', repetition: 1, stage: 1, pid: 'PAT123', sid: 'STU9', studyPath: 'PAT123/STU9', label: 'Doe^John / STU9 / 20200101', done: false }
  test('a case: token for key and ids, neutral label, no path', () => {
    const b = blindCase(c, KEY)
    const text = JSON.stringify(b)
    for (const hidden of ['PAT123', 'STU9', 'Doe', '2020']) expect(text).not.toContain(hidden)
    expect(b.label).toBe('Case 3')
    expect(b.caseKey).toBe(caseToken(KEY, c.caseKey))
    expect(b.caseKey).toMatch(/^c[0-9a-f]{20}$/)
    expect(caseToken(KEY, c.caseKey)).toBe(b.caseKey) // stable: progress survives new sessions
    expect(caseToken('x'.repeat(64), c.caseKey)).not.toBe(b.caseKey) // keyed: not guessable from the ids
  })
  test('results: only the reader\'s own, no values, annotations or times', () => {
    const r = (user: string): ResultView => ({ id: 1, user, mode: 'serious', caseKey: c.caseKey, pid: 'PAT123', sid: 'STU9', studyPath: 'PAT123/STU9', repetition: 1, stage: 1, values: { side: 'left' }, annotations: { x: 1 }, startedAt: '2026-01-01T00:00:00Z', submittedAt: '2026-01-01T00:01:00Z', seconds: 60 })
    const out = blindResults([r('bob'), r('cat')], KEY, 'bob')
    expect(out.length).toBe(1)
    const text = JSON.stringify(out)
    for (const hidden of ['PAT123', 'STU9', 'left', '2026', 'cat']) expect(text).not.toContain(hidden)
  })
  test('readerView drops admins, readers and the case conditions', () => {
    const raw = { name: 'r', admins: ['a'], readers: ['b'], reading: { reading: { random: 'full', mode_training: { SQLCondition: "STAG LIKE '%T%'" }, mode_serious: {} }, viewer: {} } }
    const v = readerView(raw) as any
    expect(v.admins).toBeUndefined()
    expect(v.readers).toBeUndefined()
    expect(v.reading.reading).toEqual({ random: 'full' })
    expect((raw as any).reading.reading.mode_training).toBeDefined() // the original is untouched
  })
})

describe('config errors name the JSON path', () => {
  const bad = (config: unknown, path: RegExp) => expect(() => parseReadingConfig(config)).toThrow(path)
  test('paths', () => {
    bad({ name: '' }, /reading config name:/)
    bad({ name: 'x', mode: 'solo' }, /reading config mode: one of individual, joint, blind/)
    bad({ name: 'x', form: { type: 'basis', items: [{ type: 'radio', name: 'a' }] } }, /form\.items\[0\]\.options/)
    bad({ name: 'x', form: { type: 'basis', items: [{ type: 'subform', items: [{ type: 'slider', name: 's', min: 5, max: 1 }] }] } }, /form\.items\[0\]\.items\[0\]\.min/)
    bad({ name: 'x', reading: { reading: { random: 'some' } } }, /reading\.reading\.random/)
    bad({ name: 'x', reading: { reading: { repetitions: 0 } } }, /reading\.reading\.repetitions: a whole number from 1 to 20/)
    bad({ name: 'x', reading: { viewer: { sortOrder: 'password' } } }, /reading\.viewer\.sortOrder/)
    bad({ name: 'x', reading: { viewer: { autoloaders: [{ pattern: '../x' }] } } }, /reading\.viewer\.autoloaders/)
    bad({ name: 'x', reading: { reading: { mode_serious: { filter: { nobar: 'x' } } } } }, /reading\.reading\.mode_serious\.filter\.nobar/)
    bad({ name: 'x', readers: ['ok', 'not ok'] }, /readers\[1\]/)
  })
  test('a good config, nested or flat', () => {
    const c = parseReadingConfig({ name: ' r ', reading: { reading: { random: 'idhash', stages: [{ name: 'raw' }, { name: 'AI', autoloaders: [{ pattern: 'ai/*.nii', as: 'overlay', colormap: 'hot' }] }] }, viewer: { sortOrder: 'StudyDate', sortDirection: 'DESC' } } })
    expect(c.name).toBe('r')
    expect(c.stages.map((s) => s.name)).toEqual(['raw', 'AI'])
    expect(c.sortOrder).toBe('study_date')
    expect(c.sortDirection).toBe('desc')
    const flat = parseReadingConfig({ name: 'f', reading: { random: 'full', repetitions: 2 }, viewer: { sortOrder: 'studies_id' } })
    expect([flat.random, flat.repetitions, flat.sortOrder]).toEqual(['full', 2, 'studies_id'])
  })
})

describe('values, timing, useastag', () => {
  const inputs = formInputs({ type: 'basis', items: [{ type: 'radio', name: 'side', options: ['none', 'left', { value: 'right', label: 'R' }], useastag: 1 }, { type: 'checkbox', name: 'calc', useastag: 1 }, { type: 'rating', name: 'q' }, { type: 'markerpoint', name: 'tip' }] })
  test('values checked against the form', () => {
    expect(checkValues(inputs, { side: 'right', calc: 1, q: '3', tip: [{ position: [1, 2, 3] }] })).toEqual({ side: 'right', calc: true, q: 3, tip: [{ label: 'p1', position: [1, 2, 3] }] })
    expect(() => checkValues(inputs, { side: 'up' })).toThrow(/values\.side/)
    expect(() => checkValues(inputs, { q: 6 })).toThrow(/above the maximum 5/)
    expect(() => checkValues(inputs, { tip: [{ position: [1, 2, 3] }, { position: [1, 2, 3] }] })).toThrow(/one point only/)
    expect(() => checkValues(inputs, { other: 1 })).toThrow(/no item of this reading's form/)
  })
  test('useastag: the chosen option tagged, the others untagged; a checkbox by its name', () => {
    expect(tagChanges(inputs, { side: 'left', calc: false })).toEqual({ add: ['left'], remove: ['none', 'right', 'calc'], skipped: [] })
    expect(tagChanges(inputs, { calc: true })).toEqual({ add: ['calc'], remove: [], skipped: [] })
  })
  test('timing: plausible active seconds only', () => {
    const now = 1_000_000_000_000
    expect(checkTiming(12.34, now - 20_000, now, now - 60_000)).toEqual({ seconds: 12.3, startedAt: now - 20_000 })
    expect(() => checkTiming(40, now - 20_000, now, now - 60_000)).toThrow(/more than the 25 s/)
    expect(() => checkTiming(-1, now - 20_000, now, now - 60_000)).toThrow(/activeSeconds/)
    expect(() => checkTiming(1, now + 60_000, now, now - 60_000)).toThrow(/future/)
    expect(() => checkTiming(1, now - 120_000, now, now - 60_000)).toThrow(/before the session began/)
  })
})

describe('CSV', () => {
  const parse = (text: string): string[][] => {
    const rows: string[][] = []
    let row: string[] = []
    let cell = ''
    let q = false
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!
      if (q) {
        if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++
        else if (ch === '"') q = false
        else cell += ch
      } else if (ch === '"') q = true
      else if (ch === ',') row.push(cell), (cell = '')
      else if (ch === '\r' && text[i + 1] === '\n') row.push(cell), rows.push(row), (row = []), (cell = ''), i++
      else cell += ch
    }
    return rows
  }
  test('one row per reader × case × repetition; every form value a column; quotes, commas, newlines and formulas safe', () => {
    const inputs = formInputs({ type: 'basis', items: [{ type: 'text', name: 'comment' }, { type: 'number', name: 'n' }, { type: 'markerset', name: 'm' }] })
    const base = { mode: 'serious', patientsId: 'P1', studiesId: 'S1', studyPath: 'P1/S1', stage: 1, startedAt: Date.UTC(2026, 0, 1, 10), submittedAt: Date.UTC(2026, 0, 1, 10, 1), seconds: 42.5, annotations: {} }
    const csv = resultsCsv(inputs, [
      { ...base, user: 'bob', caseKey: 'P1#S1', repetition: 1, values: { comment: 'a, "b"\nc', n: -3 } },
      { ...base, user: 'bob', caseKey: 'P1#S1', repetition: 2, values: { comment: '=HYPERLINK("x")', m: [{ label: 'p', position: [1, 2, 3] }] } },
      { ...base, user: 'cat', caseKey: 'P1#S1', repetition: 1, values: {} },
    ])
    const rows = parse(csv)
    expect(rows[0]).toEqual(['reader', 'mode', 'case', 'patients_id', 'studies_id', 'study_path', 'repetition', 'stage', 'started_at', 'submitted_at', 'seconds', 'comment', 'n', 'm', 'annotations'])
    expect(rows[1]).toEqual(['bob', 'serious', 'P1#S1', 'P1', 'S1', 'P1/S1', '1', '1', '2026-01-01T10:00:00.000Z', '2026-01-01T10:01:00.000Z', '42.5', 'a, "b"\nc', '-3', '', ''])
    expect(rows[2]!.slice(6, 7)).toEqual(['2'])
    expect(rows[2]![11]).toBe(`'=HYPERLINK("x")`)
    expect(JSON.parse(rows[2]![13]!)).toEqual([{ label: 'p', position: [1, 2, 3] }])
    expect(rows[3]!.slice(0, 1).concat(rows[3]!.slice(11))).toEqual(['cat', '', '', '', ''])
    expect(rows.length).toBe(4)
  })
})
