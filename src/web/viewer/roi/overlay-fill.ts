/**
 * The overlay's colours computed on the CPU, for one ROI layer on the background's own grid (only axes swapped or
 * flipped, as NiiVue's RAS order makes them): each background voxel then samples exactly one mask voxel, so its colour
 * is one of two (rendered once by NiiVue's own shader, overlay-slab.ts). The changed box is filled by that lookup and
 * uploaded as it is: no shader runs over the box.
 */
import type { VoxelBox } from './voxel-box'

/** Where a background voxel (x, y, z) finds its mask voxel: base + x * strides[0] + y * strides[1] + z * strides[2]. */
export interface VoxelMapping {
  base: number
  strides: [number, number, number]
}

/**
 * The mapping of a layer whose frac -> background frac matrix (`forward`, column-major as NiiVue builds it: row r is
 * forward[4r..4r+3]) only permutes and flips axes of the same size; undefined for any other placement.
 */
export function voxelMapping(forward: ArrayLike<number>, layerDims: readonly number[], backDims: readonly number[]): VoxelMapping | undefined {
  const nStride = [1, layerDims[0]!, layerDims[0]! * layerDims[1]!]
  const strides: [number, number, number] = [0, 0, 0]
  let base = 0
  const used = new Set<number>()
  for (let r = 0; r < 3; r++) {
    const row = [0, 1, 2].map((c) => forward[r * 4 + c]!)
    const c = row.map(Math.abs).indexOf(Math.max(...row.map(Math.abs)))
    const n = layerDims[c]!
    if (used.has(c) || n !== backDims[r]) return undefined
    used.add(c)
    // One layer voxel is one background voxel along this axis, and no other layer axis moves it.
    if (Math.abs(Math.abs(row[c]!) - 1) > 1e-4 || row.some((v, k) => k !== c && Math.abs(v) > 1e-6)) return undefined
    const flip = row[c]! < 0
    // The first layer voxel's centre lands on the centre of background voxel 0 (or n - 1 when flipped).
    const at = (row[c]! * (0.5 / n) + forward[r * 4 + 3]!) * n - 0.5
    if (Math.abs(at - (flip ? n - 1 : 0)) > 1e-3) return undefined
    strides[r] = flip ? -nStride[c]! : nStride[c]!
    if (flip) base += (n - 1) * nStride[c]!
  }
  return { base, strides }
}

/** Fills the box (background voxels, inclusive) with colours[mask voxel] (masks are 0/1); `out`: w*h*d RGBA words, x fastest. */
export function fillBox(out: Uint32Array, box: VoxelBox, mask: Uint8Array, map: VoxelMapping, colours: Uint32Array): void {
  const [x0, y0, z0] = box.min
  const w = box.max[0] - x0 + 1
  const [sx, sy, sz] = map.strides
  // Without a branch (set and unset voxels of a grown region alternate unpredictably): c0, or c0 ^ (c0 ^ c1) = c1.
  const c0 = colours[0]! | 0
  const flip = (colours[0]! ^ colours[1]!) | 0
  const words = new Int32Array(out.buffer, out.byteOffset, out.length)
  let o = 0
  for (let z = z0; z <= box.max[2]; z++)
    for (let y = y0; y <= box.max[1]; y++, o += w) fillRow(words, o, w, mask, map.base + x0 * sx + y * sy + z * sz, sx, c0, flip)
}

/** One row: a small function of its own, so that the engine optimises it after a few rows, not after the whole box. */
function fillRow(words: Int32Array, o: number, w: number, mask: Uint8Array, a: number, sx: number, c0: number, flip: number) {
  for (let x = 0; x < w; x++, a += sx) words[o + x] = c0 ^ (flip & -mask[a]!)
}
