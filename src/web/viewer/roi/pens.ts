/**
 * The pens on the viewports: in ROI edit mode the left button draws and the right erases on the current ROI
 * (shift held: the mouse is NiiVue's again); the middle button and the wheel stay NiiVue's. Mouse events are taken
 * in the capture phase on the viewport element, before NiiVue's canvas listeners see them.
 */
import { penVoxels, paintVoxels } from '../../../roi/brush'
import { magicRange, rangePenVoxels } from '../../../roi/range-pen'
import { regionGrow } from '../../../roi/region-grow'
import { voxelIndex, type Axis } from '../../../roi/volume'
import type { Viewer } from '../viewer'
import type { Viewport } from '../viewport'
import { canvasPoint, toVoxel, type CanvasPoint } from './canvas-map'
import { nearestVoxel } from './grid'
import { growTolerance, thresholdRange, type PenSettings } from './pen-settings'
import type { PenOverlay } from './overlay'
import type { PolygonTool } from './polygon-tool'
import type { Roi } from './roi'
import { indicesBox, unionBox, type VoxelBox } from './voxel-box'

export interface PenHost {
  editing(): boolean
  current(): Roi | undefined
  pen: PenSettings
  /** The window of the ROI's reference image as shown (for thresholds and similarity). */
  window(roi: Roi): { min: number; max: number }
  beginEdit(roi: Roi): void
  endEdit(roi: Roi, label: string): void
  /** The mask changed (live): refresh its display. `box`: the voxels the change is confined to (none: anywhere). */
  changed(roi: Roi, box?: VoxelBox): void
  polygon: PolygonTool
  overlay: PenOverlay
  status(text: string): void
}

interface Stroke {
  roi: Roi
  vp: Viewport
  value: 0 | 1
  last: CanvasPoint
  /** Region growing: the press point, seed and the mask before the stroke. */
  seed?: [number, number, number]
  /** A polygon press: moves go to the polygon tool. */
  polygon?: boolean
  before?: Uint8Array
  startX?: number
  growFrame?: number
  pendingX?: number
}

/** The voxel indices a pen takes at a point of the ROI (brush, threshold and magic pens). */
export function penIndices(roi: Roi, pt: CanvasPoint, pen: PenSettings, window: { min: number; max: number }): { indices: Int32Array; axis: Axis; centre?: [number, number, number] } {
  const { ijk, axis } = toVoxel(roi.grid, pt.mm, pt.normal)
  const centre = nearestVoxel(roi.grid.dims, ijk)
  if (!centre) return { indices: new Int32Array(0), axis }
  const shape = { centre, radiusMm: pen.radiusMm, mode: pen.mode, plane: axis }
  if (pen.type === 'brush') return { indices: penVoxels(roi.grid, shape), axis, centre }
  const [low, high] = pen.type === 'threshold' ? thresholdRange(pen, window) : magicRange(roi.image, roi.grid.dims, centre, pen.similarity * Math.abs(window.max - window.min))
  return { indices: rangePenVoxels(roi.image, roi.grid, { ...shape, low, high, connected: pen.connected }), axis, centre }
}

export class Pens {
  private stroke?: Stroke
  private shift = false
  /** How long the last region growing step took (growing and merging into the ROI), for the benchmark. */
  lastGrowMs = 0

  constructor(private readonly viewer: Viewer, private readonly host: PenHost) {
    for (const vp of viewer.viewports) this.attach(vp)
    document.addEventListener('keydown', (e) => this.setShift(e.shiftKey), true)
    document.addEventListener('keyup', (e) => this.setShift(e.shiftKey), true)
    window.addEventListener('mouseup', (e) => this.stroke && this.end(e), true)
  }

  private setShift(on: boolean) {
    if (on === this.shift) return
    this.shift = on
    this.host.overlay.clear()
  }

  /** True when this event is the pen's: edit mode, an ROI, no shift, left or right button. */
  private mine(e: MouseEvent): boolean {
    return this.host.editing() && !!this.host.current() && !e.shiftKey && (e.button === 0 || e.button === 2)
  }

  private attach(vp: Viewport) {
    const el = vp.element
    const swallow = (e: Event) => {
      e.stopPropagation()
      e.preventDefault()
    }
    el.addEventListener('contextmenu', (e) => this.host.editing() && !e.shiftKey && swallow(e), true)
    el.addEventListener(
      'mousedown',
      (e) => {
        if (e.target !== vp.canvas || !this.mine(e)) return
        swallow(e)
        this.begin(vp, e)
      },
      true,
    )
    el.addEventListener(
      'mousemove',
      (e) => {
        if (this.stroke) {
          swallow(e)
          return this.move(e)
        }
        if (e.target === vp.canvas && this.host.editing() && !e.shiftKey && !(e.buttons & 4)) {
          this.hover(vp, e)
          if (!e.buttons) return
          swallow(e)
        }
      },
      true,
    )
    el.addEventListener('mouseup', (e) => this.stroke && (swallow(e), this.end(e)), true)
    el.addEventListener('mouseleave', () => !this.stroke && this.host.overlay.clear())
    // Slices move under the overlay: draw it again after NiiVue has.
    el.addEventListener('wheel', () => requestAnimationFrame(() => this.host.overlay.redraw(vp)), { passive: true })
  }

