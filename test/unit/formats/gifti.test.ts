import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { readGifti } from '../../../src/formats/gifti'
import { GIFTI_DATA, bytesOf, expectFormatError, nibabelReference, text } from './helpers'

const FILES = [
  'ascii.gii',
  'base64bin.gii',
  'external.gii',
  'gzipbase64.gii',
  'label.gii',
  'rh.aparc.annot.gii',
  'rh.shape.curv.gii',
  'task.func.gii',
]
const refs = nibabelReference(FILES.map((f) => join(GIFTI_DATA, f)))

describe('readGifti matches nibabel', () => {
  for (const f of FILES) {
    test(f, () => {
      const ref = refs[join(GIFTI_DATA, f)]!
      expect(ref.nibabelError).toBeUndefined()
      const h = readGifti(bytesOf(join(GIFTI_DATA, f)), f)
      expect(h.format).toBe('gifti')
      expect(h.kind).toBe('surface')
      expect(h.extra?.numberOfDataArrays).toBe(ref.dataArrays!)
      expect(h.vertices).toBe(ref.vertices ?? undefined)
      expect(h.triangles).toBe(ref.triangles ?? undefined)
      expect((h.extra?.dataArrays as { dims: number[] }[]).map((a) => a.dims)).toEqual(ref.arrayDims!)
    })
  }

  test('surface metadata is kept', () => {
    const h = readGifti(bytesOf(join(GIFTI_DATA, 'ascii.gii')), 'ascii.gii')
    const arrays = h.extra?.dataArrays as { metadata: Record<string, string> }[]
    expect(arrays[0]?.metadata.AnatomicalStructurePrimary).toBe('CortexLeft')
  })
})

const gifti = (body: string) =>
  text(`<?xml version="1.0" encoding="UTF-8"?>\n<GIFTI Version="1.0" NumberOfDataArrays="1">\n${body}\n</GIFTI>\n`)
const pointset = (attrs: string) =>
  `<DataArray Intent="NIFTI_INTENT_POINTSET" DataType="NIFTI_TYPE_FLOAT32" Encoding="ASCII" ${attrs}><Data>0 0 0</Data></DataArray>`

describe('readGifti rejects malformed input with the file and field', () => {
  test('garbage and non-GIFTI XML', () => {
    expectFormatError(() => readGifti(text('this is not xml'), 'g.gii'), 'g.gii', 'xml')
    expectFormatError(() => readGifti(text('\x00\x01\x02<<<>>>'), 'g.gii'), 'g.gii', 'xml')
    expectFormatError(() => readGifti(text('<?xml version="1.0"?><html><body/></html>'), 'g.gii'), 'g.gii', 'GIFTI')
    expectFormatError(() => readGifti(text('<GIFTI><MetaData></GIFTI>'), 'g.gii'), 'g.gii', 'xml')
    expectFormatError(() => readGifti(text('<GIFTI a=1></GIFTI>'), 'g.gii'), 'g.gii', 'xml')
    expectFormatError(() => readGifti(text('<GIFTI></GIFTI><GIFTI></GIFTI>'), 'g.gii'), 'g.gii', 'xml')
    expectFormatError(() => readGifti(text(''), 'g.gii'), 'g.gii', 'xml')
  })

  test('data arrays with missing or bad attributes', () => {
    expectFormatError(() => readGifti(gifti(pointset('Dimensionality="2" Dim0="1"')), 'g.gii'), 'g.gii', 'DataArray[0].Dim1')
    expectFormatError(() => readGifti(gifti(pointset('Dimensionality="2" Dim0="-1" Dim1="3"')), 'g.gii'), 'g.gii', 'DataArray[0].Dim0')
    expectFormatError(() => readGifti(gifti(pointset('Dimensionality="x"')), 'g.gii'), 'g.gii', 'DataArray[0].Dimensionality')
    const badType = pointset('Dimensionality="1" Dim0="1"').replace('NIFTI_TYPE_FLOAT32', 'NIFTI_TYPE_BOGUS')
    expectFormatError(() => readGifti(gifti(badType), 'g.gii'), 'g.gii', 'DataArray[0].DataType')
    const ok = readGifti(gifti(pointset('Dimensionality="2" Dim0="1" Dim1="3"')), 'g.gii')
    expect(ok.vertices).toBe(1)
  })

  test('truncated at several offsets', () => {
    const name = 'ascii.gii'
    const b = bytesOf(join(GIFTI_DATA, name))
    for (const cut of [0, 10, 100, 200, 1000, 2000, b.length - 3]) {
      expectFormatError(() => readGifti(b.subarray(0, cut), name), name, /^(xml|GIFTI)$/)
    }
  })
})
