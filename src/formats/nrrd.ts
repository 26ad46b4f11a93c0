import { FormatError } from './format-error'
import type { ImageHeader } from './header'
import { type NrrdText, readNrrdText } from './nrrd-header'

/** NRRD type names (all spellings the spec allows) -> [name, bytes]. */
const TYPES: [string[], string, number][] = [
  [['signed char', 'int8', 'int8_t'], 'int8', 1],
  [['uchar', 'unsigned char', 'uint8', 'uint8_t'], 'uint8', 1],
  [['short', 'short int', 'signed short', 'signed short int', 'int16', 'int16_t'], 'int16', 2],
  [['ushort', 'unsigned short', 'unsigned short int', 'uint16', 'uint16_t'], 'uint16', 2],
  [['int', 'signed int', 'int32', 'int32_t'], 'int32', 4],
  [['uint', 'unsigned int', 'uint32', 'uint32_t'], 'uint32', 4],
  [['longlong', 'long long', 'long long int', 'signed long long', 'signed long long int', 'int64', 'int64_t'], 'int64', 8],
  [['ulonglong', 'unsigned long long', 'unsigned long long int', 'uint64', 'uint64_t'], 'uint64', 8],
  [['float'], 'float32', 4],
  [['double'], 'float64', 8],
]

const ENCODINGS: Record<string, string> = {
  raw: 'raw', txt: 'ascii', text: 'ascii', ascii: 'ascii', hex: 'hex',
  gz: 'gzip', gzip: 'gzip', bz2: 'bzip2', bzip2: 'bzip2', zstd: 'zstd',
}

/** Named spaces -> [dimension, which world axes to negate to reach RAS (undefined: no anatomy)]. */
const SPACES: Record<string, [number, boolean[] | undefined]> = {
  'right-anterior-superior': [3, [false, false, false]], ras: [3, [false, false, false]],
  'left-anterior-superior': [3, [true, false, false]], las: [3, [true, false, false]],
  'left-posterior-superior': [3, [true, true, false]], lps: [3, [true, true, false]],
  'right-anterior-superior-time': [4, [false, false, false]], rast: [4, [false, false, false]],
  'left-anterior-superior-time': [4, [true, false, false]], last: [4, [true, false, false]],
  'left-posterior-superior-time': [4, [true, true, false]], lpst: [4, [true, true, false]],
  'scanner-xyz': [3, undefined], 'scanner-xyz-time': [4, undefined],
  '3d-right-handed': [3, undefined], '3d-left-handed': [3, undefined],
  '3d-right-handed-time': [4, undefined], '3d-left-handed-time': [4, undefined],
}

const MAX_DIMENSION = 16

/**
 * NRRD header (attached .nrrd or detached .nhdr). The affine maps the spatial axes (those whose
 * space direction is not "none") to world space, converted to RAS+ for LPS/LAS spaces; dims list
 * the spatial axes first, then the others (e.g. a DWI list axis).
 */
export function readNrrd(bytes: Uint8Array, name: string): ImageHeader {
  const text = readNrrdText(bytes, name)
  const f = text.fields
  const field = (id: string, label: string): string => {
    const v = f.get(id)
    if (v === undefined) throw new FormatError(name, label, 'required field missing')
    return v
  }
  const typeName = field('type', 'type')
  const type = TYPES.find(([names]) => names.includes(typeName.toLowerCase()))
  if (!type) throw new FormatError(name, 'type', `unsupported type "${typeName}"`)
  const dimension = int(field('dimension', 'dimension'), 'dimension', name)
  if (dimension < 1 || dimension > MAX_DIMENSION) throw new FormatError(name, 'dimension', `expected 1-${MAX_DIMENSION}, got ${dimension}`)
  const sizes = words(field('sizes', 'sizes'), dimension, 'sizes', name).map((s) => int(s, 'sizes', name))
  sizes.forEach((s) => {
    if (s < 1) throw new FormatError(name, 'sizes', `expected positive sizes, got ${s}`)
  })
  const encodingName = field('encoding', 'encoding')
  const encoding = ENCODINGS[encodingName.toLowerCase()]
  if (!encoding) throw new FormatError(name, 'encoding', `unknown encoding "${encodingName}"`)
  const endian = f.get('endian')
  if (endian !== undefined && endian !== 'little' && endian !== 'big') {
    throw new FormatError(name, 'endian', `expected "little" or "big", got "${endian}"`)
  }
  if (endian === undefined && type[2] > 1 && encoding !== 'ascii' && encoding !== 'hex') {
    throw new FormatError(name, 'endian', `required for ${type[1]} data in ${encoding} encoding`)
  }
  const dataBytes = sizes.reduce((a, b) => a * b, 1) * type[2]
  if (!Number.isSafeInteger(dataBytes)) throw new FormatError(name, 'sizes', `${sizes.join('x')} is beyond any real image`)
  const geometry = spaceGeometry(text, dimension, sizes, name)
  const extra: Record<string, unknown> = {
    version: text.version,
    encoding,
    endianness: endian,
    sizes,
    fields: Object.fromEntries(f),
    keyValues: text.keyValues,
    space: f.get('space'),
  }
  Object.assign(extra, dataLocation(bytes, text, name, encoding, dataBytes))
  if (f.has('kinds')) extra.kinds = f.get('kinds')!.split(/\s+/)
  if (f.has('content')) extra.description = f.get('content')
  return { format: 'nrrd', kind: 'volume', datatype: type[1], ...geometry, extra }
}

