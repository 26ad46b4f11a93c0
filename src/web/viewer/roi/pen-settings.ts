/** The pen of the ROI tool: its type and parameters, as the panel's left side sets them. */
export type PenType = 'brush' | 'threshold' | 'magic' | 'grow3d' | 'polygon'

export interface PenSettings {
  type: PenType
  /** Pen radius in mm. */
  radiusMm: number
  /** Brush, threshold and magic pens: a disc in the slice drawn on, or a ball. */
  mode: '2d' | '3d'
  /** Threshold pen: take voxels above ("higher") or below ("lower") the threshold. */
  direction: 'higher' | 'lower'
  /** Threshold from the window's lower (climL) or upper (climR) limit, or a number. */
  thresholdFrom: 'climL' | 'climR' | 'number'
  thresholdValue: number
  /** Threshold pen's "RGrow" and magic pen's "connected": only voxels connected to the centre voxel. */
  connected: boolean
  /** Magic pen: similar means within this fraction of the window width of the centre voxel's value. */
  similarity: number
  /** Show what the pen would take under the pointer. */
  preview: boolean
}

export const DEFAULT_PEN: PenSettings = {
  type: 'brush',
  radiusMm: 5,
  mode: '2d',
  direction: 'higher',
  thresholdFrom: 'climL',
  thresholdValue: 0,
  connected: false,
  similarity: 0.1,
  preview: true,
}

/** The [low, high] value range of a threshold pen for a window. */
export function thresholdRange(pen: PenSettings, window: { min: number; max: number }): [number, number] {
  const t = pen.thresholdFrom === 'climL' ? window.min : pen.thresholdFrom === 'climR' ? window.max : pen.thresholdValue
  return pen.direction === 'higher' ? [t, Infinity] : [-Infinity, t]
}

/**
 * Unconstrained region growing: the similarity tolerance after dragging `dx` CSS pixels from the press point.
 * Right widens, left narrows; 200 px are one window width; never below 0.
 */
export function growTolerance(dx: number, window: { min: number; max: number }): number {
  const width = Math.abs(window.max - window.min) || 1
  return Math.max(0, (0.05 + dx / 200) * width)
}
