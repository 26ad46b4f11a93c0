/**
 * The DICOM UID grammar (PS3.5 §9.1): components of digits separated by ".", no empty component, at most 64
 * characters. Leading zeros inside a component are tolerated (real equipment writes them); nothing else is.
 */
const UID = /^[0-9]+(\.[0-9]+)*$/

/** Why `uid` is not a DICOM UID, or undefined when it is one. */
export function uidProblem(uid: string): string | undefined {
  if (uid === '') return 'is empty'
  if (uid.length > 64) return `is ${uid.length} characters long (at most 64)`
  if (!UID.test(uid)) return 'is not digits separated by single dots'
  return undefined
}

export const isDicomUid = (uid: string): boolean => uidProblem(uid) === undefined

/**
 * What is wrong with the instance UIDs of a header (each named, e.g. `StudyInstanceUID ".." is not digits...`),
 * or [] when all three are UIDs. They name spool folders, files and bundle members: a bad one is refused.
 */
export function instanceUidProblems(h: { studyInstanceUid: string; seriesInstanceUid: string; sopInstanceUid: string }): string[] {
  const out: string[] = []
  for (const [name, uid] of [
    ['StudyInstanceUID', h.studyInstanceUid],
    ['SeriesInstanceUID', h.seriesInstanceUid],
    ['SOPInstanceUID', h.sopInstanceUid],
  ] as const) {
    const problem = uidProblem(uid)
    if (problem) out.push(`${name} ${JSON.stringify(uid.slice(0, 80))} ${problem}`)
  }
  return out
}

/** A new UID: "2.25." and a random UUID as one decimal number (PS3.5 B.2), at most 44 characters. */
export function newUid(): string {
  return `2.25.${BigInt(`0x${crypto.randomUUID().replace(/-/g, '')}`).toString(10)}`
}
