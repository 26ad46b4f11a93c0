/**
 * The polygon tool: an outline on one slice of the current ROI, drawn click by click or by dragging; points can be
 * moved afterwards (press near one and drag); "trash" forgets it, "render" fills it into the ROI.
 */
import { fillPolygon } from '../../../roi/polygon'
import { voxelToWorld, type Axis } from '../../../roi/volume'
import type { Viewport } from '../viewport'
import { toVoxel, type CanvasPoint } from './canvas-map'
import { mmToCss, tileAt } from './overlay'
import type { Roi } from './roi'

export type Point2 = [number, number]

/** The index of the point within `radius` of (u, v), nearest first; -1 when none is. */
export function pointNear(points: readonly Point2[], u: number, v: number, radius: number): number {
  let best = -1
  let bestD = radius
  points.forEach(([pu, pv], i) => {
    const d = Math.hypot(pu - u, pv - v)
    if (d <= bestD) [best, bestD] = [i, d]
  })
  return best
}

interface Outline {
  roi: Roi
  vp: Viewport
  tile: number
  axis: Axis
  slice: number
  /** The two in-plane voxel axes (u, v). */
  uv: [Axis, Axis]
  points: Point2[]
}

export class PolygonTool {
  outline?: Outline
  private moving = -1
  private dragged = false
  /** Where the mouse hovers on the outline's slice (live preview: the next point and the lines to it). */
  private pointer?: Point2
  /** The point a press there would move (drawn with a ring), or -1. */
  private under = -1

  constructor(private readonly redraw: (vp?: Viewport) => void) {}

  private uvOf(o: Pick<Outline, 'roi' | 'uv'>, pt: CanvasPoint): Point2 {
    const { ijk } = toVoxel(o.roi.grid, pt.mm, pt.normal)
    return [ijk[o.uv[0]], ijk[o.uv[1]]]
  }

  /** A press: moves a point when near one, else starts an outline or adds a point. */
  press(vp: Viewport, pt: CanvasPoint, roi: Roi) {
    const { ijk, axis } = toVoxel(roi.grid, pt.mm, pt.normal)
    const slice = Math.round(ijk[axis])
    const o = this.outline
    this.dragged = false
    if (!o || o.roi !== roi || o.vp !== vp || o.axis !== axis || o.slice !== slice) {
      const uv = ([0, 1, 2] as Axis[]).filter((a) => a !== axis) as [Axis, Axis]
      this.outline = { roi, vp, tile: tileAt(vp.nv, pt.css), axis, slice, uv, points: [] }
    }
    const out = this.outline!
    const p = this.uvOf(out, pt)
    this.pointer = undefined
    this.moving = pointNear(out.points, p[0], p[1], this.nearVoxels(out, pt))
    if (this.moving < 0) out.points.push(p)
    this.redraw(vp)
  }

  drag(pt: CanvasPoint) {
    const o = this.outline
    if (!o) return
    const p = this.uvOf(o, pt)
    if (this.moving >= 0) o.points[this.moving] = p
    else {
      const last = o.points[o.points.length - 1]
      if (!last || Math.hypot(p[0] - last[0], p[1] - last[1]) >= 0.5) o.points.push(p)
      this.dragged = true
    }
    this.redraw(o.vp)
  }

  release() {
    this.moving = -1
  }

  /**
   * The mouse moves without a button on a viewport: on the outline's slice, the preview shows the point that a click
   * would add there and the outline closed through it (or, near a point, the ring of the point a drag would move).
   */
  hover(vp: Viewport, pt: CanvasPoint) {
    const o = this.outline
    this.pointer = undefined
    this.under = -1
    if (!o || o.vp !== vp) return
    const { ijk, axis } = toVoxel(o.roi.grid, pt.mm, pt.normal)
    if (axis !== o.axis || Math.round(ijk[axis]) !== o.slice) return
    const p = this.uvOf(o, pt)
    this.under = pointNear(o.points, p[0], p[1], this.nearVoxels(o, pt))
    if (this.under < 0) this.pointer = p
  }

  /** "Near" a point: 6 screen pixels, in voxels of the in-plane axis. */
  private nearVoxels(o: Outline, pt: CanvasPoint): number {
    return 6 / Math.max(1e-6, pt.pxPerMm * Math.hypot(...[0, 4, 8].map((r) => o.roi.grid.affine[r + o.uv[0]]!)))
  }

  /** What the preview shows now (for tests): the outline's points, the hovered next point, the point under the mouse. */
  preview(): { points: Point2[]; pointer?: Point2; under: number } {
    return { points: this.outline?.points.map((p) => [p[0], p[1]] as Point2) ?? [], pointer: this.pointer, under: this.under }
  }

  trash() {
    const vp = this.outline?.vp
    this.outline = undefined
    this.pointer = undefined
    this.under = -1
    this.redraw(vp)
  }

  /** Fills the outline into its ROI's slice (the engine's fillPolygon: voxel centres inside); returns the voxels set. */
  render(): number {
    const o = this.outline
    if (!o || o.points.length < 3) return 0
    return fillPolygon(o.roi.mask, o.roi.grid, o.axis, o.slice, o.points, 1)
  }

  /**
   * Draws the outline (on its viewport's overlay): its lines and points; while the mouse hovers on its slice, the
   * lines from the last point to the mouse and from there back to the first (dashed) and the point a click would add.
   */
  draw(vp: Viewport, ctx: CanvasRenderingContext2D) {
    const o = this.outline
    if (!o || o.vp !== vp || !o.points.length) return
    const toCss = ([u, v]: Point2) => {
      const ijk = [0, 0, 0]
      ijk[o.axis] = o.slice
      ijk[o.uv[0]] = u
      ijk[o.uv[1]] = v
      return mmToCss(vp.nv, o.tile, voxelToWorld(o.roi.grid, ijk))
    }
    const css = o.points.map(toCss)
    const pointer = this.pointer && this.moving < 0 ? toCss(this.pointer) : undefined
    ctx.strokeStyle = 'rgba(0, 230, 255, 0.95)'
    ctx.fillStyle = 'rgba(0, 230, 255, 0.95)'
    ctx.lineWidth = 1.5
    ctx.beginPath()
    css.forEach((p, i) => p && (i ? ctx.lineTo(p[0], p[1]) : ctx.moveTo(p[0], p[1])))
    if (pointer) {
      ctx.lineTo(pointer[0], pointer[1])
      ctx.stroke()
      ctx.beginPath()
      ctx.setLineDash([4, 3])
      ctx.moveTo(pointer[0], pointer[1])
      if (css[0]) ctx.lineTo(css[0][0], css[0][1])
      ctx.stroke()
      ctx.setLineDash([])
      ctx.strokeRect(pointer[0] - 3.5, pointer[1] - 3.5, 7, 7)
    } else {
      ctx.closePath()
      ctx.stroke()
    }
    if (!this.dragged || o.points.length < 40) for (const p of css) if (p) ctx.fillRect(p[0] - 2.5, p[1] - 2.5, 5, 5)
    const under = this.under >= 0 ? css[this.under] : undefined
    if (under) {
      ctx.beginPath()
      ctx.arc(under[0], under[1], 6, 0, 2 * Math.PI)
      ctx.stroke()
    }
  }
}
