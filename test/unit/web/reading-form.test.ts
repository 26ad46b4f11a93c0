// The Reading tool's pure parts: the JSON checker's error positions (line/column, what was expected), the palette's
// snippets (each a valid item) and their insertion at the cursor (commas added so the JSON stays valid), the form
// spec's checks and the validation of filled-in values, and the active-time clock with pauses.
import { describe, expect, test } from 'bun:test'
import { ActiveTimer, clock } from '../../../src/web/viewer/reading/active-timer'
import { ITEM_TYPES, inputItems, parseForm, validate, visibleValues } from '../../../src/web/viewer/reading/form-spec'
import { checkJson, lineColumn } from '../../../src/web/viewer/reading/json-check'
import { insertSnippet, snippet } from '../../../src/web/viewer/reading/palette'

describe('checkJson: the first error with its line and column', () => {
  const cases: [string, number, number, RegExp][] = [
    ['{"a": 1,\n "b" 2}', 2, 6, /expected ':' after the key/],
    ['{"a": 1,\n}', 2, 1, /trailing comma/],
    ['[1, 2,]', 1, 7, /trailing comma/],
    ["{'a': 1}", 1, 2, /double quotes/],
    ['{"items": [\n  {"type": "radio"}\n  {"type": "text"}\n]}', 3, 3, /expected ',' or ']'/],
    ['{"a": "unterminated\n}', 1, 20, /must end on its line/],
    ['{"a": tru}', 1, 7, /expected a value/],
    ['{"a": 1} x', 1, 10, /after the end/],
    ['', 1, 1, /expected a value, found the end of the text/],
    ['{"a": "\\x"}', 1, 8, /unknown escape/],
  ]
  for (const [text, line, column, message] of cases)
    test(JSON.stringify(text), () => {
      const r = checkJson(text)
      expect(r.ok).toBe(false)
      if (r.ok) return
      expect([r.error.line, r.error.column]).toEqual([line, column])
      expect(r.error.message).toMatch(message)
      expect(r.error.message.startsWith(`line ${line}, column ${column}: `)).toBe(true)
      // JSON.parse agrees that it is not JSON
      expect(() => JSON.parse(text)).toThrow()
    })

  test('valid JSON parses to what JSON.parse gives', () => {
    const text = '{"a": [1, -2.5e3, true, false, null, "x\\u00e9\\n"], "b": {}}'
    const r = checkJson(text)
    expect(r.ok && r.value).toEqual(JSON.parse(text))
  })

  test('lineColumn counts lines from 1', () => {
    expect(lineColumn('ab\ncd\nef', 7)).toEqual({ line: 3, column: 2 })
  })
})

describe('palette', () => {
  test('every item type has a snippet that is valid JSON and a valid item', () => {
    for (const type of ITEM_TYPES) {
      const item = JSON.parse(snippet(type))
      expect(item.type).toBe(type)
      const form = type === 'basis' ? item : { type: 'basis', items: type === 'subform' ? [{ type: 'radio', name: 'finding', options: ['no', 'yes'] }, item] : [item] }
      expect(() => parseForm(form)).not.toThrow()
    }
  })

  test('inserted after the last item: a comma before it; the result is valid JSON', () => {
    const text = '{"type": "basis", "items": [\n  {"type": "checkbox", "name": "a"}\n]}'
    const at = text.indexOf('}\n]') + 1
    const r = insertSnippet(text, at, at, snippet('text'))
    expect(checkJson(r.text).ok).toBe(true)
    expect((JSON.parse(r.text).items as { name: string }[]).map((i) => i.name)).toEqual(['a', 'comments'])
    expect(r.text.slice(0, r.cursor).endsWith(snippet('text'))).toBe(true)
  })

  test('inserted before the first item: a comma after it', () => {
    const text = '{"type": "basis", "items": [{"type": "checkbox", "name": "a"}]}'
    const at = text.indexOf('[') + 1
    const r = insertSnippet(text, at, at, snippet('rating'))
    expect((JSON.parse(r.text).items as { name: string }[]).map((i) => i.name)).toEqual(['confidence', 'a'])
    expect(r.text.slice(r.cursor).startsWith(', {')).toBe(true)
  })

  test('into an empty list: no comma; a selection is replaced', () => {
    const text = '{"type": "basis", "items": []}'
    const at = text.indexOf('[') + 1
    expect(JSON.parse(insertSnippet(text, at, at, snippet('checkbox')).text).items).toHaveLength(1)
    const sel = '{"type": "basis", "items": [{"type": "separator"}]}'
    const s = sel.indexOf('{"type": "sep')
    const r = insertSnippet(sel, s, sel.lastIndexOf(']'), snippet('slider'))
    expect(JSON.parse(r.text).items.map((i: { type: string }) => i.type)).toEqual(['slider'])
  })
})

