import { uidProblem } from '../dicom/uid'

/**
 * Names of the receiver's spool folders. A study's folder is its StudyInstanceUID (checked against the DICOM UID
 * grammar first: digits and dots only, so it can never be "", "." or ".." nor hold a separator); an instance that
 * arrives after the study was handed over opens `<UID>_<ms>`. The "_" cannot occur in a UID, so the folders of
 * study 1.2 are never confused with those of study 1.2.3 (a "." suffix made 1.2.1700000000 look like both).
 */

/** The spool folder name of a study (a late arrival's when `lateAt` is given); throws on a UID that is not one. */
export function spoolKey(studyUid: string, lateAt?: number): string {
  const problem = uidProblem(studyUid)
  if (problem) throw new Error(`StudyInstanceUID ${JSON.stringify(studyUid.slice(0, 80))} ${problem}`)
  return lateAt === undefined ? studyUid : `${studyUid}_${Math.trunc(lateAt)}`
}

/** The StudyInstanceUID a spool folder name belongs to ("1.2_1700000000" -> "1.2"); the name itself otherwise. */
export function studyOfSpoolKey(key: string): string {
  const m = /^([0-9.]+)_\d+$/.exec(key)
  return m ? m[1]! : key
}
