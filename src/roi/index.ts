/**
 * The ROI engine: pure volume math on typed arrays, bundled into the browser's ROI tool and used by `nora roi`.
 * Conventions (grid, mask, image, voxel order) in volume.ts. Nothing here touches files, the DOM or Node.
 */
export * from './volume'
export { RoiError } from './roi-error'
export { threshold } from './threshold'
export { regionGrow, checkSeed } from './region-grow'
export { brush, paintVoxels, penVoxels, type PenMode, type PenShape } from './brush'
export { magicRange, rangePen, rangePenVoxels, type RangePen } from './range-pen'
export { close, dilate, erode, morph, open, type MorphOp } from './morphology'
export { diff, intersect, setOp, union, type SetOp } from './set-ops'
export { label, removeSalt, type Labels } from './components'
export { stats, type RoiStats, type StatsOptions } from './stats'
export { resample, type Interpolation } from './resample'
export { centreOfGravity } from './centre-of-gravity'
export { fillPolygon } from './polygon'
export { floodFill } from './flood-fill'
