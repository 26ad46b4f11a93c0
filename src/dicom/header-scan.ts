import type { DicomHeader } from './dicom-header'

/**
 * A direct reader of the few header fields nora uses (DicomHeader), for the common Part 10 files: explicit or
 * implicit VR little endian (and the compressed syntaxes, whose dataset is explicit VR little endian), character
 * set default, ISO_IR 100 or ISO_IR 192. It walks the elements up to the pixel data as dcmjs does (a header cut
 * short or malformed is still refused), decoding only the wanted ones, so it costs microseconds a file instead of
 * dcmjs's ~2.5 ms a CT slice (the import's largest CPU cost). Values come out as dicom-header.ts's dcmjs path gives
 * them (same decoding, padding and trimming).
 *
 * It answers `undefined` for anything it does not handle or finds odd (big endian, deflate, other character sets,
 * a VR that is not the standard one, a malformed element): readDicomHeader then asks dcmjs, which decides (header or
 * DicomError). `'more'` means the bytes end before the pixel data: give it more of the file (`complete`: these are
 * all of it, and a header that ends with them, without pixel data, is whole).
 */
export function scanDicomHeader(bytes: Uint8Array, complete: boolean): DicomHeader | 'more' | undefined {
  try {
    return new Scanner(bytes, complete).run()
  } catch (e) {
    // ODD, or anything this reader did not foresee: dcmjs judges the file.
    return e === MORE ? 'more' : undefined
  }
}

const MORE = Symbol('more')
const ODD = Symbol('odd')

const IMPLICIT_LE = '1.2.840.10008.1.2'
const EXPLICIT_BE = '1.2.840.10008.1.2.2'
const DEFLATED = '1.2.840.10008.1.2.1.99'

/** VRs whose explicit encoding has 2 reserved bytes and a 32-bit length. */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV'])
const SHORT_VRS = new Set(['AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FD', 'FL', 'IS', 'LO', 'LT', 'PN', 'SH', 'SL', 'SS', 'ST', 'TM', 'UI', 'UL', 'US'])

/** The elements read, by (group << 16 | element), with their standard VR. */
const WANTED = new Map<number, string>([
  [0x00080005, 'CS'], // SpecificCharacterSet
  [0x00080018, 'UI'],
  [0x00080020, 'DA'],
  [0x00080030, 'TM'],
  [0x00080050, 'SH'],
  [0x00080060, 'CS'],
  [0x00081030, 'LO'],
  [0x0008103e, 'LO'],
  [0x00100010, 'PN'],
  [0x00100020, 'LO'],
  [0x00100030, 'DA'],
  [0x00100040, 'CS'],
  [0x00181030, 'LO'],
  [0x0020000d, 'UI'],
  [0x0020000e, 'UI'],
  [0x00200011, 'IS'],
])
const PIXEL_DATA = 0x7fe00010
const UNDEFINED = 0xffffffff
const ITEM = 0xfffee000
const ITEM_END = 0xfffee00d
const SEQUENCE_END = 0xfffee0dd
const MAX_DEPTH = 16

/** The character sets handled here, as dcmjs maps them to TextDecoder labels; others go to dcmjs. */
const DECODERS: Record<string, string> = { '': 'latin1', 'iso-ir-6': 'latin1', 'iso-ir-100': 'latin1', 'iso-ir-192': 'utf-8' }
const latin1Decoder = new TextDecoder('latin1')
const utf8Decoder = new TextDecoder('utf-8')

/** Bytes as dcmjs's readAsciiString reads them: one character per byte. */
function ascii(b: Uint8Array): string {
  let s = ''
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!)
  return s
}

const trimEach = (s: string) => s.split('\\').map((v) => v.trim()).join('\\')

class Scanner {
  private readonly view: DataView
  private pos = 132
  private implicit = false
  private decoder = latin1Decoder
  private readonly values = new Map<number, string>()
  private transferSyntax = ''

