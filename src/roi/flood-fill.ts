import type { Connectivity, Dims } from './volume'

/**
 * A growable stack of voxel indices, kept between fills (labelling fills once per component; JS runs one fill at a
 * time).
 */
let shared = new Int32Array(4096)

/**
 * Scanline flood fill, iterative (explicit stack, no recursion), over a state array: voxels whose `state` is 1 are
 * fillable; the fill starts at voxel index `seed` and sets every fillable voxel connected to it to `mark` (2-255;
 * anything but 1 blocks), a row's whole run at once. When `labels` is given, the filled voxels also get `label` there.
 * Returns how many voxels were filled (0 when the seed is not fillable). regionGrow runs the same loop with its test
 * inline on the image (ScanlineFill below holds the stack and the neighbouring rows for both).
 */
export function floodFill(
  state: Uint8Array,
  dims: Dims,
  seed: number,
  connectivity: Connectivity,
  mark = 2,
  labels?: Int32Array,
  label = 0,
): number {
  if (state[seed] !== 1) return 0
  const [nx] = dims
  let count = 0
  const fill = new ScanlineFill(dims, connectivity)
  const scan = (from: number, to: number) => {
    let inRun = false
    for (let x = from; x <= to; x++) {
      if (state[x] === 1) {
        if (!inRun) fill.push(x)
        inRun = true
      } else inRun = false
    }
  }
  fill.push(seed)
  for (let s = fill.pop(); s >= 0; s = fill.pop()) {
    if (state[s] !== 1) continue
    const row = s - (s % nx)
    let x0 = s
    let x1 = s
    while (x0 > row && state[x0 - 1] === 1) x0--
    while (x1 < row + nx - 1 && state[x1 + 1] === 1) x1++
    state.fill(mark, x0, x1 + 1)
    if (labels) labels.fill(label, x0, x1 + 1)
    count += x1 - x0 + 1
    fill.neighbours(s, x0 - row, x1 - row, scan)
  }
  return count
}

/** The stack and the neighbouring rows of a scanline fill; the caller tests voxels and takes runs. */
export class ScanlineFill {
  private stack = shared
  private sp = 0
  private readonly plane: number

  constructor(
    private readonly dims: Dims,
    private readonly connectivity: Connectivity,
  ) {
    this.plane = dims[0] * dims[1]
  }

  push(v: number): void {
    if (this.sp === this.stack.length) {
      const grown = new Int32Array(this.stack.length * 2)
      grown.set(this.stack)
      this.stack = shared = grown
    }
    this.stack[this.sp++] = v
  }

  /** The next seed, or -1 when done. */
  pop(): number {
    return this.sp > 0 ? this.stack[--this.sp]! : -1
  }

  /**
   * Calls `scan(from, to)` (voxel indices, inclusive) for each row next to the run [x0, x1] (i within its row) of
   * the row holding voxel `s`, clipped to the grid.
   */
  neighbours(s: number, x0: number, x1: number, scan: (from: number, to: number) => void): void {
    const [nx, ny, nz] = this.dims
    const plane = this.plane
    const k = (s / plane) | 0
    const j = ((s - k * plane) / nx) | 0
    const row = k * plane + j * nx
    if (this.connectivity === 6) {
      if (j > 0) scan(row - nx + x0, row - nx + x1)
      if (j < ny - 1) scan(row + nx + x0, row + nx + x1)
      if (k > 0) scan(row - plane + x0, row - plane + x1)
      if (k < nz - 1) scan(row + plane + x0, row + plane + x1)
      return
    }
    const a = x0 > 0 ? x0 - 1 : 0
    const b = x1 < nx - 1 ? x1 + 1 : nx - 1
    for (let dk = -1; dk <= 1; dk++) {
      const kk = k + dk
      if (kk < 0 || kk >= nz) continue
      for (let dj = -1; dj <= 1; dj++) {
        const jj = j + dj
        if ((dj === 0 && dk === 0) || jj < 0 || jj >= ny) continue
        const base = kk * plane + jj * nx
        scan(base + a, base + b)
      }
    }
  }
}
