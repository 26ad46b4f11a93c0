import { DRAG_MODE, NVImage, NVMesh, Niivue, SLICE_TYPE } from '@niivue/niivue'
import { skipUnusedGradient } from './gradient-guard'
import { skipZeroUploads } from './zero-upload-guard'
import type { ItemRole } from './presets'
import { Reformat } from './navigation/reformat'
import { withBase } from '../shared/base-path'
import { cacheBudget, cachedBytes } from '../shared/file-cache'

/** Where an item's bytes come from: an archive URL (fetched with the session cookie) or a local File (never uploaded). */
export interface ItemSource {
  url?: string
  file?: File
  name: string
}

export interface ItemProps {
  colormap: string
  opacity: number
  min: number
  max: number
  outline: boolean
  hidden: boolean
}

/** One thing shown in a viewport: a volume (background/overlay/mask) or a mesh (fibers/surface). */
export interface Item extends ItemProps {
  id: number
  key: string
  name: string
  role: ItemRole
  source: ItemSource
  volume?: NVImage
  mesh?: NVMesh
  /** Set when the item shows an ROI of the ROI tool (its id): its volume shares the ROI's mask. */
  roi?: number
}

let nextId = 1

/** NIfTI, which the viewer fetches itself (fetchVolume); other formats NiiVue fetches (some bring a second file). */
const NIFTI = /\.nii(\.gz)?$/i

/**
 * An archive volume's bytes, fetched as soon as the load starts (before NiiVue is ready). A .nii.gz is asked for
 * `?decoded` (src/http/api/files): sent gzip-encoded, it is inflated by the browser's network stack while it arrives,
 * not by a DecompressionStream on the page after it arrived (256^3 int16: 3 MB on the wire, 32 MB inflated). With a
 * local cache budget the inflated bytes are what is cached.
 */
async function fetchVolume(url: string): Promise<ArrayBuffer> {
  // Through the local file cache (shared/file-cache.ts): the user's budget for remote use, or a plain fetch.
  return cachedBytes(withBase(/\.gz$/i.test(url) ? `${url}${url.includes('?') ? '&' : '?'}decoded` : url))
}

// Asked for as the viewer starts, so that the first file's fetch does not wait for it.
void cacheBudget()

const ROLE_COLORMAP: Record<ItemRole, string> = { background: 'gray', overlay: 'warm', mask: 'red', fibers: 'gray', surface: 'gray' }

/** Keys identify "the same file" across viewports: an archive URL, or a local file's name, size and date. */
export const keyOf = (s: ItemSource) => s.url ?? `local:${s.file?.name}:${s.file?.size}:${s.file?.lastModified}`

/** One viewport: a canvas with its own NiiVue instance and the items loaded into it. */
export class Viewport {
  readonly nv: Niivue
  items: Item[] = []
  plane: SLICE_TYPE = SLICE_TYPE.AXIAL
  ready: Promise<unknown>
  scrollSpeed = 1
  /** How long the last volume took to fetch and parse (readMs) and to reach the GPU and draw (gpuMs). */
  timings: { readMs?: number; gpuMs?: number; dicom?: Record<string, number> } = {}
  private synthetic = new WeakSet<Event>()
  /** Ctrl + left drag: oblique MPR planes (navigation/reformat.ts). */
  reformat?: Reformat

