/**
 * The Navigation tool's state: the 12 affine parameters (src/transform's order: M = T · C · Rx · Ry · Rz · Z · S ·
 * C⁻¹ about the centre C), which images move (every visible volume, or only those dropped on the tool), the gridding
 * of resampled results (none: the header moves; WORLD at a voxel size; one image's matrix), and the deformable part
 * (displacement markers, the dumped ones under them, pairs of keypoint sets from the Marker tool). The moving volumes
 * show M through their affine (display.ts): nothing is resampled while one aligns.
 */
import type { NVImage } from '@niivue/niivue'
import { type DisplacementMarker, markersField, warp } from '../../../transform/displacement'
import { movedGrid } from '../../../transform/grids'
import { type AffineParameters, IDENTITY, compose, fromParameters, identityParameters, invert, toParameters, translation } from '../../../transform/matrix'
import { applyAffine } from '../../../roi/volume'
import { referenceOf } from '../roi/roi'
import type { Viewer } from '../viewer'
import type { Item } from '../viewport'
import { display, loadedAffine, refresh, setLoadedAffine } from './display'

export type Vec3 = [number, number, number]

/** An image dropped on the tool: it moves (and only the dropped ones do). */
export interface MovingImage {
  key: string
  name: string
  url?: string
}

export type Gridding = { kind: 'none' } | { kind: 'world'; voxel: number } | { kind: 'image'; key: string; name: string; url?: string }

export interface Deformable {
  enabled: boolean
  type: 'displacements' | 'pairs'
  /** New markers (RAS mm in the images' world): what the mouse edits. */
  markers: DisplacementMarker[]
  /** Markers dumped before: rendered as one field, new markers add on top. */
  dumped: DisplacementMarker[]
  /** The extent (sigma, mm) of a new marker. */
  sigma: number
  /** Pair of sets: the Marker tool's sets (by name) holding the moving and the fixed keypoints, and the width. */
  pairs: { moving?: string; fixed?: string; sigma: number }
}

export class NavigationTool {
  params: AffineParameters = identityParameters()
  centre: Vec3 = [0, 0, 0]
  moving: MovingImage[] = []
  gridding: Gridding = { kind: 'none' }
  deform: Deformable = { enabled: false, type: 'displacements', markers: [], dumped: [], sigma: 10, pairs: { sigma: 20 } }
  /** Which marker is current (index in deform.markers). */
  currentMarker = -1
  onChange: () => void = () => {}
  private movingVolumes = new WeakSet<NVImage>()
  private pending = 0
  /** Display updates done (the benchmark counts them). */
  frames = 0

  constructor(readonly viewer: Viewer) {
    display.moving = (v) => (this.movingVolumes.has(v) ? this.matrix() : IDENTITY)
  }

  /** M (moving -> fixed, RAS mm). */
  matrix(): number[] {
    return fromParameters(this.params, this.centre)
  }

  /** Sets the parameters from a matrix (about the same centre). */
  setMatrix(m: number[]): void {
    this.params = toParameters(m, this.centre)
    this.update()
  }

  setParameter(group: keyof AffineParameters, axis: number, value: number): void {
    if (!Number.isFinite(value)) return
    if (group === 'scale' && value === 0) return
    this.params[group][axis] = value
    this.update()
  }

  reset(): void {
    this.params = identityParameters()
    this.update()
  }

  /** The centre of rotation, zoom and shear at the crosshair (the images' world); the transform stays as it is. */
  centreAtCrosshair(): void {
    const m = this.matrix()
    const c = this.crosshairWorld()
    if (!c) return
    this.centre = c
    this.params = toParameters(m, c)
    this.update()
  }

  /** The crosshair in the images' world (before the reformat W). */
  crosshairWorld(): Vec3 | undefined {
    const vp = this.viewer.visible().find((v) => v.nv.volumes.length > 0)
    if (!vp) return undefined
    const shown = Array.from(vp.nv.frac2mm(vp.nv.scene.crosshairPos)).slice(0, 3)
    return applyAffine(invert(display.reformat), shown)
  }

  /** Where the yellow symbol is: the moved centre M · C, in the images' world. */
  symbolWorld(): Vec3 {
    return applyAffine(this.matrix(), this.centre)
  }

  /** Volume items the transform applies to: the dropped images, or every visible, shown volume. */
  movingItems(): { item: Item; vpIndex: number }[] {
    const out: { item: Item; vpIndex: number }[] = []
    const keys = new Set(this.moving.map((m) => m.key))
    for (const vp of this.viewer.viewports)
      for (const item of vp.items) {
        if (!item.volume || item.roi !== undefined) continue
        if (keys.size ? keys.has(item.key) : !vp.element.hidden && !item.hidden) out.push({ item, vpIndex: vp.index })
      }
    return out
  }

