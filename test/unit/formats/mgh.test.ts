import { afterAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { basename, join } from 'node:path'
import { readMgh } from '../../../src/formats/mgh'
import {
  NIBABEL_DATA,
  bytesOf,
  expectFormatError,
  expectMatchesReference,
  i32,
  nibabelReference,
  patched,
  runPython,
  tempDir,
} from './helpers'

const dir = tempDir('mgh')
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const variants = (runPython('make-nibabel-variants.py', [dir]) as string[]).filter((p) => /\.mg[hz]$/.test(p))
const files = [join(NIBABEL_DATA, 'test.mgz'), ...variants]
const refs = nibabelReference(files)

describe('readMgh matches nibabel', () => {
  for (const path of files) {
    test(basename(path), () => {
      const h = readMgh(bytesOf(path), basename(path))
      expect(h.format).toBe('mgh')
      expectMatchesReference(h, refs[path]!)
    })
  }

  test('goodRASFlag 0 falls back to the default orientation', () => {
    expect(readMgh(bytesOf(join(dir, 'bad_ras.mgh')), 'bad_ras.mgh').extra?.goodRASFlag).toBe(0)
  })
})

describe('readMgh rejects malformed input with the file and field', () => {
  const name = 'oblique.mgh'
  const mgh = bytesOf(join(dir, name))

  test('truncated header, truncated voxels', () => {
    for (const cut of [0, 3, 50, 89]) expectFormatError(() => readMgh(mgh.subarray(0, cut), name), name, 'header')
    for (const cut of [284, 300, mgh.length - 300]) expectFormatError(() => readMgh(mgh.subarray(0, cut), name), name, 'data')
  })

  test('a truncated .mgz', () => {
    const gz = bytesOf(join(NIBABEL_DATA, 'test.mgz'))
    for (const cut of [2, 12, 30]) expectFormatError(() => readMgh(gz.subarray(0, cut), 'test.mgz'), 'test.mgz', 'header')
  })

  test('wrong version, unknown type, absurd dims', () => {
    expectFormatError(() => readMgh(patched(mgh, 0, i32(2, false)), name), name, 'version')
    expectFormatError(() => readMgh(patched(mgh, 20, i32(7, false)), name), name, 'type')
    expectFormatError(() => readMgh(patched(mgh, 8, i32(0, false)), name), name, 'dims[1]')
    expectFormatError(() => readMgh(patched(mgh, 4, i32(-5, false)), name), name, 'dims[0]')
    expectFormatError(() => readMgh(patched(mgh, 4, i32(1 << 30, false)), name), name, 'data')
  })
})
