import { describe, expect, test } from 'bun:test'
import { applyFlips, diffFlips, flipsBytes, UndoStack, type Flips, type MaskEdit } from '../../../src/web/viewer/roi/undo'

/** The runs [start, end) of flipped voxels a Flips stands for. */
function runsOf(f: Flips, n: number): number[] {
  const m = new Uint8Array(n)
  applyFlips(m, f)
  const out: number[] = []
  for (let v = 0; v < n; v++) if (m[v] && !(v > 0 && m[v - 1])) out.push(v)
  else if (!m[v] && v > 0 && m[v - 1]) out.push(v)
  if (m[n - 1]) out.push(n)
  return out
}

const dims = [13, 11, 7] as const
const n = dims[0] * dims[1] * dims[2]

/** A deterministic pseudo-random generator (tests repeat exactly). */
function rng(seed: number) {
  let s = seed >>> 0
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32)
}

/** Brute force: the runs of differing voxels and the change of the set count, by visiting every voxel. */
function bruteRuns(a: Uint8Array, b: Uint8Array): { runs: number[]; delta: number } | undefined {
  const runs: number[] = []
  let delta = 0
  for (let v = 0; v < a.length; v++) {
    if (a[v] === b[v]) continue
    delta += b[v]! - a[v]!
    if (runs.length && runs[runs.length - 1] === v) runs[runs.length - 1] = v + 1
    else runs.push(v, v + 1)
  }
  return runs.length ? { runs, delta } : undefined
}

const apply = (masks: Map<number, Uint8Array>) => (e: MaskEdit) => (applyFlips(masks.get(e.roi)!, e.flips), true)

