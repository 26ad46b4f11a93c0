/**
 * The transform engine: world-space affine matrices, resampling onto a common grid, displacement fields (markers,
 * keypoint pairs, warping) and NIfTI writing after a transform. Pure TypeScript for the browser's navigation tool
 * and `nora transform`: nothing here touches files, the DOM or Node. Points and matrices are RAS+ mm (see
 * matrix.ts and displacement.ts for the conventions).
 */
export * from './matrix'
export * from './grids'
export * from './displacement'
export { sampleVoxel, type Interpolation } from './sample'
export { quaternionOf, withAffine, encodeResampled, encodeField, decodeField } from './nifti-write'
export { TransformError } from './transform-error'
