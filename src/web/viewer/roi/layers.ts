/**
 * ROIs shown in the viewports: each ROI is a mask item (with its viewbar) in every viewport that has a background,
 * and in the mosaic row when it shows viewport 1.
 * The item's NiiVue volume shares the ROI's mask array, so an edit shows after one GPU refresh of that viewport
 * (at most one per animation frame). NiiVue resamples the mask onto each viewport's background in its shader, so an
 * ROI on another grid than the background still shows where its voxels are.
 * An edit that tells which box of voxels it changed (the undo record knows) redraws only that box (overlay-slab.ts);
 * an edit that does not, or any other change of the viewport's layers, gets NiiVue's full refresh.
 */
import type { NVImage } from '@niivue/niivue'
import type { Viewer } from '../viewer'
import type { Item, Viewport } from '../viewport'
import { OverlaySlabs } from './overlay-slab'
import type { Roi } from './roi'
import { roiNifti } from './roi-file'
import { unionBox, type VoxelBox } from './voxel-box'

interface Shown {
  item: Item
  vp: Viewport
  /** The background the item was added over: when it is still there but the item is gone, the user removed it. */
  backgroundKey: string
}

export class RoiLayers {
  private shown = new Map<number, Shown[]>()
  private pending = new Set<string>()
  /** Per viewport, the ROIs changed since its last refresh: the box of voxels that changed, or null (unknown: all). */
  private dirty = new Map<Viewport, Map<number, VoxelBox | null>>()
  private frame = 0
  private readonly slabs = new OverlaySlabs()
  /** How the last flush refreshed each viewport (for the tests and the benchmark). */
  readonly lastRefresh = new Map<Viewport, 'lookup' | 'shader' | 'full'>()

  constructor(private readonly viewer: Viewer) {}

  /** The ROI's file as NiiVue reads it (the saved form: uint8 NIfTI with the reference's geometry). */
  static file(roi: Roi): File {
    return new File([roiNifti(roi) as BlobPart], `${roi.name}.nii`, { type: 'application/octet-stream' })
  }

  /** Adds the ROI to every viewport with a background that does not show it yet (and where the user did not remove it). */
  async sync(rois: readonly Roi[]): Promise<void> {
    const jobs: Promise<unknown>[] = []
    for (const roi of rois) {
      // Filtered in place: a load still under way adds to this same list.
      const list = this.shown.get(roi.id) ?? []
      this.shown.set(roi.id, list)
      const keep = list.filter((s) => s.vp.items.includes(s.item) || s.vp.background?.key === s.backgroundKey)
      list.splice(0, list.length, ...keep)
      for (const vp of this.viewer.viewports) {
        const bg = vp.background
        if (!bg?.volume || list.some((s) => s.vp === vp)) continue
        const key = `${roi.id}@${vp.index}`
        if (this.pending.has(key)) continue
        this.pending.add(key)
        jobs.push(
          vp
            .load({ file: RoiLayers.file(roi), name: `${roi.name}.nii` }, 'mask', { colormap: roi.colormap, opacity: roi.opacity, outline: roi.outline })
            .then((item) => {
              item.volume!.img = roi.mask
              item.roi = roi.id
              // Its viewbar was made before the item was known as an ROI: no hand (no ROI on an ROI), ✎ for the menu.
              const bar = vp.element.querySelector<HTMLElement>(`.viewbar[data-item="${item.id}"]`)
              bar?.querySelector('.vb-hand')?.setAttribute('hidden', '')
              const menu = bar?.querySelector('.vb-menu')
              if (menu) menu.textContent = '✎'
              list.push({ item, vp, backgroundKey: bg.key })
              if (!roi.visible) vp.set(item, { hidden: true })
              this.refreshNow(vp)
            })
            .finally(() => this.pending.delete(key)),
        )
      }
    }
    await Promise.all(jobs)
    if (jobs.length) await this.viewer.syncMosaic() // the mosaic row mirrors viewport 1, ROIs included
  }

