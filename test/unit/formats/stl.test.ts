import { afterAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { readStl } from '../../../src/formats/stl'
import { bytesOf, expectFormatError, runPython, tempDir, text } from './helpers'

// nibabel does not read STL: numpy writes the files and the generator reports its triangle counts.
const dir = tempDir('stl')
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const manifest = runPython('make-nrrd-stl.py', [dir]) as Record<string, { format: string; triangles: number; encoding: string }>
const stls = Object.entries(manifest).filter(([, k]) => k.format === 'stl')

describe('readStl reads what numpy wrote', () => {
  test('the generator wrote binary (one with a "solid" header) and ascii files', () => {
    expect(stls.map(([n]) => n)).toEqual(expect.arrayContaining(['cube_solid_header.stl', 'random.stl', 'cube_ascii.stl']))
  })

  for (const [name, known] of stls) {
    test(name, () => {
      const h = readStl(bytesOf(join(dir, name)), name)
      expect(h.format).toBe('stl')
      expect(h.kind).toBe('surface')
      expect(h.triangles).toBe(known.triangles)
      expect(h.extra?.encoding).toBe(known.encoding)
    })
  }
})

describe('readStl rejects malformed input with the file and field', () => {
  test('truncated binary files', () => {
    const name = 'random.stl'
    const b = bytesOf(join(dir, name))
    for (const cut of [0, 50, 83]) expectFormatError(() => readStl(b.subarray(0, cut), name), name, 'header')
    for (const cut of [84, 1000, b.length - 1]) expectFormatError(() => readStl(b.subarray(0, cut), name), name, 'triangle count')
  })

  test('a truncated binary file whose header starts with "solid" is not taken for ascii', () => {
    const name = 'cube_solid_header.stl'
    const b = bytesOf(join(dir, name))
    for (const cut of [100, b.length - 1]) expectFormatError(() => readStl(b.subarray(0, cut), name), name, /^(facet \d+|solid)$/)
  })

  test('truncated or malformed ascii files', () => {
    const name = 'cube_ascii.stl'
    const b = bytesOf(join(dir, name))
    for (const cut of [10, 100, 1000, b.length - 20]) expectFormatError(() => readStl(b.subarray(0, cut), name), name, /^facet \d+$/)
    const bad = text('solid x\n facet normal 0 0 0\n outer loop\n vertex 0 0 zero\n')
    expectFormatError(() => readStl(bad, 'bad.stl'), 'bad.stl', 'facet 1')
    const noEnd = text('solid x\n facet normal 0 0 0\n outer loop\n vertex 0 0 0\n vertex 0 0 0\n vertex 0 0 0\n endloop\n endfacet\n')
    expectFormatError(() => readStl(noEnd, 'noend.stl'), 'noend.stl', 'facet 2')
  })
})