  constructor(
    private readonly bytes: Uint8Array,
    private readonly complete: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  run(): DicomHeader | undefined {
    const b = this.bytes
    if (b.length < 132) throw this.complete ? ODD : MORE
    if (b[128] !== 0x44 || b[129] !== 0x49 || b[130] !== 0x43 || b[131] !== 0x4d) throw ODD
    this.readMeta()
    const ts = this.transferSyntax
    if (ts === EXPLICIT_BE || ts === DEFLATED) throw ODD
    this.implicit = ts === IMPLICIT_LE
    for (;;) {
      if (this.pos === b.length && this.complete) break // a header without pixel data ends here
      this.need(4)
      const tag = this.tag()
      if (tag === PIXEL_DATA) break
      if (tag >>> 16 === 0xfffe) throw ODD
      const { vr, length } = this.vrAndLength(tag)
      if (length === UNDEFINED) {
        if (!this.implicit && vr !== 'SQ') throw ODD
        this.skipSequence(0)
        continue
      }
      this.need(length)
      const want = WANTED.get(tag)
      if (want !== undefined) {
        if (vr !== want) throw ODD
        this.keep(tag, vr, b.subarray(this.pos, this.pos + length))
      }
      this.pos += length
    }
    return this.header()
  }

  /** Group 0002: (0002,0000) first, as dcmjs requires, then exactly that many bytes of explicit VR LE elements. */
  private readMeta(): void {
    this.need(12)
    if (this.tag() !== 0x00020000) throw ODD
    const first = this.vrAndLength(0x00020000)
    if (first.vr !== 'UL' || first.length !== 4) throw ODD
    const end = this.pos + 4 + this.view.getUint32(this.pos, true)
    this.pos += 4
    while (this.pos < end) {
      this.need(8)
      const tag = this.tag()
      if (tag >>> 16 !== 0x0002) throw ODD
      const { length } = this.vrAndLength(tag)
      if (length === UNDEFINED || this.pos + length > end) throw ODD
      this.need(length)
      if (tag === 0x00020010) {
        const raw = ascii(this.bytes.subarray(this.pos, this.pos + length)).replace(/\0$/, '')
        if (raw.includes('\\')) throw ODD
        this.transferSyntax = raw.replace(/[^0-9.]/g, '')
      }
      this.pos += length
    }
    if (this.pos !== end || !this.transferSyntax) throw ODD
  }

  private need(n: number): void {
    if (this.pos + n > this.bytes.length) throw this.complete ? ODD : MORE
  }

  private tag(): number {
    const t = ((this.view.getUint16(this.pos, true) << 16) | this.view.getUint16(this.pos + 2, true)) >>> 0
    this.pos += 4
    return t
  }

  /** Reads what follows a tag: explicit VR and length, or an implicit one's length (VR from WANTED, else ''). */
  private vrAndLength(tag: number): { vr: string; length: number } {
    if (this.implicit || tag >>> 16 === 0xfffe) {
      this.need(4)
      const length = this.view.getUint32(this.pos, true)
      this.pos += 4
      return { vr: WANTED.get(tag) ?? '', length }
    }
    this.need(4)
    const vr = String.fromCharCode(this.bytes[this.pos]!, this.bytes[this.pos + 1]!)
    if (SHORT_VRS.has(vr)) {
      const length = this.view.getUint16(this.pos + 2, true)
      this.pos += 4
      return { vr, length }
    }
    if (!LONG_VRS.has(vr)) throw ODD
    this.need(8)
    const length = this.view.getUint32(this.pos + 4, true)
    this.pos += 8
    return { vr, length }
  }

  /** Skips a sequence of undefined length (the position is after its header): items up to the delimiter. */
  private skipSequence(depth: number): void {
    if (depth > MAX_DEPTH) throw ODD
    for (;;) {
      this.need(8)
      const tag = this.tag()
      const length = this.view.getUint32(this.pos, true)
      this.pos += 4
      if (tag === SEQUENCE_END) return
      if (tag !== ITEM) throw ODD
      if (length !== UNDEFINED) {
        this.need(length)
        this.pos += length
        continue
      }
      for (;;) {
        this.need(4)
        const inner = this.tag()
        if (inner === ITEM_END) {
          this.need(4)
          this.pos += 4
          break
        }
        if (inner >>> 16 === 0xfffe) throw ODD
        const el = this.vrAndLength(inner)
        if (el.length === UNDEFINED) {
          if (!this.implicit && el.vr !== 'SQ') throw ODD
          this.skipSequence(depth + 1)
        } else {
          this.need(el.length)
          this.pos += el.length
        }
      }
    }
  }

  /** A wanted value as dcmjs reads it and dicom-header's text() flattens it. */
  private keep(tag: number, vr: string, b: Uint8Array): void {
    let v: string
    if (vr === 'LO' || vr === 'SH') v = trimEach(this.decoder.decode(b))
    else if (vr === 'PN') {
      let s = this.decoder.decode(b)
      if (!s.length || s.endsWith(' ')) s = s.slice(0, -1)
      v = s
        .split('\\')
        .filter(Boolean)
        .map((p) => p.split('=')[0] ?? '')
        .join('\\')
    } else if (vr === 'UI') {
      const parts = ascii(b).replace(/\0$/, '').split('\\')
      const last = parts.length - 1
      if (last > 0 && parts[last]!.length % 2 === 1 && parts[last]!.endsWith('\0')) parts[last] = parts[last]!.slice(0, -1)
      v = parts.map((p) => p.trim()).join('\\')
    } else v = trimEach(ascii(b)) // CS, DA, TM, IS
    if (tag === 0x00080005) {
      const sets = v.split('\\')
      if (sets.length > 1) throw ODD // dcmjs refuses several character sets
      const label = DECODERS[sets[0]!.replace(/[_ ]/g, '-').toLowerCase()]
      if (!label) throw ODD
      this.decoder = label === 'utf-8' ? utf8Decoder : latin1Decoder
    }
    this.values.set(tag, v)
  }

  private header(): DicomHeader | undefined {
    const v = (tag: number) => this.values.get(tag) ?? ''
    const h: DicomHeader = {
      sopInstanceUid: v(0x00080018),
      seriesInstanceUid: v(0x0020000e),
      studyInstanceUid: v(0x0020000d),
      patientId: v(0x00100020),
      patientName: v(0x00100010),
      birthDate: v(0x00100030),
      sex: v(0x00100040),
      studyDate: v(0x00080020),
      studyTime: v(0x00080030),
      studyDescription: v(0x00081030),
      accessionNumber: v(0x00080050),
      seriesDescription: v(0x0008103e),
      protocolName: v(0x00181030),
      seriesNumber: seriesNumber(v(0x00200011)),
      modality: v(0x00080060),
      transferSyntaxUid: this.transferSyntax,
    }
    // Without its UIDs it is no image instance: dcmjs's path says so with the reason.
    return h.sopInstanceUid && h.seriesInstanceUid && h.studyInstanceUid ? h : undefined
  }
}

/** An IS value as dcmjs formats it: one base-10 integer, else none. */
function seriesNumber(s: string): number | undefined {
  if (s === '' || s.includes('\\') || !/^[+-]?\d+$/.test(s)) return undefined
  const n = Number(s)
  return Number.isFinite(n) ? Number(String(n)) : undefined
}
