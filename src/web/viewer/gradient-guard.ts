import type { Niivue } from '@niivue/niivue'

/** The WebGL programs NiiVue 0.69's gradientGL draws with (a blur, then a Sobel pass, one draw per slice each). */
const GRADIENT_SHADERS = ['blurShader', 'gradientPrePassShader', 'sobelFirstOrderShader', 'sobelSecondOrderShader']

/**
 * NiiVue (0.69) recomputes a gradient texture of the whole background volume on every refreshLayers (each load, each
 * window or colormap change), although only its lit volume rendering reads it: gradientAmount > 0
 * (setVolumeRenderIllumination) or gradientOpacity > 0. nora uses neither; its 3D view uses the plain render shader.
 * Without a GPU (SwiftShader) those 2 x 256 draws were ~75% of the time to show a 256^3 volume (bench/viewer.ts).
 *
 * This skips the gradient draws made inside refreshLayers while nothing reads the gradient, and computes the
 * gradient when something starts to (setVolumeRenderIllumination refreshes the layers itself; setGradientOpacity does
 * not when the illumination is 0, so it is wrapped). Other users of these shaders (blurDrawingGL for smoothed
 * drawings) run outside refreshLayers and are untouched. A NiiVue without these fields is left alone.
 */
export function skipUnusedGradient(nv: Niivue): void {
  const n = nv as any
  const gl = nv.gl
  if (!gl || typeof n.refreshLayers !== 'function' || typeof n.gradientGL !== 'function') return
  const programs = new Set<WebGLProgram>(GRADIENT_SHADERS.map((k) => n[k]?.program).filter(Boolean))
  if (programs.size === 0) return
  const needed = () => n.gradientTextureAmount > 0 || n.opts?.gradientOpacity > 0 || n.renderGradientValues === true
  let current: WebGLProgram | null = null
  let inRefresh = false
  let stale = false
  const skipping = () => inRefresh && current !== null && programs.has(current) && !needed()

  const useProgram = gl.useProgram.bind(gl)
  const drawArrays = gl.drawArrays.bind(gl)
  const checkFramebufferStatus = gl.checkFramebufferStatus.bind(gl)
  gl.useProgram = (p) => {
    current = p
    useProgram(p)
  }
  gl.drawArrays = (mode, first, count) => {
    if (skipping()) {
      stale = true
      return
    }
    if (current && programs.has(current) && inRefresh) stale = false
    drawArrays(mode, first, count)
  }
  // Each check is a round trip to the GPU process; the skipped passes need none.
  gl.checkFramebufferStatus = (target) => (skipping() ? gl.FRAMEBUFFER_COMPLETE : checkFramebufferStatus(target))

  const refreshLayers = n.refreshLayers
  n.refreshLayers = function (...args: unknown[]) {
    inRefresh = true
    try {
      return refreshLayers.apply(this, args)
    } finally {
      inRefresh = false
    }
  }
  const setGradientOpacity = n.setGradientOpacity
  if (typeof setGradientOpacity === 'function') {
    n.setGradientOpacity = async function (...args: unknown[]) {
      await setGradientOpacity.apply(this, args)
      if (stale && needed() && n.back?.hdr) {
        n.gradientGL(n.back.hdr)
        stale = false
        nv.drawScene()
      }
    }
  }
}
