import { latin1, startsWith } from './byte-reader'
import { FormatError } from './format-error'
import type { ImageHeader } from './header'

const MAGIC = 'mrtrix tracks'
/** A header longer than this is not a header. */
export const MAX_TEXT_HEADER = 1 << 20

const DATATYPES: Record<string, [string, number]> = {
  Float32LE: ['float32', 4],
  Float32BE: ['float32', 4],
  Float64LE: ['float64', 8],
  Float64BE: ['float64', 8],
}

/**
 * MRtrix .tck header: "mrtrix tracks", then `key: value` lines until END. Lines without a colon
 * continue the previous key and repeated keys are joined with newlines (as nibabel does).
 * The data must end with the (+-)inf triplet MRtrix writes on close (nibabel requires it too).
 */
export function readTck(bytes: Uint8Array, name: string): ImageHeader {
  if (!startsWith(bytes, MAGIC)) throw new FormatError(name, 'magic', `expected "${MAGIC}"`)
  const { fields, end } = headerFields(bytes, name)
  const datatypeName = fields.get('datatype') ?? 'Float32LE'
  const type = DATATYPES[datatypeName]
  if (!type) throw new FormatError(name, 'datatype', `expected Float32LE/BE or Float64LE/BE, got "${datatypeName}"`)
  const offset = dataOffset(fields.get('file'), end, bytes.length, name)
  const count = fields.has('count') ? parseCount(fields.get('count')!, name) : undefined
  checkEndMarker(bytes, offset, type, datatypeName.endsWith('LE'), name)
  const extra: Record<string, unknown> = {
    fields: Object.fromEntries(fields),
    dataOffset: offset,
    endianness: datatypeName.endsWith('LE') ? 'little' : 'big',
  }
  return { format: 'tck', kind: 'streamlines', datatype: type[0], streamlines: count, extra }
}

function headerFields(bytes: Uint8Array, name: string): { fields: Map<string, string>; end: number } {
  const limit = Math.min(bytes.length, MAX_TEXT_HEADER)
  const fields = new Map<string, string>()
  let key: string | undefined
  const first = bytes.indexOf(0x0a)
  if (first < 0 || latin1(bytes.subarray(0, Math.min(first, 64))).trim() !== MAGIC) {
    throw new FormatError(name, 'magic', `expected a first line "${MAGIC}"`)
  }
  let pos = first + 1
  let lineNo = 2
  while (pos < limit) {
    let nl = bytes.indexOf(0x0a, pos)
    if (nl < 0 || nl >= limit) nl = -1
    const line = latin1(bytes.subarray(pos, nl < 0 ? limit : nl)).trim()
    const next = nl < 0 ? limit : nl + 1
    if (line === 'END' && nl >= 0) return { fields, end: next }
    if (nl < 0) break
    if (line !== '') {
      const colon = line.indexOf(':')
      let value = line
      if (colon >= 0) {
        key = line.slice(0, colon).trim()
        value = line.slice(colon + 1)
      } else if (key === undefined) {
        throw new FormatError(name, `line ${lineNo}`, `not a "key: value" line: ${JSON.stringify(line.slice(0, 80))}`)
      }
      if (key !== undefined) {
        const prev = fields.get(key)
        fields.set(key, prev === undefined ? value.trim() : `${prev}\n${value.trim()}`)
      }
    }
    pos = next
    lineNo++
  }
  const why = bytes.length > MAX_TEXT_HEADER ? `no END line in the first ${MAX_TEXT_HEADER} bytes` : 'no END line'
  throw new FormatError(name, 'END', `${why} (truncated or not a complete header)`)
}

/** `file: . <offset>`: data in this file at that offset. */
function dataOffset(file: string | undefined, headerEnd: number, length: number, name: string): number {
  if (file === undefined) return headerEnd
  const m = /^(\S+)\s+(\d+)$/.exec(file.trim())
  if (!m || m[1] !== '.') {
    throw new FormatError(name, 'file', `expected ". <offset>" (data in this file), got "${file}"`)
  }
  const offset = Number(m[2])
  if (offset < headerEnd) throw new FormatError(name, 'file', `data offset ${offset} is inside the header`)
  if (offset > length) throw new FormatError(name, 'file', `data offset ${offset} is past the end of the file (${length} bytes)`)
  return offset
}

function parseCount(text: string, name: string): number {
  const t = text.trim()
  if (!/^\d{1,15}$/.test(t)) throw new FormatError(name, 'count', `expected a non-negative integer, got "${t}"`)
  return Number(t)
}

function checkEndMarker(bytes: Uint8Array, offset: number, type: [string, number], le: boolean, name: string) {
  const triplet = 3 * type[1]
  const size = bytes.length - offset
  if (size < triplet || size % triplet !== 0) {
    throw new FormatError(name, 'data', `truncated: ${size} data bytes is not a whole number of ${type[0]} points`)
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - triplet, triplet)
  for (let i = 0; i < 3; i++) {
    const v = type[1] === 4 ? view.getFloat32(4 * i, le) : view.getFloat64(8 * i, le)
    if (!(v === Infinity || v === -Infinity)) {
      throw new FormatError(name, 'data', 'truncated: no end-of-file marker (inf inf inf) after the last streamline')
    }
  }
}
