/**
 * Ctrl + left drag in a viewport reformats the MPR planes (the seed's mouse table): NiiVue 0.69 cuts its 2-D slices
 * along the world axes when `isSliceMM` is on, and has no rotation of its own for 2-D slices, so the planes are turned
 * by turning the volumes the other way: every volume gets W · M · A (display.ts: A its affine as loaded, M the
 * Navigation tool's transform of a moving image), W a rigid world matrix about the crosshair. The images keep their
 * places relative to each other; only the cut changes. W is one for all viewports: they are linked (a drag in one
 * turns the planes of all, and their crosshairs stay on the same point).
 *
 * Ctrl + drag: sideways turns about the normal of the viewport's plane, up/down tilts about its horizontal axis
 * (0.5° a pixel); Ctrl + Shift + drag moves the volumes in the plane. `reset()` (key R) puts the planes back.
 * `matrix` is W: a point shown at x (mm, the turned frame) is at W⁻¹ x in the images' own world. Each viewport shows
 * the crosshair's coordinates in the turned frame, and in the images' world while the planes are turned.
 */
import type { Niivue } from '@niivue/niivue'
import { IDENTITY, compose, invert, rotationX, rotationY, rotationZ, translation } from '../../../transform/matrix'
import { display, isIdentity, refresh } from './display'

const DEG_PER_PIXEL = 0.5

/** The plane's normal axis and its on-screen horizontal axis (0 = x/R, 1 = y/A, 2 = z/S) by NiiVue's slice type. */
const AXES: Record<number, { normal: number; across: number; right: number; up: number }> = {
  0: { normal: 2, across: 0, right: 0, up: 1 }, // axial
  1: { normal: 1, across: 0, right: 0, up: 2 }, // coronal
  2: { normal: 0, across: 1, right: 1, up: 2 }, // sagittal
}
const ROTATION = [rotationX, rotationY, rotationZ]

/** Every viewport's Reformat: one W for all of them. */
const linked = new Set<Reformat>()

const fmt = (p: readonly number[]) => p.map((x) => x.toFixed(1)).join(', ')

export class Reformat {
  private drag: { x: number; y: number; shift: boolean } | undefined
  private frame = 0
  private readonly coords: HTMLElement | undefined

  constructor(
    private readonly nv: Niivue,
    private readonly canvas: HTMLCanvasElement,
    private readonly plane: () => number,
  ) {
    linked.add(this)
    canvas.addEventListener('mousedown', (e) => this.down(e), { capture: true })
    window.addEventListener('mousemove', (e) => this.move(e), { capture: true })
    window.addEventListener('mouseup', (e) => this.up(e), { capture: true })
    const host = canvas.parentElement
    if (host) {
      this.coords = document.createElement('span')
      this.coords.className = 'vp-coords'
      this.coords.setAttribute('aria-live', 'off')
      Object.assign(this.coords.style, { position: 'absolute', right: '6px', bottom: '4px', zIndex: '2', font: '11px/1.2 ui-monospace, monospace', color: '#e8e8e8', textShadow: '0 0 2px #000', pointerEvents: 'none' })
      host.append(this.coords)
    }
    // the readout follows clicks, wheel and keys (NiiVue reports crosshair moves of its own only)
    for (const type of ['mouseup', 'wheel', 'keyup']) canvas.addEventListener(type, () => requestAnimationFrame(() => this.showCoordinates()), { passive: true })
    const before = nv.onLocationChange
    nv.onLocationChange = (d: unknown) => {
      ;(before as ((d: unknown) => void) | undefined)?.(d)
      this.showCoordinates()
    }
  }

  /** W: world (as loaded) -> the reformatted world shown; the same for every viewport. */
  get matrix(): number[] {
    return display.reformat
  }

  get active(): boolean {
    return !isIdentity(display.reformat)
  }

  /** The crosshair in the turned frame (what the planes show) and in the images' own world (W⁻¹ x). */
  coordinates(): { shown: number[]; world: number[] } | undefined {
    if (this.nv.volumes.length === 0) return undefined
    const shown = this.crosshairMm()
    const back = invert(display.reformat)
    const world = [0, 1, 2].map((r) => back[r * 4]! * shown[0]! + back[r * 4 + 1]! * shown[1]! + back[r * 4 + 2]! * shown[2]! + back[r * 4 + 3]!)
    return { shown, world }
  }

