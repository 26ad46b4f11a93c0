import { NoraError } from '../core/errors'

/** Bad input to the transform engine: a singular matrix, a malformed matrix file or field, a bad parameter. */
export class TransformError extends NoraError {}
