import { identity4 } from './affine'
import { ByteReader, startsWith } from './byte-reader'
import { FormatError } from './format-error'
import type { ImageHeader } from './header'

const HEADER_SIZE = 1000

/**
 * TrackVis .trk header (1000 bytes, either byte order, told apart by hdr_size). As nibabel:
 * version 1 has no vox_to_ras, and a vox_to_ras whose [3][3] is 0 was not recorded: identity.
 */
export function readTrk(bytes: Uint8Array, name: string): ImageHeader {
  if (!startsWith(bytes, 'TRACK')) {
    throw new FormatError(name, 'id_string', 'expected "TRACK" (not a TrackVis file)')
  }
  if (bytes.length < HEADER_SIZE) {
    throw new FormatError(name, 'header', `truncated: ${bytes.length} of ${HEADER_SIZE} header bytes`)
  }
  const r = byteOrder(bytes, name)
  const version = r.i32(992, 'version')
  if (version < 1 || version > 3) throw new FormatError(name, 'version', `expected 1, 2 or 3, got ${version}`)
  const dims = r.array(6, 3, 2, 'dim', r.i16)
  dims.forEach((d, i) => {
    if (d < 0) throw new FormatError(name, `dim[${i}]`, `expected a non-negative size, got ${d}`)
  })
  const voxelSize = r.array(12, 3, 4, 'voxel_size', r.f32)
  if (!voxelSize.every(Number.isFinite)) throw new FormatError(name, 'voxel_size', 'non-finite values')
  const nScalars = r.i16(36, 'n_scalars')
  const nProperties = r.i16(238, 'n_properties')
  if (nScalars < 0) throw new FormatError(name, 'n_scalars', `expected >= 0, got ${nScalars}`)
  if (nProperties < 0) throw new FormatError(name, 'n_properties', `expected >= 0, got ${nProperties}`)
  const count = r.i32(988, 'n_count')
  if (count < 0) throw new FormatError(name, 'n_count', `expected >= 0, got ${count}`)
  // Every streamline takes at least its 4-byte point count.
  if (HEADER_SIZE + 4 * count > bytes.length) {
    throw new FormatError(name, 'data', `truncated: ${count} streamlines cannot fit in ${bytes.length - HEADER_SIZE} bytes`)
  }
  const affine = voxToRas(r, version)
  const voxelOrder = r.text(948, 4, 'voxel_order')
  return {
    format: 'trk',
    kind: 'streamlines',
    dims,
    voxelSize,
    affine,
    streamlines: count,
    extra: {
      version,
      voxelOrder: voxelOrder || 'LPS',
      origin: r.array(24, 3, 4, 'origin', r.f32),
      scalarNames: names(r, 38, nScalars, 'scalar_name'),
      propertyNames: names(r, 240, nProperties, 'property_name'),
      nScalars,
      nProperties,
      endianness: r.littleEndian ? 'little' : 'big',
    },
  }
}

function byteOrder(bytes: Uint8Array, name: string): ByteReader {
  for (const littleEndian of [true, false]) {
    const r = new ByteReader(bytes, name, littleEndian)
    if (r.i32(996, 'hdr_size') === HEADER_SIZE) return r
  }
  const size = new ByteReader(bytes, name, true).i32(996, 'hdr_size')
  throw new FormatError(name, 'hdr_size', `expected 1000 in either byte order, got ${size}`)
}

function voxToRas(r: ByteReader, version: number): number[][] {
  if (version === 1) return identity4()
  const m = [0, 1, 2, 3].map((i) => r.array(440 + 16 * i, 4, 4, `vox_to_ras[${i}]`, r.f32))
  if (m[3]![3] === 0) return identity4()
  if (!m.flat().every(Number.isFinite)) throw new FormatError(r.file, 'vox_to_ras', 'non-finite values')
  for (let c = 0; c < 3; c++) {
    if (m[0]![c] === 0 && m[1]![c] === 0 && m[2]![c] === 0) {
      throw new FormatError(r.file, 'vox_to_ras', `column ${c} is zero: axis directions cannot be determined`)
    }
  }
  return m
}

/** Up to 10 names of 20 bytes each; scalar names may carry a count after a NUL ("name\0<n>"). */
function names(r: ByteReader, offset: number, count: number, field: string): string[] {
  return Array.from({ length: Math.min(count, 10) }, (_, i) => r.text(offset + 20 * i, 20, `${field}[${i}]`)).filter(
    (n) => n !== '',
  )
}
