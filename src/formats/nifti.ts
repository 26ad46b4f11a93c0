import { type Matrix4, allFinite, fromMatVec } from './affine'
import { FormatError } from './format-error'
import { gunzipPrefix, isGzip } from './gzip'
import type { ImageHeader } from './header'
import { NIFTI1_SIZE, NIFTI_MAX_PREFIX, type NiftiFields, readNiftiFields } from './nifti-fields'

/** NIfTI datatype code -> [name, bytes per voxel]. Codes 0 (none), 1 (binary), 255 (all) are not data types. */
const DATATYPES: Record<number, [string, number]> = {
  2: ['uint8', 1],
  4: ['int16', 2],
  8: ['int32', 4],
  16: ['float32', 4],
  32: ['complex64', 8],
  64: ['float64', 8],
  128: ['rgb24', 3],
  256: ['int8', 1],
  512: ['uint16', 2],
  768: ['uint32', 4],
  1024: ['int64', 8],
  1280: ['uint64', 8],
  1536: ['float128', 16],
  1792: ['complex128', 16],
  2048: ['complex256', 32],
  2304: ['rgba32', 4],
}

const UNITS: Record<number, string> = {
  1: 'meter', 2: 'mm', 3: 'micron', 8: 'sec', 16: 'msec', 24: 'usec', 32: 'hz', 40: 'ppm', 48: 'rads',
}

/**
 * NIfTI-1 / NIfTI-2 header of a .nii, .nii.gz or .hdr (the .img is not needed). Mirrors what
 * nibabel reports after its load-time fixes: shape = dim[1..dim[0]], zooms = |pixdim| with 0 -> 1,
 * affine = sform if sform_code != 0, else qform if qform_code != 0, else the pixdim-based default.
 */
export function readNifti(bytes: Uint8Array, name: string): ImageHeader {
  const compressed = isGzip(bytes)
  const head = compressed ? gunzipPrefix(bytes, NIFTI_MAX_PREFIX, name) : bytes
  if (compressed && head.length < NIFTI1_SIZE) {
    throw new FormatError(name, 'header', `truncated: the gzip stream holds ${head.length} bytes, a header needs ${NIFTI1_SIZE}`)
  }
  const f = readNiftiFields(head, name)
  const [typeName, typeSize] = datatype(f, name)
  const rawDims = dimsOf(f, name)
  const dims = freesurferShape(f, rawDims, name)
  const pixdim = fixedPixdim(f, dims.length, name)
  const zooms = pixdim.slice(1, dims.length + 1)
  const single = f.magic.startsWith('n+')
  const voxels = dims.reduce((a, b) => a * b, 1)
  const dataBytes = voxels * typeSize
  if (!Number.isSafeInteger(dataBytes)) {
    throw new FormatError(name, 'dim', `${dims.join('x')} voxels is beyond any real image`)
  }
  if (single && f.voxOffset !== 0 && f.voxOffset < f.headerSize + 4) {
    throw new FormatError(name, 'vox_offset', `${f.voxOffset} is inside the header (minimum ${f.headerSize + 4})`)
  }
  if (single && !compressed) {
    const start = f.voxOffset || f.headerSize + 4
    if (start + dataBytes > bytes.length) {
      throw new FormatError(
        name,
        'data',
        `truncated: header declares ${dataBytes} bytes of voxels from offset ${start}, file has ${bytes.length} bytes`,
      )
    }
  }
  const [affine, affineSource] = bestAffine(f, rawDims, pixdim, name)
  const extra: Record<string, unknown> = {
    description: f.descrip,
    intentCode: f.intentCode,
    intentName: f.intentName,
    qformCode: validCode(f.qformCode),
    sformCode: validCode(f.sformCode),
    affineSource,
    spatialUnits: UNITS[f.xyztUnits & 7] ?? 'unknown',
    timeUnits: UNITS[f.xyztUnits & 56] ?? 'unknown',
    voxOffset: f.voxOffset,
    endianness: f.littleEndian ? 'little' : 'big',
    compressed,
  }
  if (Number.isFinite(f.sclSlope) && f.sclSlope !== 0) {
    extra.sclSlope = f.sclSlope
    extra.sclInter = Number.isFinite(f.sclInter) ? f.sclInter : 0
  }
  if (f.auxFile) extra.auxFile = f.auxFile
  if (!single) extra.dataFile = pairImageName(name)
  return {
    format: f.version === 1 ? 'nifti1' : 'nifti2',
    kind: 'volume',
    dims,
    voxelSize: zooms.slice(0, 3),
    affine,
    datatype: typeName,
    extra,
  }
}

function datatype(f: NiftiFields, name: string): [string, number] {
  const t = DATATYPES[f.datatype]
  if (!t) throw new FormatError(name, 'datatype', `unknown or unsupported code ${f.datatype}`)
  return t
}

function dimsOf(f: NiftiFields, name: string): number[] {
  const n = f.dim[0]!
  if (!(n >= 1 && n <= 7)) throw new FormatError(name, 'dim[0]', `expected 1-7, got ${n}`)
  return f.dim.slice(1, n + 1)
}