  addMoving(img: MovingImage): void {
    if (!this.moving.some((m) => m.key === img.key)) this.moving.push(img)
    this.update()
  }

  removeMoving(key: string): void {
    this.moving = this.moving.filter((m) => m.key !== key)
    this.update()
  }

  /** The fields follow at once; the volumes at the next frame (however often the mouse moves). */
  update(): void {
    this.onChange()
    if (this.pending) return
    this.pending = requestAnimationFrame(() => {
      this.pending = 0
      this.applyNow()
    })
  }

  /** The moving volumes show W · M · A in every viewport; the rest W · A. */
  applyNow(): void {
    this.movingVolumes = new WeakSet(this.movingItems().map((m) => m.item.volume!))
    for (const vp of this.viewer.viewports) if (vp.nv.volumes.length) refresh(vp.nv)
    this.frames++
  }

  /** Rotation by `deg` about the world axis `axis` (unit) through the symbol, applied after M. */
  rotateAbout(axis: number[], deg: number): void {
    const p = this.symbolWorld()
    const r = rotationAbout(axis, deg)
    this.setMatrix(compose(translation(p), r, translation(p.map((x) => -x)), this.matrix()))
  }

  /** Moves by `d` mm (world). */
  translateBy(d: number[]): void {
    this.params.translate = [0, 1, 2].map((a) => this.params.translate[a]! + d[a]!) as Vec3
    this.update()
  }

  // --- deformable --------------------------------------------------------------------------------------------

  /** A new displacement marker at the crosshair (no displacement yet: Ctrl + drag its tip). */
  addMarker(): DisplacementMarker | undefined {
    const c = this.crosshairWorld()
    if (!c) return undefined
    const m: DisplacementMarker = { centre: c, vector: [0, 0, 0], sigma: this.deform.sigma }
    this.deform.markers.push(m)
    this.currentMarker = this.deform.markers.length - 1
    this.onChange()
    return m
  }

  removeMarker(i: number): void {
    this.deform.markers.splice(i, 1)
    this.currentMarker = Math.min(this.currentMarker, this.deform.markers.length - 1)
    this.onChange()
  }

  /** The markers are rendered into the one field under them (the dumped field) and cleared. */
  dump(): void {
    this.deform.dumped.push(...this.deform.markers.filter((m) => m.vector.some((x) => x !== 0)))
    this.deform.markers = []
    this.currentMarker = -1
    this.onChange()
  }

  clearField(): void {
    this.deform.dumped = []
    this.deform.markers = []
    this.currentMarker = -1
    this.onChange()
  }

  /** The dumped and new markers and the keypoint pairs as the server's warp request; undefined when there is none. */
  warpRequest(pointSets: { name: string; points: { position: number[] }[] }[]): { dumped: DisplacementMarker[]; markers: DisplacementMarker[]; pairs: { moving: number[][]; fixed: number[][]; sigma: number }[] } | undefined {
    if (!this.deform.enabled) return undefined
    const d = this.deform
    const markers = d.markers.filter((m) => m.vector.some((x) => x !== 0))
    const pairs: { moving: number[][]; fixed: number[][]; sigma: number }[] = []
    if (d.type === 'pairs') {
      const moving = pointSets.find((s) => s.name === d.pairs.moving)
      const fixed = pointSets.find((s) => s.name === d.pairs.fixed)
      if (!moving || !fixed) throw new Error('pair of sets: choose the moving and the fixed point set (Marker tool)')
      if (moving.points.length !== fixed.points.length) throw new Error(`pair of sets: ${moving.name} has ${moving.points.length} points, ${fixed.name} ${fixed.points.length}; they must match point by point`)
      pairs.push({ moving: moving.points.map((p) => [...p.position]), fixed: fixed.points.map((p) => [...p.position]), sigma: d.pairs.sigma })
    }
    if (!markers.length && !d.dumped.length && !pairs.length) return undefined
    return { dumped: d.dumped.map(copyMarker), markers: markers.map(copyMarker), pairs }
  }

