/**
 * The yellow crosshair symbol of the Navigation tool and the displacement markers, drawn over every 2-D tile, and
 * what Ctrl + mouse does on them (taken in the capture phase on the viewport element, before NiiVue and the MPR
 * reformat's Ctrl + drag, only when the press is on the symbol or a marker):
 *
 * - Ctrl + drag the symbol's centre: translate, in the tile's plane;
 * - Ctrl + drag its ring: rotate about the tile's normal through the symbol;
 * - Ctrl + Shift + drag the symbol: scale along the tile's two axes (up: larger);
 * - Ctrl + drag a displacement marker's tip: its displacement; Ctrl + Shift + drag it: its extent (sigma).
 *
 * Positions come from NiiVue in the shown (reformatted) frame and go into the images' world through W⁻¹.
 */
import { applyAffine } from '../../../roi/volume'
import { invert } from '../../../transform/matrix'
import { canvasPoint } from '../roi/canvas-map'
import { mmToCss } from '../roi/overlay'
import type { Viewport } from '../viewport'
import { display } from './display'
import type { NavigationTool } from './navigation-tool'
import { OverlayCanvases } from '../overlay-canvas'

const RING_PX = 34
const HIT_PX = 9

type Drag =
  | { kind: 'translate' | 'rotate' | 'scale'; vp: Viewport; lastMm: number[]; lastY: number; axes: [number, number] }
  | { kind: 'tip' | 'sigma'; vp: Viewport; marker: number; lastMm: number[]; lastY: number }

const toWorld = (shown: readonly number[]) => applyAffine(invert(display.reformat), shown)
const toShown = (world: readonly number[]) => applyAffine(display.reformat, world)
/** The linear part of W⁻¹ on a vector. */
function vecToWorld(v: readonly number[]): number[] {
  const b = invert(display.reformat)
  return [0, 1, 2].map((r) => b[r * 4]! * v[0]! + b[r * 4 + 1]! * v[1]! + b[r * 4 + 2]! * v[2]!)
}

export class NavigationSymbol {
  visible = false
  private readonly canvases = new OverlayCanvases('roi-overlay nav-overlay')
  private drag?: Drag
  private frame = 0
  private lastSig = ''
  /** Frames drawn while a drag lasted (the benchmark reads it). */
  dragFrames = 0

  constructor(private readonly tool: NavigationTool) {
    for (const vp of tool.viewer.viewports) {
      vp.element.addEventListener('mousedown', (e) => this.down(vp, e), { capture: true })
    }
    window.addEventListener('mousemove', (e) => this.move(e), { capture: true })
    window.addEventListener('mouseup', (e) => this.up(e), { capture: true })
  }

  show(on: boolean): void {
    this.visible = on
    if (on) this.loop()
    else {
      cancelAnimationFrame(this.frame)
      this.frame = 0
      for (const c of this.canvases.all()) c.getContext('2d')?.clearRect(0, 0, c.width, c.height)
      this.lastSig = ''
    }
  }

  /** Redraws when a tile's geometry, the symbol or the markers changed; one check a frame while the tool is open. */
  private loop(): void {
    if (!this.visible) return
    this.frame = requestAnimationFrame(() => {
      const sig = this.signature()
      if (sig !== this.lastSig) {
        this.lastSig = sig
        this.draw()
      }
      this.loop()
    })
  }

  private signature(): string {
    const parts: unknown[] = [this.tool.params, this.tool.centre, this.tool.deform.markers, this.tool.deform.enabled, this.tool.currentMarker, display.reformat]
    for (const vp of this.tool.viewer.viewports) {
      if (vp.element.hidden) continue
      parts.push(vp.canvas.clientWidth, vp.canvas.clientHeight, vp.nv.screenSlices.map((s) => [s.leftTopMM, s.fovMM, s.leftTopWidthHeight, s.axCorSag]))
    }
    return JSON.stringify(parts)
  }