/** nibabel's FreeSurfer hacks: (-1,1,1) means glmin long vector; (27307,1,6) is an ico7 surface. */
function freesurferShape(f: NiftiFields, dims: number[], name: string): number[] {
  let shape = dims
  if (f.version === 1 && dims.length >= 3) {
    if (dims[0] === -1 && dims[1] === 1 && dims[2] === 1 && f.glmin > 0) shape = [f.glmin, 1, 1, ...dims.slice(3)]
    else if (dims[0] === 27307 && dims[1] === 1 && dims[2] === 6) shape = [163842, 1, 1, ...dims.slice(3)]
  }
  shape.forEach((d, i) => {
    if (!(d >= 1)) throw new FormatError(name, `dim[${i + 1}]`, `expected a positive size, got ${d}`)
  })
  return shape
}

/** pixdim as nibabel fixes it on load: spatial 0 -> 1, negative -> abs, qfac not +-1 -> 1. */
function fixedPixdim(f: NiftiFields, ndim: number, name: string): number[] {
  const p = f.pixdim.slice()
  for (let i = 1; i <= 3; i++) {
    if (!Number.isFinite(p[i]!)) {
      if (i <= ndim) throw new FormatError(name, `pixdim[${i}]`, `expected a voxel size, got ${p[i]}`)
      p[i] = 1
    }
    p[i] = p[i] === 0 ? 1 : Math.abs(p[i]!)
  }
  if (p[0] !== 1 && p[0] !== -1) p[0] = 1
  return p
}

/** nibabel resets xform codes outside 0-5 to 0 on load. */
function validCode(code: number): number {
  return code >= 0 && code <= 5 ? code : 0
}

function bestAffine(f: NiftiFields, dims: number[], pixdim: number[], name: string): [Matrix4, string] {
  if (validCode(f.sformCode) !== 0) {
    const sform = [...f.srow.map((r) => r.slice()), [0, 0, 0, 1]]
    if (!allFinite(sform)) throw new FormatError(name, 'srow', 'sform has non-finite values')
    return [sform, 'sform']
  }
  if (validCode(f.qformCode) !== 0) return [qformAffine(f, pixdim, name), 'qform']
  return [baseAffine(dims, pixdim), 'pixdim']
}

function qformAffine(f: NiftiFields, pixdim: number[], name: string): Matrix4 {
  const [b, c, d] = f.quatern as [number, number, number]
  if (![b, c, d, ...f.qoffset].every(Number.isFinite)) {
    throw new FormatError(name, 'quatern', 'qform has non-finite values')
  }
  const w2 = 1 - (b * b + c * c + d * d)
  const threshold = -3 * (f.version === 1 ? 2 ** -23 : 2 ** -52)
  if (w2 < threshold) throw new FormatError(name, 'quatern', `not a unit quaternion (1 - |bcd|^2 = ${w2})`)
  const a = w2 < 0 ? 0 : Math.sqrt(w2)
  const r = quaternionMatrix(a, b, c, d)
  const scale = [pixdim[1]!, pixdim[2]!, pixdim[3]! * pixdim[0]!]
  return fromMatVec(
    r.map((row) => row.map((v, j) => v * scale[j]!)),
    f.qoffset,
  )
}

/** nibabel's quat2mat. */
function quaternionMatrix(w: number, x: number, y: number, z: number): number[][] {
  const n = w * w + x * x + y * y + z * z
  if (n < Number.EPSILON) return [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
  const s = 2 / n
  const [X, Y, Z] = [x * s, y * s, z * s]
  const [wX, wY, wZ, xX, xY, xZ, yY, yZ, zZ] = [w * X, w * Y, w * Z, x * X, x * Y, x * Z, y * Y, y * Z, z * Z]
  return [
    [1 - (yY + zZ), xY - wZ, xZ + wY],
    [xY + wZ, 1 - (xX + zZ), yZ - wX],
    [xZ - wY, yZ + wX, 1 - (xX + yY)],
  ]
}

/** nibabel's shape_zoom_affine with x flipped, centred on the volume (raw dim, as nibabel uses). */
function baseAffine(dims: number[], pixdim: number[]): Matrix4 {
  const shape = [0, 1, 2].map((i) => dims[i] ?? 1)
  const zooms = [0, 1, 2].map((i) => (i < dims.length ? pixdim[i + 1]! : 1))
  zooms[0] = -zooms[0]!
  const m = [0, 1, 2].map((r) => [0, 1, 2].map((c) => (r === c ? zooms[r]! : 0)))
  return fromMatVec(m, shape.map((s, i) => (-(s - 1) / 2) * zooms[i]!))
}

/** The image file of a header/image pair: x.hdr -> x.img (x.HDR -> x.IMG). */
function pairImageName(name: string): string {
  const base = name.replace(/^.*[\\/]/, '').replace(/\.gz$/i, '')
  const m = /\.(hdr|nii)$/i.exec(base)
  if (!m) return `${base}.img`
  const ext = m[1] === m[1]!.toUpperCase() ? '.IMG' : '.img'
  return base.slice(0, -m[0].length) + ext
}
