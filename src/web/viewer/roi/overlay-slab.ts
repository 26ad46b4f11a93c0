/**
 * A display refresh of a viewport's ROI layers that redraws only the box an edit changed.
 *
 * NiiVue (0.69) composes all overlay layers into one RGBA texture on the background's grid: for each layer it uploads
 * the layer's voxels to a temporary 3D texture and runs its "orient" shader over every slice of that grid (colour
 * mapping, opacity, blending over the layers below). After a dilation of a 256³ ROI that is the whole mask uploaded and
 * 16.7 M fragments shaded again. Here each ROI layer keeps its mask in an R8UI texture of its own (uploaded in full
 * once, then only the changed box), and NiiVue's own orient shader, with the uniforms NiiVue's refreshLayers gives it,
 * is run again only on the slices and (scissored) rows of the background grid that the changed box maps to. Outside
 * that box the overlay texture keeps what the last refresh wrote, which is what a full refresh would write again.
 *
 * One ROI layer on the background's own grid (the usual case: an ROI on the image it was made from) needs no shader at
 * all: its two colours are rendered once, and the box is filled by lookup on the CPU and uploaded (overlay-fill.ts).
 *
 * It only runs when the overlay texture is the one this module last saw complete (no refresh by anyone else since)
 * and the layers are unchanged (same volumes, colour, window, opacity, placement); anything else returns false and
 * the caller makes NiiVue's full refresh, then `adopt`s its result.
 */
import type { Niivue, NVImage } from '@niivue/niivue'
import { invert4 } from './mat4'
import { fillBox, voxelMapping, type VoxelMapping } from './overlay-fill'
import type { VoxelBox } from './voxel-box'

type GL = WebGL2RenderingContext

interface OrientShader {
  uniforms: Record<string, WebGLUniformLocation | null>
  use(gl: GL): void
}

/** The parts of NiiVue 0.69 (public fields, not in its typings) that a layer refresh uses. */
interface NiivueLayers {
  gl: GL
  volumes: NVImage[]
  back?: { dims?: number[] }
  overlayTexture: WebGLTexture | null
  colormapTexture: WebGLTexture | null
  orientShaderU?: OrientShader
  genericVAO: WebGLVertexArrayObject | null
  unusedVAO: WebGLVertexArrayObject | null
  opts: { isAdditiveBlend?: boolean }
  mm2frac(mm: ArrayLike<number>, volIdx?: number, isForceSliceMM?: boolean): ArrayLike<number>
}

/** The fields of a layer volume the orient shader's uniforms come from. */
interface LayerVolume {
  hdr: { datatypeCode: number; intent_code: number; dims: number[]; scl_slope: number; scl_inter: number }
  img: Uint8Array
  opacity: number
  colormap: string
  cal_min: number
  cal_max: number
  cal_minNeg: number
  cal_maxNeg: number
  colormapNegative: string
  colormapType: number
  colormapLabel: unknown
  modulationImage: number | null
  frame4D: number
  nFrame4D?: number
  mm000: ArrayLike<number>
  mm100: ArrayLike<number>
  mm010: ArrayLike<number>
  mm001: ArrayLike<number>
}

interface State {
  /** The overlay texture this state describes: complete, and consistent with the mask textures. */
  overlay: WebGLTexture
  signature: string
  masks: Map<NVImage, WebGLTexture>
  /** Layers whose mask texture is to be uploaded in full before it is used (their masks changed in unknown places). */
  outdated: Set<NVImage>
  /** NiiVue's empty blend texture of layer 1 (2×2×2, zeros). */
  zero?: WebGLTexture
  /**
   * One layer on the background's own grid: how background voxels find its mask voxels, and its two colours (unset,
   * set; rendered by NiiVue's shader when first needed). Null: the layers are drawn by the shader (mask textures).
   */
  lookup: { map: VoxelMapping; colours?: Uint32Array } | null
}

/** Where the orient shader draws: a 3D RGBA texture, the box of it, each layer's mask texture and placement. */
interface Target {
  tex: WebGLTexture
  dims: number[]
  box: VoxelBox
  mask(layer: number): WebGLTexture
  mtx(layer: number): Float32Array
}

/** The lookup fills and uploads this many voxels at a time (4 MB of colours). */
const FILL_WORDS = 1 << 20
const IDENTITY = Float32Array.of(1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1)

const DT_UINT8 = 2
const INTENT_LABEL = 1002
const TEX_COLORMAPS = 1
/** The unit NiiVue keeps its overlay texture bound to. */
const TEX_OVERLAY = 2
const TEX_ORIENT = 9
const TEX_BLEND = 10

