/**
 * A 2D canvas over each viewport for what the pens show without changing the ROI: the pen's outline, the voxels it
 * would take (live preview), and the polygon being drawn. World mm map to the canvas through NiiVue's tile geometry.
 */
import type { Niivue } from '@niivue/niivue'
import { voxelSizes, voxelToWorld, voxelIjk } from '../../../roi/volume'
import type { Viewport } from '../viewport'
import type { CanvasPoint } from './canvas-map'
import type { Roi } from './roi'
import { OverlayCanvases } from '../overlay-canvas'

/** CSS pixel position of world mm in the tile `tile` of a viewport (projected onto the tile's plane). */
export function mmToCss(nv: Niivue, tile: number, mm: readonly number[]): [number, number] | undefined {
  const s = nv.screenSlices[tile]
  if (!s || s.axCorSag > 2) return undefined
  const order = s.axCorSag === 1 ? [0, 2, 1] : s.axCorSag === 2 ? [1, 2, 0] : [0, 1, 2]
  const x = mm[order[0]!]!
  const y = mm[order[1]!]!
  const fx = (x - s.leftTopMM[0]!) / s.fovMM[0]!
  const fy = (y - s.leftTopMM[1]!) / s.fovMM[1]!
  const [l, t, w, h] = s.leftTopWidthHeight as [number, number, number, number]
  const left = w < 0 ? l + w : l
  const sx = w < 0 ? 1 - fx : fx
  const dpr = nv.uiData.dpr || 1
  return [(left + sx * Math.abs(w)) / dpr, (t + (1 - fy) * h) / dpr]
}

/** The tile under a CSS point. */
export function tileAt(nv: Niivue, css: readonly number[]): number {
  const dpr = nv.uiData.dpr || 1
  return nv.tileIndex(css[0]! * dpr, css[1]! * dpr)
}

export class PenOverlay {
  private readonly canvases = new OverlayCanvases('roi-overlay')
  /** Draws what stays (the polygon) after each clear. */
  persistent?: (vp: Viewport, ctx: CanvasRenderingContext2D) => void

  private context(vp: Viewport): CanvasRenderingContext2D {
    const ctx = this.canvases.cleared(vp)!
    this.persistent?.(vp, ctx)
    return ctx
  }

  clear() {
    for (const vp of this.canvases.viewports()) this.context(vp)
  }

  /** Redraws one viewport's layer (the polygon) without a cursor. */
  redraw(vp: Viewport) {
    for (const other of this.canvases.viewports()) if (other !== vp) this.context(other)
    this.context(vp)
  }

  /** The pen's outline at the pointer (radius 0: a cross). */
  cursor(vp: Viewport, pt: CanvasPoint, radiusMm: number): CanvasRenderingContext2D {
    for (const other of this.canvases.viewports()) if (other !== vp) this.context(other)
    const ctx = this.context(vp)
    ctx.strokeStyle = 'rgba(255, 220, 0, 0.9)'
    ctx.lineWidth = 1
    ctx.beginPath()
    const [x, y] = pt.css
    if (radiusMm > 0) ctx.arc(x, y, radiusMm * pt.pxPerMm, 0, 2 * Math.PI)
    else {
      ctx.moveTo(x - 6, y)
      ctx.lineTo(x + 6, y)
      ctx.moveTo(x, y - 6)
      ctx.lineTo(x, y + 6)
    }
    ctx.stroke()
    return ctx
  }

  /** Live preview: the outline and the voxels the pen would take, as small squares. */
  preview(vp: Viewport, pt: CanvasPoint, radiusMm: number, roi: Roi, indices: Int32Array) {
    const ctx = this.cursor(vp, pt, radiusMm)
    const tile = tileAt(vp.nv, pt.css)
    const side = Math.max(1, Math.min(...voxelSizes(roi.grid.affine)) * pt.pxPerMm)
    ctx.fillStyle = 'rgba(255, 220, 0, 0.45)'
    for (let n = 0; n < indices.length && n < 20000; n++) {
      const p = mmToCss(vp.nv, tile, voxelToWorld(roi.grid, voxelIjk(roi.grid.dims, indices[n]!)))
      if (p) ctx.fillRect(p[0] - side / 2, p[1] - side / 2, side, side)
    }
  }
}
