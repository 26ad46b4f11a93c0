/**
 * The ROI tool: the ROIs of the workspace, the current one, edit mode, the pen, undo/redo, and the actions of the
 * panel and the viewbars' menus. Volume math comes from the ROI engine (src/roi); this file only decides what to run
 * on which ROI and keeps the display, the undo stack and the panel in step.
 */
import { centreOfGravity } from '../../../roi/centre-of-gravity'
import { removeSalt } from '../../../roi/components'
import { morph, type MorphOp } from '../../../roi/morphology'
import { setOp, type SetOp } from '../../../roi/set-ops'
import { checkRoiName } from '../../../roi/roi-name'
import { threshold } from '../../../roi/threshold'
import type { Viewer } from '../viewer'
import type { Item, Viewport } from '../viewport'
import { RoiLayers } from './layers'
import { PenOverlay } from './overlay'
import { DEFAULT_PEN, type PenSettings } from './pen-settings'
import { Pens, type PenHost } from './pens'
import { PolygonTool } from './polygon-tool'
import { createRoi, recount, referenceOf, type Roi } from './roi'
import { applyFlips, diffFlips, UndoStack, type Flips, type MaskEdit } from './undo'
import { flipsBox, unionBox, type VoxelBox } from './voxel-box'

/** A volume loaded in the viewer that can be an ROI's reference or a contrast for statistics. */
export interface LoadedImage {
  key: string
  name: string
  item: Item
  vp: Viewport
}

export type RoiOperation = MorphOp | SetOp | 'salt'

export class RoiTool implements PenHost {
  rois: Roi[] = []
  currentId?: number
  private editMode = false
  pen: PenSettings = { ...DEFAULT_PEN }
  readonly undo = new UndoStack(128 * 1024 * 1024)
  readonly layers: RoiLayers
  readonly overlay = new PenOverlay()
  readonly polygon: PolygonTool
  readonly pens: Pens
  private before?: Uint8Array
  /** The voxels the live changes of the edit under way touched (null: unknown, anywhere). */
  private liveBox?: VoxelBox | null
  /** Called after anything the panel shows changed. */
  onChange: () => void = () => {}

  constructor(readonly viewer: Viewer) {
    this.layers = new RoiLayers(viewer)
    this.polygon = new PolygonTool((vp) => (vp ? this.overlay.redraw(vp) : this.overlay.clear()))
    this.overlay.persistent = (vp, ctx) => this.polygon.draw(vp, ctx)
    this.pens = new Pens(viewer, this)
  }

  /** Volumes loaded in the viewports, once per file, ROIs left out. */
  images(): LoadedImage[] {
    const seen = new Map<string, LoadedImage>()
    for (const vp of this.viewer.viewports) for (const item of vp.items) if (item.volume && item.roi === undefined && !seen.has(item.key)) seen.set(item.key, { key: item.key, name: item.name, item, vp })
    return [...seen.values()]
  }

  /** The image "New ROI" uses by default: the active viewport's background, else the first loaded. */
  defaultImage(): LoadedImage | undefined {
    const bg = this.viewer.visible()[this.viewer.active]?.background
    const all = this.images()
    return all.find((i) => i.key === bg?.key) ?? all[0]
  }

  /**
   * A new ROI on the grid of a loaded image: empty, or by threshold (voxels >= `at`; by default the lower limit of the
   * image's current window).
   */
  async create(image: LoadedImage | undefined, how: 'empty' | 'threshold', at?: number): Promise<Roi | undefined> {
    if (!image?.item.volume) {
      this.status('load an image first: an ROI takes its grid (matrix size and position) from an image')
      return undefined
    }
    const roi = createRoi(image.item.volume, { ...referenceOf(image.name, image.item.source.url), key: image.key })
    const low = at ?? image.item.min
    if (how === 'threshold') {
      roi.mask.set(threshold(roi.image, low, Infinity))
      recount(roi)
    }
    this.rois.push(roi)
    this.currentId = roi.id
    await this.layers.sync(this.rois)
    this.status(`${roi.name}: ${roi.grid.dims.join('×')} on ${image.name}${how === 'threshold' ? `, threshold ≥ ${low}` : ''}`)
    this.onChange()
    return roi
  }

  current(): Roi | undefined {
    return this.rois.find((r) => r.id === this.currentId)
  }

  byId(id: number): Roi | undefined {
    return this.rois.find((r) => r.id === id)
  }

  /** Renames an ROI (the name checked like the archive's names); returns the problem when the name is not allowed. */
  rename(roi: Roi, raw: string): string | undefined {
    const r = checkRoiName(raw.trim())
    if ('problem' in r) {
      this.status(r.problem)
      return r.problem
    }
    if (r.name === roi.name) return undefined
    const old = roi.name
    roi.name = r.name
    this.layers.rename(roi)
    this.status(`${old} renamed to ${roi.name}`)
    this.onChange()
    return undefined
  }

  setCurrent(roi: Roi) {
    this.currentId = roi.id
    this.onChange()
  }

  editing(): boolean {
    return this.editMode
  }

  setEditing(on: boolean) {
    this.editMode = on
    for (const vp of this.viewer.viewports) vp.element.classList.toggle('roi-editing', on)
    if (!on) this.overlay.clear()
    this.status(on ? `ROI edit on${this.current() ? ` (${this.current()!.name}): left draws, right erases, shift: navigate` : ': create an ROI first'}` : 'ROI edit off')
    this.onChange()
  }

  window(roi: Roi): { min: number; max: number } {
    const item = this.images().find((i) => i.key === roi.reference.key)?.item
    if (item) return { min: item.min, max: item.max }
    let min = Infinity
    let max = -Infinity
    for (let i = 0; i < roi.image.length; i++) {
      const v = roi.image[i]!
      if (v < min) min = v
      if (v > max) max = v
    }
    return { min, max }
  }

