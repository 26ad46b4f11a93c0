import type { ReadingResultRow } from '../store/repos/readings-repo'
import type { ResultView } from './blind'
import type { ResultRoiView } from './result-rois'
import type { CsvResult } from './results-csv'

/** A stored result as the results list shows it (with its ROIs, when the reading keeps any). */
export function viewOf(r: ReadingResultRow, rois?: ResultRoiView[]): ResultView {
  return {
    id: r.id,
    user: r.username,
    mode: r.mode,
    caseKey: r.caseKey,
    pid: r.patientsId,
    sid: r.studiesId,
    studyPath: r.studyPath,
    repetition: r.repetition,
    stage: r.stage,
    values: JSON.parse(r.values) as Record<string, unknown>,
    annotations: JSON.parse(r.annotations),
    startedAt: new Date(r.startedAt).toISOString(),
    submittedAt: new Date(r.submittedAt).toISOString(),
    seconds: r.secondsSpent,
    ...(rois ? { rois } : {}),
  }
}

/** A stored result as a CSV row. */
export function csvRowOf(r: ReadingResultRow, rois?: ResultRoiView[]): CsvResult {
  return {
    user: r.username,
    mode: r.mode,
    caseKey: r.caseKey,
    patientsId: r.patientsId,
    studiesId: r.studiesId,
    studyPath: r.studyPath,
    repetition: r.repetition,
    stage: r.stage,
    startedAt: r.startedAt,
    submittedAt: r.submittedAt,
    seconds: r.secondsSpent,
    values: JSON.parse(r.values) as Record<string, unknown>,
    annotations: JSON.parse(r.annotations),
    ...(rois ? { rois } : {}),
  }
}