  draw(): void {
    for (const vp of this.tool.viewer.viewports) {
      if (vp.element.hidden || vp.mosaic) continue
      const ctx = this.context(vp)
      if (!ctx || !vp.nv.volumes.length) continue
      vp.nv.screenSlices.forEach((s, tile) => {
        if (s.axCorSag > 2) return
        ctx.save()
        const [l, t, w, h] = s.leftTopWidthHeight as number[]
        const dpr = vp.nv.uiData.dpr || 1
        ctx.beginPath()
        ctx.rect(Math.min(l!, l! + w!) / dpr, t! / dpr, Math.abs(w!) / dpr, h! / dpr)
        ctx.clip()
        this.drawSymbol(vp, tile, ctx)
        if (this.tool.deform.enabled) this.drawMarkers(vp, tile, ctx)
        ctx.restore()
      })
    }
  }

  private context(vp: Viewport): CanvasRenderingContext2D | undefined {
    return this.canvases.cleared(vp)
  }

  private drawSymbol(vp: Viewport, tile: number, ctx: CanvasRenderingContext2D): void {
    const p = mmToCss(vp.nv, tile, toShown(this.tool.symbolWorld()))
    if (!p) return
    const [x, y] = p
    ctx.strokeStyle = 'rgba(255, 221, 0, 0.95)'
    ctx.fillStyle = 'rgba(255, 221, 0, 0.95)'
    ctx.lineWidth = 1.5
    ctx.beginPath()
    ctx.arc(x, y, RING_PX, 0, 2 * Math.PI)
    ctx.moveTo(x - RING_PX - 8, y)
    ctx.lineTo(x - 6, y)
    ctx.moveTo(x + 6, y)
    ctx.lineTo(x + RING_PX + 8, y)
    ctx.moveTo(x, y - RING_PX - 8)
    ctx.lineTo(x, y - 6)
    ctx.moveTo(x, y + 6)
    ctx.lineTo(x, y + RING_PX + 8)
    ctx.stroke()
    ctx.beginPath()
    ctx.arc(x, y, 3, 0, 2 * Math.PI)
    ctx.fill()
  }

  private drawMarkers(vp: Viewport, tile: number, ctx: CanvasRenderingContext2D): void {
    const pxPerMm = this.pxPerMm(vp, tile)
    this.tool.deform.markers.forEach((m, i) => {
      const c = mmToCss(vp.nv, tile, toShown(m.centre))
      const tip = mmToCss(vp.nv, tile, toShown(m.centre.map((x, a) => x + m.vector[a]!)))
      if (!c || !tip) return
      const current = i === this.tool.currentMarker
      ctx.strokeStyle = current ? 'rgba(0, 230, 255, 0.95)' : 'rgba(0, 200, 255, 0.6)'
      ctx.fillStyle = ctx.strokeStyle
      ctx.lineWidth = current ? 2 : 1
      ctx.setLineDash([4, 3])
      ctx.beginPath()
      ctx.arc(c[0], c[1], Math.max(2, m.sigma * pxPerMm), 0, 2 * Math.PI)
      ctx.stroke()
      ctx.setLineDash([])
      ctx.beginPath()
      ctx.moveTo(c[0], c[1])
      ctx.lineTo(tip[0], tip[1])
      ctx.stroke()
      ctx.beginPath()
      ctx.arc(tip[0], tip[1], 4, 0, 2 * Math.PI)
      ctx.fill()
    })
  }

  private pxPerMm(vp: Viewport, tile: number): number {
    const s = vp.nv.screenSlices[tile]
    if (!s) return 1
    return Math.abs(s.leftTopWidthHeight[2]! / (s.fovMM[0] || 1)) / (vp.nv.uiData.dpr || 1)
  }

