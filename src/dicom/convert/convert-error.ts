import { NoraError } from '../../core/errors'

/** dcm2niix's exit codes (nii_dicom_batch.h), as a user reads them. */
const EXIT_MEANINGS: Record<number, string> = {
  1: 'conversion failed',
  2: 'no valid DICOM files found',
  4: 'a corrupt DICOM file was found',
  5: 'the input folder is invalid',
  6: 'the output folder is invalid',
  7: 'the output folder is read-only',
  8: 'some files converted, some did not',
  9: 'an output file could not be renamed',
  10: 'incomplete volumes were found',
  11: 'nothing to convert',
  12: 'invalid dcm2niix option',
}

/** Exit codes after which dcm2niix still wrote usable NIfTIs: the log names what it skipped. */
export const PARTIAL_SUCCESS_CODES: readonly number[] = [8, 10]

export function exitMeaning(code: number): string {
  return EXIT_MEANINGS[code] ?? `dcm2niix exited with code ${code}`
}

/** dcm2niix could not convert a series (bad input, a crash, a timeout). Carries dcm2niix's own log. */
export class ConvertError extends NoraError {
  override readonly status = 422
  constructor(
    message: string,
    readonly log: string[] = [],
    /** dcm2niix's exit code; null when it did not exit by itself (timeout, crash, worker lost). */
    readonly dcm2niixExitCode: number | null = null,
  ) {
    super(message)
  }

  /** The error for an exit code (or for "exited 0 but wrote no NIfTI"), quoting dcm2niix's last errors. */
  static fromExit(converter: string, exitCode: number, log: string[]): ConvertError {
    const why = exitCode === 0 ? 'dcm2niix wrote no NIfTI' : exitMeaning(exitCode)
    const hints = log.filter((l) => /^(error|warning)\b/i.test(l.trim())).slice(-2)
    return new ConvertError(`${converter}: ${why}${hints.length ? ` (${hints.join('; ')})` : ''}`, log, exitCode)
  }
}
