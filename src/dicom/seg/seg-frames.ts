/**
 * From a mask volume in NIfTI geometry to one binary frame per source DICOM image: every pixel centre of a source
 * slice (its Image Position/Orientation and Pixel Spacing, PS3.3 C.7.6.2.1.1, LPS) is mapped to a mask voxel through
 * the mask's affine (voxel -> RAS mm) and takes that voxel's value (nearest neighbour). This holds whatever axis flips
 * or permutations the DICOM -> NIfTI conversion made, and for masks on another grid than the source's.
 */

/** One source image (a single-frame DICOM instance) in patient coordinates (LPS, mm). */
export interface SourceSlice {
  sopClassUid: string
  sopInstanceUid: string
  rows: number
  columns: number
  /** ImagePositionPatient: the centre of the first pixel. */
  position: [number, number, number]
  /** ImageOrientationPatient: row direction (along a row, columns increase) then column direction. */
  orientation: [number, number, number, number, number, number]
  /** PixelSpacing: [between rows, between columns]. */
  spacing: [number, number]
}

/** A mask on its grid, in the ROI engine's conventions (src/roi/volume.ts). */
export interface MaskVolume {
  dims: [number, number, number]
  /** 16 numbers, row-major 4x4, voxel (i, j, k, 1) -> RAS mm. */
  affine: number[]
  /** nx*ny*nz values, index i + nx*(j + ny*k); non-zero is inside. */
  data: ArrayLike<number>
}

/** The inverse of a 4x4 affine given as 16 row-major numbers: [R t; 0 1] -> [R^-1, -R^-1 t], as rows. */
export function invertAffine(flat: number[]): number[][] {
  const a = [flat.slice(0, 4), flat.slice(4, 8), flat.slice(8, 12)]
  const [m00, m01, m02] = a[0]!
  const [m10, m11, m12] = a[1]!
  const [m20, m21, m22] = a[2]!
  const det = m00! * (m11! * m22! - m12! * m21!) - m01! * (m10! * m22! - m12! * m20!) + m02! * (m10! * m21! - m11! * m20!)
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) throw new Error('the mask affine is singular: its voxels have no size')
  const r = [
    [(m11! * m22! - m12! * m21!) / det, (m02! * m21! - m01! * m22!) / det, (m01! * m12! - m02! * m11!) / det],
    [(m12! * m20! - m10! * m22!) / det, (m00! * m22! - m02! * m20!) / det, (m02! * m10! - m00! * m12!) / det],
    [(m10! * m21! - m11! * m20!) / det, (m01! * m20! - m00! * m21!) / det, (m00! * m11! - m01! * m10!) / det],
  ]
  const t = [a[0]![3]!, a[1]![3]!, a[2]![3]!]
  return [...r.map((row) => [...row, -(row[0]! * t[0]! + row[1]! * t[1]! + row[2]! * t[2]!)]), [0, 0, 0, 1]]
}

/**
 * One frame (rows*columns bytes, 0/1, row by row) per source slice, in the order given. The pixel (r, c) of a slice
 * lies at position + c*spacing[1]*rowDirection + r*spacing[0]*columnDirection (LPS); RAS is (-x, -y, z).
 */
export function framesFromMask(mask: MaskVolume, slices: SourceSlice[]): Uint8Array[] {
  const inv = invertAffine(mask.affine)
  const [nx, ny, nz] = mask.dims
  const data = mask.data
  return slices.map((s) => {
    const frame = new Uint8Array(s.rows * s.columns)
    const [px, py, pz] = s.position
    const [rx, ry, rz, cx, cy, cz] = s.orientation
    const [rowStep, colStep] = s.spacing
    // Voxel coordinates are affine in (r, c): v = v0 + c*dc + r*dr, computed once per slice.
    const toVoxel = (x: number, y: number, z: number) => [0, 1, 2].map((i) => inv[i]![0]! * -x + inv[i]![1]! * -y + inv[i]![2]! * z + inv[i]![3]!) as [number, number, number]
    const v0 = toVoxel(px, py, pz)
    const vc = toVoxel(px + rx * colStep, py + ry * colStep, pz + rz * colStep).map((v, i) => v - v0[i]!)
    const vr = toVoxel(px + cx * rowStep, py + cy * rowStep, pz + cz * rowStep).map((v, i) => v - v0[i]!)
    for (let r = 0; r < s.rows; r++) {
      const bx = v0[0] + r * vr[0]!
      const by = v0[1] + r * vr[1]!
      const bz = v0[2] + r * vr[2]!
      for (let c = 0; c < s.columns; c++) {
        const i = Math.round(bx + c * vc[0]!)
        const j = Math.round(by + c * vc[1]!)
        const k = Math.round(bz + c * vc[2]!)
        if (i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= nz) continue
        if (data[i + nx * (j + ny * k)]) frame[r * s.columns + c] = 1
      }
    }
    return frame
  })
}

/**
 * Frames of 0/1 bytes packed one bit a pixel, the first pixel in the least significant bit, frames one after
 * another without padding between them (PS3.5 8.1.1, PS3.3 C.8.20.2), the whole padded to an even length.
 */
export function packBits(frames: Uint8Array[]): Uint8Array {
  const bits = frames.reduce((n, f) => n + f.length, 0)
  const out = new Uint8Array(Math.ceil(Math.ceil(bits / 8) / 2) * 2)
  let at = 0
  for (const f of frames) {
    for (let p = 0; p < f.length; p++, at++) if (f[p]) out[at >> 3] = out[at >> 3]! | (1 << (at & 7))
  }
  return out
}
