import { RoiError } from './roi-error'
import { type Grid, type NumericArray, checkDims, checkSize, invertAffine, multiplyAffine, voxelCount } from './volume'

export type Interpolation = 'nearest' | 'linear'

/**
 * The image on `imageGrid` sampled at the voxel centres of `targetGrid` (both through their affines, so any
 * rotation, flip or voxel size): nearest neighbour or trilinear. A target voxel whose centre falls outside the
 * image (beyond the outer voxels' half-voxel edge) is NaN; inside that edge, linear sampling clamps to the outer
 * voxels. Returns Float32Array (stats skips the NaN).
 */
export function resample(image: NumericArray, imageGrid: Grid, targetGrid: Grid, interpolation: Interpolation = 'linear'): Float32Array {
  checkDims(imageGrid.dims)
  checkDims(targetGrid.dims)
  checkSize(image, imageGrid.dims, 'the image')
  if (interpolation !== 'nearest' && interpolation !== 'linear') throw new RoiError(`interpolation must be nearest or linear, got ${String(interpolation)}`)
  const m = multiplyAffine(invertAffine(imageGrid.affine), targetGrid.affine)
  const [sx, sy, sz] = imageGrid.dims
  const [tx, ty, tz] = targetGrid.dims
  const out = new Float32Array(voxelCount(targetGrid.dims))
  const splane = sx * sy
  const maxX = sx - 0.5
  const maxY = sy - 0.5
  const maxZ = sz - 0.5
  let v = 0
  for (let k = 0; k < tz; k++) {
    for (let j = 0; j < ty; j++) {
      // source coordinates of (0, j, k) and their step along i
      const bx = m[1]! * j + m[2]! * k + m[3]!
      const by = m[5]! * j + m[6]! * k + m[7]!
      const bz = m[9]! * j + m[10]! * k + m[11]!
      for (let i = 0; i < tx; i++, v++) {
        const x = bx + m[0]! * i
        const y = by + m[4]! * i
        const z = bz + m[8]! * i
        if (!(x >= -0.5 && x < maxX && y >= -0.5 && y < maxY && z >= -0.5 && z < maxZ)) {
          out[v] = Number.NaN
          continue
        }
        if (interpolation === 'nearest') {
          out[v] = image[Math.round(x) + sx * Math.round(y) + splane * Math.round(z)]!
          continue
        }
        out[v] = trilinear(image, sx, sy, sz, x, y, z)
      }
    }
  }
  return out
}

/** The trilinear value at the voxel coordinate (x, y, z), clamped to the outer voxels (also the transform engine's sampler). */
export function trilinear(image: NumericArray, sx: number, sy: number, sz: number, x: number, y: number, z: number): number {
  const cx = x < 0 ? 0 : x > sx - 1 ? sx - 1 : x
  const cy = y < 0 ? 0 : y > sy - 1 ? sy - 1 : y
  const cz = z < 0 ? 0 : z > sz - 1 ? sz - 1 : z
  const x0 = Math.min(Math.floor(cx), sx - 2 < 0 ? 0 : sx - 2)
  const y0 = Math.min(Math.floor(cy), sy - 2 < 0 ? 0 : sy - 2)
  const z0 = Math.min(Math.floor(cz), sz - 2 < 0 ? 0 : sz - 2)
  const fx = cx - x0
  const fy = cy - y0
  const fz = cz - z0
  const dx = sx > 1 ? 1 : 0
  const dy = sy > 1 ? sx : 0
  const dz = sz > 1 ? sx * sy : 0
  const b = x0 + sx * (y0 + sy * z0)
  const c00 = image[b]! + (image[b + dx]! - image[b]!) * fx
  const c10 = image[b + dy]! + (image[b + dy + dx]! - image[b + dy]!) * fx
  const c01 = image[b + dz]! + (image[b + dz + dx]! - image[b + dz]!) * fx
  const c11 = image[b + dz + dy]! + (image[b + dz + dy + dx]! - image[b + dz + dy]!) * fx
  const c0 = c00 + (c10 - c00) * fy
  const c1 = c01 + (c11 - c01) * fy
  return c0 + (c1 - c0) * fz
}
