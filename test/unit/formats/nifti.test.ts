import { afterAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { basename, join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { readNifti } from '../../../src/formats/nifti'
import {
  NIBABEL_DATA,
  bytesOf,
  expectFormatError,
  expectMatchesReference,
  f32,
  i16,
  i64,
  nibabelReference,
  patched,
  runPython,
  tempDir,
  text,
} from './helpers'

const SHIPPED = [
  'anatomical.nii',
  'example4d.nii.gz',
  'example_nifti2.nii.gz',
  'nifti1.hdr',
  'nifti2.hdr',
  'standard.nii.gz',
  'functional.nii',
  'reoriented_anat_moved.nii',
  'resampled_anat_moved.nii',
  'row_major.dconn.nii',
].map((f) => join(NIBABEL_DATA, f))

// Files nibabel itself writes to exercise every affine path (qform, qfac -1, sform over qform,
// no xform, fixed-up pixdims, 2-D, 5-D, RGB, big-endian, NIfTI-2 pair...).
const dir = tempDir('nifti')
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const variants = (runPython('make-nibabel-variants.py', [dir]) as string[]).filter((p) => /\.(nii|nii\.gz|hdr)$/.test(p))
const refs = nibabelReference([...SHIPPED, ...variants])

describe('readNifti matches nibabel', () => {
  for (const path of [...SHIPPED, ...variants]) {
    test(basename(path), () => {
      const h = readNifti(bytesOf(path), basename(path))
      expect(h.kind).toBe('volume')
      expect(h.format).toBe(/nifti2|example_nifti2|dconn/.test(path) ? 'nifti2' : 'nifti1')
      expectMatchesReference(h, refs[path]!)
    })
  }

  test('the affine source follows sform > qform > pixdim, as nibabel', () => {
    const source = (f: string) => readNifti(bytesOf(join(dir, f)), f).extra?.affineSource
    expect(source('sform_and_qform.nii')).toBe('sform')
    expect(source('qform_only.nii')).toBe('qform')
    expect(source('no_xform.nii')).toBe('pixdim')
  })

  test('a header/image pair names its image file', () => {
    const h = readNifti(bytesOf(join(NIBABEL_DATA, 'nifti1.hdr')), 'nifti1.hdr')
    expect(h.extra?.dataFile).toBe('nifti1.img')
  })

  test('a .nii.gz header is read from a prefix of the compressed stream', () => {
    const gz = bytesOf(join(dir, 'big.nii.gz'))
    expect(gz.length).toBeGreaterThan(100_000)
    const h = readNifti(gz.subarray(0, 2048), 'big.nii.gz')
    expect(h.dims).toEqual([64, 64, 64])
    expectMatchesReference(h, refs[join(dir, 'big.nii.gz')]!)
  })
})

describe('readNifti rejects malformed input with the file and field', () => {
  const name = 'anatomical.nii'
  const anat = bytesOf(join(NIBABEL_DATA, name))
  const le = new DataView(anat.buffer, anat.byteOffset).getInt32(0, true) === 348

  test('absurd dim[0]', () => {
    const e = expectFormatError(() => readNifti(patched(anat, 40, i16(12, le)), name), name, 'dim[0]')
    expect(e.message).toBe('anatomical.nii: dim[0]: expected 1-7, got 12')
  })

  test('zero or negative sizes', () => {
    expectFormatError(() => readNifti(patched(anat, 44, i16(-4, le)), name), name, 'dim[2]')
    expectFormatError(() => readNifti(patched(anat, 46, i16(0, le)), name), name, 'dim[3]')
  })

  test('wrong magic, wrong sizeof_hdr, an Analyze header', () => {
    expectFormatError(() => readNifti(patched(anat, 344, text('XYZ\0')), name), name, 'magic')
    expectFormatError(() => readNifti(patched(anat, 0, [1, 2, 3, 4]), name), name, 'sizeof_hdr')
    const analyze = bytesOf(join(NIBABEL_DATA, 'analyze.hdr'))
    expect(expectFormatError(() => readNifti(analyze, 'analyze.hdr'), 'analyze.hdr', 'magic').message).toContain('Analyze')
  })

  test('unknown datatype and a non-unit quaternion', () => {
    expectFormatError(() => readNifti(patched(anat, 70, i16(3, le)), name), name, 'datatype')
    const q = patched(patched(anat, 254, i16(0, le)), 256, f32(2, le)) // sform off, |b| > 1
    expectFormatError(() => readNifti(q, name), name, 'quatern')
  })

  test('truncated at several offsets', () => {
    const fields: Record<number, string> = { 0: 'sizeof_hdr', 3: 'sizeof_hdr', 100: 'header', 347: 'header', 352: 'data', 5000: 'data' }
    for (const [cut, field] of Object.entries(fields)) {
      expectFormatError(() => readNifti(anat.subarray(0, Number(cut)), name), name, field)
    }
    expectFormatError(() => readNifti(anat.subarray(0, anat.length - 1), name), name, 'data')
  })

  test('a truncated or corrupt .nii.gz', () => {
    const gzName = 'example4d.nii.gz'
    const gz = bytesOf(join(NIBABEL_DATA, gzName))
    for (const cut of [2, 10, 40]) expectFormatError(() => readNifti(gz.subarray(0, cut), gzName), gzName, 'header')
    const corrupt = patched(gz, 10, new Uint8Array(64).fill(0xff))
    expectFormatError(() => readNifti(corrupt, gzName), gzName, 'gzip')
  })

  test('NIfTI-2 sizes beyond any real image', () => {
    const n2Name = 'nifti2.hdr'
    const n2 = bytesOf(join(NIBABEL_DATA, n2Name))
    const n2le = new DataView(n2.buffer, n2.byteOffset).getInt32(0, true) === 540
    const huge = patched(patched(n2, 24, i64(1n << 40n, n2le)), 32, i64(1n << 40n, n2le))
    expectFormatError(() => readNifti(huge, n2Name), n2Name, 'dim')
    expectFormatError(() => readNifti(patched(n2, 16, i64(0n, n2le)), n2Name), n2Name, 'dim[0]')
    expectFormatError(() => readNifti(gzipSync(n2.subarray(0, 300)), 'x.nii.gz'), 'x.nii.gz', 'header')
  })
})
