import { SLICE_TYPE } from '@niivue/niivue'
import { isDicomBundle, isZip } from './dicom'
import { loadDicom } from './dicom-load'
import { CT_PRESETS, kindOf, rolesFor, windowOf, type ItemRole } from './presets'
import { syncViewbars, type ViewbarActions } from './viewbar'
import { Viewport, type Item, type ItemProps, type ItemSource } from './viewport'

/** Layouts of the layout selector: how many viewports show, and whether viewport 1 shows three planes. */
export const LAYOUTS = ['1', '2', '3', '4', 'three-plane'] as const
export type Layout = (typeof LAYOUTS)[number]

export interface LoadRequest extends Partial<ItemProps> {
  url?: string
  file?: File
  /** Several files from disk to convert together as DICOM (folders expanded, zips and tar.gz unpacked). */
  dicom?: File[]
  name: string
  /** 1-based viewport; default: the next free one. */
  viewport?: number
  as?: ItemRole
}

const PLANES = [SLICE_TYPE.AXIAL, SLICE_TYPE.CORONAL, SLICE_TYPE.SAGITTAL, SLICE_TYPE.RENDER]
const PLANE_NAMES = ['axial', 'coronal', 'sagittal', '3D']

/** The viewer region: viewports, their layout, the optional bottom mosaic row, and what they show. */
export class Viewer {
  readonly viewports: Viewport[] = []
  mosaicViewport?: Viewport
  layout: Layout = '2'
  mosaic = false
  active = 0
  status = ''
  private loads = new Set<Promise<unknown>>()
  private readonly actions: ViewbarActions
  /** The ROI tool's hooks (roi/mount.ts): items of a viewport changed; the ⚙ of a viewbar was clicked. */
  onItemsChanged?: (vp: Viewport) => void
  itemMenu?: (vp: Viewport, item: Item, anchor: HTMLElement) => void
  /** The Navigation tool's hook (navigation/mount.ts): the ▦ of a viewbar makes that image's matrix the grid. */
  itemGrid?: (vp: Viewport, item: Item) => void

  constructor(readonly root: HTMLElement) {
    this.actions = {
      change: (vp, item, props, onlyHere) => this.change(vp, item, props, onlyHere),
      remove: (vp, item, onlyHere) => this.remove(vp, item, onlyHere),
      menu: (vp, item, anchor) => this.itemMenu?.(vp, item, anchor),
      grid: (vp, item) => this.itemGrid?.(vp, item),
    }
    const els = Array.from(root.querySelectorAll<HTMLElement>('.viewport[data-viewport]'))
    for (const e of els) {
      const mosaic = e.dataset.viewport === 'mosaic'
      const vp = new Viewport(mosaic ? 0 : Number(e.dataset.viewport), e, e.querySelector('canvas')!, () => this.changed(vp), mosaic)
      if (mosaic) this.mosaicViewport = vp
      else this.viewports.push(vp)
      e.addEventListener('pointerenter', () => !mosaic && (this.active = vp.index - 1))
      e.addEventListener('pointerdown', () => !mosaic && (this.active = vp.index - 1))
    }
    this.setLayout((root.dataset.layout as Layout) || '2')
  }

  /** The viewports the current layout shows. */
  visible(): Viewport[] {
    const n = this.layout === 'three-plane' ? 1 : Number(this.layout)
    return this.viewports.slice(0, n)
  }

  setLayout(layout: Layout) {
    if (!LAYOUTS.includes(layout)) return
    this.layout = layout
    this.root.dataset.layout = layout
    const shown = this.visible()
    for (const vp of this.viewports) vp.element.hidden = !shown.includes(vp)
    const first = this.viewports[0]
    if (first) {
      void first.ready.then(() => {
        if (layout === 'three-plane') first.nv.setSliceType(SLICE_TYPE.MULTIPLANAR)
        else first.setPlane(first.plane)
      })
    }
    for (const b of Array.from(this.root.querySelectorAll<HTMLElement>('[data-layout-choice]'))) b.setAttribute('aria-pressed', String(b.dataset.layoutChoice === layout))
    if (this.active >= shown.length) this.active = 0
    this.resizeSoon()
  }

