/**
 * What a volume's shown affine is made of: W · M · A. A is the voxel -> world matrix the volume was loaded with; M the
 * Navigation tool's transform when the volume is "moving" (x_fixed = M · x_moving, RAS mm); W the reformat matrix
 * of the MPR planes (Ctrl + drag), one for all viewports (they are linked). NiiVue 0.69 slices its 2-D views along
 * the world axes only with `isSliceMM`, so that is switched on while W or any M is not the identity, and back after.
 * Nothing is resampled: NiiVue's texture lookup goes through the matrix (setAffine).
 */
import type { Niivue, NVImage } from '@niivue/niivue'
import { IDENTITY, compose, invert } from '../../../transform/matrix'

const loaded = new WeakMap<NVImage, number[]>()
const sliceMMBefore = new WeakMap<Niivue, boolean>()
/** What a volume's GPU texture was made for at the last upload: its RAS permutation and, for an overlay, its shown
 * affine relative to the background's (NiiVue resamples overlays into the background's texture space). */
const uploaded = new WeakMap<NVImage, string>()
/** Viewers whose textures lag behind their affines (a drag took the fast path): fully uploaded when it ends. */
const stale = new WeakSet<Niivue>()

export const isIdentity = (m: readonly number[]) => m.every((x, i) => Math.abs(x - IDENTITY[i]!) < 1e-12)

/** The display state every viewport shares. */
export const display = {
  /** W: world as loaded -> the reformatted world shown. */
  reformat: IDENTITY.slice(),
  /** M of a volume (the Navigation tool's, when the volume moves), else the identity. */
  moving: (_volume: NVImage): number[] => IDENTITY,
  /**
   * True while a Ctrl + drag lasts. Then a frame uploads nothing when no texture depends on the change: NiiVue's 2-D
   * slices read the background's texture (in its own RAS-permuted voxel order) through its frac2mm, which setAffine
   * updates, and frame the tiles by the scene's extents, which are set here. Overlays moved relative to the
   * background, or a new permutation, take the full upload; so does the end of the drag (the 3-D tile's box).
   */
  dragging: false,
}

function layoutOf(nv: Niivue, v: NVImage): string {
  const perm = JSON.stringify((v as unknown as { permRAS?: number[] }).permRAS ?? [])
  const back = nv.volumes[0]!
  if (v === back) return perm
  const rel = compose(invert(flat(back)), flat(v))
  return `${perm}|${rel.map((x) => x.toFixed(6)).join(',')}`
}

const flat = (v: NVImage) => (v.hdr!.affine as number[][]).flat()

/** The scene's box (what NiiVue's refreshLayers sets from the background's corners) for the background as it lies now. */
function updateExtents(nv: Niivue): void {
  const v = nv.volumes[0] as unknown as { dimsRAS: number[]; matRAS: unknown; vox2mm(p: number[], m: unknown): ArrayLike<number> }
  const obj = (nv as unknown as { volumeObject3D?: { extentsMin: number[]; extentsMax: number[] } }).volumeObject3D
  if (!obj || !v.dimsRAS) return
  const mn = [Infinity, Infinity, Infinity]
  const mx = [-Infinity, -Infinity, -Infinity]
  for (const x of [-0.5, v.dimsRAS[1]! - 0.5])
    for (const y of [-0.5, v.dimsRAS[2]! - 0.5])
      for (const z of [-0.5, v.dimsRAS[3]! - 0.5]) {
        const p = v.vox2mm([x, y, z], v.matRAS)
        for (let a = 0; a < 3; a++) {
          mn[a] = Math.min(mn[a]!, p[a]!)
          mx[a] = Math.max(mx[a]!, p[a]!)
        }
      }
  obj.extentsMin = mn
  obj.extentsMax = mx
}

/** A of a volume: its affine as loaded (flat, row-major), recorded the first time it is asked for. */
export function loadedAffine(volume: NVImage): number[] {
  let a = loaded.get(volume)
  if (!a) {
    a = (volume.hdr!.affine as number[][]).flat()
    loaded.set(volume, a)
  }
  return a
}

/** After an APPLY that wrote M into the file the volume shows: M · A is now what it was "loaded" with. */
export function setLoadedAffine(volume: NVImage, a: number[]): void {
  loaded.set(volume, a.slice())
}

const crosshairMm = (nv: Niivue) => Array.from(nv.frac2mm(nv.scene.crosshairPos)).slice(0, 3)

/**
 * Gives every volume of `nv` its shown affine W · M · A and uploads; the crosshair keeps its world position (mm in
 * the shown frame). With W and every M the identity, the volumes get A back and NiiVue's slicing is as before.
 */
export function refresh(nv: Niivue, keep = crosshairMm(nv)): void {
  if (nv.volumes.length === 0) return
  let anyMoved = !isIdentity(display.reformat)
  for (const v of nv.volumes) if (!isIdentity(display.moving(v))) anyMoved = true
  let changed = false
  if (anyMoved && !sliceMMBefore.has(nv)) {
    sliceMMBefore.set(nv, Boolean(nv.opts.isSliceMM))
    nv.setSliceMM(true)
    changed = true
  }
  for (const v of nv.volumes) {
    const a = loadedAffine(v)
    const shown = compose(display.reformat, display.moving(v), a)
    const now = (v.hdr!.affine as number[][]).flat()
    if (shown.some((x, i) => Math.abs(x - now[i]!) > 1e-9)) {
      v.setAffine([0, 1, 2, 3].map((r) => shown.slice(r * 4, r * 4 + 4)))
      changed = true
    }
  }
  if (!anyMoved && sliceMMBefore.has(nv)) {
    nv.setSliceMM(sliceMMBefore.get(nv)!)
    sliceMMBefore.delete(nv)
    changed = true
  }
  // nothing moved (a volume was only added, say): no second upload of everything
  if (!changed && !(stale.has(nv) && !display.dragging)) {
    // the textures are those of the affines as they are (NiiVue uploaded them when the volumes came): the first
    // drag frame needs no upload either
    if (!stale.has(nv)) for (const v of nv.volumes) if (!uploaded.has(v)) uploaded.set(v, layoutOf(nv, v))
    return
  }
  if (display.dragging && nv.volumes.every((v) => uploaded.get(v) === layoutOf(nv, v))) {
    updateExtents(nv)
    stale.add(nv)
  } else {
    nv.updateGLVolume()
    stale.delete(nv)
    for (const v of nv.volumes) uploaded.set(v, layoutOf(nv, v))
  }
  const frac = nv.mm2frac(keep)
  nv.scene.crosshairPos = [frac[0]!, frac[1]!, frac[2]!] as typeof nv.scene.crosshairPos
  nv.drawScene()
}
