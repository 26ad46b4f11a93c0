/**
 * Undo/redo of ROI edits with bounded memory. Masks are binary (0/1), so an edit is fully described by the voxels it
 * flipped: it is stored as runs [start, end) of flipped voxel indices or as a bitset, whichever is smaller (a dilation
 * of a 256³ ball keeps its shell's row runs, some hundred KB, not two 16 MB copies), with the change of the voxel
 * count. Undo and redo flip the same voxels back and forth. When the stored bytes pass the cap, the oldest edits are
 * forgotten.
 */
export interface MaskEdit {
  /** Which ROI (its id); the stack spans all ROIs, as the user's edits do. */
  roi: number
  /** The voxels whose value the edit flipped. */
  flips: Flips
  /** Set voxels after the edit minus before it. */
  delta: number
  label: string
}

/**
 * Flipped voxels, in the smaller of two forms: pairs [start, end) of voxel indices, ascending (a brush stroke, the
 * shell of a dilated ball), or one bit a voxel from `start` on (a dilated sponge-like region, whose runs are many
 * and short: a 256³ one takes at most 2 MB so).
 */
export type Flips = { runs: Int32Array } | { start: number; bits: Uint8Array }

export const flipsBytes = (f: Flips) => ('runs' in f ? f.runs.byteLength : f.bits.byteLength)

/** Flips the voxels (0 <-> 1): applied once it redoes an edit, applied again it undoes it. */
export function applyFlips(mask: Uint8Array, f: Flips): void {
  if ('runs' in f) return flipRuns(mask, f.runs)
  const { start, bits } = f
  for (let b = 0; b < bits.length; b++) {
    const byte = bits[b]!
    if (!byte) continue
    for (let i = 0, v = start + (b << 3); i < 8; i++, v++) if (byte & (1 << i)) mask[v] = mask[v] ? 0 : 1
  }
}

/** Set bits of a nibble. */
const POP4 = [0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4]

/** The number of bytes equal to 1 in a word whose bytes are 0 or 1. */
const bytesSet = (w: number) => Math.imul(w & 0x01010101, 0x01010101) >>> 24

/**
 * The voxels flipped from `a` (before) to `b` (after), in the smaller form, and the change of the set-voxel count;
 * undefined when the masks are equal. Masks are binary (0/1). One pass compares four voxels a word (equal words, almost
 * all of them, cost one comparison) and builds a bitset of the flips while counting their runs; runs are made from
 * the bitset only when they are the smaller form.
 */
export function diffFlips(a: Uint8Array, b: Uint8Array): { flips: Flips; delta: number } | undefined {
  if (a.length !== b.length) throw new Error(`masks of ${a.length} and ${b.length} voxels cannot be compared`)
  const n = a.length
  const all = new Uint8Array((n + 7) >> 3)
  let first = -1
  let last = -1
  let delta = 0
  let runs = 0
  let prev = 0 // whether the voxel before flipped
  const words = a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0 ? n >> 2 : 0
  if (words) {
    const wa = new Uint32Array(a.buffer, a.byteOffset, words)
    const wb = new Uint32Array(b.buffer, b.byteOffset, words)
    for (let w = 0; w < words; w++) {
      const x = wa[w]! ^ wb[w]!
      if (x === 0) {
        prev = 0
        continue
      }
      const nib = (x & 0xff ? 1 : 0) | (x & 0xff00 ? 2 : 0) | (x & 0xff0000 ? 4 : 0) | (x >>> 24 ? 8 : 0)
      runs += POP4[nib & ~((nib << 1) | prev) & 15]!
      prev = nib >> 3
      delta += bytesSet(wb[w]! & x) - bytesSet(wa[w]! & x)
      const v = w << 2
      all[v >> 3]! |= nib << (v & 7)
      if (first < 0) first = v + 31 - Math.clz32(nib & -nib)
      last = v + 31 - Math.clz32(nib)
    }
  }
  for (let v = words << 2; v < n; v++) {
    if (a[v] === b[v]) {
      prev = 0
      continue
    }
    if (!prev) runs++
    prev = 1
    delta += (b[v] ? 1 : 0) - (a[v] ? 1 : 0)
    all[v >> 3]! |= 1 << (v & 7)
    if (first < 0) first = v
    last = v
  }
  if (first < 0) return undefined
  const start = first & ~7
  const bits = all.subarray(start >> 3, (last >> 3) + 1)
  if (runs * 8 > bits.byteLength) return { flips: { start, bits: bits.slice() }, delta }
  // Few runs over a wide span (a brush stroke): the runs, read off the bitset.
  const out = new Int32Array(runs * 2)
  let r = 0
  let open = false
  for (let i = 0; i < bits.length; i++) {
    const byte = bits[i]!
    if (byte === 0 && !open) continue
    if (byte === 255 && open) continue
    for (let k = 0; k < 8; k++) {
      const on = (byte >> k) & 1
      if (on && !open) (out[r++] = start + (i << 3) + k), (open = true)
      else if (!on && open) (out[r++] = start + (i << 3) + k), (open = false)
    }
  }
  if (open) out[r++] = last + 1
  return { flips: { runs: out }, delta }
}

