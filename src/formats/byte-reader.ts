import { FormatError } from './format-error'

/**
 * Bounds-checked reads from a byte buffer in one byte order. Every read names the header field
 * it is for, so a short file fails as `file: field: truncated ...` instead of a RangeError.
 */
export class ByteReader {
  private readonly view: DataView

  constructor(
    readonly bytes: Uint8Array,
    readonly file: string,
    readonly littleEndian: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  get length(): number {
    return this.bytes.length
  }

  /** Throws unless `size` bytes are available at `offset`. */
  need(offset: number, size: number, field: string): void {
    if (offset < 0 || offset + size > this.bytes.length) {
      throw new FormatError(
        this.file,
        field,
        `truncated: needs bytes ${offset}-${offset + size - 1}, file has ${this.bytes.length}`,
      )
    }
  }

  u8(offset: number, field: string): number {
    this.need(offset, 1, field)
    return this.view.getUint8(offset)
  }

  i16(offset: number, field: string): number {
    this.need(offset, 2, field)
    return this.view.getInt16(offset, this.littleEndian)
  }

  i32(offset: number, field: string): number {
    this.need(offset, 4, field)
    return this.view.getInt32(offset, this.littleEndian)
  }

  u32(offset: number, field: string): number {
    this.need(offset, 4, field)
    return this.view.getUint32(offset, this.littleEndian)
  }

  /** A 64-bit signed integer; throws when it is not exactly representable as a number. */
  i64(offset: number, field: string): number {
    this.need(offset, 8, field)
    const v = this.view.getBigInt64(offset, this.littleEndian)
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new FormatError(this.file, field, `value ${v} is out of range`)
    }
    return Number(v)
  }

  f32(offset: number, field: string): number {
    this.need(offset, 4, field)
    return this.view.getFloat32(offset, this.littleEndian)
  }

  f64(offset: number, field: string): number {
    this.need(offset, 8, field)
    return this.view.getFloat64(offset, this.littleEndian)
  }

  /** `count` consecutive values read by `read`, each `size` bytes apart; field gets `[i]`. */
  array(
    offset: number,
    count: number,
    size: number,
    field: string,
    read: (offset: number, field: string) => number,
  ): number[] {
    this.need(offset, count * size, field)
    return Array.from({ length: count }, (_, i) => read.call(this, offset + i * size, `${field}[${i}]`))
  }

  /** A fixed-size, NUL-padded text field (latin1), trimmed at the first NUL. */
  text(offset: number, size: number, field: string): string {
    this.need(offset, size, field)
    const slice = this.bytes.subarray(offset, offset + size)
    const end = slice.indexOf(0)
    return latin1(end < 0 ? slice : slice.subarray(0, end))
  }
}

export function latin1(bytes: Uint8Array): string {
  let s = ''
  for (let i = 0; i < bytes.length; i += 4096) {
    s += String.fromCharCode(...bytes.subarray(i, Math.min(bytes.length, i + 4096)))
  }
  return s
}

/** True when `bytes` starts with the ASCII text `magic`. */
export function startsWith(bytes: Uint8Array, magic: string, at = 0): boolean {
  if (bytes.length < at + magic.length) return false
  for (let i = 0; i < magic.length; i++) if (bytes[at + i] !== magic.charCodeAt(i)) return false
  return true
}
