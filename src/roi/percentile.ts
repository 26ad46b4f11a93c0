/**
 * Percentiles as numpy.percentile computes them by default (method 'linear'): for q in [0, 100] over n sorted
 * values, the value at position q/100 * (n - 1), interpolated linearly between its two neighbours. Computed by
 * selection (in place, average O(n)) instead of a full sort.
 */

type Sortable = Float64Array | Float32Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array

/** numpy's _lerp: a + (b - a) * t, from the other end when t >= 0.5 (exact at both ends). */
export function lerp(a: number, b: number, t: number): number {
  const d = b - a
  return t >= 0.5 ? b - d * (1 - t) : a + d * t
}

/** Percentiles `qs` (0-100) of values[0..n), reordering `values` in place. NaN when n is 0. */
export function percentilesInPlace(values: Sortable, n: number, qs: readonly number[]): number[] {
  if (n === 0) return qs.map(() => Number.NaN)
  // Select the ranks in ascending order, each in the part right of the previous one.
  const wanted = qs.map((q, idx) => ({ idx, pos: (q / 100) * (n - 1) })).sort((a, b) => a.pos - b.pos)
  const out = new Array<number>(qs.length)
  let from = 0
  for (const { idx, pos } of wanted) {
    const lo = Math.floor(pos)
    const t = pos - lo
    const a = select(values, lo, from, n - 1)
    from = lo
    // The next value up is the minimum of the part right of lo.
    let b = a
    if (t > 0 && lo + 1 < n) {
      b = values[lo + 1]!
      for (let i = lo + 2; i < n; i++) if (values[i]! < b) b = values[i]!
    }
    out[idx] = t > 0 ? lerp(a, b, t) : a
  }
  return out
}

/** Percentiles of the values described by a histogram: counts[b] values equal to valueOf(b), bins ascending. */
export function histogramPercentiles(counts: Uint32Array | Float64Array, valueOf: (bin: number) => number, n: number, qs: readonly number[]): number[] {
  if (n === 0) return qs.map(() => Number.NaN)
  const rankValue = (rank: number): number => {
    let seen = 0
    for (let b = 0; b < counts.length; b++) {
      seen += counts[b]!
      if (seen > rank) return valueOf(b)
    }
    return valueOf(counts.length - 1)
  }
  return qs.map((q) => {
    const pos = (q / 100) * (n - 1)
    const lo = Math.floor(pos)
    const t = pos - lo
    const a = rankValue(lo)
    return t > 0 ? lerp(a, rankValue(lo + 1), t) : a
  })
}

/** Moves the k-th smallest of values[left..right] to index k (smaller before, larger after) and returns it. */
function select(a: Sortable, k: number, left: number, right: number): number {
  let l = left
  let r = right
  while (r > l) {
    if (r - l < 16) {
      // insertion sort for small ranges
      for (let i = l + 1; i <= r; i++) {
        const x = a[i]!
        let j = i - 1
        while (j >= l && a[j]! > x) {
          a[j + 1] = a[j]!
          j--
        }
        a[j + 1] = x
      }
      break
    }
    // median of three as pivot
    const m = (l + r) >>> 1
    if (a[m]! < a[l]!) swap(a, m, l)
    if (a[r]! < a[l]!) swap(a, r, l)
    if (a[r]! < a[m]!) swap(a, r, m)
    const pivot = a[m]!
    let i = l
    let j = r
    while (i <= j) {
      while (a[i]! < pivot) i++
      while (a[j]! > pivot) j--
      if (i <= j) {
        swap(a, i, j)
        i++
        j--
      }
    }
    if (k <= j) r = j
    else if (k >= i) l = i
    else break
  }
  return a[k]!
}

function swap(a: Sortable, i: number, j: number): void {
  const t = a[i]!
  a[i] = a[j]!
  a[j] = t
}
