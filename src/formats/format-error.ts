import { NoraError } from '../core/errors'

/**
 * A file is not a valid image of the format it claims (or of any format we take).
 * The message names the file and the header field: `anatomical.nii: dim[0]: expected 1-7, got 12`.
 */
export class FormatError extends NoraError {
  override readonly status = 422
  /** What was wrong, without the file and field prefix. */
  readonly reason: string

  constructor(
    readonly file: string,
    readonly field: string,
    message: string,
  ) {
    super(`${file}: ${field}: ${message}`)
    this.reason = message
  }
}