/** Flips the voxels of the runs (0 <-> 1): applied once it redoes an edit, applied again it undoes it. */
export function flipRuns(mask: Uint8Array, runs: Int32Array): void {
  for (let r = 0; r < runs.length; r += 2) for (let v = runs[r]!, e = runs[r + 1]!; v < e; v++) mask[v] = mask[v] ? 0 : 1
}

export class UndoStack {
  private done: MaskEdit[] = []
  private undone: MaskEdit[] = []
  private bytes = 0

  /** `capBytes`: the most the stored edits' flips may hold before the oldest are dropped. */
  constructor(readonly capBytes = 64 * 1024 * 1024) {}

  /**
   * Records the change from `before` (the mask before the edit, or a copy of it) to `after`. Returns the stored edit,
   * or undefined when nothing changed. A new edit clears the redo list.
   */
  record(roi: number, before: Uint8Array, after: Uint8Array, label: string): MaskEdit | undefined {
    const d = diffFlips(before, after)
    return d ? this.push({ roi, flips: d.flips, delta: d.delta, label }) : undefined
  }

  /** Stores an edit whose runs are known. */
  push(edit: MaskEdit): MaskEdit {
    for (const e of this.undone) this.bytes -= size(e)
    this.undone = []
    this.done.push(edit)
    this.bytes += size(edit)
    while (this.bytes > this.capBytes && this.done.length > 0) this.bytes -= size(this.done.shift()!)
    return edit
  }

  /** Takes the last edit back; `apply` flips its voxels in that ROI's mask (`sign` -1: the count changes by -delta). */
  undo(apply: (edit: MaskEdit, sign: 1 | -1) => boolean): MaskEdit | undefined {
    const e = this.done.pop()
    if (!e) return undefined
    if (!apply(e, -1)) return this.undo(apply) // its ROI is gone: skip it
    this.undone.push(e)
    return e
  }

  redo(apply: (edit: MaskEdit, sign: 1 | -1) => boolean): MaskEdit | undefined {
    const e = this.undone.pop()
    if (!e) return undefined
    if (!apply(e, 1)) return this.redo(apply)
    this.done.push(e)
    return e
  }

  /** Forgets the edits of an ROI (deleted from the workspace). */
  forget(roi: number) {
    const keep = (list: MaskEdit[]) => list.filter((e) => e.roi !== roi || ((this.bytes -= size(e)), false))
    this.done = keep(this.done)
    this.undone = keep(this.undone)
  }

  get storedBytes() {
    return this.bytes
  }

  get canUndo() {
    return this.done.length > 0
  }

  get canRedo() {
    return this.undone.length > 0
  }
}

const size = (e: MaskEdit) => flipsBytes(e.flips)
