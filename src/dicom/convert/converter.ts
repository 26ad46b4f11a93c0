/** What a caller may choose of dcm2niix's output. */
export interface ConvertOptions {
  /** dcm2niix's -f pattern (default %s_%p: series number, protocol). */
  filename?: string
  /** -ba y: anonymised JSON sidecars. */
  anonymize?: boolean
  /** -z y: gzip the NIfTI (.nii.gz); default n. */
  compress?: boolean
}

export interface ConvertResult {
  /** Absolute paths of the .nii/.nii.gz/.json/.bval/.bvec files this conversion wrote, sorted. */
  outputs: string[]
  /** dcm2niix's own messages, one line each. */
  log: string[]
  /** dcm2niix's exit code: 0, or 8/10 when some files or volumes were skipped (the log says which). */
  exitCode: number
}

/** DICOM files of one series in, NIfTI (+ JSON sidecars) out. Failures throw ConvertError. */
export interface Converter {
  readonly kind: 'builtin' | 'native'
  /** dcm2niix's version, e.g. v1.0.20241231. */
  version(): Promise<string>
  convertSeries(inputFiles: string[], outDir: string, opts?: ConvertOptions): Promise<ConvertResult>
}

export const DEFAULT_FILENAME = '%s_%p'

/** dcm2niix's arguments for one conversion of the folder `inDir` into `outDir`, with BIDS sidecars. */
export function dcm2niixArgs(inDir: string, outDir: string, opts: ConvertOptions = {}): string[] {
  return [
    '-b', 'y',
    '-ba', opts.anonymize ? 'y' : 'n',
    '-z', opts.compress ? 'y' : 'n',
    '-f', opts.filename ?? DEFAULT_FILENAME,
    '-o', outDir,
    inDir,
  ]
}