/** Where a layer lies on the background grid: its frac -> the background's frac (`forward`), and the shader's inverse. */
function placement(nv: NiivueLayers, v: LayerVolume): { forward: Float32Array; mtx: Float32Array } | undefined {
  const f000 = nv.mm2frac(v.mm000, 0, true)
  const d = (mm: ArrayLike<number>) => {
    const f = nv.mm2frac(mm, 0, true)
    return [f[0]! - f000[0]!, f[1]! - f000[1]!, f[2]! - f000[2]!]
  }
  const [f100, f010, f001] = [d(v.mm100), d(v.mm010), d(v.mm001)]
  const forward = Float32Array.of(f100[0]!, f010[0]!, f001[0]!, f000[0]!, f100[1]!, f010[1]!, f001[1]!, f000[1]!, f100[2]!, f010[2]!, f001[2]!, f000[2]!, 0, 0, 0, 1)
  const mtx = invert4(forward)
  return mtx && forward.every(Number.isFinite) ? { forward, mtx } : undefined
}

/** The layers NiiVue composes (the volumes it has placed), background first. */
const layersOf = (nv: NiivueLayers) => nv.volumes.filter((v) => (v as unknown as { toRAS?: unknown }).toRAS)

/** Whether NiiVue draws this overlay with the plain uint8 orient shader whose uniforms are set here. */
function plainMask(v: LayerVolume): boolean {
  const frames = v.nFrame4D ?? 1
  return v.hdr.datatypeCode === DT_UINT8 && v.hdr.intent_code !== INTENT_LABEL && !v.colormapLabel && (v.modulationImage === null || v.modulationImage === undefined || v.modulationImage < 0) && !v.frame4D && frames <= 1 && !('alphaThreshold' in v)
}

/** What the overlay texture depends on besides the masks' voxels. */
function signature(nv: NiivueLayers, layers: NVImage[]): string | undefined {
  const parts: unknown[] = [nv.back?.dims, nv.opts.isAdditiveBlend, nv.volumes.length, layers[0]!.id]
  for (let l = 1; l < layers.length; l++) {
    const v = layers[l] as unknown as LayerVolume & { id: string }
    if (!plainMask(v)) return undefined
    const p = placement(nv, v)
    if (!p) return undefined
    parts.push(v.id, v.opacity, v.colormap, v.cal_min, v.cal_max, v.cal_minNeg, v.cal_maxNeg, v.colormapNegative, v.colormapType, v.hdr.scl_slope, v.hdr.scl_inter, v.hdr.dims.slice(1, 4), Array.from(p.mtx))
  }
  return JSON.stringify(parts)
}

/**
 * The lookup's placement when the only ROI layer lies on the background's own grid; null otherwise. Not for layers
 * blended over others: NiiVue samples the layers below with linear filtering, and on grids whose sizes are not powers
 * of two the neighbours weigh in by a last bit, so their colour depends on the place; those are drawn by the shader.
 */
function lookupOf(nv: NiivueLayers, layers: NVImage[]): State['lookup'] {
  if (layers.length !== 2) return null
  const v = layers[1] as unknown as LayerVolume
  const p = placement(nv, v)
  const map = p && voxelMapping(p.forward, v.hdr.dims.slice(1, 4), nv.back!.dims!.slice(1, 4))
  return map ? { map } : null
}

/** The background voxels (inclusive ranges) whose samples can fall in a layer's box: its corners mapped, one voxel of margin. */
function backBox(forward: Float32Array, layerDims: number[], box: VoxelBox, backDims: number[]): VoxelBox {
  const lo = [Infinity, Infinity, Infinity]
  const hi = [-Infinity, -Infinity, -Infinity]
  for (let c = 0; c < 8; c++) {
    const f = [0, 1, 2].map((a) => ((c >> a) & 1 ? box.max[a]! + 1 : box.min[a]!) / layerDims[a + 1]!)
    for (let r = 0; r < 3; r++) {
      const b = forward[r * 4]! * f[0]! + forward[r * 4 + 1]! * f[1]! + forward[r * 4 + 2]! * f[2]! + forward[r * 4 + 3]!
      lo[r] = Math.min(lo[r]!, b)
      hi[r] = Math.max(hi[r]!, b)
    }
  }
  const clamp = (x: number, a: number) => Math.max(0, Math.min(backDims[a + 1]! - 1, x))
  return {
    min: [0, 1, 2].map((a) => clamp(Math.floor(lo[a]! * backDims[a + 1]!) - 1, a)) as [number, number, number],
    max: [0, 1, 2].map((a) => clamp(Math.ceil(hi[a]! * backDims[a + 1]!), a)) as [number, number, number],
  }
}

