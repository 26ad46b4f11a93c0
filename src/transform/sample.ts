import { trilinear } from '../roi/resample'
import type { NumericArray } from '../roi/volume'

export type Interpolation = 'nearest' | 'linear'

/**
 * The image's value at the continuous voxel coordinate (x, y, z): NaN beyond the outer voxels' half-voxel edge;
 * inside that edge, linear sampling clamps to the outer voxels (src/roi's resample, point by point).
 */
export function sampleVoxel(image: NumericArray, dims: readonly number[], x: number, y: number, z: number, interpolation: Interpolation): number {
  const [sx, sy, sz] = dims as [number, number, number]
  if (!(x >= -0.5 && x < sx - 0.5 && y >= -0.5 && y < sy - 0.5 && z >= -0.5 && z < sz - 0.5)) return Number.NaN
  if (interpolation === 'nearest') return image[Math.round(x) + sx * (Math.round(y) + sy * Math.round(z))]!
  return trilinear(image, sx, sy, sz, x, y, z)
}
