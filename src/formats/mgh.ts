import { ByteReader } from './byte-reader'
import { FormatError } from './format-error'
import { gunzipPrefix, isGzip } from './gzip'
import type { ImageHeader } from './header'

/** MGH type code -> [name, bytes per voxel]. */
const DATATYPES: Record<number, [string, number]> = {
  0: ['uint8', 1],
  1: ['int32', 4],
  3: ['float32', 4],
  4: ['int16', 2],
}

/** The header block; voxels follow at this offset. */
const DATA_OFFSET = 284
/** Fields end at byte 90 (Pxyz_c); the rest of the 284 bytes is unused. */
const FIELDS_END = 90

/**
 * FreeSurfer MGH / MGZ (gzip) header, always big-endian. Affine as nibabel's
 * MGHHeader.get_affine(): Mdc^T scaled by delta, translated so that Pxyz_c is the volume centre;
 * goodRASFlag 0 means nibabel's default orientation (delta 1, coronal Mdc, centre 0).
 */
export function readMgh(bytes: Uint8Array, name: string): ImageHeader {
  const compressed = isGzip(bytes)
  const head = compressed ? gunzipPrefix(bytes, DATA_OFFSET, name) : bytes
  if (head.length < FIELDS_END) {
    throw new FormatError(name, 'header', `truncated: ${head.length} of ${DATA_OFFSET} header bytes`)
  }
  const r = new ByteReader(head, name, false)
  const version = r.i32(0, 'version')
  if (version !== 1) throw new FormatError(name, 'version', `expected 1, got ${version}`)
  const all = r.array(4, 4, 4, 'dims', r.i32)
  all.forEach((d, i) => {
    if (d < 1) throw new FormatError(name, `dims[${i}]`, `expected a positive size, got ${d}`)
  })
  const code = r.i32(20, 'type')
  const type = DATATYPES[code]
  if (!type) throw new FormatError(name, 'type', `unknown MGH data type ${code} (expected 0, 1, 3 or 4)`)
  const dataBytes = all.reduce((a, b) => a * b, 1) * type[1]
  if (!Number.isSafeInteger(dataBytes)) throw new FormatError(name, 'dims', `${all.join('x')} is beyond any real image`)
  if (!compressed && DATA_OFFSET + dataBytes > bytes.length) {
    throw new FormatError(
      name,
      'data',
      `truncated: header declares ${dataBytes} bytes of voxels from offset ${DATA_OFFSET}, file has ${bytes.length} bytes`,
    )
  }
  const goodRAS = r.i16(28, 'goodRASFlag') !== 0
  let delta = r.array(30, 3, 4, 'delta', r.f32)
  // Stored row by row: row i holds the direction cosines of voxel axis i.
  let mdc = [0, 1, 2].map((i) => r.array(42 + 12 * i, 3, 4, `Mdc[${i}]`, r.f32))
  let center = r.array(78, 3, 4, 'Pxyz_c', r.f32)
  if (!goodRAS) {
    delta = [1, 1, 1]
    mdc = [[-1, 0, 0], [0, 0, 1], [0, -1, 0]]
    center = [0, 0, 0]
  }
  for (const [field, values] of [['delta', delta], ['Mdc', mdc.flat()], ['Pxyz_c', center]] as const) {
    if (!values.every(Number.isFinite)) throw new FormatError(name, field, 'non-finite values')
  }
  const affine = [0, 1, 2].map((row) => {
    const m = [0, 1, 2].map((col) => mdc[col]![row]! * delta[col]!)
    const half = m.reduce((s, v, col) => s + (v * all[col]!) / 2, 0)
    return [...m, center[row]! - half]
  })
  affine.push([0, 0, 0, 1])
  return {
    format: 'mgh',
    kind: 'volume',
    dims: all[3] === 1 ? all.slice(0, 3) : all,
    voxelSize: delta,
    affine,
    datatype: type[0],
    extra: { goodRASFlag: goodRAS ? 1 : 0, dof: r.i32(24, 'dof'), compressed },
  }
}