  constructor(
    readonly index: number,
    readonly element: HTMLElement,
    readonly canvas: HTMLCanvasElement,
    private readonly onChange: () => void,
    readonly mosaic = false,
  ) {
    this.nv = new Niivue({
      dragAndDropEnabled: false,
      backColor: [0, 0, 0, 1],
      show3Dcrosshair: true,
      crosshairWidthUnit: 'percent',
      crosshairWidth: 0.3,
      crosshairColor: [1, 0, 0, 0.75],
      isResizeCanvas: true,
      logLevel: 'error',
      loadingText: '',
    })
    this.ready = this.nv.attachToCanvas(canvas).then(() => {
      skipUnusedGradient(this.nv) // the gradient texture only lit volume rendering reads: not computed while unused
      skipZeroUploads(this.nv) // new textures are zeros already: no 64 MB of zeros uploaded per load
      // The seed's mouse: left click sets the crosshair, right button pans, middle button windows.
      this.nv.setMouseEventConfig({
        leftButton: { primary: DRAG_MODE.crosshair, withCtrl: DRAG_MODE.crosshair, withShift: DRAG_MODE.crosshair },
        rightButton: DRAG_MODE.pan,
        centerButton: DRAG_MODE.windowing,
      })
      this.nv.setSliceType(this.mosaic ? SLICE_TYPE.AXIAL : this.plane)
      this.reformat = new Reformat(this.nv, canvas, () => (this.mosaic ? SLICE_TYPE.AXIAL : this.plane))
      this.nv.onImageLoaded = () => this.onChange()
      this.nv.onIntensityChange = () => this.syncWindowFromNiivue()
    })
    canvas.addEventListener('wheel', (e) => this.wheel(e), { capture: true, passive: false })
  }

  /** Ctrl+wheel zooms (NiiVue would scroll); without ctrl NiiVue scrolls slices, repeated by the scroll speed. */
  private wheel(e: WheelEvent) {
    if (this.synthetic.has(e)) return
    if (e.ctrlKey) {
      e.preventDefault()
      e.stopImmediatePropagation()
      const zoom = this.nv.scene.pan2Dxyzmm[3]! * (e.deltaY < 0 ? 1.1 : 1 / 1.1)
      this.nv.scene.pan2Dxyzmm[3] = Math.min(20, Math.max(0.2, zoom))
      this.nv.drawScene()
      return
    }
    for (let i = 1; i < this.scrollSpeed; i++) {
      const copy = new WheelEvent('wheel', e)
      this.synthetic.add(copy)
      queueMicrotask(() => this.canvas.dispatchEvent(copy))
    }
  }

  get background(): Item | undefined {
    return this.items.find((i) => i.role === 'background')
  }

  isFree(): boolean {
    return this.items.length === 0
  }

  async load(source: ItemSource, role: ItemRole, props: Partial<ItemProps> = {}): Promise<Item> {
    const t0 = performance.now()
    const bytes = source.url && NIFTI.test(source.name) ? fetchVolume(source.url) : undefined
    bytes?.catch(() => {}) // a failed fetch is reported where it is awaited, not as unhandled while NiiVue starts
    await this.ready
    const colormap = props.colormap ?? ROLE_COLORMAP[role]
    let t1 = 0
    const item: Item = {
      id: nextId++,
      key: keyOf(source),
      name: source.name,
      role,
      source,
      colormap,
      opacity: props.opacity ?? (role === 'background' || role === 'fibers' || role === 'surface' ? 1 : role === 'mask' ? 0.5 : 0.7),
      min: 0,
      max: 0,
      outline: props.outline ?? false,
      hidden: false,
    }
    if (role === 'fibers' || role === 'surface') {
      const mesh = source.file
        ? await NVMesh.loadFromFile({ file: source.file, gl: this.nv.gl!, name: source.name })
        : await NVMesh.loadFromUrl({ url: withBase(source.url!), gl: this.nv.gl!, name: source.name })
      this.nv.addMesh(mesh)
      item.mesh = mesh
      // Meshes show in 3D: a viewport with only meshes renders; with volumes, the multiplanar view has a 3D tile.
      if (!this.background) this.setPlane(SLICE_TYPE.RENDER)
    } else {
      if (role === 'background') for (const old of this.items.filter((i) => i.volume)) this.removeItem(old, false)
      const opts = { name: source.name, colormap, opacity: item.opacity }
      const volume = source.file
        ? await NVImage.loadFromFile({ file: source.file, ...opts })
        : await NVImage.loadFromUrl({ url: withBase(source.url!), ...opts, ...(bytes ? { buffer: await bytes } : {}) })
      this.timings.readMs = performance.now() - t0
      if (role === 'mask') {
        volume.cal_min = 0.5
        volume.cal_max = Math.max(1, volume.global_max ?? 1)
      }
      if (props.min !== undefined) volume.cal_min = props.min
      if (props.max !== undefined) volume.cal_max = props.max
      t1 = performance.now()
      this.nv.addVolume(volume)
      if (role === 'background' && this.nv.volumes.length > 1) this.nv.setVolume(volume, 0)
      item.volume = volume
      item.min = volume.cal_min ?? 0
      item.max = volume.cal_max ?? 0
      if (this.nv.opts.sliceType === SLICE_TYPE.RENDER && role === 'background') this.nv.setSliceType(this.plane)
    }
    if (role === 'background') this.items.unshift(item)
    else this.items.push(item)
    this.applyOutline()
    // addVolume/addMesh (and setVolume) already uploaded everything; another updateGLVolume would upload it all again.
    this.nv.drawScene()
    if (item.volume) this.timings.gpuMs = performance.now() - t1
    this.onChange()
    return item
  }