  /** The plane button of a viewport: axial -> coronal -> sagittal -> 3D -> axial. Returns the new plane's name. */
  nextPlane(vp: Viewport): string {
    const order = PLANES
    const names = PLANE_NAMES
    const i = (order.indexOf(vp.plane) + 1) % order.length
    if (!(vp.index === 1 && this.layout === 'three-plane')) vp.setPlane(order[i]!)
    else vp.plane = order[i]!
    return names[i]!
  }

  setMosaic(on: boolean) {
    this.mosaic = on
    this.root.dataset.mosaic = String(on)
    if (this.mosaicViewport) this.mosaicViewport.element.hidden = !on
    for (const b of Array.from(this.root.querySelectorAll<HTMLElement>('[data-mosaic-toggle]'))) b.setAttribute('aria-pressed', String(on))
    void this.syncMosaic()
    this.resizeSoon()
  }

  private resizeSoon() {
    requestAnimationFrame(() => {
      for (const vp of [...this.viewports, ...(this.mosaicViewport ? [this.mosaicViewport] : [])]) if (!vp.element.hidden) void vp.ready.then(() => vp.resize())
    })
  }

  /** Loads a file; without a viewport, into the next free visible one (or the active one when all are in use). */
  load(req: LoadRequest): Promise<Item | undefined> {
    const p = this.doLoad(req)
    this.loads.add(p)
    void p.finally(() => this.loads.delete(p))
    return p
  }

  private async doLoad(req: LoadRequest): Promise<Item | undefined> {
    const kind = kindOf(req.name)
    const roles = rolesFor(kind)
    if (req.url && kind === 'dicom') return this.fail(`${req.name}: single DICOM files from the archive are not converted here; open the series' DICOM bundle (dicom/*.tar.gz) or its .nii`)
    if (req.dicom || kind === 'dicom' || isDicomBundle(req.name) || isZip(req.name)) return this.loadDicom(req)
    if (roles.length === 0) return this.fail(`${req.name}: not a format the viewer shows (NIfTI, NRRD, MGH/MGZ, GIFTI, STL, MZ3, TCK, TRK)`)
    const role = req.as && roles.includes(req.as) ? req.as : roles[0]!
    const vp = this.target(req.viewport)
    if (!vp) return this.fail(`no viewport ${req.viewport}`)
    this.active = vp.index - 1
    this.setStatus(`loading ${req.name} into viewport ${vp.index}…`)
    try {
      const source: ItemSource = { url: req.url, file: req.file, name: req.name }
      const item = await vp.load(source, role, req)
      this.setStatus('')
      if (vp.index === 1) await this.syncMosaic()
      return item
    } catch (e) {
      return this.fail(`${req.name}: could not be loaded (${e instanceof Error ? e.message : String(e)})`)
    }
  }

  /** DICOM (a series bundle from the archive, or files from disk): converted in the browser, then loaded. */
  private async loadDicom(req: LoadRequest): Promise<Item | undefined> {
    const vp = this.target(req.viewport)
    if (!vp) return this.fail(`no viewport ${req.viewport}`)
    this.active = vp.index - 1
    this.setStatus(`converting ${req.name} (DICOM) for viewport ${vp.index}…`)
    try {
      const files = req.dicom ?? (req.file ? [req.file] : undefined)
      return await loadDicom(this, vp, { name: req.name, url: req.url, files }, req.as)
    } catch (e) {
      return this.fail(`${req.name}: ${e instanceof Error ? e.message : String(e)}`)
    }
  }

  private target(n?: number): Viewport | undefined {
    if (n !== undefined) return this.viewports[n - 1]
    const shown = this.visible()
    return shown.find((vp) => vp.isFree()) ?? shown[this.active] ?? shown[0]
  }

  private fail(message: string): undefined {
    this.setStatus(message)
    return undefined
  }

  setStatus(message: string) {
    this.status = message
    const s = this.root.querySelector('.viewer-status')
    if (s) s.textContent = message
  }

  /** A viewbar change: to every viewport showing the same file, or with shift only to this one. */
  change(vp: Viewport, item: Item, props: Partial<ItemProps>, onlyHere = false) {
    if (onlyHere) return vp.set(item, props)
    for (const other of this.viewports) for (const it of other.items) if (it.key === item.key) other.set(it, props)
    void this.syncMosaic()
  }

