import type { Mask, NumericArray } from './volume'

/** The mask of the voxels with low <= value <= high (NaN never). One entry per value of `image`. */
export function threshold(image: NumericArray, low: number, high: number): Mask {
  const out = new Uint8Array(image.length)
  for (let v = 0; v < image.length; v++) {
    const x = image[v]!
    out[v] = x >= low && x <= high ? 1 : 0
  }
  return out
}