export class OverlaySlabs {
  private states = new WeakMap<object, State>()
  /** The lookup's colours of a few slices, before they are uploaded. */
  private scratch = new Uint32Array(0)

  /**
   * After NiiVue's full refresh of the viewport: its overlay texture is complete. The mask textures of `stale` layers
   * (their masks changed in places no box told) are marked for a full upload, made when they are next needed (live
   * edits, one refresh a frame, do not pay for it) or by `prepare`.
   */
  adopt(niivue: Niivue, stale: ReadonlySet<NVImage>) {
    const nv = niivue as unknown as NiivueLayers
    const old = this.states.get(nv)
    const layers = layersOf(nv)
    const sig = nv.overlayTexture && layers.length >= 2 && nv.back?.dims ? signature(nv, layers) : undefined
    const masks = new Map<NVImage, WebGLTexture>()
    for (const [v, tex] of old?.masks ?? []) {
      if (sig && layers.includes(v)) masks.set(v, tex)
      else nv.gl.deleteTexture(tex)
    }
    if (!sig) {
      if (old?.zero) nv.gl.deleteTexture(old.zero)
      return void this.states.delete(nv)
    }
    const lookup = lookupOf(nv, layers)
    const outdated = new Set([...(old?.outdated ?? [])].filter((v) => masks.has(v)))
    for (const v of stale) if (masks.has(v)) outdated.add(v)
    // The shader's path reads the masks from textures of their own; the lookup's reads them where they are.
    if (!lookup) for (let l = 1; l < layers.length; l++) if (!masks.has(layers[l]!)) outdated.add(layers[l]!)
    this.states.set(nv, { overlay: nv.overlayTexture!, signature: sig, masks, outdated, zero: old?.zero, lookup })
  }

  /** Makes the mask textures marked for a full upload now, so that the next edit's refresh is quick. */
  prepare(niivue: Niivue) {
    const nv = niivue as unknown as NiivueLayers
    const st = this.states.get(nv)
    if (!st) return
    for (const v of st.outdated) this.fullUpload(nv.gl, st, v)
    st.outdated.clear()
  }

  private fullUpload(gl: GL, st: State, v: NVImage) {
    const lv = v as unknown as LayerVolume
    const [, nx, ny, nz] = lv.hdr.dims as [number, number, number, number]
    let tex = st.masks.get(v)
    if (!tex) st.masks.set(v, (tex = this.maskTexture(gl, nx, ny, nz)))
    this.upload(gl, tex, lv, { min: [0, 0, 0], max: [nx - 1, ny - 1, nz - 1] })
  }

  /**
   * Redraws the part of the overlay that the changed boxes (each in its layer's voxels) cover; false when a full
   * refresh is needed instead (the caller then refreshes and calls `adopt`).
   */
  refresh(niivue: Niivue, changes: ReadonlyMap<NVImage, VoxelBox>): 'lookup' | 'shader' | false {
    const nv = niivue as unknown as NiivueLayers
    const gl = nv.gl
    const st = this.states.get(nv)
    const shader = nv.orientShaderU
    const backDims = nv.back?.dims
    if (!st || !shader || !backDims || nv.overlayTexture !== st.overlay || gl.isContextLost()) return false
    const layers = layersOf(nv)
    if (layers.length < 2 || signature(nv, layers) !== st.signature) return false
    const lookup = st.lookup
    if (!lookup && layers.slice(1).some((v) => !st.masks.has(v) && !st.outdated.has(v))) return false
    if (!lookup) this.prepare(niivue)
    let box: VoxelBox | undefined
    for (const [v, b] of changes) {
      if (!layers.includes(v)) continue
      const lv = v as unknown as LayerVolume
      if (!lookup) this.upload(gl, st.masks.get(v)!, lv, b)
      const bb = backBox(placement(nv, lv)!.forward, lv.hdr.dims, b, backDims)
      box = box ? { min: [0, 1, 2].map((a) => Math.min(box!.min[a]!, bb.min[a]!)) as VoxelBox['min'], max: [0, 1, 2].map((a) => Math.max(box!.max[a]!, bb.max[a]!)) as VoxelBox['max'] } : bb
    }
    if (lookup) {
      lookup.colours ??= this.colours(nv, shader, st, layers)
      if (box) this.fill(nv, st, lookup.map, lookup.colours, layers[1]!, box)
      return 'lookup'
    }
    if (box) this.render(nv, shader, st, layers, { tex: st.overlay, dims: backDims, box, mask: (l) => st.masks.get(layers[l]!)!, mtx: (l) => placement(nv, layers[l] as unknown as LayerVolume)!.mtx })
    return 'shader'
  }

