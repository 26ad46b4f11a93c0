import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { readTrk } from '../../../src/formats/trk'
import { NIBABEL_DATA, bytesOf, expectFormatError, expectMatchesReference, f32, i16, i32, nibabelReference, patched, text } from './helpers'

const FILES = ['standard.trk', 'standard.LPS.trk', 'complex.trk', 'complex_big_endian.trk', 'empty.trk', 'simple.trk']
const refs = nibabelReference(FILES.map((f) => join(NIBABEL_DATA, f)))

describe('readTrk matches nibabel', () => {
  for (const f of FILES) {
    test(f, () => {
      const h = readTrk(bytesOf(join(NIBABEL_DATA, f)), f)
      expect(h.format).toBe('trk')
      expect(h.kind).toBe('streamlines')
      expectMatchesReference(h, refs[join(NIBABEL_DATA, f)]!)
    })
  }

  test('byte order and voxel order are kept', () => {
    expect(readTrk(bytesOf(join(NIBABEL_DATA, 'complex_big_endian.trk')), 'b.trk').extra?.endianness).toBe('big')
    expect(readTrk(bytesOf(join(NIBABEL_DATA, 'standard.LPS.trk')), 's.trk').extra?.voxelOrder).toBe('LPS')
  })

  test('an unrecorded vox_to_ras ([3][3] = 0) is the identity, as nibabel', () => {
    const trk = bytesOf(join(NIBABEL_DATA, 'standard.trk'))
    const h = readTrk(patched(trk, 440 + 60, f32(0)), 'x.trk')
    expect(h.affine).toEqual([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
  })
})

describe('readTrk rejects malformed input with the file and field', () => {
  const name = 'standard.trk'
  const trk = bytesOf(join(NIBABEL_DATA, name))

  test('wrong magic, wrong hdr_size, unknown version', () => {
    expectFormatError(() => readTrk(patched(trk, 0, text('TRICK')), name), name, 'id_string')
    expectFormatError(() => readTrk(patched(trk, 996, i32(999)), name), name, 'hdr_size')
    expectFormatError(() => readTrk(patched(trk, 992, i32(9)), name), name, 'version')
  })

  test('truncated at several offsets', () => {
    for (const cut of [0, 4, 500, 999]) {
      expectFormatError(() => readTrk(trk.subarray(0, cut), name), name, cut < 5 ? 'id_string' : 'header')
    }
    expectFormatError(() => readTrk(trk.subarray(0, 1200), name), name, 'data')
  })

  test('absurd counts and dims, a degenerate vox_to_ras', () => {
    expectFormatError(() => readTrk(patched(trk, 988, i32(-3)), name), name, 'n_count')
    expectFormatError(() => readTrk(patched(trk, 988, i32(1 << 30)), name), name, 'data')
    expectFormatError(() => readTrk(patched(trk, 8, i16(-7)), name), name, 'dim[1]')
    expectFormatError(() => readTrk(patched(trk, 36, i16(-1)), name), name, 'n_scalars')
    const zeroColumn = patched(patched(patched(trk, 440, f32(0)), 456, f32(0)), 472, f32(0))
    expectFormatError(() => readTrk(zeroColumn, name), name, 'vox_to_ras')
  })
})
