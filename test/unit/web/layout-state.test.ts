import { expect, test } from 'bun:test'
import { clamp, columnsKey, MIN_COLUMN, parseColumns, parsePanes } from '../../../src/web/desktop/layout-state'

test('pane sizes: positive numbers kept (rounded), anything else dropped', () => {
  expect(parsePanes(JSON.stringify({ left: 612.4, tree: 180, panel: 320 }))).toEqual({ left: 612, tree: 180, panel: 320 })
  expect(parsePanes(JSON.stringify({ left: -5, tree: 'big', panel: null, other: 3 }))).toEqual({})
  expect(parsePanes(JSON.stringify({ left: Number.MAX_VALUE * 10 }))).toEqual({}) // Infinity does not survive JSON
  expect(parsePanes('{not json')).toEqual({})
  expect(parsePanes('[1,2]')).toEqual({})
  expect(parsePanes(null)).toEqual({})
})

test('column state: widths raised to the minimum, hidden keys deduplicated, other shapes dropped', () => {
  expect(parseColumns(JSON.stringify({ widths: { name: 150.6, jobs: 3, bad: 'x', neg: -1 }, hidden: ['birth_date', 'birth_date', 7, 'tags'] }))).toEqual({
    widths: { name: 151, jobs: MIN_COLUMN },
    hidden: ['birth_date', 'tags'],
  })
  expect(parseColumns(JSON.stringify({ widths: [100], hidden: 'name' }))).toEqual({ widths: {}, hidden: [] })
  expect(parseColumns(null)).toEqual({ widths: {}, hidden: [] })
})

test('clamp keeps a size in its range; in a window too small for both sides the lower bound wins', () => {
  expect(clamp(50, 300, 900)).toBe(300)
  expect(clamp(1200, 300, 900)).toBe(900)
  expect(clamp(500, 300, 900)).toBe(500)
  expect(clamp(500, 300, 200)).toBe(300)
})

test('column state is kept per project', () => {
  expect(columnsKey('LAB')).not.toBe(columnsKey('CT'))
})
