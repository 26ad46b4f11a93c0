import { createHmac } from 'node:crypto'

/**
 * Blind mode: what the reading API returns about cases and results carries no names, IDs or dates, no other reader's
 * result and no earlier result. Cases are named by an opaque token (a keyed hash of the case key, stable for the
 * reading, so a reader's progress survives new sessions) that only the server maps back; labels are neutral
 * ("Case 3"); file paths are given inside the study only.
 */

/** The opaque token of a case (`c` + 20 hex digits of HMAC-SHA256 under the reading's own key). */
export function caseToken(blindKey: string, caseKey: string): string {
  return `c${createHmac('sha256', blindKey).update(caseKey).digest('hex').slice(0, 20)}`
}

export interface SessionCase {
  index: number
  caseKey: string
  repetition: number
  stage: number
  pid: string
  sid: string
  studyPath: string
  label: string
  done: boolean
}

/** A case as a blind reader sees it: the token for key and ids, no path beyond the image inside the study, "Case N". */
export function blindCase(c: SessionCase, blindKey: string, image?: string): SessionCase {
  const token = caseToken(blindKey, c.caseKey)
  return { index: c.index, caseKey: token, repetition: c.repetition, stage: c.stage, pid: token, sid: token, studyPath: image ?? '', label: `Case ${c.index + 1}`, done: c.done }
}

export interface ResultView {
  id: number
  user: string
  mode: string
  caseKey: string
  pid: string
  sid: string
  studyPath: string
  repetition: number
  stage: number
  values: Record<string, unknown> | null
  annotations: unknown
  startedAt: string
  submittedAt: string
  seconds: number
  /** The ROIs saved with the result (readings that take ROIs). */
  rois?: { n: number; name: string; file: string; voxels: number; ml: number; url: string }[]
}

/**
 * The results a blind reader may see of their own: which case slots are done (by token) and nothing of what they
 * answered or when (earlier results would sway the next reading); other readers' results never reach them.
 */
export function blindResults(rows: readonly ResultView[], blindKey: string, reader: string): ResultView[] {
  return rows
    .filter((r) => r.user === reader)
    .map((r) => {
      const token = caseToken(blindKey, r.caseKey)
      return { id: r.id, user: r.user, mode: r.mode, caseKey: token, pid: token, sid: token, studyPath: '', repetition: r.repetition, stage: r.stage, values: null, annotations: null, startedAt: '', submittedAt: '', seconds: 0, ...(r.rois ? { rois: [] } : {}) }
    })
}
