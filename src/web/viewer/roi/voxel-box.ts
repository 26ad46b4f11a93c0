/**
 * The box (voxel index ranges, inclusive, in the mask's own order i, j, k) that holds every voxel an edit flipped:
 * what the display has to redraw after it. Read off the undo record's flips (runs or bitset), without the mask.
 */
import type { Flips } from './undo'

export interface VoxelBox {
  min: [number, number, number]
  max: [number, number, number]
}

/** The smallest box that holds both. */
export function unionBox(a: VoxelBox, b: VoxelBox): VoxelBox {
  return {
    min: [Math.min(a.min[0], b.min[0]), Math.min(a.min[1], b.min[1]), Math.min(a.min[2], b.min[2])],
    max: [Math.max(a.max[0], b.max[0]), Math.max(a.max[1], b.max[1]), Math.max(a.max[2], b.max[2])],
  }
}

/** Calls `run(start, end)` for each maximal run [start, end) of flipped voxel indices, ascending. */
export function forEachRun(f: Flips, run: (start: number, end: number) => void): void {
  if ('runs' in f) {
    for (let r = 0; r < f.runs.length; r += 2) run(f.runs[r]!, f.runs[r + 1]!)
    return
  }
  const { start, bits } = f
  let open = -1
  for (let b = 0; b < bits.length; b++) {
    const byte = bits[b]!
    if (byte === 0 && open < 0) continue
    if (byte === 255 && open >= 0) continue
    for (let k = 0; k < 8; k++) {
      const on = (byte >> k) & 1
      const v = start + (b << 3) + k
      if (on && open < 0) open = v
      else if (!on && open >= 0) run(open, v), (open = -1)
    }
  }
  if (open >= 0) run(open, start + (bits.length << 3))
}

/** The box of the flipped voxels in a mask of `dims` (x fastest); undefined when nothing flipped. */
export function flipsBox(f: Flips, dims: readonly [number, number, number] | readonly number[]): VoxelBox | undefined {
  if ('bits' in f && dims[0]! % 8 === 0) return bitsBox(f, dims)
  const nx = dims[0]!
  const ny = dims[1]!
  const plane = nx * ny
  const min: [number, number, number] = [Infinity, Infinity, Infinity]
  const max: [number, number, number] = [-1, -1, -1]
  forEachRun(f, (s, e) => {
    const last = e - 1
    const z0 = Math.floor(s / plane)
    const z1 = Math.floor(last / plane)
    const row0 = Math.floor(s / nx)
    const row1 = Math.floor(last / nx)
    if (z0 < min[2]) min[2] = z0
    if (z1 > max[2]) max[2] = z1
    // A run across planes covers whole rows of y; across rows, whole rows of x.
    const y0 = z0 === z1 ? row0 - z0 * ny : 0
    const y1 = z0 === z1 ? row1 - z1 * ny : ny - 1
    if (y0 < min[1]) min[1] = y0
    if (y1 > max[1]) max[1] = y1
    const x0 = row0 === row1 ? s - row0 * nx : 0
    const x1 = row0 === row1 ? last - row1 * nx : nx - 1
    if (x0 < min[0]) min[0] = x0
    if (x1 > max[0]) max[0] = x1
  })
  return max[0] < 0 ? undefined : { min, max }
}

/**
 * The exact box of a bitset of flips whose rows are whole bytes (x size a multiple of 8; the bitset starts at a
 * multiple of 8): row by row, the first and last set byte from either end. A dilated sponge-like region (millions of
 * short runs) takes one pass over the rows, not one step per run.
 */
function bitsBox(f: { start: number; bits: Uint8Array }, dims: readonly number[]): VoxelBox | undefined {
  const nx = dims[0]!
  const ny = dims[1]!
  const { start, bits } = f
  const min: [number, number, number] = [Infinity, Infinity, Infinity]
  const max: [number, number, number] = [-1, -1, -1]
  const lastRow = Math.floor((start + bits.length * 8 - 1) / nx)
  for (let row = Math.floor(start / nx); row <= lastRow; row++) {
    const from = Math.max(0, (row * nx - start) >> 3)
    const to = Math.min(bits.length, ((row + 1) * nx - start) >> 3)
    let i = from
    while (i < to && bits[i] === 0) i++
    if (i === to) continue
    let j = to - 1
    while (bits[j] === 0) j--
    const lo = bits[i]!
    const hi = bits[j]!
    const x0 = start + (i << 3) + (31 - Math.clz32(lo & -lo)) - row * nx
    const x1 = start + (j << 3) + (31 - Math.clz32(hi)) - row * nx
    const y = row % ny
    const z = (row - y) / ny
    if (x0 < min[0]) min[0] = x0
    if (x1 > max[0]) max[0] = x1
    if (y < min[1]) min[1] = y
    if (y > max[1]) max[1] = y
    if (z < min[2]) min[2] = z
    if (z > max[2]) max[2] = z
  }
  return max[0] < 0 ? undefined : { min, max }
}

/** The box of some voxels given by their indices (x fastest); undefined for none. */
export function indicesBox(indices: ArrayLike<number>, dims: readonly number[]): VoxelBox | undefined {
  if (!indices.length) return undefined
  const nx = dims[0]!
  const ny = dims[1]!
  const min: [number, number, number] = [Infinity, Infinity, Infinity]
  const max: [number, number, number] = [-1, -1, -1]
  for (let n = 0; n < indices.length; n++) {
    const v = indices[n]!
    const x = v % nx
    const row = (v - x) / nx
    const y = row % ny
    const z = (row - y) / ny
    if (x < min[0]) min[0] = x
    if (x > max[0]) max[0] = x
    if (y < min[1]) min[1] = y
    if (y > max[1]) max[1] = y
    if (z < min[2]) min[2] = z
    if (z > max[2]) max[2] = z
  }
  return { min, max }
}
