import { afterAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { FormatError } from '../../../src/formats/format-error'
import { detectFormat, readHeader } from '../../../src/formats/registry'
import { GIFTI_DATA, NIBABEL_DATA, bytesOf, expectFormatError, runPython, tempDir, text } from './helpers'

const dir = tempDir('registry')
afterAll(() => rmSync(dir, { recursive: true, force: true }))
runPython('make-nrrd-stl.py', [dir])

const SAMPLES: [string, string][] = [
  [join(NIBABEL_DATA, 'anatomical.nii'), 'nifti1'],
  [join(NIBABEL_DATA, 'example4d.nii.gz'), 'nifti1'],
  [join(NIBABEL_DATA, 'example_nifti2.nii.gz'), 'nifti2'],
  [join(NIBABEL_DATA, 'nifti1.hdr'), 'nifti1'],
  [join(NIBABEL_DATA, 'nifti2.hdr'), 'nifti2'],
  [join(NIBABEL_DATA, 'test.mgz'), 'mgh'],
  [join(NIBABEL_DATA, 'standard.trk'), 'trk'],
  [join(NIBABEL_DATA, 'complex_big_endian.trk'), 'trk'],
  [join(NIBABEL_DATA, 'standard.tck'), 'tck'],
  [join(GIFTI_DATA, 'ascii.gii'), 'gifti'],
  [join(GIFTI_DATA, 'base64bin.gii'), 'gifti'],
  [join(dir, 'lps_raw.nrrd'), 'nrrd'],
  [join(dir, 'ras_gzip.nrrd'), 'nrrd'],
  [join(dir, 'detached.nhdr'), 'nrrd'],
  [join(dir, 'cube_solid_header.stl'), 'stl'],
  [join(dir, 'cube_ascii.stl'), 'stl'],
]
const base = (p: string) => p.slice(p.lastIndexOf('/') + 1)

describe('detectFormat and readHeader', () => {
  for (const [path, format] of SAMPLES) {
    test(`${base(path)} is ${format}`, () => {
      const bytes = bytesOf(path)
      expect(detectFormat(base(path), bytes.subarray(0, 1024))).toBe(format as never)
      expect(readHeader(bytes, base(path)).format).toBe(format as never)
    })
  }

  test('magic bytes win over a wrong or missing extension', () => {
    const tck = bytesOf(join(NIBABEL_DATA, 'standard.tck'))
    expect(detectFormat('tracts.trk', tck)).toBe('tck')
    expect(readHeader(bytesOf(join(NIBABEL_DATA, 'anatomical.nii')), 'upload.bin').format).toBe('nifti1')
    expect(readHeader(bytesOf(join(NIBABEL_DATA, 'example4d.nii.gz')), 'upload.gz').format).toBe('nifti1')
    expect(detectFormat('surface', bytesOf(join(GIFTI_DATA, 'ascii.gii')))).toBe('gifti')
  })

  test('extensions are matched case-insensitively', () => {
    expect(detectFormat('BRAIN.NII.GZ', new Uint8Array(0))).toBe('nifti1')
    expect(detectFormat('lh.white.MGZ', new Uint8Array(0))).toBe('mgh')
    expect(detectFormat('part.StL', new Uint8Array(0))).toBe('stl')
  })

  test('an unknown file is a FormatError naming the file', () => {
    expect(detectFormat('notes.txt', text('hello'))).toBeUndefined()
    const e = expectFormatError(() => readHeader(text('hello'), 'notes.txt'), 'notes.txt', 'format')
    expect(e.message).toContain('.nii.gz')
  })
})

/** A small deterministic PRNG, so a failure is reproducible. */
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('damaged files never crash or hang a reader', () => {
  for (const [path] of SAMPLES) {
    test(`${base(path)}: truncations and byte flips give a header or a FormatError`, () => {
      const bytes = bytesOf(path)
      const random = rng(bytes.length)
      const cases: Uint8Array[] = []
      for (let i = 0; i < 30; i++) cases.push(bytes.subarray(0, Math.floor((bytes.length * i) / 30)))
      for (let i = 0; i < 60; i++) {
        const copy = bytes.slice()
        const span = Math.min(copy.length, 1100)
        for (let k = 1 + Math.floor(random() * 6); k > 0; k--) copy[Math.floor(random() * span)] = Math.floor(random() * 256)
        cases.push(copy)
      }
      for (const damaged of cases) {
        try {
          const h = readHeader(damaged, base(path))
          for (const d of h.dims ?? []) expect(Number.isSafeInteger(d) && d >= 0).toBe(true)
          for (const v of h.affine?.flat() ?? []) expect(Number.isFinite(v)).toBe(true)
        } catch (e) {
          if (!(e instanceof FormatError)) throw new Error(`${base(path)} (${damaged.length} bytes): ${(e as Error).stack}`)
          expect(e.message.startsWith(`${base(path)}: `)).toBe(true)
        }
      }
    }, 3000)
  }
})
