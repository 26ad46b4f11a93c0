/** The pure parts of a desktop drop: where the files go, and how they are described. */

export type DropTarget = { native: true } | { native: false; psid: string; folder: string }

/** The target of a drop from the dialog's fields, or what is wrong with them. */
export function dropTarget(native: boolean, psid: string, folder: string): DropTarget | string {
  if (native) return { native: true }
  const p = psid.trim()
  if (!/^[^#]+#[^#]+$/.test(p)) return 'give the target study as PATIENTS_ID#STUDIES_ID, or choose "use native PID"'
  return { native: false, psid: p, folder: folder.trim() }
}

/** True when every name looks like DICOM or an archive of it (.dcm, .zip, .tar, .tgz, .tar.gz, or no extension). */
export function looksDicomOnly(names: string[]): boolean {
  return names.every((n) => /\.(dcm|zip|tar|tgz|tar\.gz)$/i.test(n) || !/\.\w+$/.test(n))
}

/** 1536 -> "1.5 KB". */
export function humanSize(n: number): string {
  return n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1048576).toFixed(1)} MB`
}