interface Geometry {
  dims: number[]
  voxelSize: number[]
  affine?: number[][]
}

function spaceGeometry(text: NrrdText, dimension: number, sizes: number[], name: string): Geometry {
  const f = text.fields
  const spaceName = f.get('space')
  const space = spaceName === undefined ? undefined : SPACES[spaceName.toLowerCase()]
  if (spaceName !== undefined && !space) throw new FormatError(name, 'space', `unknown space "${spaceName}"`)
  const spaceDim = space?.[0] ?? (f.has('spacedimension') ? int(f.get('spacedimension')!, 'space dimension', name) : 0)
  if (f.has('spacedimension') && space && spaceDim !== int(f.get('spacedimension')!, 'space dimension', name)) {
    throw new FormatError(name, 'space dimension', `disagrees with space "${spaceName}"`)
  }
  const dirText = f.get('spacedirections')
  if (dirText === undefined) {
    if (spaceDim > 0) throw new FormatError(name, 'space directions', `required with a space (${spaceDim}-D)`)
    return spacingGeometry(f, dimension, sizes, name)
  }
  if (spaceDim < 1 || spaceDim > 4) throw new FormatError(name, 'space directions', 'given without a valid space or space dimension')
  const dirs = words(dirText, dimension, 'space directions', name).map((w) =>
    w === 'none' ? undefined : vector(w, spaceDim, 'space directions', name),
  )
  const spatial = dirs.flatMap((d, i) => (d ? [i] : []))
  if (spatial.length === 0 || spatial.length > spaceDim) {
    throw new FormatError(name, 'space directions', `${spatial.length} axes have directions, space is ${spaceDim}-D`)
  }
  const others = sizes.flatMap((_, i) => (dirs[i] ? [] : [i]))
  const dims = [...spatial, ...others].map((i) => sizes[i]!)
  const originText = f.get('spaceorigin')
  const origin = originText === undefined ? new Array<number>(spaceDim).fill(0) : vector(originText, spaceDim, 'space origin', name)
  const cols = spatial.map((i) => dirs[i]!)
  const voxelSize = cols.map((c) => Math.hypot(...c))
  if (spaceDim !== 3 || cols.length === 1) return { dims, voxelSize }
  // A 2-D image in 3-D space: the slice normal (unit length) completes the affine.
  if (cols.length === 2) cols.push(unitNormal(cols[0]!, cols[1]!))
  const flip = space?.[1] ?? [false, false, false]
  const affine = [0, 1, 2].map((r) => {
    const s = flip[r] ? -1 : 1
    return [...cols.map((c) => s * c[r]!), s * (Number.isFinite(origin[r]!) ? origin[r]! : 0)]
  })
  affine.push([0, 0, 0, 1])
  return { dims, voxelSize, affine }
}

function unitNormal(a: number[], b: number[]): number[] {
  const n = [a[1]! * b[2]! - a[2]! * b[1]!, a[2]! * b[0]! - a[0]! * b[2]!, a[0]! * b[1]! - a[1]! * b[0]!]
  const len = Math.hypot(...n)
  return len > 0 ? n.map((v) => v / len) : [0, 0, 1]
}

/** No space: per-axis spacings (default 1) and axis mins as origin; no known orientation. */
function spacingGeometry(f: Map<string, string>, dimension: number, sizes: number[], name: string): Geometry {
  const nums = (id: string, label: string): number[] | undefined => {
    const t = f.get(id)
    return t === undefined ? undefined : words(t, dimension, label, name).map((w) => (w.toLowerCase() === 'nan' ? NaN : Number(w)))
  }
  const spacings = (nums('spacings', 'spacings') ?? []).map((s) => (Number.isFinite(s) && s !== 0 ? s : 1))
  const mins = nums('axismins', 'axis mins') ?? []
  const n = Math.min(3, dimension)
  const zoom = Array.from({ length: 3 }, (_, i) => (i < n ? spacings[i] ?? 1 : 1))
  const affine = [0, 1, 2].map((r) => [0, 1, 2].map((c) => (r === c ? zoom[r]! : 0)).concat(Number.isFinite(mins[r]) ? mins[r]! : 0))
  affine.push([0, 0, 0, 1])
  return { dims: sizes, voxelSize: zoom.slice(0, n).map(Math.abs), affine }
}

