import type { Niivue } from '@niivue/niivue'

/**
 * NiiVue (0.69) makes some of its RGBA 3D textures "initialised": rgbaTex(..., isInit = true) allocates a zero-filled
 * array of the texture's size and uploads it. For the gradient pass of a 256^3 background that is 64 MB of zeros sent
 * through the GPU process on every load, although WebGL 2 already gives every new texture's storage zero contents
 * (the browser clears it lazily, on the GPU side, before first use). Without a GPU (SwiftShader) that upload was as
 * long as the volume's own. This allocates such textures without the upload; what NiiVue reads from them is the same
 * zeros. A NiiVue without rgbaTex is left alone.
 */
export function skipZeroUploads(nv: Niivue): void {
  const n = nv as any
  const rgbaTex = n.rgbaTex
  if (typeof rgbaTex !== 'function') return
  n.rgbaTex = function (texID: WebGLTexture | null, activeID: number, dims: number[]) {
    return rgbaTex.call(this, texID, activeID, dims, false)
  }
}
