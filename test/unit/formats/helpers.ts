/** Shared by the format tests: the nibabel oracle, fixture generators, and assertions. */
import { expect } from 'bun:test'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FormatError } from '../../../src/formats/format-error'
import type { ImageHeader } from '../../../src/formats/header'

/** Debian's interpreter, which has python3-nibabel; the python3 on PATH may not. */
export const PYTHON = '/usr/bin/python3'
export const NIBABEL_DATA = '/usr/lib/python3/dist-packages/nibabel/tests/data'
export const GIFTI_DATA = '/usr/lib/python3/dist-packages/nibabel/gifti/tests/data'
const SCRIPTS = join(import.meta.dir, '../../fixtures/formats')

/** What nibabel-reference.py prints for one file. */
export interface Reference {
  dims?: number[]
  voxelSize?: number[]
  affine?: number[][]
  datatype?: string
  streamlines?: number
  vertices?: number | null
  triangles?: number | null
  dataArrays?: number
  arrayDims?: number[][]
  nibabelError?: string
}

/** Runs a script of test/fixtures/formats with Debian's python; fails loudly without nibabel. */
export function runPython(script: string, args: string[]): unknown {
  let p: ReturnType<typeof Bun.spawnSync>
  try {
    p = Bun.spawnSync([PYTHON, join(SCRIPTS, script), ...args], { stdout: 'pipe', stderr: 'pipe' })
  } catch (e) {
    throw new Error(`${PYTHON} cannot run (${(e as Error).message}); the format tests need Debian's python3 with nibabel`)
  }
  const out = p.stdout?.toString() ?? ''
  const err = p.stderr?.toString() ?? ''
  if (p.exitCode !== 0 || /No module named/.test(err)) {
    throw new Error(
      `${PYTHON} ${script} failed (exit ${p.exitCode}): ${out.trim()} ${err.trim()}\n` +
        'The format tests take their reference values from nibabel: apt-get install -y python3-nibabel python3-numpy',
    )
  }
  return JSON.parse(out)
}

export function nibabelReference(paths: string[]): Record<string, Reference> {
  return runPython('nibabel-reference.py', paths) as Record<string, Reference>
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `nora-${prefix}-`))
}

export function bytesOf(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path))
}

/** Every component within `tol`. */
export function expectClose(actual: number[] | undefined, expected: number[], tol: number, what: string): void {
  expect(actual, what).toBeDefined()
  expect(actual!.length, `${what} length`).toBe(expected.length)
  actual!.forEach((v, i) => {
    if (!(Math.abs(v - expected[i]!) <= tol)) {
      throw new Error(`${what}[${i}]: got ${v}, expected ${expected[i]} (tolerance ${tol})`)
    }
  })
}

/** dims equal, voxel sizes within 1e-5, affine within 1e-4, datatype equal. */
export function expectMatchesReference(h: ImageHeader, ref: Reference): void {
  expect(ref.nibabelError).toBeUndefined()
  if (ref.dims) expect(h.dims).toEqual(ref.dims)
  if (ref.voxelSize) expectClose(h.voxelSize, ref.voxelSize, 1e-5, 'voxelSize')
  if (ref.affine) expectClose(h.affine?.flat(), ref.affine.flat(), 1e-4, 'affine')
  if (ref.datatype) expect(h.datatype).toBe(ref.datatype)
  if (ref.streamlines !== undefined) expect(h.streamlines).toBe(ref.streamlines)
}

/** The FormatError `fn` throws; fails when it returns or throws anything else. */
export function formatError(fn: () => unknown): FormatError {
  let result: unknown
  try {
    result = fn()
  } catch (e) {
    if (!(e instanceof FormatError)) throw new Error(`expected a FormatError, got ${(e as Error)?.stack ?? e}`)
    return e
  }
  throw new Error(`expected a FormatError, got a header: ${JSON.stringify(result).slice(0, 200)}`)
}

/** Asserts a FormatError naming `file` and the field (a string or a pattern). */
export function expectFormatError(fn: () => unknown, file: string, field: string | RegExp): FormatError {
  const e = formatError(fn)
  expect(e.file).toBe(file)
  if (typeof field === 'string') expect(e.field).toBe(field)
  else expect(e.field).toMatch(field)
  expect(e.message.startsWith(`${file}: ${e.field}: `)).toBe(true)
  return e
}

/** A copy of `bytes` with `patch` applied at `offset`. */
export function patched(bytes: Uint8Array, offset: number, patch: ArrayLike<number>): Uint8Array {
  const copy = bytes.slice()
  copy.set(patch, offset)
  return copy
}

/** Little/big-endian encodings for patches. */
export function i16(v: number, le = true): Uint8Array {
  const b = new Uint8Array(2)
  new DataView(b.buffer).setInt16(0, v, le)
  return b
}
export function i32(v: number, le = true): Uint8Array {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setInt32(0, v, le)
  return b
}
export function i64(v: bigint, le = true): Uint8Array {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setBigInt64(0, v, le)
  return b
}
export function f32(v: number, le = true): Uint8Array {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setFloat32(0, v, le)
  return b
}
export const text = (s: string): Uint8Array => new TextEncoder().encode(s)
