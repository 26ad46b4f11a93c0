import { RoiError } from './roi-error'
import type { Mask } from './volume'

export type SetOp = 'union' | 'intersect' | 'diff'

/** a ∪ b */
export function union(a: Mask, b: Mask): Mask {
  return combine(a, b, 'union')
}

/** a ∩ b */
export function intersect(a: Mask, b: Mask): Mask {
  return combine(a, b, 'intersect')
}

/** a \ b: the voxels of a that are not in b. */
export function diff(a: Mask, b: Mask): Mask {
  return combine(a, b, 'diff')
}

/** One of the three operations by name. */
export function setOp(op: SetOp, a: Mask, b: Mask): Mask {
  if (op === 'union') return union(a, b)
  if (op === 'intersect') return intersect(a, b)
  if (op === 'diff') return diff(a, b)
  throw new RoiError(`unknown set operation ${String(op)} (union, intersect or diff)`)
}

const ONES = 0x01010101

/** 1 in each byte of a 32-bit word whose byte is non-zero (shifts masked so no bit crosses into another byte). */
function bytesSet(w: number): number {
  let t = w | ((w >>> 4) & 0x0f0f0f0f)
  t |= (t >>> 2) & 0x33333333
  t |= (t >>> 1) & 0x55555555
  return t & ONES
}

/** The result of `op` (any non-zero voxel counts as in), four voxels a step where the buffers allow. */
function combine(a: Mask, b: Mask, op: SetOp): Mask {
  if (a.length !== b.length) throw new RoiError(`the masks have ${a.length} and ${b.length} voxels: set operations need masks of one grid`)
  const out = new Uint8Array(a.length)
  let done = 0
  if (a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0) {
    const words = a.length >> 2
    const wa = new Uint32Array(a.buffer, a.byteOffset, words)
    const wb = new Uint32Array(b.buffer, b.byteOffset, words)
    const wo = new Uint32Array(out.buffer, 0, words)
    if (op === 'union') for (let w = 0; w < words; w++) wo[w] = bytesSet(wa[w]! | wb[w]!)
    else if (op === 'intersect') for (let w = 0; w < words; w++) wo[w] = bytesSet(wa[w]!) & bytesSet(wb[w]!)
    else for (let w = 0; w < words; w++) wo[w] = bytesSet(wa[w]!) & (bytesSet(wb[w]!) ^ ONES)
    done = words << 2
  }
  for (let v = done; v < out.length; v++) {
    const x = a[v] !== 0
    const y = b[v] !== 0
    out[v] = (op === 'union' ? x || y : op === 'intersect' ? x && y : x && !y) ? 1 : 0
  }
  return out
}
