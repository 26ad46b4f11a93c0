import { latin1, startsWith } from './byte-reader'
import { FormatError } from './format-error'

/** A header longer than this is not a header. */
export const MAX_NRRD_HEADER = 1 << 20

/** The text part of a NRRD file, split into fields, key/value pairs and a data file list. */
export interface NrrdText {
  version: number
  /** Field identifiers normalised: lower case, no spaces ("data file" -> "datafile"). */
  fields: Map<string, string>
  /** `key:=value` pairs, as written. */
  keyValues: Record<string, string>
  /** File names listed after `data file: LIST`. */
  listedFiles: string[]
  /** Byte offset just past the blank line ending an attached header (file length if none). */
  dataStart: number
  /** True when a blank line ended the header (data may follow in this file). */
  blankLineEnded: boolean
}

export function normaliseField(id: string): string {
  return id.toLowerCase().replace(/\s+/g, '')
}

/** Parses the NRRD magic line and header lines up to the first blank line or the end of the file. */
export function readNrrdText(bytes: Uint8Array, name: string): NrrdText {
  if (!startsWith(bytes, 'NRRD000')) throw new FormatError(name, 'magic', 'expected "NRRD000<n>"')
  const limit = Math.min(bytes.length, MAX_NRRD_HEADER)
  const lines: string[] = []
  let pos = 0
  let blankLineEnded = false
  while (pos < limit) {
    const nl = bytes.indexOf(0x0a, pos)
    const end = nl < 0 || nl >= limit ? limit : nl
    if (nl < 0 || nl >= limit) {
      if (bytes.length > MAX_NRRD_HEADER) {
        throw new FormatError(name, 'header', `no blank line ends the header within ${MAX_NRRD_HEADER} bytes`)
      }
    }
    const line = latin1(bytes.subarray(pos, end)).replace(/\r$/, '')
    pos = end === limit ? limit : end + 1
    if (line === '' && lines.length > 0) {
      blankLineEnded = true
      break
    }
    lines.push(line)
  }
  const magic = /^NRRD000(\d)$/.exec(lines[0] ?? '')
  if (!magic) throw new FormatError(name, 'magic', `expected "NRRD000<n>", got ${JSON.stringify((lines[0] ?? '').slice(0, 20))}`)
  const text: NrrdText = {
    version: Number(magic[1]),
    fields: new Map(),
    keyValues: {},
    listedFiles: [],
    dataStart: pos,
    blankLineEnded,
  }
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!
    if (line.startsWith('#')) continue
    const field = line.indexOf(': ')
    const kv = line.indexOf(':=')
    if (kv >= 0 && (field < 0 || kv < field)) {
      text.keyValues[line.slice(0, kv)] = line.slice(kv + 2)
      continue
    }
    if (field <= 0) throw new FormatError(name, `line ${i + 1}`, `not a "field: value" line: ${JSON.stringify(line.slice(0, 80))}`)
    const id = normaliseField(line.slice(0, field))
    if (text.fields.has(id)) throw new FormatError(name, line.slice(0, field), 'field given twice')
    const value = line.slice(field + 2).trim()
    text.fields.set(id, value)
    if (id === 'datafile' && /^LIST(\s|$)/.test(value)) {
      text.listedFiles = lines.slice(i + 1).filter((l) => l.trim() !== '')
      break
    }
  }
  return text
}
