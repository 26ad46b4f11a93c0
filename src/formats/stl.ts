import { latin1 } from './byte-reader'
import { FormatError } from './format-error'
import type { ImageHeader } from './header'
import { StlTokens } from './stl-tokens'

const BINARY_HEADER = 84
const BINARY_TRIANGLE = 50

/**
 * STL surface: binary (80-byte header, uint32 count, 50 bytes per triangle) or ASCII
 * (`solid ... facet normal ... endsolid`). A binary file may itself begin with "solid", so the
 * file is binary exactly when its size is 84 + 50 * count; otherwise it must parse as ASCII.
 */
export function readStl(bytes: Uint8Array, name: string): ImageHeader {
  const binaryCount = bytes.length >= BINARY_HEADER ? new DataView(bytes.buffer, bytes.byteOffset + 80, 4).getUint32(0, true) : -1
  if (binaryCount >= 0 && BINARY_HEADER + BINARY_TRIANGLE * binaryCount === bytes.length) {
    return binary(bytes, binaryCount)
  }
  if (looksAscii(bytes)) return ascii(bytes, name)
  if (binaryCount < 0) {
    throw new FormatError(name, 'header', `truncated: ${bytes.length} of ${BINARY_HEADER} binary STL header bytes`)
  }
  const need = BINARY_HEADER + BINARY_TRIANGLE * binaryCount
  throw new FormatError(
    name,
    'triangle count',
    `header says ${binaryCount} triangles (${need} bytes) but the file has ${bytes.length} bytes (truncated or not STL)`,
  )
}

function binary(bytes: Uint8Array, triangles: number): ImageHeader {
  const header = latin1(bytes.subarray(0, 80)).replace(/\0[\s\S]*$/, '').trim()
  return { format: 'stl', kind: 'surface', triangles, datatype: 'float32', extra: { encoding: 'binary', header } }
}

/** "solid" after optional whitespace. */
function looksAscii(bytes: Uint8Array): boolean {
  let i = 0
  while (i < bytes.length && i < 1024 && (bytes[i] === 0x20 || (bytes[i]! >= 0x09 && bytes[i]! <= 0x0d))) i++
  return latin1(bytes.subarray(i, i + 5)).toLowerCase() === 'solid'
}

function ascii(bytes: Uint8Array, name: string): ImageHeader {
  const t = new StlTokens(bytes, name)
  let triangles = 0
  let solids = 0
  let solidName = ''
  for (let word = t.next(); word !== undefined; word = t.next()) {
    if (word.toLowerCase() !== 'solid') t.fail('solid', `expected "solid", got "${word}"`)
    const label = t.restOfLine()
    if (solids++ === 0) solidName = label
    for (;;) {
      const w = t.expectWord(`facet ${triangles + 1}`)
      if (w === 'endsolid') break
      if (w !== 'facet') t.fail(`facet ${triangles + 1}`, `expected "facet" or "endsolid", got "${w}"`)
      facet(t, triangles + 1)
      triangles++
    }
    t.restOfLine()
  }
  if (solids === 0) t.fail('solid', 'no "solid" found')
  return { format: 'stl', kind: 'surface', triangles, datatype: 'float32', extra: { encoding: 'ascii', name: solidName, solids } }
}

/** `normal n n n outer loop vertex x y z (x3) endloop endfacet`, after "facet". */
function facet(t: StlTokens, n: number): void {
  const field = `facet ${n}`
  t.expect('normal', field)
  t.numbers(3, field)
  t.expect('outer', field)
  t.expect('loop', field)
  for (let v = 0; v < 3; v++) {
    t.expect('vertex', field)
    t.numbers(3, field)
  }
  t.expect('endloop', field)
  t.expect('endfacet', field)
}