  remove(vp: Viewport, item: Item, onlyHere = false) {
    if (onlyHere) vp.removeItem(item)
    else for (const other of this.viewports) for (const it of [...other.items]) if (it.key === item.key) other.removeItem(it)
    void this.syncMosaic()
  }

  clear() {
    for (const vp of this.viewports) vp.clear()
    this.mosaicViewport?.clear()
  }

  /** A CT window (key 1-6) or the image's robust range (key 0) for the background of the active viewport. */
  windowPreset(key: string) {
    const vp = this.visible()[this.active] ?? this.viewports[0]
    const bg = vp?.background
    if (!vp || !bg?.volume) return
    const preset = CT_PRESETS.find((p) => p.key === key)
    const w = preset ? windowOf(preset) : { min: bg.volume.robust_min ?? bg.volume.global_min ?? 0, max: bg.volume.robust_max ?? bg.volume.global_max ?? 1 }
    this.change(vp, bg, w)
    this.setStatus(preset ? `window ${preset.name}: ${preset.level}/${preset.width}` : 'window: auto')
  }

  scrollSpeed(delta: number) {
    for (const vp of this.viewports) vp.scrollSpeed = Math.min(10, Math.max(1, vp.scrollSpeed + delta))
    this.setStatus(`scroll speed ${this.viewports[0]?.scrollSpeed ?? 1}`)
  }

  /**
   * The bottom row mirrors viewport 1 as a mosaic of axial slices across its extent. An ROI's copy there shares the
   * ROI's mask (as in viewport 1), so edits show in the mosaic too (the ROI tool refreshes it with the viewports).
   */
  async syncMosaic() {
    const m = this.mosaicViewport
    const first = this.viewports[0]
    if (!m || !first || !this.mosaic) return
    await m.ready
    const want = first.items.filter((i) => i.volume).map((i) => `${i.key}|${i.role}`).join(',')
    const have = m.items.map((i) => `${i.key}|${i.role}`).join(',')
    if (want !== have) {
      m.clear()
      for (const i of first.items.filter((i) => i.volume)) {
        const copy = await m.load(i.source, i.role, i)
        if (i.roi !== undefined && copy.volume && i.volume) {
          copy.volume.img = i.volume.img
          copy.roi = i.roi
          m.nv.updateGLVolume()
        }
      }
    }
    for (const [n, i] of first.items.filter((i) => i.volume).entries()) {
      const mi = m.items[n]
      if (mi) m.set(mi, { colormap: i.colormap, min: i.min, max: i.max, opacity: i.opacity, hidden: i.hidden, outline: i.outline })
    }
    const v = m.background?.volume
    if (v) {
      const lo = v.extentsMinOrtho?.[2] ?? -50
      const hi = v.extentsMaxOrtho?.[2] ?? 50
      const n = 8
      const zs = Array.from({ length: n }, (_, k) => (lo + ((k + 0.5) * (hi - lo)) / n).toFixed(1))
      m.nv.setSliceMosaicString(`A ${zs.join(' ')}`)
    } else m.nv.setSliceMosaicString('')
  }

  private changed(vp: Viewport) {
    const bars = vp.element.querySelector<HTMLElement>('.viewbars')
    if (bars && !vp.mosaic) syncViewbars(vp, bars, this.actions)
    vp.element.classList.toggle('is-free', vp.isFree())
    const plane = vp.element.querySelector('.vp-plane')
    if (plane) plane.textContent = `${vp.index} · ${PLANE_NAMES[PLANES.indexOf(vp.plane)] ?? ''}`
    if (!vp.mosaic) this.onItemsChanged?.(vp)
  }

  /** Resolves when every load started so far has finished (for tests and the benchmark). */
  async idle() {
    while (this.loads.size) await Promise.allSettled([...this.loads])
  }

  state() {
    return {
      layout: this.layout,
      mosaic: this.mosaic,
      active: this.active + 1,
      status: this.status,
      viewports: this.viewports.map((vp) => ({ ...vp.state(), visible: !vp.element.hidden })),
      mosaicViewport: this.mosaicViewport && this.mosaic ? this.mosaicViewport.state() : undefined,
    }
  }
}