/** Where the voxels are: detached data file(s), or after the header with a sanity check. */
function dataLocation(bytes: Uint8Array, text: NrrdText, name: string, encoding: string, dataBytes: number): Record<string, unknown> {
  const df = text.fields.get('datafile')
  if (df !== undefined) return detachedFiles(df, text.listedFiles, name)
  if (/\.nhdr$/i.test(name)) throw new FormatError(name, 'data file', 'a detached header (.nhdr) must name its data file')
  if (!text.blankLineEnded) throw new FormatError(name, 'data', 'truncated: no blank line and no data after the header')
  const lineSkip = int(text.fields.get('lineskip') ?? '0', 'line skip', name)
  const byteSkip = int(text.fields.get('byteskip') ?? '0', 'byte skip', name)
  const start = text.dataStart
  if (lineSkip === 0 && byteSkip >= 0) {
    if (encoding === 'raw' && start + byteSkip + dataBytes > bytes.length) {
      throw new FormatError(name, 'data', `truncated: ${dataBytes} bytes of voxels declared, ${Math.max(0, bytes.length - start - byteSkip)} present`)
    }
    if (encoding === 'gzip' && !(bytes[start] === 0x1f && bytes[start + 1] === 0x8b)) {
      throw new FormatError(name, 'data', 'encoding is gzip but no gzip stream follows the header')
    }
  }
  return { dataOffset: start }
}

function detachedFiles(value: string, listed: string[], name: string): Record<string, unknown> {
  if (/^LIST(\s|$)/.test(value)) {
    if (listed.length === 0) throw new FormatError(name, 'data file', 'LIST names no files')
    return { dataFile: listed[0], dataFiles: listed }
  }
  const m = /^(\S*%\S*)\s+(-?\d+)\s+(-?\d+)\s+(-?\d+)(\s+\d+)?$/.exec(value)
  if (!m) return { dataFile: value }
  const [min, max, step] = [Number(m[2]), Number(m[3]), Number(m[4])]
  const count = step === 0 ? Infinity : Math.floor((max - min) / step) + 1
  if (!(count >= 1 && count <= 100000)) throw new FormatError(name, 'data file', `pattern "${value}" names ${count} files`)
  const files = Array.from({ length: count }, (_, i) => printfInt(m[1]!, min + i * step))
  return { dataFile: files[0], dataFiles: files, dataFilePattern: m[1] }
}

/** Expands a single %d / %0Nd / %Nd in a NRRD file name pattern. */
function printfInt(pattern: string, n: number): string {
  return pattern.replace(/%(0?)(\d*)d/, (_, zero: string, width: string) =>
    String(n).padStart(Number(width || 0), zero ? '0' : ' '),
  )
}

function int(text: string, field: string, name: string): number {
  const t = text.trim()
  if (!/^-?\d{1,15}$/.test(t)) throw new FormatError(name, field, `expected an integer, got "${t.slice(0, 40)}"`)
  return Number(t)
}

/** Whitespace-separated words, exactly `count` of them (vectors may contain spaces inside parentheses). */
function words(text: string, count: number, field: string, name: string): string[] {
  const out = text.replace(/\(\s*([^)]*?)\s*\)/g, (_, inner: string) => `(${inner.replace(/\s+/g, '')})`).trim().split(/\s+/)
  if (out.length !== count || out[0] === '') throw new FormatError(name, field, `expected ${count} values, got ${out[0] === '' ? 0 : out.length}`)
  return out
}

/** "(x,y,z)" with `n` finite components (the origin may use nan for unknown). */
function vector(text: string, n: number, field: string, name: string): number[] {
  const m = /^\(([^()]*)\)$/.exec(text.trim())
  const parts = m ? m[1]!.split(',').map((p) => (p.trim() === '' || p.trim().toLowerCase() === 'nan' ? NaN : Number(p))) : []
  const ok = parts.length === n && parts.every((v) => Number.isFinite(v) || (field === 'space origin' && Number.isNaN(v)))
  if (!ok) throw new FormatError(name, field, `expected a vector of ${n} numbers, got "${text.slice(0, 60)}"`)
  return parts
}