describe('form spec', () => {
  const form = parseForm({
    type: 'basis',
    items: [
      { type: 'radio', name: 'finding', options: ['no', 'yes'], required: 1, useastag: 1 },
      { type: 'subform', label: 'details', showif: { item: 'finding', value: 'yes' }, items: [{ type: 'number', name: 'size', min: 0, max: 50, required: 1 }, { type: 'markerpoint', name: 'where', required: 1 }] },
      { type: 'rating', name: 'confidence' },
      { type: 'checkbox', name: 'artefact' },
      { type: 'separator', label: '<b>not html</b>' },
      { type: 'text', name: 'comments' },
    ],
  })

  test('defaults and flags', () => {
    expect(inputItems(form).map((i) => i.name)).toEqual(['finding', 'size', 'where', 'confidence', 'artefact', 'comments'])
    expect(inputItems(form)[0]!.useastag).toBe(true)
    expect(inputItems(form)[3]).toMatchObject({ min: 1, max: 5 })
  })

  test('refused forms say what is wrong', () => {
    expect(() => parseForm({ type: 'subform' })).toThrow(/outer object must have "type": "basis"/)
    expect(() => parseForm({ type: 'basis', items: [{ type: 'radio', name: 'a' }] })).toThrow(/needs "options"/)
    expect(() => parseForm({ type: 'basis', items: [{ type: 'text', name: 'a' }, { type: 'text', name: 'a' }] })).toThrow(/used twice/)
    expect(() => parseForm({ type: 'basis', items: [{ type: 'text' }] })).toThrow(/needs a "name"/)
    expect(() => parseForm({ type: 'basis', items: [{ type: 'texts', name: 'a' }] })).toThrow(/must be one of basis, subform/)
    expect(() => parseForm({ type: 'basis', items: [{ type: 'text', name: 'a', useastag: 1 }] })).toThrow(/useastag works on radio/)
    expect(() => parseForm({ type: 'basis', items: [{ type: 'text', name: '<x>' }] })).toThrow(/"name" must start/)
    expect(() => parseForm({ type: 'basis', items: [{ type: 'subform', showif: { item: 'nope' } }] })).toThrow(/no item of this form/)
  })

  test('validation: required, ranges; a hidden subform is neither checked nor returned', () => {
    expect(validate(form, { finding: null }).map((e) => e.name)).toEqual(['finding'])
    expect(validate(form, { finding: 'no', size: null, where: null })).toEqual([])
    expect(visibleValues(form, { finding: 'no', size: 3, where: null, confidence: 2 })).toEqual({ finding: 'no', confidence: 2 })
    expect(validate(form, { finding: 'yes', size: null, where: null }).map((e) => e.name)).toEqual(['size', 'where'])
    expect(validate(form, { finding: 'yes', size: 51, where: [{ label: 'p1', position: [1, 2, 3] }] }).map((e) => e.message)).toEqual(['size: at most 50'])
    const two = [{ label: 'p1', position: [1, 2, 3] as [number, number, number] }, { label: 'p2', position: [4, 5, 6] as [number, number, number] }]
    expect(validate(form, { finding: 'yes', size: 5, where: two }).map((e) => e.message)).toEqual(['where: one point only (2 placed)'])
    expect(validate(form, { finding: 'maybe' }).map((e) => e.message)).toEqual(['finding: not one of the options'])
  })
})

describe('ActiveTimer', () => {
  test('pauses (hidden tab, pause button, overlapping) are not counted', () => {
    let t = 0
    const timer = new ActiveTimer(() => t)
    t = 10_000
    timer.pause('hidden')
    t = 25_000
    timer.pause('button')
    timer.resume('hidden')
    t = 30_000
    expect(timer.paused).toBe(true)
    expect(timer.seconds()).toBe(10)
    timer.resume('button')
    t = 32_500
    expect(timer.seconds()).toBe(12.5)
    timer.resume('button') // resuming twice changes nothing
    expect(timer.seconds()).toBe(12.5)
    expect(clock(125.9)).toBe('2:05')
  })
})
