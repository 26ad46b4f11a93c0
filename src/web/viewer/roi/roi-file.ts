/**
 * An ROI as a file: the engine's uint8 NIfTI-1 mask (src/roi/nifti-mask.ts) with the reference header's geometry
 * (dims, pixdim, units, qform and sform as NiiVue read them), gzip-compressed by the browser (CompressionStream).
 */
import type { NiftiFields } from '../../../formats/nifti-fields'
import { encodeNiftiMask } from '../../../roi/nifti-mask'
import type { Roi } from './roi'

/** What NiiVue keeps of a NIfTI header (nifti-reader-js's NIFTI1 fields). */
export interface NiivueHeader {
  dims: number[]
  pixDims: number[]
  affine: number[][]
  qform_code?: number
  sform_code?: number
  quatern_b?: number
  quatern_c?: number
  quatern_d?: number
  qoffset_x?: number
  qoffset_y?: number
  qoffset_z?: number
  xyzt_units?: number
}

/**
 * The geometry fields of the reference's header for the mask writer. The srows are the affine NiiVue shows the
 * image with; when the header has neither qform nor sform, they are written as an sform (code 2) so the mask is
 * placed where the viewer showed it.
 */
export function geometryFields(h: NiivueHeader): NiftiFields {
  const q = h.qform_code ?? 0
  const s = h.sform_code ?? 0
  return {
    version: 1,
    littleEndian: true,
    magic: 'n+1',
    headerSize: 348,
    dim: h.dims.slice(0, 8),
    pixdim: h.pixDims.slice(0, 8),
    datatype: 2,
    voxOffset: 352,
    sclSlope: 1,
    sclInter: 0,
    intentCode: 0,
    intentName: '',
    descrip: '',
    auxFile: '',
    qformCode: q,
    sformCode: s > 0 ? s : q > 0 ? 0 : 2,
    quatern: [h.quatern_b ?? 0, h.quatern_c ?? 0, h.quatern_d ?? 0],
    qoffset: [h.qoffset_x ?? 0, h.qoffset_y ?? 0, h.qoffset_z ?? 0],
    srow: h.affine.slice(0, 3).map((r) => r.slice(0, 4)),
    xyztUnits: h.xyzt_units ?? 10,
    glmin: 0,
  }
}

/** The ROI's NIfTI bytes (uncompressed). */
export function roiNifti(roi: Roi): Uint8Array {
  return encodeNiftiMask(roi.mask, geometryFields(roi.header), `nora ROI ${roi.name}`.slice(0, 79))
}

export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream('gzip'))
  return new Uint8Array(await new Response(stream).arrayBuffer())
}

/** A file name from an ROI name: letters, digits, dot, dash and underscore; never empty. */
export function safeRoiName(name: string): string {
  const s = name.trim().replace(/\.nii(\.gz)?$/i, '').replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '')
  return s.slice(0, 100) || 'roi'
}

/** Downloads the ROI as NAME.nii.gz. */
export async function downloadRoi(roi: Roi): Promise<void> {
  const gz = await gzip(roiNifti(roi))
  const a = document.createElement('a')
  a.href = URL.createObjectURL(new Blob([gz as BlobPart], { type: 'application/gzip' }))
  a.download = `${safeRoiName(roi.name)}.nii.gz`
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000)
}