  /** Applies properties to an item of this viewport and redraws. */
  set(item: Item, props: Partial<ItemProps>) {
    Object.assign(item, props)
    if (item.volume) {
      const v = item.volume
      if (props.colormap !== undefined) v.colormap = props.colormap
      if (props.min !== undefined) v.cal_min = props.min
      if (props.max !== undefined) v.cal_max = props.max
      v.opacity = item.hidden ? 0 : item.opacity
      this.applyOutline()
      this.nv.updateGLVolume()
    } else if (item.mesh) {
      this.nv.setMeshProperty(item.mesh.id as unknown as number, 'opacity', item.hidden ? 0 : item.opacity)
      this.nv.setMeshProperty(item.mesh.id as unknown as number, 'visible', !item.hidden)
    }
    this.nv.drawScene()
    this.onChange()
  }

  /** NiiVue's outline is per instance: any overlay with "outline" on draws overlays as outlines here. */
  private applyOutline() {
    this.nv.overlayOutlineWidth = this.items.some((i) => i.outline && i.role !== 'background') ? 2 : 0
  }

  /** Middle-button windowing changes the background's window: keep our item in step. */
  private syncWindowFromNiivue() {
    const bg = this.background
    if (bg?.volume) {
      bg.min = bg.volume.cal_min ?? bg.min
      bg.max = bg.volume.cal_max ?? bg.max
      this.onChange()
    }
  }

  removeItem(item: Item, notify = true) {
    if (item.volume) this.nv.removeVolume(item.volume)
    if (item.mesh) this.nv.removeMesh(item.mesh)
    this.items = this.items.filter((i) => i !== item)
    if (notify) {
      this.nv.drawScene()
      this.onChange()
    }
  }

  clear() {
    for (const item of [...this.items]) this.removeItem(item, false)
    this.element.querySelector('.vp-series')?.remove() // the DICOM series chooser (dicom-load.ts)
    this.nv.drawScene()
    this.onChange()
  }

  setPlane(plane: SLICE_TYPE) {
    this.plane = plane
    this.nv.setSliceType(plane)
  }

  resize() {
    this.nv.resizeListener()
  }

  /** What the tests and the benchmark read: NiiVue's own state of this viewport. */
  state() {
    return {
      index: this.index,
      sliceType: this.nv.opts.sliceType,
      zoom: this.nv.scene.pan2Dxyzmm[3],
      scrollSpeed: this.scrollSpeed,
      timings: this.timings,
      mosaic: this.nv.opts.sliceMosaicString,
      volumes: this.nv.volumes.map((v) => ({ name: v.name, dims: v.hdr?.dims?.slice(1, 4), dimsRAS: v.dimsRAS?.slice(1, 4), cal_min: v.cal_min, cal_max: v.cal_max, colormap: v.colormap, opacity: v.opacity })),
      meshes: this.nv.meshes.map((m) => ({ name: m.name, opacity: m.opacity, visible: m.visible })),
      items: this.items.map((i) => ({ name: i.name, key: i.key, role: i.role, colormap: i.colormap, opacity: i.opacity, min: i.min, max: i.max, outline: i.outline, hidden: i.hidden })),
    }
  }
}