  private hover(vp: Viewport, e: MouseEvent) {
    const roi = this.host.current()
    const pt = canvasPoint(vp.nv, vp.canvas, e)
    if (!roi || !pt) return this.host.overlay.clear()
    const pen = this.host.pen
    if (pen.type === 'polygon') this.host.polygon.hover(vp, pt)
    if (pen.type === 'polygon' || pen.type === 'grow3d' || !pen.preview) return this.host.overlay.cursor(vp, pt, pen.type === 'polygon' || pen.type === 'grow3d' ? 0 : pen.radiusMm)
    const { indices } = penIndices(roi, pt, pen, this.host.window(roi))
    this.host.overlay.preview(vp, pt, pen.radiusMm, roi, indices)
  }

  private begin(vp: Viewport, e: MouseEvent) {
    const roi = this.host.current()!
    const pt = canvasPoint(vp.nv, vp.canvas, e)
    if (!pt) return
    const value: 0 | 1 = e.button === 2 ? 0 : 1
    const pen = this.host.pen
    if (pen.type === 'polygon') {
      this.stroke = { roi, vp, value, last: pt, polygon: true }
      return this.host.polygon.press(vp, pt, roi)
    }
    this.host.beginEdit(roi)
    this.stroke = { roi, vp, value, last: pt }
    if (pen.type === 'grow3d') {
      const seed = nearestVoxel(roi.grid.dims, toVoxel(roi.grid, pt.mm, pt.normal).ijk)
      if (!seed) return void (this.stroke = undefined)
      this.stroke.seed = seed
      this.stroke.before = roi.mask.slice()
      this.stroke.startX = e.clientX
      this.grow(this.stroke, e.clientX)
      return
    }
    this.paint(pt)
  }

  private move(e: MouseEvent) {
    const s = this.stroke!
    if (s.polygon) {
      const pt = canvasPoint(s.vp.nv, s.vp.canvas, e)
      return pt && pt.normal === s.last.normal ? this.host.polygon.drag(pt) : undefined
    }
    if (s.seed) {
      // Live: one region growing per animation frame with the latest pointer position.
      s.pendingX = e.clientX
      if (!s.growFrame) s.growFrame = requestAnimationFrame(() => {
        s.growFrame = 0
        if (this.stroke === s && s.pendingX !== undefined) this.grow(s, s.pendingX)
      })
      return
    }
    const pt = canvasPoint(s.vp.nv, s.vp.canvas, e)
    if (!pt || pt.normal !== s.last.normal) return
    // Fill the way from the last point in steps of half a radius, so fast strokes leave no gaps.
    const d = Math.hypot(pt.mm[0] - s.last.mm[0], pt.mm[1] - s.last.mm[1], pt.mm[2] - s.last.mm[2])
    const steps = Math.min(200, Math.ceil(d / Math.max(0.25, this.host.pen.radiusMm / 2)))
    let box: VoxelBox | undefined
    for (let n = 1; n <= steps; n++) {
      const t = n / steps
      const b = this.paint({ ...pt, mm: [0, 1, 2].map((a) => s.last.mm[a]! + t * (pt.mm[a]! - s.last.mm[a]!)) as [number, number, number] }, false)
      if (b) box = box ? unionBox(box, b) : b
    }
    s.last = pt
    if (box) this.host.changed(s.roi, box)
    this.hover(s.vp, e)
  }

  /** Paints the pen's voxels at the point; returns their box. */
  private paint(pt: CanvasPoint, refresh = true): VoxelBox | undefined {
    const s = this.stroke!
    const { indices } = penIndices(s.roi, pt, this.host.pen, this.host.window(s.roi))
    paintVoxels(s.roi.mask, indices, s.value)
    const box = indicesBox(indices, s.roi.grid.dims)
    if (refresh && box) this.host.changed(s.roi, box)
    return box
  }

  /** Unconstrained 3D region growing from the seed with the tolerance the horizontal drag gives. */
  private grow(s: Stroke, x: number) {
    const roi = s.roi
    const w = this.host.window(roi)
    const tol = growTolerance(x - s.startX!, w)
    const v0 = roi.image[voxelIndex(roi.grid.dims, ...s.seed!)]!
    const t0 = performance.now()
    const grown = regionGrow(roi.image, roi.grid.dims, s.seed!, v0 - tol, v0 + tol)
    const mask = roi.mask
    const before = s.before!
    let n = 0
    if (s.value) for (let v = 0; v < mask.length; v++) (mask[v] = before[v]! | grown[v]!), (n += grown[v]!)
    else for (let v = 0; v < mask.length; v++) (mask[v] = grown[v] ? 0 : before[v]!), (n += grown[v]!)
    const ms = performance.now() - t0
    this.lastGrowMs = ms
    this.host.changed(roi)
    this.host.status(`region growing: ${v0.toPrecision(4)} ± ${tol.toPrecision(3)} → ${n} voxels (${ms.toFixed(0)} ms)`)
  }

  private end(e: MouseEvent) {
    const s = this.stroke
    if (!s) return
    this.stroke = undefined
    if (s.polygon) return this.host.polygon.release()
    if (s.growFrame) cancelAnimationFrame(s.growFrame)
    if (s.seed) this.grow(s, e.clientX)
    this.host.endEdit(s.roi, s.seed ? 'region growing' : this.host.pen.type)
  }
}
