import { RoiError } from './roi-error'
import { type Dims, type Mask, checkDims, checkMask } from './volume'

/*
 * Binary morphology with the 6-neighbourhood (the 3-D cross, scipy's generate_binary_structure(3, 1)) in the ROI's
 * voxel grid, as scipy.ndimage does it with its defaults: outside the grid counts as 0 (border_value=0), so erosion
 * eats voxels on the grid's faces. An axis of size 1 (a single-slice ROI) is left out of the neighbourhood (the
 * 4-neighbourhood in the slice): scipy on the squeezed array. opening = erode^n then dilate^n, closing = dilate^n
 * then erode^n (scipy's binary_opening / binary_closing with `iterations`=n; closing can thus clear face voxels).
 */

export type MorphOp = 'erode' | 'dilate' | 'open' | 'close'

export function erode(mask: Mask, dims: Dims, iterations = 1): Mask {
  return repeat(mask, dims, iterations, erodeOnce)
}

export function dilate(mask: Mask, dims: Dims, iterations = 1): Mask {
  return repeat(mask, dims, iterations, dilateOnce)
}

export function open(mask: Mask, dims: Dims, iterations = 1): Mask {
  return dilate(erode(mask, dims, iterations), dims, iterations)
}

export function close(mask: Mask, dims: Dims, iterations = 1): Mask {
  return erode(dilate(mask, dims, iterations), dims, iterations)
}

/** One of the four operations by name. */
export function morph(op: MorphOp, mask: Mask, dims: Dims, iterations = 1): Mask {
  switch (op) {
    case 'erode':
      return erode(mask, dims, iterations)
    case 'dilate':
      return dilate(mask, dims, iterations)
    case 'open':
      return open(mask, dims, iterations)
    case 'close':
      return close(mask, dims, iterations)
    default:
      throw new RoiError(`unknown morphological operation ${String(op)} (erode, dilate, open or close)`)
  }
}

type Step = (src: Mask, dst: Mask, dims: Dims) => void

function repeat(mask: Mask, dims: Dims, iterations: number, step: Step): Mask {
  checkDims(dims)
  checkMask(mask, dims)
  if (!Number.isInteger(iterations) || iterations < 1) throw new RoiError(`iterations must be a whole number >= 1, got ${iterations}`)
  let src: Mask = mask
  let dst: Mask = new Uint8Array(mask.length)
  let spare: Mask | undefined
  for (let it = 0; it < iterations; it++) {
    step(src, dst, dims)
    const previous = src
    src = dst
    // never write into the caller's mask
    dst = previous === mask ? (spare ??= new Uint8Array(mask.length)) : previous
  }
  return src
}

/*
 * One step = the mask combined with its six shifted copies, one axis at a time (the cross is the union of three
 * 3-voxel lines: dilation ORs the shifts, erosion ANDs them with 0 beyond the grid). Each shift is a tight loop over
 * a contiguous range; when rows are whole 32-bit words (nx % 4 == 0, aligned buffers) four voxels go at once.
 */

function erodeOnce(src: Mask, dst: Mask, dims: Dims): void {
  combineShifts(src, dst, dims, true)
}

function dilateOnce(src: Mask, dst: Mask, dims: Dims): void {
  combineShifts(src, dst, dims, false)
}

function combineShifts(src: Mask, dst: Mask, dims: Dims, and: boolean): void {
  const [nx, ny, nz] = dims
  dst.set(src)
  const words = nx % 4 === 0 && src.byteOffset % 4 === 0 && dst.byteOffset % 4 === 0
  const plane = nx * ny
  const n = plane * nz
  if (words) {
    const s = new Uint32Array(src.buffer, src.byteOffset, n >> 2)
    const d = new Uint32Array(dst.buffer, dst.byteOffset, n >> 2)
    if (nz > 1) shiftWords(s, d, plane >> 2, 0, n >> 2, and)
    if (ny > 1) for (let k = 0; k < nz; k++) shiftWords(s, d, nx >> 2, (k * plane) >> 2, ((k + 1) * plane) >> 2, and)
    if (nx > 1) rowsWords(s, d, nx >> 2, and)
    return
  }
  if (nz > 1) shiftBytes(src, dst, plane, 0, n, and)
  if (ny > 1) for (let k = 0; k < nz; k++) shiftBytes(src, dst, nx, k * plane, (k + 1) * plane, and)
  if (nx > 1) for (let r = 0; r < n; r += nx) shiftBytes(src, dst, 1, r, r + nx, and)
}

/** Within [lo, hi): dst[v] op= src[v + d] and src[v - d], with 0 outside the range. */
function shiftBytes(src: Mask, dst: Mask, d: number, lo: number, hi: number, and: boolean): void {
  if (and) {
    for (let v = lo, e = hi - d; v < e; v++) dst[v]! &= src[v + d]!
    for (let v = Math.max(lo, hi - d); v < hi; v++) dst[v] = 0
    for (let v = lo + d; v < hi; v++) dst[v]! &= src[v - d]!
    for (let v = lo, e = Math.min(hi, lo + d); v < e; v++) dst[v] = 0
  } else {
    for (let v = lo, e = hi - d; v < e; v++) dst[v]! |= src[v + d]!
    for (let v = lo + d; v < hi; v++) dst[v]! |= src[v - d]!
  }
}

/** shiftBytes on 32-bit words: offsets and range in words (a copy, not a generic: each loop sees one array type). */
function shiftWords(src: Uint32Array, dst: Uint32Array, d: number, lo: number, hi: number, and: boolean): void {
  if (and) {
    for (let w = lo, e = hi - d; w < e; w++) dst[w]! &= src[w + d]!
    for (let w = Math.max(lo, hi - d); w < hi; w++) dst[w] = 0
    for (let w = lo + d; w < hi; w++) dst[w]! &= src[w - d]!
    for (let w = lo, e = Math.min(hi, lo + d); w < e; w++) dst[w] = 0
  } else {
    for (let w = lo, e = hi - d; w < e; w++) dst[w]! |= src[w + d]!
    for (let w = lo + d; w < hi; w++) dst[w]! |= src[w - d]!
  }
}

/**
 * The i-neighbours of rows of `rowWords` words (little-endian: voxel i is the byte (i % 4) of its word): the left
 * neighbours are the word shifted up one byte with the previous word's top byte carried in, the right ones shifted
 * down with the next word's low byte; nothing is carried across a row's ends (0 beyond the grid).
 */
function rowsWords(src: Uint32Array, dst: Uint32Array, rowWords: number, and: boolean): void {
  for (let r = 0; r < src.length; r += rowWords) {
    const end = r + rowWords
    let prev = 0
    let cur = src[r]!
    for (let w = r; w < end; w++) {
      const next = w + 1 < end ? src[w + 1]! : 0
      const left = ((cur << 8) | (prev >>> 24)) >>> 0
      const right = ((cur >>> 8) | (next << 24)) >>> 0
      dst[w] = and ? dst[w]! & left & right : dst[w]! | left | right
      prev = cur
      cur = next
    }
  }
}
