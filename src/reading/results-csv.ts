import { cellOf, type FormInput } from './form'

/**
 * A reading's results as CSV (RFC 4180: comma, CRLF, quotes doubled): one row per reader × case × repetition (and
 * stage), with mode, times (ISO 8601, UTC) and active seconds, then every form item's value in a column of its own
 * (in form order; markers as JSON), then the annotations (JSON), and, for readings that keep ROIs with their results,
 * an `rois` column: the result's ROIs as JSON ([{n, name, file, voxels, ml}]). Values that a spreadsheet would run as a formula
 * (starting with = + - @) get a leading apostrophe.
 */

export interface CsvResult {
  user: string
  mode: string
  caseKey: string
  patientsId: string
  studiesId: string
  studyPath: string
  repetition: number
  stage: number
  startedAt: number
  submittedAt: number
  seconds: number
  values: Record<string, unknown>
  annotations: unknown
  /** The result's ROIs (readings that take ROIs). */
  rois?: { n: number; name: string; file: string; voxels: number; ml: number }[]
}

export const CSV_FIXED_COLUMNS = ['reader', 'mode', 'case', 'patients_id', 'studies_id', 'study_path', 'repetition', 'stage', 'started_at', 'submitted_at', 'seconds'] as const

function quote(cell: string): string {
  const safe = /^[=+\-@\t\r]/.test(cell) && !/^-?[0-9.]+(e-?[0-9]+)?$/i.test(cell) ? `'${cell}` : cell
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}

export function resultsCsv(inputs: readonly FormInput[], rows: readonly CsvResult[], withRois = false): string {
  const header = [...CSV_FIXED_COLUMNS, ...inputs.map((i) => i.name), 'annotations', ...(withRois ? ['rois'] : [])]
  const lines = [header.map(quote).join(',')]
  for (const r of rows) {
    const cells = [
      r.user,
      r.mode,
      r.caseKey,
      r.patientsId,
      r.studiesId,
      r.studyPath,
      String(r.repetition),
      String(r.stage),
      new Date(r.startedAt).toISOString(),
      new Date(r.submittedAt).toISOString(),
      String(r.seconds),
      ...inputs.map((i) => cellOf(r.values[i.name])),
      r.annotations === null || r.annotations === undefined || (typeof r.annotations === 'object' && Object.keys(r.annotations as object).length === 0) ? '' : JSON.stringify(r.annotations),
      ...(withRois ? [r.rois?.length ? JSON.stringify(r.rois.map(({ n, name, file, voxels, ml }) => ({ n, name, file, voxels, ml }))) : ''] : []),
    ]
    lines.push(cells.map(quote).join(','))
  }
  return `${lines.join('\r\n')}\r\n`
}
