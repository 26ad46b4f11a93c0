import type { Viewport } from './viewport'

/**
 * A 2-D canvas over each viewport's NiiVue canvas (ROI pen and polygon, navigation symbol): made on first use, sized
 * to the viewport in device pixels, its context in CSS pixels and cleared.
 */
export class OverlayCanvases {
  private readonly canvases = new Map<Viewport, HTMLCanvasElement>()

  constructor(private readonly className: string) {}

  viewports(): IterableIterator<Viewport> {
    return this.canvases.keys()
  }

  all(): IterableIterator<HTMLCanvasElement> {
    return this.canvases.values()
  }

  /** The viewport's overlay, cleared and scaled for CSS pixels; undefined when the browser gives no 2-D context. */
  cleared(vp: Viewport): CanvasRenderingContext2D | undefined {
    let c = this.canvases.get(vp)
    if (!c) {
      c = document.createElement('canvas')
      c.className = this.className
      vp.element.append(c)
      this.canvases.set(vp, c)
    }
    const dpr = window.devicePixelRatio || 1
    const w = Math.round(vp.canvas.clientWidth * dpr)
    const h = Math.round(vp.canvas.clientHeight * dpr)
    if (c.width !== w || c.height !== h) [c.width, c.height] = [w, h]
    const ctx = c.getContext('2d')
    if (!ctx) return undefined
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0)
    ctx.clearRect(0, 0, w, h)
    return ctx
  }
}
