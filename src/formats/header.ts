/** The one header model every format reader produces (see registry.ts for the dispatch). */

export type FormatName = 'nifti1' | 'nifti2' | 'nrrd' | 'mgh' | 'gifti' | 'tck' | 'trk' | 'stl'

export type ImageKind = 'volume' | 'surface' | 'streamlines'

export interface ImageHeader {
  format: FormatName
  kind: ImageKind
  /** Volume: the dims the header declares in use (NIfTI dim[1..dim[0]], MGH drops a single frame). */
  dims?: number[]
  /** Spatial voxel size in mm, one per spatial axis (3 for 3-D and higher). */
  voxelSize?: number[]
  /** 4x4 voxel -> world (RAS+, mm) matrix, row-major, as nibabel's `img.affine`. */
  affine?: number[][]
  /** Voxel or point type: 'uint8', 'int16', 'int32', 'float32', 'float64', 'rgb24', ... */
  datatype?: string
  /** Surfaces. */
  vertices?: number
  triangles?: number
  /** Streamline count as the header states it. */
  streamlines?: number
  /** Format-specific fields worth keeping (description, intent, NRRD keys, data file...). */
  extra?: Record<string, unknown>
}
