/**
 * The Marker tool: marker sets (pointsets, freelines) in world RAS mm (src/markers), the current one, the pen (a
 * left click in a 2D tile adds a point), dragging a point to move it, and the drawing of every set's points over
 * every viewport. Mouse events are taken in the capture phase on the viewport element, before NiiVue's listeners;
 * with the pen off, or shift held, only a press on a point (to drag it) is taken, the rest stays NiiVue's.
 */
import { nextLabel, type MarkerKind, type PointSet, type Vec3 } from '../../../markers'
import type { Viewer } from '../viewer'
import type { Viewport } from '../viewport'
import { canvasPoint } from '../roi/canvas-map'
import { mmToCss, PenOverlay, tileAt } from '../roi/overlay'
import { referenceOf, type RoiReference } from '../roi/roi'

export interface MarkerSet extends PointSet {
  id: number
  /** The project it belongs to (its reference image's, or where it was loaded from). */
  project?: string
  /** Where it is saved (set when loaded or saved). */
  saved?: string
}

/** Within this many CSS pixels of a drawn point, a press grabs it. */
const GRAB_PX = 7
/** A point this far (mm) from a tile's plane is drawn faded. */
const NEAR_MM = 1.5

export class MarkerTool {
  sets: MarkerSet[] = []
  currentId?: number
  pen = false
  private nextId = 1
  private readonly overlay = new PenOverlay()
  private overlayMade = false
  private drag?: { set: MarkerSet; index: number; vp: Viewport }
  onChange: () => void = () => {}
  status: (text: string) => void = () => {}

  constructor(readonly viewer: Viewer) {
    this.overlay.persistent = (vp, ctx) => this.drawOn(vp, ctx)
    for (const vp of viewer.viewports) this.attach(vp)
    window.addEventListener('mouseup', () => this.endDrag(), true)
  }

  current(): MarkerSet | undefined {
    return this.sets.find((s) => s.id === this.currentId)
  }

  create(kind: MarkerKind, from?: PointSet, project?: string): MarkerSet {
    const n = this.sets.filter((s) => s.kind === kind).length + 1
    const ref = from ? undefined : this.referenceImage()
    const set: MarkerSet = { id: this.nextId++, kind, project: project ?? ref?.project, name: from?.name ?? `${kind}${n}`, reference: from?.reference ?? ref?.path ?? '', points: from ? from.points.map((p) => ({ label: p.label, position: [...p.position] as Vec3 })) : [] }
    this.sets.push(set)
    this.currentId = set.id
    this.changed()
    return set
  }

  remove(set: MarkerSet) {
    this.sets = this.sets.filter((s) => s !== set)
    if (this.currentId === set.id) this.currentId = this.sets.at(-1)?.id
    this.changed()
  }

  setPen(on: boolean) {
    this.pen = on
    for (const vp of this.viewer.viewports) vp.element.classList.toggle('marker-pen', on)
    this.onChange()
  }

  addPoint(set: MarkerSet, position: Vec3) {
    set.points.push({ label: nextLabel(set), position })
    this.changed()
  }

  /** The image a new set names as reference: the active viewport's background, else the first loaded volume. */
  referenceImage(): RoiReference | undefined {
    const vps = this.viewer.visible()
    const item = vps[this.viewer.active]?.background ?? this.viewer.viewports.flatMap((v) => v.items).find((i) => i.volume)
    return item ? referenceOf(item.name, item.source.url) : undefined
  }

  changed() {
    this.draw()
    this.onChange()
  }

  private attach(vp: Viewport) {
    const el = vp.element
    el.addEventListener('mousedown', (e) => this.down(vp, e), true)
    el.addEventListener('mousemove', (e) => this.move(vp, e), true)
    // NiiVue redraws on its own events (slices, zoom, crosshair); the points follow once it has.
    for (const type of ['mouseup', 'wheel', 'keyup', 'mousemove']) el.addEventListener(type, () => requestAnimationFrame(() => this.draw()))
  }

