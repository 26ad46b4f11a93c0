import { RoiError } from './roi-error'
import { type Axis, type Grid, type Mask, checkMask } from './volume'

/**
 * Fills a polygon into one slice of a mask: the slice `index` along the voxel axis `plane`, the polygon's points in
 * the slice's own voxel coordinates (u, v) = the two other axes in order (i, j for plane 2; i, k for plane 1; j, k
 * for plane 0). A voxel is inside when its centre is (even-odd rule). Writes `value`; returns how many changed.
 */
export function fillPolygon(mask: Mask, grid: Grid, plane: Axis, index: number, points: readonly (readonly [number, number])[], value: 0 | 1): number {
  const { dims } = grid
  checkMask(mask, dims)
  if (!Number.isInteger(index) || index < 0 || index >= dims[plane]) throw new RoiError(`slice ${index} is outside 0..${dims[plane] - 1} on axis ${plane}`)
  if (points.length < 3) return 0
  const [ua, va] = plane === 0 ? [1, 2] : plane === 1 ? [0, 2] : [0, 1]
  const nu = dims[ua as Axis]
  const nv = dims[va as Axis]
  const stride = [1, dims[0], dims[0] * dims[1]]
  const base = index * stride[plane]!
  let changed = 0
  const xs: number[] = []
  for (let v = 0; v < nv; v++) {
    xs.length = 0
    for (let p = 0; p < points.length; p++) {
      const [u1, v1] = points[p]!
      const [u2, v2] = points[(p + 1) % points.length]!
      if (v1 <= v !== v2 <= v) xs.push(u1 + ((v - v1) / (v2 - v1)) * (u2 - u1))
    }
    xs.sort((a, b) => a - b)
    for (let s = 0; s + 1 < xs.length; s += 2) {
      const from = Math.max(0, Math.ceil(xs[s]!))
      const to = Math.min(nu - 1, Math.floor(xs[s + 1]!))
      for (let u = from; u <= to; u++) {
        const at = base + u * stride[ua]! + v * stride[va]!
        if (mask[at] !== value) {
          mask[at] = value
          changed++
        }
      }
    }
  }
  return changed
}
