import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { readTck } from '../../../src/formats/tck'
import { NIBABEL_DATA, bytesOf, expectFormatError, expectMatchesReference, nibabelReference, text } from './helpers'

const FILES = ['standard.tck', 'simple.tck', 'simple_big_endian.tck', 'multiline_header_field.tck', 'empty.tck', 'matlab_nan.tck']
const refs = nibabelReference(FILES.map((f) => join(NIBABEL_DATA, f)))

/** A TCK file: header lines, END, then float32 LE points ending with the inf marker. */
function tck(lines: string[], points: number[][] = []): Uint8Array {
  let head = `mrtrix tracks\n${lines.join('\n')}\n`
  const offsetLine = (n: number) => `file: . ${n}\n`
  let offset = head.length + offsetLine(0).length + 4
  offset = head.length + offsetLine(offset).length + 4
  head += `${offsetLine(offset)}END\n`
  const data = new Float32Array([...points.flat(), Infinity, Infinity, Infinity])
  const out = new Uint8Array(head.length + data.byteLength)
  out.set(text(head))
  out.set(new Uint8Array(data.buffer), head.length)
  return out
}

describe('readTck matches nibabel', () => {
  for (const f of FILES) {
    test(f, () => {
      const h = readTck(bytesOf(join(NIBABEL_DATA, f)), f)
      expect(h.format).toBe('tck')
      expect(h.datatype).toBe('float32')
      expectMatchesReference(h, refs[join(NIBABEL_DATA, f)]!)
    })
  }

  test('multi-line fields are joined with newlines, as nibabel does', () => {
    const h = readTck(bytesOf(join(NIBABEL_DATA, 'multiline_header_field.tck')), 'm.tck')
    const fields = h.extra?.fields as Record<string, string>
    expect(fields.command_history?.split('\n').length).toBeGreaterThan(1)
    expect(h.extra?.dataOffset).toBe(1351)
  })

  test('a generated file: count, offset, big-endian flag', () => {
    const h = readTck(tck(['count: 2', 'datatype: Float32LE'], [[1, 2, 3], [NaN, NaN, NaN], [4, 5, 6], [NaN, NaN, NaN]]), 'g.tck')
    expect(h.streamlines).toBe(2)
    expect(h.extra?.endianness).toBe('little')
  })
})

describe('readTck rejects malformed input with the file and field', () => {
  test("nibabel's broken files", () => {
    expectFormatError(() => readTck(bytesOf(join(NIBABEL_DATA, 'no_magic_number.tck')), 'a.tck'), 'a.tck', 'magic')
    expectFormatError(() => readTck(bytesOf(join(NIBABEL_DATA, 'no_header_end.tck')), 'b.tck'), 'b.tck', 'END')
    expectFormatError(() => readTck(bytesOf(join(NIBABEL_DATA, 'no_header_end_eof.tck')), 'c.tck'), 'c.tck', 'END')
  })

  test('truncated at several offsets', () => {
    const name = 'standard.tck'
    const b = bytesOf(join(NIBABEL_DATA, name))
    for (const cut of [0, 5, 20, 60]) expectFormatError(() => readTck(b.subarray(0, cut), name), name, cut < 14 ? 'magic' : 'END')
    for (const cut of [67, 100, b.length - 12, b.length - 1]) expectFormatError(() => readTck(b.subarray(0, cut), name), name, 'data')
  })

  test('bad count, datatype, file offset', () => {
    expectFormatError(() => readTck(tck(['count: many']), 'x.tck'), 'x.tck', 'count')
    expectFormatError(() => readTck(tck(['count: 1', 'datatype: Int16LE']), 'x.tck'), 'x.tck', 'datatype')
    const far = text('mrtrix tracks\ncount: 0\nfile: . 99999\nEND\n')
    expectFormatError(() => readTck(far, 'x.tck'), 'x.tck', 'file')
    const other = text('mrtrix tracks\ncount: 0\nfile: other.dat 0\nEND\n')
    expectFormatError(() => readTck(other, 'x.tck'), 'x.tck', 'file')
  })

  test('a header with no END in over 1 MiB fails fast', () => {
    const big = new Uint8Array(3 << 20).fill(0x61)
    big.set(text('mrtrix tracks\ncount: 1\n'))
    expectFormatError(() => readTck(big, 'big.tck'), 'big.tck', 'END')
  }, 2000)
})