  private down(vp: Viewport, e: MouseEvent) {
    if (e.button !== 0 || !this.sets.length) return
    const hit = this.pointAt(vp, e)
    if (hit) {
      this.currentId = hit.set.id
      this.drag = { ...hit, vp }
      e.preventDefault()
      e.stopImmediatePropagation()
      this.onChange()
      return
    }
    const set = this.current()
    if (!this.pen || e.shiftKey || !set) return
    const pt = canvasPoint(vp.nv, vp.canvas, e)
    if (!pt) return
    e.preventDefault()
    e.stopImmediatePropagation()
    this.addPoint(set, pt.mm)
    this.status(`${set.name}: ${set.points.at(-1)!.label} at ${pt.mm.map((x) => x.toFixed(1)).join(', ')} mm`)
  }

  private move(vp: Viewport, e: MouseEvent) {
    if (!this.drag || this.drag.vp !== vp) return
    const pt = canvasPoint(vp.nv, vp.canvas, e)
    e.preventDefault()
    e.stopImmediatePropagation()
    if (!pt) return
    this.drag.set.points[this.drag.index]!.position = pt.mm
    this.draw()
  }

  private endDrag() {
    if (!this.drag) return
    this.drag = undefined
    this.onChange()
  }

  /** The drawn point under the pointer, nearest first. */
  private pointAt(vp: Viewport, e: MouseEvent): { set: MarkerSet; index: number } | undefined {
    const rect = vp.canvas.getBoundingClientRect()
    const css = [e.clientX - rect.left, e.clientY - rect.top]
    const tile = tileAt(vp.nv, css)
    let best: { set: MarkerSet; index: number; d: number } | undefined
    for (const set of this.sets)
      set.points.forEach((p, index) => {
        const at = mmToCss(vp.nv, tile, p.position)
        if (!at || this.planeDistance(vp, tile, p.position) > NEAR_MM) return
        const d = Math.hypot(at[0] - css[0]!, at[1] - css[1]!)
        if (d <= GRAB_PX && (!best || d < best.d)) best = { set, index, d }
      })
    return best
  }

  /** Distance (mm) of a point from a tile's plane (through the crosshair). */
  private planeDistance(vp: Viewport, tile: number, mm: readonly number[]): number {
    const s = vp.nv.screenSlices[tile]
    if (!s || s.axCorSag > 2 || !vp.nv.volumes.length) return Infinity
    const axis = s.axCorSag === 0 ? 2 : s.axCorSag === 1 ? 1 : 0
    const cross = vp.nv.frac2mm(vp.nv.scene.crosshairPos)
    return Math.abs(mm[axis]! - cross[axis]!)
  }

  /** Draws every set's points (and a freeline's segments) over each viewport's 2D tiles. */
  draw() {
    if (this.overlayMade) return this.overlay.clear()
    if (!this.sets.length) return
    this.overlayMade = true
    for (const vp of this.viewer.viewports) this.overlay.redraw(vp)
  }

  private drawOn(vp: Viewport, ctx: CanvasRenderingContext2D) {
    if (!vp.nv.volumes.length) return
    vp.nv.screenSlices.forEach((s, tile) => {
      if (s.axCorSag > 2) return
      for (const set of this.sets) {
        const colour = set.id === this.currentId ? '255, 220, 0' : '0, 200, 255'
        const pts = set.points.map((p) => ({ p, at: mmToCss(vp.nv, tile, p.position), near: this.planeDistance(vp, tile, p.position) <= NEAR_MM }))
        if (set.kind === 'freeline' && pts.length > 1) {
          ctx.strokeStyle = `rgba(${colour}, 0.6)`
          ctx.beginPath()
          pts.forEach(({ at }, i) => at && (i ? ctx.lineTo(at[0], at[1]) : ctx.moveTo(at[0], at[1])))
          ctx.stroke()
        }
        for (const { p, at, near } of pts) {
          if (!at) continue
          ctx.fillStyle = `rgba(${colour}, ${near ? 0.95 : 0.3})`
          ctx.beginPath()
          ctx.arc(at[0], at[1], near ? 4 : 2.5, 0, 2 * Math.PI)
          ctx.fill()
          if (near) {
            ctx.font = '11px sans-serif'
            ctx.fillText(p.label, at[0] + 6, at[1] - 6)
          }
        }
      }
    })
  }
}