  showCoordinates(): void {
    if (!this.coords) return
    const c = this.coordinates()
    if (!c) return void (this.coords.textContent = '')
    this.coords.textContent = this.active ? `turned frame ${fmt(c.shown)} mm · image world ${fmt(c.world)} mm` : `${fmt(c.shown)} mm`
  }

  private down(e: MouseEvent) {
    if (e.button !== 0 || !(e.ctrlKey || e.metaKey) || this.nv.volumes.length === 0) return
    e.preventDefault()
    e.stopImmediatePropagation()
    this.drag = { x: e.clientX, y: e.clientY, shift: e.shiftKey }
    display.dragging = true
  }

  private move(e: MouseEvent) {
    if (!this.drag) return
    e.preventDefault()
    e.stopImmediatePropagation()
    const dx = e.clientX - this.drag.x
    const dy = e.clientY - this.drag.y
    if (dx === 0 && dy === 0) return
    this.drag.x = e.clientX
    this.drag.y = e.clientY
    const axes = AXES[this.plane()] ?? AXES[0]!
    const centre = this.crosshairMm()
    let step: number[]
    if (this.drag.shift) {
      const t = [0, 0, 0]
      const mmPerPixel = this.mmPerPixel()
      t[axes.right] = dx * mmPerPixel
      t[axes.up] = -dy * mmPerPixel
      step = translation(t)
    } else {
      const turn = compose(ROTATION[axes.normal]!(dx * DEG_PER_PIXEL), ROTATION[axes.across]!(dy * DEG_PER_PIXEL))
      step = compose(translation(centre), turn, translation(centre.map((c) => -c)))
    }
    display.reformat = compose(step, display.reformat)
    this.schedule(centre)
  }

  private up(e: MouseEvent) {
    if (!this.drag) return
    e.preventDefault()
    e.stopImmediatePropagation()
    this.drag = undefined
    display.dragging = false
    // what the fast frames left out (overlays, the 3-D tile's box): brought up to date once, at the end of the drag
    requestAnimationFrame(() => {
      for (const r of linked) if (r.canvas.isConnected) r.update()
    })
  }

  /** Puts the planes back in every viewport: W the identity, NiiVue's slicing as it was; the crosshair stays on its point. */
  reset(): void {
    if (!this.active) return
    const back = invert(display.reformat)
    const c = this.crosshairMm()
    const p = [0, 1, 2].map((r) => back[r * 4]! * c[0]! + back[r * 4 + 1]! * c[1]! + back[r * 4 + 2]! * c[2]! + back[r * 4 + 3]!)
    display.reformat = IDENTITY.slice()
    for (const r of linked) if (r.canvas.isConnected) r.update(p)
  }

  /** One update a frame, however fast the mouse moves: every linked viewport, the crosshair kept on `centre`. */
  private schedule(centre: number[]) {
    if (this.frame) return
    this.frame = requestAnimationFrame(() => {
      this.frame = 0
      for (const r of linked) if (r.canvas.isConnected) r.update(centre)
    })
  }

  /** The volumes' shown affines again (display.ts), the crosshair at `centre` (mm, shown frame). */
  update(centre?: number[]) {
    refresh(this.nv, centre)
    this.showCoordinates()
  }

  private crosshairMm(): number[] {
    return Array.from(this.nv.frac2mm(this.nv.scene.crosshairPos)).slice(0, 3)
  }

  /** About the millimetres one screen pixel spans: the scene's extent over the canvas height, over the zoom. */
  private mmPerPixel(): number {
    const a = this.nv.frac2mm([0, 0, 0])
    const b = this.nv.frac2mm([1, 1, 1])
    const extent = Math.max(Math.abs(b[0]! - a[0]!), Math.abs(b[1]! - a[1]!), Math.abs(b[2]! - a[2]!))
    const zoom = this.nv.scene.pan2Dxyzmm[3] || 1
    return extent / Math.max(1, this.canvas.clientHeight) / zoom
  }
}