describe('ROI undo stack', () => {
  test('diffFlips finds every flipped voxel and the count change (brute force), at any length and offset, in the smaller form', () => {
    const r = rng(1)
    let sawRuns = 0
    let sawBits = 0
    for (let t = 0; t < 400; t++) {
      // Lengths not a multiple of 4 and unaligned views exercise the word loop's tail and the byte fallback.
      const len = 1 + Math.floor(r() * 200)
      const off = t % 3 === 0 ? 1 : 0
      const a = new Uint8Array(len + off).subarray(off)
      const b = new Uint8Array(len + off).subarray(off)
      for (let v = 0; v < len; v++) a[v] = r() < 0.3 ? 1 : 0
      b.set(a)
      const flips = Math.floor(r() * 8)
      for (let f = 0; f < flips; f++) {
        const s = Math.floor(r() * len)
        const e = Math.min(len, s + 1 + Math.floor(r() * (t % 2 ? 3 : 9)))
        for (let v = s; v < e; v++) b[v] = r() < 0.5 ? 1 : 0
      }
      const got = diffFlips(a, b)
      const want = bruteRuns(a, b)
      expect(got ? { runs: runsOf(got.flips, len), delta: got.delta } : undefined).toEqual(want)
      if (!got || !want) continue
      const c = a.slice()
      applyFlips(c, got.flips)
      expect(Array.from(c)).toEqual(Array.from(b))
      // The form taken is the smaller: runs at 8 bytes a run, or a bit a voxel from the first flip's byte on.
      const first = want.runs[0]!
      const last = want.runs[want.runs.length - 1]! - 1
      const bitsBytes = (last >> 3) - ((first & ~7) >> 3) + 1
      if ('runs' in got.flips) (sawRuns++, expect(want.runs.length * 4).toBeLessThanOrEqual(bitsBytes))
      else (sawBits++, expect(want.runs.length * 4).toBeGreaterThan(bitsBytes))
      expect(flipsBytes(got.flips)).toBe(Math.min(want.runs.length * 4, bitsBytes))
    }
    expect(sawRuns + sawBits).toBeGreaterThan(300) // small masks: mostly bits; runs win in the tests below
    expect(sawBits).toBeGreaterThan(0)
  })

  test('undo takes every edit back and redo replays it, across two ROIs; the count follows', () => {
    const r = rng(2)
    const masks = new Map<number, Uint8Array>([[1, new Uint8Array(n)], [2, new Uint8Array(n)]])
    const count = new Map<number, number>([[1, 0], [2, 0]])
    const history: Uint8Array<ArrayBuffer>[][] = [[masks.get(1)!.slice(), masks.get(2)!.slice()]]
    const stack = new UndoStack()
    for (let e = 0; e < 30; e++) {
      const id = r() < 0.5 ? 1 : 2
      const m = masks.get(id)!
      const before = m.slice()
      const c = Math.floor(r() * n)
      for (let d = 0; d < 20; d++) m[(c + d * 13) % n] = r() < 0.7 ? 1 : 0
      const edit = stack.record(id, before, m, `edit ${e}`)
      if (edit) count.set(id, count.get(id)! + edit.delta)
      expect(count.get(id)).toBe(m.reduce((s, v) => s + v, 0))
      history.push([masks.get(1)!.slice(), masks.get(2)!.slice()])
    }
    // Every recorded state comes back in reverse (edits that changed nothing were not stored: skip equal states).
    const distinct = history.filter((h, i) => i === 0 || h.some((m, x) => !m.every((v, q) => v === history[i - 1]![x]![q])))
    for (let s = distinct.length - 2; s >= 0; s--) {
      expect(stack.undo(apply(masks))).toBeDefined()
      expect(Array.from(masks.get(1)!)).toEqual(Array.from(distinct[s]![0]!))
      expect(Array.from(masks.get(2)!)).toEqual(Array.from(distinct[s]![1]!))
    }
    expect(stack.undo(apply(masks))).toBeUndefined()
    for (let s = 1; s < distinct.length; s++) {
      stack.redo(apply(masks))
      expect(Array.from(masks.get(1)!)).toEqual(Array.from(distinct[s]![0]!))
    }
    expect(stack.canRedo).toBe(false)
  })

  test('undo passes the sign for the voxel count: -delta when undone, +delta when redone', () => {
    const stack = new UndoStack()
    const m = new Uint8Array(n)
    const before = m.slice()
    m.fill(1, 10, 30)
    stack.record(1, before, m, 'twenty')
    const signs: number[] = []
    stack.undo((e, sign) => (signs.push(sign * e.delta), true))
    stack.redo((e, sign) => (signs.push(sign * e.delta), true))
    expect(signs).toEqual([-20, 20])
  })

  test('a new edit clears redo; an edit that changes nothing is not stored', () => {
    const stack = new UndoStack()
    const m = new Uint8Array(n)
    const masks = new Map([[1, m]])
    const before = m.slice()
    m[5] = 1
    stack.record(1, before, m, 'a')
    expect(stack.record(1, m.slice(), m, 'nothing')).toBeUndefined()
    stack.undo(apply(masks))
    expect(m[5]).toBe(0)
    expect(stack.canRedo).toBe(true)
    const b2 = m.slice()
    m[7] = 1
    stack.record(1, b2, m, 'b')
    expect(stack.canRedo).toBe(false)
  })

  test('a large edit is stored as runs, not as copies of the mask: a 256³ dilation-like shell', () => {
    const [nx, ny, nz] = [256, 256, 256]
    const a = new Uint8Array(nx * ny * nz)
    const b = new Uint8Array(nx * ny * nz)
    for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) {
      const row = nx * (j + ny * k)
      const d2 = (j - 128) ** 2 + (k - 128) ** 2
      if (d2 < 90 * 90) {
        const h = Math.floor(Math.sqrt(90 * 90 - d2))
        a.fill(1, row + 128 - h, row + 128 + h)
        b.fill(1, row + 127 - h, row + 129 + h) // one voxel more at both ends of each row
      }
    }
    const stack = new UndoStack()
    const e = stack.record(1, a, b, 'shell')!
    const count = (m: Uint8Array) => {
      let c = 0
      for (let v = 0; v < m.length; v++) c += m[v]!
      return c
    }
    expect(e.delta).toBe(count(b) - count(a))
    expect('runs' in e.flips).toBe(true) // runs: 8 bytes a run, fewer than a bit a voxel of the span
    expect(stack.storedBytes).toBe(flipsBytes(e.flips))
    expect(stack.storedBytes).toBeLessThan(450_000) // two runs in each of the ball's ~25,400 rows; one copy of the mask is 16.7 MB
    applyFlips(b, e.flips)
    expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true)
  })

  test('a sponge-like edit (many short runs) is stored as a bitset of its span, and flips back exactly', () => {
    const r = rng(5)
    const len = 64 * 64 * 64
    const a = new Uint8Array(len)
    for (let v = 0; v < len; v++) a[v] = r() < 0.4 ? 1 : 0
    const b = a.slice()
    for (let v = 1000; v < len - 1000; v++) if (r() < 0.3) b[v] = b[v] ? 0 : 1
    const stack = new UndoStack()
    const e = stack.record(1, a, b, 'sponge')!
    expect('bits' in e.flips).toBe(true)
    const span = len - 2000
    expect(stack.storedBytes).toBeLessThanOrEqual(Math.ceil(span / 8))
    const c = b.slice()
    applyFlips(c, e.flips)
    expect(Buffer.from(c).equals(Buffer.from(a))).toBe(true)
    applyFlips(c, e.flips)
    expect(Buffer.from(c).equals(Buffer.from(b))).toBe(true)
    // Two runs far apart are kept as runs (16 bytes, where the bits of their span would take 500)
    const x = new Uint8Array(len)
    const y = x.slice()
    y.fill(1, 10, 20)
    y[4000] = 1
    expect(diffFlips(x, y)!.flips).toEqual({ runs: new Int32Array([10, 20, 4000, 4001]) })
  })

  test('memory is bounded: the oldest edits go when the cap is passed', () => {
    const big = [64, 64, 64] as const
    // A 40x40x8 slab flipped: one run of 40 voxels per row, 320 rows, 8 bytes a run: 2,560 bytes an edit.
    const perEdit = 40 * 8 * 8
    const cap = 5 * perEdit + 100
    const stack = new UndoStack(cap)
    const m = new Uint8Array(big[0] * big[1] * big[2])
    for (let e = 0; e < 20; e++) {
      const before = m.slice()
      for (let k = e % 50; k < (e % 50) + 8; k++) for (let j = 0; j < 40; j++) for (let i = 0; i < 40; i++) m[i + 64 * (j + 64 * k)]! ^= 1
      expect(flipsBytes(stack.record(1, before, m, `slab ${e}`)!.flips)).toBe(perEdit)
      expect(stack.storedBytes).toBeLessThanOrEqual(cap)
    }
    let undone = 0
    while (stack.undo(apply(new Map([[1, m]])))) undone++
    expect(undone).toBe(5)
  })

  test('edits of a deleted ROI are skipped and forgotten', () => {
    const stack = new UndoStack()
    const a = new Uint8Array(n)
    const b = new Uint8Array(n)
    stack.record(1, a.slice(), (a[1] = 1, a), 'a')
    stack.record(2, b.slice(), (b[2] = 1, b), 'b')
    stack.forget(2)
    const e = stack.undo(apply(new Map([[1, a]])))
    expect(e?.roi).toBe(1)
    expect(a[1]).toBe(0)
    expect(stack.storedBytes).toBe(1) // the undone edit of ROI 1 stays for redo: one voxel, one byte of bits
  })
})