  /**
   * The lookup's two colours: NiiVue's orient shader, with the layer's uniforms, on a row of two voxels whose mask is
   * 0, 1 (read back once: it waits for the GPU work queued before).
   */
  private colours(nv: NiivueLayers, shader: OrientShader, st: State, layers: NVImage[]): Uint32Array {
    const gl = nv.gl
    const unit = gl.getParameter(gl.ACTIVE_TEXTURE) as number
    const out = this.blankTexture(gl, [3, 2, 1, 1])
    const mask = this.maskTexture(gl, 2, 1, 1)
    gl.activeTexture(gl.TEXTURE0 + TEX_ORIENT)
    gl.bindTexture(gl.TEXTURE_3D, mask)
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1)
    gl.texSubImage3D(gl.TEXTURE_3D, 0, 0, 0, 0, 2, 1, 1, gl.RED_INTEGER, gl.UNSIGNED_BYTE, Uint8Array.of(0, 1))
    this.render(nv, shader, st, layers, { tex: out, dims: [3, 2, 1, 1], box: { min: [0, 0, 0], max: [1, 0, 0] }, mask: () => mask, mtx: () => IDENTITY })
    const fb = gl.createFramebuffer()
    gl.bindFramebuffer(gl.FRAMEBUFFER, fb)
    gl.framebufferTextureLayer(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, out, 0, 0)
    const colours = new Uint32Array(2)
    gl.readPixels(0, 0, 2, 1, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(colours.buffer))
    gl.bindFramebuffer(gl.FRAMEBUFFER, null)
    gl.deleteFramebuffer(fb)
    gl.deleteTexture(out)
    gl.deleteTexture(mask)
    gl.activeTexture(unit)
    return colours
  }

  /**
   * The box's colours looked up from the layer's mask and uploaded into the overlay texture, a few slices at a time
   * through one reused buffer (a fresh 36 MB array for a 209³ box cost more in page faults than the lookup itself).
   */
  private fill(nv: NiivueLayers, st: State, map: VoxelMapping, colours: Uint32Array, layer: NVImage, box: VoxelBox) {
    const gl = nv.gl
    const [w, h] = [box.max[0] - box.min[0] + 1, box.max[1] - box.min[1] + 1]
    const slab = Math.max(1, Math.floor(FILL_WORDS / (w * h)))
    if (this.scratch.length < w * h * slab) this.scratch = new Uint32Array(w * h * slab)
    const unit = gl.getParameter(gl.ACTIVE_TEXTURE) as number
    gl.activeTexture(gl.TEXTURE0 + TEX_OVERLAY)
    gl.bindTexture(gl.TEXTURE_3D, st.overlay)
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1)
    for (let z = box.min[2]; z <= box.max[2]; z += slab) {
      const d = Math.min(slab, box.max[2] - z + 1)
      const words = this.scratch.subarray(0, w * h * d)
      fillBox(words, { min: [box.min[0], box.min[1], z], max: [box.max[0], box.max[1], z + d - 1] }, (layer as unknown as LayerVolume).img, map, colours)
      gl.texSubImage3D(gl.TEXTURE_3D, 0, box.min[0], box.min[1], z, w, h, d, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(words.buffer, 0, words.length * 4))
    }
    gl.activeTexture(unit)
  }

  private maskTexture(gl: GL, nx: number, ny: number, nz: number): WebGLTexture {
    const unit = gl.getParameter(gl.ACTIVE_TEXTURE) as number
    const tex = storage3D(gl, TEX_ORIENT, gl.NEAREST, gl.R8UI, nx, ny, nz)
    gl.bindTexture(gl.TEXTURE_3D, null)
    gl.activeTexture(unit)
    return tex
  }

  /** The mask's voxels in the box to its texture (read straight from the mask with the unpack row/image strides). */
  private upload(gl: GL, tex: WebGLTexture, v: LayerVolume, b: VoxelBox) {
    const [, nx, ny] = v.hdr.dims as [number, number, number]
    const [w, h, d] = [0, 1, 2].map((a) => b.max[a]! - b.min[a]! + 1) as [number, number, number]
    const unit = gl.getParameter(gl.ACTIVE_TEXTURE) as number
    gl.activeTexture(gl.TEXTURE0 + TEX_ORIENT)
    gl.bindTexture(gl.TEXTURE_3D, tex)
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1)
    gl.pixelStorei(gl.UNPACK_ROW_LENGTH, nx)
    gl.pixelStorei(gl.UNPACK_IMAGE_HEIGHT, ny)
    gl.pixelStorei(gl.UNPACK_SKIP_PIXELS, b.min[0])
    gl.pixelStorei(gl.UNPACK_SKIP_ROWS, b.min[1])
    const from = b.min[2] * nx * ny
    gl.texSubImage3D(gl.TEXTURE_3D, 0, b.min[0], b.min[1], b.min[2], w, h, d, gl.RED_INTEGER, gl.UNSIGNED_BYTE, v.img.subarray(from, from + d * nx * ny))
    gl.pixelStorei(gl.UNPACK_ROW_LENGTH, 0)
    gl.pixelStorei(gl.UNPACK_IMAGE_HEIGHT, 0)
    gl.pixelStorei(gl.UNPACK_SKIP_PIXELS, 0)
    gl.pixelStorei(gl.UNPACK_SKIP_ROWS, 0)
    gl.bindTexture(gl.TEXTURE_3D, null)
    gl.activeTexture(unit)
  }

  private blankTexture(gl: GL, dims: number[]): WebGLTexture {
    return storage3D(gl, TEX_BLEND, gl.LINEAR, gl.RGBA8, dims[1]!, dims[2]!, dims[3]!)
  }

  /**
   * Layer by layer as refreshLayers does, on the box only: slices box.min[2]..box.max[2] of the overlay texture, the
   * rest of each slice scissored away (the quad and its texture coordinates stay those of the whole slice).
   */
  private render(nv: NiivueLayers, shader: OrientShader, st: State, layers: NVImage[], target: Target) {
    const gl = nv.gl
    const unit = gl.getParameter(gl.ACTIVE_TEXTURE) as number
    const { dims, box } = target
    const overlay = target.tex
    st.zero ??= this.blankTexture(gl, [3, 2, 2, 2])
    let blend: WebGLTexture | undefined
    const fb = gl.createFramebuffer()
    const read = layers.length > 2 ? gl.createFramebuffer() : null
    gl.bindVertexArray(nv.genericVAO)
    gl.bindFramebuffer(gl.FRAMEBUFFER, fb)
    gl.disable(gl.CULL_FACE)
    gl.disable(gl.BLEND)
    gl.viewport(0, 0, dims[1]!, dims[2]!)
    gl.enable(gl.SCISSOR_TEST)
    const [x0, y0, z0] = box.min
    const [w, h] = [box.max[0] - x0 + 1, box.max[1] - y0 + 1]
    for (let l = 1; l < layers.length; l++) {
      const v = layers[l] as unknown as LayerVolume
      if (l > 1 && v.opacity === 0) continue
      // Layers above the first blend over the composite of those below: a copy of the overlay in the box, as NiiVue's.
      gl.disable(gl.SCISSOR_TEST)
      if (l > 1) {
        blend ??= this.blankTexture(gl, dims)
        gl.activeTexture(gl.TEXTURE0 + TEX_BLEND)
        gl.bindTexture(gl.TEXTURE_3D, blend)
        gl.bindFramebuffer(gl.READ_FRAMEBUFFER, read)
        for (let z = z0; z <= box.max[2]; z++) {
          gl.framebufferTextureLayer(gl.READ_FRAMEBUFFER, gl.COLOR_ATTACHMENT0, overlay, 0, z)
          gl.copyTexSubImage3D(gl.TEXTURE_3D, 0, x0, y0, z, x0, y0, w, h)
        }
        gl.bindFramebuffer(gl.READ_FRAMEBUFFER, null)
      }
      gl.enable(gl.SCISSOR_TEST)
      gl.scissor(x0, y0, w, h)
      const u = shader.uniforms
      shader.use(gl)
      gl.activeTexture(gl.TEXTURE0 + TEX_COLORMAPS)
      gl.bindTexture(gl.TEXTURE_2D, nv.colormapTexture)
      gl.uniform1f(u.cal_min ?? null, v.cal_min)
      gl.uniform1f(u.cal_max ?? null, v.cal_max)
      // configureColormapUniforms
      gl.uniform1i(u.isAlphaThreshold ?? null, v.colormapType === 1 ? 1 : 0)
      gl.uniform1i(u.isColorbarFromZero ?? null, v.colormapType !== 0 ? 1 : 0)
      gl.uniform1i(u.isAdditiveBlend ?? null, nv.opts.isAdditiveBlend ? 1 : 0)
      let mnNeg = Number.POSITIVE_INFINITY
      let mxNeg = Number.NEGATIVE_INFINITY
      if (v.colormapNegative.length > 0) {
        mnNeg = Math.min(-v.cal_min, -v.cal_max)
        mxNeg = Math.max(-v.cal_min, -v.cal_max)
        if (isFinite(v.cal_minNeg) && isFinite(v.cal_maxNeg)) {
          mnNeg = Math.min(v.cal_minNeg, v.cal_maxNeg)
          mxNeg = Math.max(v.cal_minNeg, v.cal_maxNeg)
        }
      }
      gl.uniform1f(u.layer ?? null, l)
      gl.uniform1f(u.cal_minNeg ?? null, mnNeg)
      gl.uniform1f(u.cal_maxNeg ?? null, mxNeg)
      gl.uniform1i(u.modulation ?? null, 0)
      // renderToOutputTexture
      gl.activeTexture(gl.TEXTURE0 + TEX_ORIENT)
      gl.bindTexture(gl.TEXTURE_3D, target.mask(l))
      gl.activeTexture(gl.TEXTURE0 + TEX_BLEND)
      gl.bindTexture(gl.TEXTURE_3D, l > 1 ? blend! : st.zero)
      gl.uniform1i(u.intensityVol ?? null, TEX_ORIENT)
      gl.uniform1i(u.blend3D ?? null, TEX_BLEND)
      gl.uniform1i(u.colormap ?? null, TEX_COLORMAPS)
      gl.uniform1f(u.scl_inter ?? null, v.hdr.scl_inter)
      gl.uniform1f(u.scl_slope ?? null, v.hdr.scl_slope)
      gl.uniform1f(u.opacity ?? null, v.opacity)
      gl.uniform1i(u.modulationVol ?? null, 7)
      gl.uniformMatrix4fv(u.mtx ?? null, false, target.mtx(l))
      gl.uniform4fv(u.xyzaFrac ?? null, [1 / dims[1]!, 1 / dims[2]!, 1 / dims[3]!, 0])
      for (let z = z0; z <= box.max[2]; z++) {
        gl.uniform1f(u.coordZ ?? null, (1 / dims[3]!) * (z + 0.5))
        gl.framebufferTextureLayer(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, overlay, 0, z)
        gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4)
      }
    }
    // Back to the state NiiVue leaves after a refresh.
    gl.disable(gl.SCISSOR_TEST)
    gl.activeTexture(gl.TEXTURE0 + TEX_ORIENT)
    gl.bindTexture(gl.TEXTURE_3D, null)
    gl.activeTexture(gl.TEXTURE0 + TEX_BLEND)
    gl.bindTexture(gl.TEXTURE_3D, null)
    if (blend) gl.deleteTexture(blend)
    gl.bindVertexArray(nv.unusedVAO)
    gl.viewport(0, 0, gl.canvas.width, gl.canvas.height)
    gl.bindFramebuffer(gl.FRAMEBUFFER, null)
    gl.deleteFramebuffer(fb)
    if (read) gl.deleteFramebuffer(read)
    gl.activeTexture(unit)
  }
}

/** A new 3-D texture with storage (contents zero), clamped at its edges, left bound on texture unit `unit`. */
function storage3D(gl: GL, unit: number, filter: number, format: number, nx: number, ny: number, nz: number): WebGLTexture {
  const tex = gl.createTexture()!
  gl.activeTexture(gl.TEXTURE0 + unit)
  gl.bindTexture(gl.TEXTURE_3D, tex)
  gl.texParameteri(gl.TEXTURE_3D, gl.TEXTURE_MIN_FILTER, filter)
  gl.texParameteri(gl.TEXTURE_3D, gl.TEXTURE_MAG_FILTER, filter)
  for (const wrap of [gl.TEXTURE_WRAP_R, gl.TEXTURE_WRAP_S, gl.TEXTURE_WRAP_T]) gl.texParameteri(gl.TEXTURE_3D, wrap, gl.CLAMP_TO_EDGE)
  gl.texStorage3D(gl.TEXTURE_3D, 1, format, nx, ny, nz)
  return tex
}
