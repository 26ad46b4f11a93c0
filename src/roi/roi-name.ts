/**
 * What an ROI's name may be, the same rule as the archive's other names (src/archive/roi-store.ts, annotation names):
 * letters, digits, '-', '_' and '.', starting with a letter or digit, no '..', at most 100 characters; a trailing
 * .nii / .nii.gz is dropped. The browser checks it when an ROI is renamed, so a name that saves is the name shown.
 */
export const ROI_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/

/** The name without a trailing .nii / .nii.gz, or an error message saying what is wrong and what to do. */
export function checkRoiName(raw: string): { name: string } | { problem: string } {
  const name = raw.replace(/\.nii(\.gz)?$/i, '')
  if (ROI_NAME.test(name) && !name.includes('..')) return { name }
  return { problem: `ROI name ${JSON.stringify(raw.slice(0, 80))} is not allowed: use letters, digits, "-", "_" and "." (not leading, no ".."), at most 100 characters` }
}
