import { ByteReader } from './byte-reader'
import { FormatError } from './format-error'

/** The raw NIfTI-1 / NIfTI-2 header fields the reader uses, before any interpretation. */
export interface NiftiFields {
  version: 1 | 2
  littleEndian: boolean
  /** 'n+1' / 'n+2' (single file) or 'ni1' / 'ni2' (header + .img pair). */
  magic: string
  headerSize: number
  dim: number[]
  pixdim: number[]
  datatype: number
  voxOffset: number
  sclSlope: number
  sclInter: number
  intentCode: number
  intentName: string
  descrip: string
  auxFile: string
  qformCode: number
  sformCode: number
  /** quatern_b, quatern_c, quatern_d */
  quatern: number[]
  /** qoffset_x, qoffset_y, qoffset_z */
  qoffset: number[]
  /** srow_x, srow_y, srow_z */
  srow: number[][]
  xyztUnits: number
  /** NIfTI-1 only (FreeSurfer stores long vector lengths there). */
  glmin: number
}

export const NIFTI1_SIZE = 348
export const NIFTI2_SIZE = 540
/** Header plus the 4-byte extension flag: where single-file data may start at the earliest. */
export const NIFTI_MAX_PREFIX = NIFTI2_SIZE + 4

/** Which version and byte order `sizeof_hdr` announces. */
export function sniffNifti(bytes: Uint8Array, file: string): { version: 1 | 2; littleEndian: boolean } {
  if (bytes.length < 4) {
    throw new FormatError(file, 'sizeof_hdr', `truncated: file has ${bytes.length} bytes`)
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, 4)
  for (const littleEndian of [true, false]) {
    const size = view.getInt32(0, littleEndian)
    if (size === NIFTI1_SIZE) return { version: 1, littleEndian }
    if (size === NIFTI2_SIZE) return { version: 2, littleEndian }
  }
  throw new FormatError(
    file,
    'sizeof_hdr',
    `expected 348 (NIfTI-1) or 540 (NIfTI-2), got ${view.getInt32(0, true)}`,
  )
}

export function readNiftiFields(bytes: Uint8Array, file: string): NiftiFields {
  const { version, littleEndian } = sniffNifti(bytes, file)
  const size = version === 1 ? NIFTI1_SIZE : NIFTI2_SIZE
  if (bytes.length < size) {
    throw new FormatError(file, 'header', `truncated: ${bytes.length} of ${size} header bytes`)
  }
  const r = new ByteReader(bytes, file, littleEndian)
  return version === 1 ? nifti1(r) : nifti2(r)
}

function nifti1(r: ByteReader): NiftiFields {
  const magic = r.text(344, 4, 'magic')
  if (magic !== 'n+1' && magic !== 'ni1') throw badMagic(r, magic, '"n+1" or "ni1"')
  const f32 = r.f32
  return {
    version: 1,
    littleEndian: r.littleEndian,
    magic,
    headerSize: NIFTI1_SIZE,
    dim: r.array(40, 8, 2, 'dim', r.i16),
    pixdim: r.array(76, 8, 4, 'pixdim', f32),
    datatype: r.i16(70, 'datatype'),
    voxOffset: r.f32(108, 'vox_offset'),
    sclSlope: r.f32(112, 'scl_slope'),
    sclInter: r.f32(116, 'scl_inter'),
    intentCode: r.i16(68, 'intent_code'),
    intentName: r.text(328, 16, 'intent_name'),
    descrip: r.text(148, 80, 'descrip'),
    auxFile: r.text(228, 24, 'aux_file'),
    qformCode: r.i16(252, 'qform_code'),
    sformCode: r.i16(254, 'sform_code'),
    quatern: r.array(256, 3, 4, 'quatern', f32),
    qoffset: r.array(268, 3, 4, 'qoffset', f32),
    srow: [280, 296, 312].map((o, i) => r.array(o, 4, 4, `srow_${'xyz'[i]}`, f32)),
    xyztUnits: r.u8(123, 'xyzt_units'),
    glmin: r.i32(144, 'glmin'),
  }
}

function nifti2(r: ByteReader): NiftiFields {
  const magic = r.text(4, 4, 'magic')
  if (magic !== 'n+2' && magic !== 'ni2') throw badMagic(r, magic, '"n+2" or "ni2"')
  // Bytes 8-11 are 0D 0A 1A 0A; anything else but zeros means an EOL conversion damaged the file.
  const eol = Array.from(r.bytes.subarray(8, 12))
  if (eol.join() !== '13,10,26,10' && eol.some((b) => b !== 0)) {
    throw new FormatError(r.file, 'magic', 'EOL check bytes damaged (file transferred in text mode?)')
  }
  const f64 = r.f64
  return {
    version: 2,
    littleEndian: r.littleEndian,
    magic,
    headerSize: NIFTI2_SIZE,
    dim: r.array(16, 8, 8, 'dim', r.i64),
    pixdim: r.array(104, 8, 8, 'pixdim', f64),
    datatype: r.i16(12, 'datatype'),
    voxOffset: r.i64(168, 'vox_offset'),
    sclSlope: r.f64(176, 'scl_slope'),
    sclInter: r.f64(184, 'scl_inter'),
    intentCode: r.i32(504, 'intent_code'),
    intentName: r.text(508, 16, 'intent_name'),
    descrip: r.text(240, 80, 'descrip'),
    auxFile: r.text(320, 24, 'aux_file'),
    qformCode: r.i32(344, 'qform_code'),
    sformCode: r.i32(348, 'sform_code'),
    quatern: r.array(352, 3, 8, 'quatern', f64),
    qoffset: r.array(376, 3, 8, 'qoffset', f64),
    srow: [400, 432, 464].map((o, i) => r.array(o, 4, 8, `srow_${'xyz'[i]}`, f64)),
    xyztUnits: r.i32(500, 'xyzt_units'),
    glmin: 0,
  }
}

function badMagic(r: ByteReader, magic: string, expected: string): FormatError {
  const shown = JSON.stringify(magic)
  const hint = magic === '' ? ' (an Analyze 7.5 header? only NIfTI-1/2 are read)' : ''
  return new FormatError(r.file, 'magic', `expected ${expected}, got ${shown}${hint}`)
}