  private down(vp: Viewport, e: MouseEvent): void {
    if (!this.visible || e.button !== 0 || !(e.ctrlKey || e.metaKey)) return
    const pt = canvasPoint(vp.nv, vp.canvas, e)
    if (!pt) return
    const tile = vp.nv.tileIndex(pt.css[0] * (vp.nv.uiData.dpr || 1), pt.css[1] * (vp.nv.uiData.dpr || 1))
    const slice = vp.nv.screenSlices[tile]
    if (!slice) return
    const axes = (slice.axCorSag === 0 ? [0, 1] : slice.axCorSag === 1 ? [0, 2] : [1, 2]) as [number, number]
    const dist = (mm: readonly number[]) => {
      const p = mmToCss(vp.nv, tile, toShown(mm))
      return p ? Math.hypot(p[0] - pt.css[0], p[1] - pt.css[1]) : Infinity
    }
    let drag: Drag | undefined
    if (this.tool.deform.enabled) {
      const i = this.tool.deform.markers.findIndex((m) => dist(m.centre.map((x, a) => x + m.vector[a]!)) <= HIT_PX)
      if (i >= 0) {
        this.tool.currentMarker = i
        drag = { kind: e.shiftKey ? 'sigma' : 'tip', vp, marker: i, lastMm: pt.mm, lastY: e.clientY }
      }
    }
    if (!drag) {
      const d = dist(this.tool.symbolWorld())
      if (d <= HIT_PX + 3) drag = { kind: e.shiftKey ? 'scale' : 'translate', vp, lastMm: pt.mm, lastY: e.clientY, axes }
      else if (Math.abs(d - RING_PX) <= HIT_PX) drag = { kind: e.shiftKey ? 'scale' : 'rotate', vp, lastMm: pt.mm, lastY: e.clientY, axes }
    }
    if (!drag) return
    e.preventDefault()
    e.stopPropagation()
    e.stopImmediatePropagation()
    this.drag = drag
    this.dragFrames = 0
    display.dragging = true
  }

  private move(e: MouseEvent): void {
    const d = this.drag
    if (!d) return
    e.preventDefault()
    e.stopImmediatePropagation()
    const pt = canvasPoint(d.vp.nv, d.vp.canvas, e)
    if (!pt) return
    const delta = pt.mm.map((x, a) => x - d.lastMm[a]!)
    const dy = e.clientY - d.lastY
    d.lastMm = pt.mm
    d.lastY = e.clientY
    const t = this.tool
    if (d.kind === 'translate') t.translateBy(vecToWorld(delta))
    else if (d.kind === 'rotate') {
      const p = toShown(t.symbolWorld())
      const v0 = [0, 1, 2].map((a) => pt.mm[a]! - delta[a]! - p[a]!)
      const v1 = [0, 1, 2].map((a) => pt.mm[a]! - p[a]!)
      const cross = [v0[1]! * v1[2]! - v0[2]! * v1[1]!, v0[2]! * v1[0]! - v0[0]! * v1[2]!, v0[0]! * v1[1]! - v0[1]! * v1[0]!]
      const sin = Math.hypot(cross[0]!, cross[1]!, cross[2]!)
      const cos = v0[0]! * v1[0]! + v0[1]! * v1[1]! + v0[2]! * v1[2]!
      if (sin > 1e-9) t.rotateAbout(vecToWorld(cross), (Math.atan2(sin, cos) * 180) / Math.PI)
    } else if (d.kind === 'scale') {
      const f = Math.exp(-dy * 0.005)
      for (const a of d.axes) t.params.scale[a] = t.params.scale[a]! * f
      t.update()
    } else if (d.kind === 'tip') {
      const m = t.deform.markers[d.marker]
      if (!m) return
      const w = vecToWorld(delta)
      m.vector = [m.vector[0] + w[0]!, m.vector[1] + w[1]!, m.vector[2] + w[2]!]
      t.onChange()
    } else if (d.kind === 'sigma') {
      const m = t.deform.markers[d.marker]
      if (!m) return
      m.sigma = Math.max(0.5, m.sigma * Math.exp(-dy * 0.01))
      t.onChange()
    }
    this.dragFrames++
  }

  private up(e: MouseEvent): void {
    if (!this.drag) return
    e.preventDefault()
    e.stopImmediatePropagation()
    this.drag = undefined
    display.dragging = false
    this.tool.update() // what the fast frames left out
  }
}