  /** The grid choice as the server's request: WORLD's box holds every visible volume as it now lies (M applied). */
  gridRequest(): { kind: 'world'; voxel: number; grids: { dims: number[]; affine: number[] }[] } | { kind: 'image'; path: string } | undefined {
    const g = this.gridding
    if (g.kind === 'none') return undefined
    if (g.kind === 'image') {
      const ref = referenceOf(g.name, g.url)
      if (!ref.path) throw new Error(`${g.name} is not a file of the archive: its matrix cannot be used as the grid`)
      return { kind: 'image', path: ref.path }
    }
    const grids: { dims: number[]; affine: number[] }[] = []
    for (const vp of this.viewer.visible())
      for (const item of vp.items) {
        const v = item.volume
        if (!v || item.hidden || item.roi !== undefined) continue
        grids.push({ dims: Array.from(v.hdr!.dims!.slice(1, 4)), affine: compose(display.moving(v), loadedAffine(v)) })
      }
    return { kind: 'world', voxel: g.voxel, grids }
  }

  /** After the header of a shown file took M (same file): its volumes now were loaded with M · A. */
  baked(key: string): void {
    const m = this.matrix()
    for (const vp of this.viewer.viewports) for (const item of vp.items) if (item.key === key && item.volume) setLoadedAffine(item.volume, compose(m, loadedAffine(item.volume)))
  }

  // --- warp preview -----------------------------------------------------------------------------------------

  private previewed = new Map<NVImage, ArrayLike<number>>()

  get previewing(): boolean {
    return this.previewed.size > 0
  }

  /**
   * Shows the moving volumes warped by the dumped and new markers (in the browser, src/transform's warp on each
   * volume's own moved grid, linear, nearest for 0/1 masks); `previewOff` brings the original voxels back. Pairs of
   * sets and the gridding are applied by APPLY only.
   */
  previewOn(): number {
    this.previewOff()
    const markers = [...this.deform.dumped, ...this.deform.markers.filter((m) => m.vector.some((x) => x !== 0))]
    if (!markers.length) return 0
    const m = this.matrix()
    let n = 0
    for (const { item } of this.movingItems()) {
      const v = item.volume!
      const dims = Array.from(v.hdr!.dims!.slice(1, 4)) as [number, number, number]
      const img = v.img as unknown as (ArrayLike<number> & { length: number; constructor: new (n: number) => ArrayLike<number> & { [i: number]: number } }) | undefined
      if (!img || img.length !== dims[0] * dims[1] * dims[2]) continue // 4-D or RGB: not previewed
      const grid = movedGrid({ dims, affine: loadedAffine(v) }, m)
      const field = markersField(grid, markers)
      let mask = true
      for (let i = 0; i < img.length && mask; i++) if (img[i] !== 0 && img[i] !== 1) mask = false
      const values = warp(img as never, grid, field, mask ? 'nearest' : 'linear')
      const out = new img.constructor(img.length)
      const integer = !(img instanceof Float32Array || img instanceof Float64Array)
      for (let i = 0; i < values.length; i++) {
        const x = Number.isNaN(values[i]!) ? 0 : values[i]!
        out[i] = integer ? Math.round(x) : x
      }
      this.previewed.set(v, img)
      ;(v as unknown as { img: unknown }).img = out
      n++
    }
    for (const vp of this.viewer.viewports) if (vp.nv.volumes.some((v) => this.previewed.has(v))) vp.nv.updateGLVolume()
    this.onChange()
    return n
  }

  previewOff(): void {
    if (!this.previewed.size) return
    for (const [v, img] of this.previewed) (v as unknown as { img: unknown }).img = img
    const touched = new Set(this.previewed.keys())
    this.previewed.clear()
    for (const vp of this.viewer.viewports) if (vp.nv.volumes.some((v) => touched.has(v))) vp.nv.updateGLVolume()
    this.onChange()
  }
}

const copyMarker = (m: DisplacementMarker): DisplacementMarker => ({ centre: [...m.centre], vector: [...m.vector], sigma: m.sigma })

/** Rotation by `deg` about the unit axis `a` through the origin (Rodrigues), right-handed. */
export function rotationAbout(a: number[], deg: number): number[] {
  const n = Math.hypot(a[0]!, a[1]!, a[2]!) || 1
  const [x, y, z] = [a[0]! / n, a[1]! / n, a[2]! / n]
  const t = (deg * Math.PI) / 180
  const c = Math.cos(t)
  const s = Math.sin(t)
  const k = 1 - c
  return [c + x * x * k, x * y * k - z * s, x * z * k + y * s, 0, y * x * k + z * s, c + y * y * k, y * z * k - x * s, 0, z * x * k - y * s, z * y * k + x * s, c + z * z * k, 0, 0, 0, 0, 1]
}
