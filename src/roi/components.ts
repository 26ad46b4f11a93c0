import { floodFill } from './flood-fill'
import { RoiError } from './roi-error'
import { type Connectivity, type Dims, type Mask, checkDims, checkMask } from './volume'

export interface Labels {
  /** 0 = background, 1..count = the component of each voxel, numbered in voxel-index order of their first voxel. */
  labels: Int32Array
  count: number
  /** sizes[l] = voxels of component l (sizes[0] = 0). */
  sizes: Int32Array
}

/** Connected components of a mask (6 or 26 connectivity), like scipy.ndimage.label (numbering may differ). */
export function label(mask: Mask, dims: Dims, connectivity: Connectivity = 6): Labels {
  checkDims(dims)
  checkMask(mask, dims)
  if (connectivity !== 6 && connectivity !== 26) throw new RoiError(`connectivity must be 6 or 26, got ${connectivity}`)
  const state = new Uint8Array(mask.length)
  for (let v = 0; v < mask.length; v++) state[v] = mask[v] !== 0 ? 1 : 0
  const labels = new Int32Array(mask.length)
  const sizes: number[] = [0]
  for (let v = 0; v < state.length; v++) {
    if (state[v] !== 1) continue
    sizes.push(floodFill(state, dims, v, connectivity, 2, labels, sizes.length))
  }
  return { labels, count: sizes.length - 1, sizes: Int32Array.from(sizes) }
}

/** The mask without its connected components of fewer than `minVoxels` voxels ("remove salt"). */
export function removeSalt(mask: Mask, dims: Dims, minVoxels: number, connectivity: Connectivity = 6): Mask {
  if (!Number.isInteger(minVoxels) || minVoxels < 0) throw new RoiError(`the minimum component size must be a whole number of voxels >= 0, got ${minVoxels}`)
  const { labels, sizes } = label(mask, dims, connectivity)
  const out = new Uint8Array(mask.length)
  for (let v = 0; v < out.length; v++) {
    const l = labels[v]!
    out[v] = l !== 0 && sizes[l]! >= minVoxels ? 1 : 0
  }
  return out
}
