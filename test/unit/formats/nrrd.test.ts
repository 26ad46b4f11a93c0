import { afterAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { readNrrd } from '../../../src/formats/nrrd'
import { bytesOf, expectClose, expectFormatError, runPython, tempDir, text } from './helpers'

// nibabel does not read NRRD: the generator writes files with numpy and reports its own inputs.
interface Known {
  format: string
  dims: number[]
  voxelSize: number[]
  affine?: number[][]
  datatype: string
  encoding?: string
  dataFile?: string | null
}
const dir = tempDir('nrrd')
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const manifest = runPython('make-nrrd-stl.py', [dir]) as Record<string, Known>
const nrrds = Object.entries(manifest).filter(([, k]) => k.format === 'nrrd')

describe('readNrrd reads what the generator wrote', () => {
  test('the generator wrote attached, detached, raw and gzip files', () => {
    const names = nrrds.map(([n]) => n)
    expect(names).toContain('lps_raw.nrrd')
    expect(names).toContain('ras_gzip.nrrd')
    expect(names).toContain('detached.nhdr')
    expect(names).toContain('dwi.nhdr')
  })

  for (const [name, known] of nrrds) {
    test(name, () => {
      const h = readNrrd(bytesOf(join(dir, name)), name)
      expect(h.format).toBe('nrrd')
      expect(h.dims).toEqual(known.dims)
      expectClose(h.voxelSize, known.voxelSize, 1e-5, 'voxelSize')
      if (known.affine) expectClose(h.affine?.flat(), known.affine.flat(), 1e-4, 'affine')
      expect(h.datatype).toBe(known.datatype)
      if (known.encoding) expect(h.extra?.encoding).toBe(known.encoding)
      expect(h.extra?.dataFile).toBe(known.dataFile ?? undefined)
    })
  }
})

const header = (lines: string[], data = '') => text(`NRRD0004\n${lines.join('\n')}\n\n${data}`)
const base = ['type: uint8', 'dimension: 3', 'sizes: 2 2 2', 'encoding: raw']

describe('readNrrd details', () => {
  test('detached data file lists and patterns', () => {
    const list = readNrrd(text(`NRRD0005\n${base.join('\n')}\ndata file: LIST\na.raw\nb.raw\n`), 'l.nhdr')
    expect(list.extra?.dataFiles).toEqual(['a.raw', 'b.raw'])
    const pattern = readNrrd(text(`NRRD0005\n${base.join('\n')}\ndata file: slice%03d.raw 1 3 1 2\n`), 'p.nhdr')
    expect(pattern.extra?.dataFiles).toEqual(['slice001.raw', 'slice002.raw', 'slice003.raw'])
  })

  test('key/value pairs and comments', () => {
    const h = readNrrd(header(['# comment', ...base, 'DWMRI_b-value:=1000', 'content: test volume'], '12345678'), 'k.nrrd')
    expect(h.extra?.keyValues).toEqual({ 'DWMRI_b-value': '1000' })
    expect(h.extra?.description).toBe('test volume')
  })
})

describe('readNrrd rejects malformed input with the file and field', () => {
  test('truncated at several offsets', () => {
    const name = 'lps_raw.nrrd'
    const b = bytesOf(join(dir, name))
    for (const cut of [0, 5]) expectFormatError(() => readNrrd(b.subarray(0, cut), name), name, 'magic')
    for (const cut of [9, 40, 60]) expectFormatError(() => readNrrd(b.subarray(0, cut), name), name, /^(line \d+|type|dimension|sizes|encoding)$/)
    for (const cut of [b.length - 1, b.length - 200]) expectFormatError(() => readNrrd(b.subarray(0, cut), name), name, 'data')
  })

  test('missing or inconsistent fields', () => {
    expectFormatError(() => readNrrd(header(['type: short', 'dimension: 3', 'encoding: raw', 'endian: little']), 'x.nrrd'), 'x.nrrd', 'sizes')
    expectFormatError(() => readNrrd(header(['type: uint8', 'dimension: 3', 'sizes: 2 2', 'encoding: raw']), 'x.nrrd'), 'x.nrrd', 'sizes')
    expectFormatError(() => readNrrd(header(['type: uint8', 'dimension: 3', 'sizes: 2 -2 2', 'encoding: raw']), 'x.nrrd'), 'x.nrrd', 'sizes')
    expectFormatError(() => readNrrd(header(['type: uint8', 'dimension: 99', 'sizes: 2', 'encoding: raw']), 'x.nrrd'), 'x.nrrd', 'dimension')
    expectFormatError(() => readNrrd(header(['type: quaternion', ...base.slice(1)]), 'x.nrrd'), 'x.nrrd', 'type')
    expectFormatError(() => readNrrd(header([...base.slice(0, 3), 'encoding: rot13']), 'x.nrrd'), 'x.nrrd', 'encoding')
    expectFormatError(() => readNrrd(header(['type: short', ...base.slice(1)], '0'.repeat(16)), 'x.nrrd'), 'x.nrrd', 'endian')
    const dirs = [...base, 'space: RAS', 'space directions: (1,0,0) (0,1,0)']
    expectFormatError(() => readNrrd(header(dirs, '12345678'), 'x.nrrd'), 'x.nrrd', 'space directions')
    const vec = [...base, 'space: RAS', 'space directions: (1,0,0) (0,1,0) (0,0,x)']
    expectFormatError(() => readNrrd(header(vec, '12345678'), 'x.nrrd'), 'x.nrrd', 'space directions')
    expectFormatError(() => readNrrd(header([...base, 'space: mars'], '12345678'), 'x.nrrd'), 'x.nrrd', 'space')
    expectFormatError(() => readNrrd(text(`NRRD0004\n${base.join('\n')}\n`), 'x.nhdr'), 'x.nhdr', 'data file')
    expectFormatError(() => readNrrd(header([...base.slice(0, 3), 'encoding: gzip'], 'not gzip'), 'x.nrrd'), 'x.nrrd', 'data')
    expectFormatError(() => readNrrd(header(['NRRD0004 twice', ...base], '12345678'), 'x.nrrd'), 'x.nrrd', 'line 2')
  })

  test('a header with no blank line in over 1 MiB fails fast', () => {
    const big = new Uint8Array(3 << 20).fill(0x61)
    big.set(text('NRRD0004\ncontent: '))
    expectFormatError(() => readNrrd(big, 'big.nrrd'), 'big.nrrd', 'header')
  }, 2000)
})
