/**
 * Where a mouse event on a viewport's canvas points: NiiVue's tile under the pointer (axial, coronal or sagittal),
 * its world position in mm (NiiVue: canvas pixels -> texture fraction -> mm), and from there the continuous voxel
 * coordinates in an ROI's own grid (its inverse affine), so pens hit the ROI's voxels whatever the background's grid.
 */
import type { Niivue } from '@niivue/niivue'
import { axisNearest, worldToVoxel, type Axis, type Grid } from '../../../roi/volume'

export interface CanvasPoint {
  /** World position (mm, RAS+). */
  mm: [number, number, number]
  /** World axis normal to the tile: 0 sagittal (x), 1 coronal (y), 2 axial (z). */
  normal: 0 | 1 | 2
  /** Screen pixels (CSS) per mm in the tile, for pen outlines. */
  pxPerMm: number
  /** Canvas position in CSS pixels. */
  css: [number, number]
}

/** NiiVue's axCorSag (0 axial, 1 coronal, 2 sagittal) -> the world axis normal to it. */
export const NORMAL_OF_TILE: Record<number, 0 | 1 | 2> = { 0: 2, 1: 1, 2: 0 }

/** The point under a mouse event, or undefined outside a 2D tile (the 3D render tile, empty space). */
export function canvasPoint(nv: Niivue, canvas: HTMLCanvasElement, e: { clientX: number; clientY: number }): CanvasPoint | undefined {
  if (!nv.volumes.length) return undefined
  const rect = canvas.getBoundingClientRect()
  const dpr = nv.uiData.dpr || 1
  const css: [number, number] = [e.clientX - rect.left, e.clientY - rect.top]
  const x = css[0] * dpr
  const y = css[1] * dpr
  const tile = nv.tileIndex(x, y)
  const slice = tile >= 0 ? nv.screenSlices[tile] : undefined
  if (!slice || slice.axCorSag > 2) return undefined
  const frac = nv.canvasPos2frac([x, y])
  if (frac[0]! < 0) return undefined
  const mm = nv.frac2mm(frac)
  const pxPerMm = slice.leftTopWidthHeight[2]! / Math.abs(slice.fovMM[0] || 1) / dpr
  return { mm: [mm[0]!, mm[1]!, mm[2]!], normal: NORMAL_OF_TILE[slice.axCorSag]!, pxPerMm, css }
}

/** Continuous voxel coordinates of a world point in a grid, and the voxel axis a 2D pen keeps fixed there. */
export function toVoxel(grid: Grid, mm: readonly number[], normal: 0 | 1 | 2): { ijk: [number, number, number]; axis: Axis } {
  const n = [0, 0, 0]
  n[normal] = 1
  return { ijk: worldToVoxel(grid, mm), axis: axisNearest(grid.affine, n) }
}