  /** Where the ROI shows: its items in the viewports, and the mosaic row's copies of them (which share its mask). */
  items(roi: Roi): Shown[] {
    const own = (this.shown.get(roi.id) ?? []).filter((s) => s.vp.items.includes(s.item))
    const m = this.viewer.mosaicViewport
    const mosaic = m ? m.items.filter((i) => i.roi === roi.id).map((item) => ({ item, vp: m, backgroundKey: m.background?.key ?? '' })) : []
    return [...own, ...mosaic]
  }

  /**
   * The ROI's mask changed: refresh the viewports that show it on the next frame (`now`: in this call). `box`: the
   * voxels the change is confined to (in the ROI's matrix); without it the whole mask counts as changed.
   */
  refresh(roi: Roi, now = false, box?: VoxelBox) {
    for (const s of this.items(roi)) {
      const changes = this.dirty.get(s.vp) ?? new Map<number, VoxelBox | null>()
      this.dirty.set(s.vp, changes)
      const had = changes.get(roi.id)
      changes.set(roi.id, !box || had === null ? null : had ? unionBox(had, box) : box)
    }
    if (now) return this.flush(true)
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush())
  }

  /** `committed`: an edit's end, not a live change: masks the full refresh left outdated on the GPU are uploaded now. */
  private flush(committed = false) {
    if (this.frame) cancelAnimationFrame(this.frame)
    this.frame = 0
    const dirty = [...this.dirty]
    this.dirty.clear()
    for (const [vp, changes] of dirty) {
      // The changed ROIs' volumes in this viewport (the mosaic's copies are volumes of their own).
      const boxes = new Map<NVImage, VoxelBox>()
      const stale = new Set<NVImage>()
      let known = true
      for (const item of vp.items) {
        if (item.roi === undefined || !item.volume || !changes.has(item.roi)) continue
        const box = changes.get(item.roi)
        if (box) boxes.set(item.volume, box)
        else known = false
        stale.add(item.volume)
      }
      const partial = known && this.slabs.refresh(vp.nv, boxes)
      if (partial) {
        vp.nv.drawScene()
        this.lastRefresh.set(vp, partial)
        continue
      }
      this.refreshNow(vp, stale)
      if (committed) this.slabs.prepare(vp.nv)
    }
  }

  /**
   * Uploads the viewport's overlay layers again (NiiVue composes them in order into one texture), not its background:
   * the background did not change, and uploading a 256³ background again took most of an edit's time.
   */
  private refreshNow(vp: Viewport, stale: ReadonlySet<NVImage> = new Set()) {
    const nv = vp.nv
    this.lastRefresh.set(vp, 'full')
    const layers = nv.volumes.filter((v) => v.toRAS)
    if (layers.length < 2 || layers[0] !== nv.volumes[0] || !nv.back?.dims) {
      nv.updateGLVolume()
      return this.slabs.adopt(nv, stale)
    }
    // Layer 1 allocates a new overlay texture (the background's matrix, RGBA) without freeing the old one: freed here,
    // or each edit would leave one behind (64 MB for a 256³ background).
    const old = nv.overlayTexture
    for (let l = 1; l < layers.length; l++) nv.refreshLayers(layers[l]!, l)
    if (old && old !== nv.overlayTexture) nv.gl.deleteTexture(old)
    this.slabs.adopt(nv, stale)
    nv.drawScene()
  }

  /** Visibility, opacity, outline and colour to every viewport showing the ROI. */
  style(roi: Roi) {
    for (const s of this.items(roi)) s.vp.set(s.item, { hidden: !roi.visible, opacity: roi.opacity, outline: roi.outline, colormap: roi.colormap })
  }

  rename(roi: Roi) {
    for (const s of this.items(roi)) {
      s.item.name = `${roi.name}.nii`
      s.vp.set(s.item, {})
    }
  }

  remove(roi: Roi) {
    for (const s of this.items(roi)) s.vp.removeItem(s.item)
    this.shown.delete(roi.id)
    void this.viewer.syncMosaic()
  }
}
