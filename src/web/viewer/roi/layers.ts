/**
 * ROIs shown in the viewports: each ROI is a mask item (with its viewbar) in every viewport that has a background,
 * and in the mosaic row when it shows viewport 1.
 * The item's NiiVue volume shares the ROI's mask array, so an edit shows after one GPU refresh of that viewport
 * (at most one per animation frame). NiiVue resamples the mask onto each viewport's background in its shader, so an
 * ROI on another grid than the background still shows where its voxels are.
 */
import type { Viewer } from '../viewer'
import type { Item, Viewport } from '../viewport'
import type { Roi } from './roi'
import { roiNifti } from './roi-file'

interface Shown {
  item: Item
  vp: Viewport
  /** The background the item was added over: when it is still there but the item is gone, the user removed it. */
  backgroundKey: string
}

export class RoiLayers {
  private shown = new Map<number, Shown[]>()
  private pending = new Set<string>()
  private dirty = new Set<Viewport>()
  private frame = 0

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

  /** The ROI's mask changed: refresh the viewports that show it on the next frame (`now`: in this call). */
  refresh(roi: Roi, now = false) {
    for (const s of this.items(roi)) this.dirty.add(s.vp)
    if (now) return this.flush()
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush())
  }

  private flush() {
    if (this.frame) cancelAnimationFrame(this.frame)
    this.frame = 0
    for (const vp of this.dirty) this.refreshNow(vp)
    this.dirty.clear()
  }

  /**
   * Uploads the viewport's overlay layers again (NiiVue composes them in order into one texture), not its background:
   * the background did not change, and uploading a 256³ background again took most of an edit's time.
   */
  private refreshNow(vp: Viewport) {
    const nv = vp.nv
    const layers = nv.volumes.filter((v) => v.toRAS)
    if (layers.length < 2 || layers[0] !== nv.volumes[0] || !nv.back?.dims) return nv.updateGLVolume()
    // Layer 1 allocates a new overlay texture (the background's matrix, RGBA) without freeing the old one: freed here,
    // or each edit would leave one behind (64 MB for a 256³ background).
    const old = nv.overlayTexture
    for (let l = 1; l < layers.length; l++) nv.refreshLayers(layers[l]!, l)
    if (old && old !== nv.overlayTexture) nv.gl.deleteTexture(old)
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