  status(text: string) {
    this.viewer.setStatus(text)
  }

  // -- edits: every change of a mask goes through beginEdit/endEdit, so it can be undone --

  beginEdit(roi: Roi) {
    this.before = roi.mask.slice()
    this.liveBox = undefined
  }

  endEdit(roi: Roi, label: string) {
    const before = this.before
    this.before = undefined
    const d = before ? diffFlips(before, roi.mask) : undefined
    if (before) this.commit(roi, label, d)
    else recount(roi)
    // The display may show any state the live changes passed through: redraw where they and the edit's flips lie.
    const live = this.liveBox
    this.liveBox = undefined
    const flipped = d ? flipsBox(d.flips, roi.grid.dims) : undefined
    if (!before || live === null) this.layers.refresh(roi, true)
    else if (live || flipped) this.layers.refresh(roi, true, live && flipped ? unionBox(live, flipped) : (live ?? flipped))
    this.onChange()
  }

  /** Stores an edit's flipped runs for undo and updates the voxel count from them (no recount of the whole mask). */
  private commit(roi: Roi, label: string, d: { flips: Flips; delta: number } | undefined) {
    if (!d) return
    this.undo.push({ roi: roi.id, flips: d.flips, delta: d.delta, label })
    roi.voxels += d.delta
  }

  changed(roi: Roi, box?: VoxelBox) {
    this.liveBox = box && this.liveBox !== null ? (this.liveBox ? unionBox(this.liveBox, box) : box) : null
    this.layers.refresh(roi, false, box)
  }

  /**
   * Replaces an ROI's mask by the result of an engine function, as one undoable edit: the undo record is the flipped
   * runs between the old and the new mask (no copy of the mask), and the display is refreshed once.
   */
  private replace(roi: Roi, label: string, next: Uint8Array) {
    const d = diffFlips(roi.mask, next)
    roi.mask.set(next)
    this.commit(roi, label, d)
    if (d) this.layers.refresh(roi, true, flipsBox(d.flips, roi.grid.dims))
    this.onChange()
    this.status(`${roi.name}: ${label} → ${roi.voxels} voxels`)
  }

  operation(roi: Roi, op: RoiOperation, other?: Roi, minVoxels = 10) {
    if (op === 'union' || op === 'intersect' || op === 'diff') {
      if (!other) return this.status(`${op}: choose the other ROI`)
      if (other.grid.dims.some((d, a) => d !== roi.grid.dims[a])) return this.status(`${op}: ${roi.name} is ${roi.grid.dims.join('×')} and ${other.name} ${other.grid.dims.join('×')}; set operations need ROIs on the same grid`)
      return this.replace(roi, `${op} with ${other.name}`, setOp(op, roi.mask, other.mask))
    }
    if (op === 'salt') return this.replace(roi, `remove salt < ${minVoxels}`, removeSalt(roi.mask, roi.grid.dims, minVoxels))
    this.replace(roi, op, morph(op, roi.mask, roi.grid.dims))
  }

  clearRoi(roi: Roi) {
    this.replace(roi, 'clear', new Uint8Array(roi.mask.length))
  }

  renderPolygon() {
    const roi = this.polygon.outline?.roi
    if (!roi) return this.status('polygon: draw an outline first (click by click, or drag)')
    this.beginEdit(roi)
    const n = this.polygon.render()
    this.endEdit(roi, 'polygon')
    this.polygon.trash()
    this.status(`${roi.name}: polygon filled ${n} voxels`)
  }

  private applyEdit = (e: MaskEdit, sign: 1 | -1): boolean => {
    const roi = this.byId(e.roi)
    if (!roi) return false
    applyFlips(roi.mask, e.flips)
    roi.voxels += sign * e.delta
    this.layers.refresh(roi, true, flipsBox(e.flips, roi.grid.dims))
    return true
  }

  undoEdit() {
    const e = this.undo.undo(this.applyEdit)
    this.status(e ? `undone: ${e.label}` : 'nothing to undo')
    this.onChange()
  }

  redoEdit() {
    const e = this.undo.redo(this.applyEdit)
    this.status(e ? `redone: ${e.label}` : 'nothing to redo')
    this.onChange()
  }

  // -- display --

  toggleVisible(roi: Roi) {
    roi.visible = !roi.visible
    this.layers.style(roi)
    this.onChange()
  }

  style(roi: Roi, props: Partial<Pick<Roi, 'opacity' | 'outline'>>) {
    Object.assign(roi, props)
    this.layers.style(roi)
    this.onChange()
  }

  /** Moves the crosshair of every viewport to the ROI's centre of gravity. */
  focus(roi: Roi) {
    const c = centreOfGravity(roi.mask, roi.grid)
    if (!c) return this.status(`${roi.name} is empty`)
    for (const vp of this.viewer.viewports) {
      if (!vp.nv.volumes.length) continue
      vp.nv.scene.crosshairPos = vp.nv.mm2frac(c.mm)
      vp.nv.drawScene()
    }
    this.overlay.clear()
    this.status(`${roi.name}: centre of gravity ${c.mm.map((x) => x.toFixed(1)).join(', ')} mm`)
  }

  remove(roi: Roi) {
    this.layers.remove(roi)
    this.undo.forget(roi.id)
    this.rois = this.rois.filter((r) => r !== roi)
    if (this.polygon.outline?.roi === roi) this.polygon.trash()
    if (this.currentId === roi.id) this.currentId = this.rois[0]?.id
    this.onChange()
  }

  /** The viewer's items changed (a background loaded, an item removed): show the ROIs where they are missing. */
  itemsChanged() {
    if (this.rois.length) void this.layers.sync(this.rois)
    this.onChange()
  }
}
