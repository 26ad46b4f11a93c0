import { NoraError } from '../core/errors'

/** Bad input to the ROI engine: mismatched sizes or geometry, a seed outside the volume, a bad parameter. */
export class RoiError extends NoraError {}
