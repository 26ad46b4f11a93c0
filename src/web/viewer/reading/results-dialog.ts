/**
 * The List button: a reading's results in a table (reading admins: every reader's; readers: their own), one row
 * per reader × case × repetition, and the CSV download link. Values are shown as text; a result's ROIs (readings
 * that keep them) as their names, voxels and volume, each with a download link and "open" (onto the viewer).
 */
import { withBase } from '../../shared/base-path'
import { messageOf } from '../../shared/dom'
import type { ReadingApi, ReadingSummary } from './reading-api'
import { el } from './elements'

/** Rows of the results answer: a list of objects, or { results: [...] } / { rows: [...] }. Nested values are flattened (values.x -> x). */
export function resultRows(body: unknown): Record<string, unknown>[] {
  const list = Array.isArray(body) ? body : body && typeof body === 'object' ? ((body as { results?: unknown; rows?: unknown }).results ?? (body as { rows?: unknown }).rows) : undefined
  if (!Array.isArray(list)) return []
  return list.map((r) => {
    const row: Record<string, unknown> = {}
    for (const [k, v] of Object.entries((r ?? {}) as Record<string, unknown>)) {
      if (k === 'values' && v && typeof v === 'object' && !Array.isArray(v)) for (const [vk, vv] of Object.entries(v)) row[vk] = vv
      else row[k] = v
    }
    return row
  })
}

const isPoint = (p: unknown): p is { label?: unknown; position: number[] } => !!p && typeof p === 'object' && Array.isArray((p as { position?: unknown }).position)

/** A cell's text: numbers and strings as they are, marker points as "p1 (x, y, z)", other objects as compact JSON. */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return ''
  if (Array.isArray(v) && v.length && v.every(isPoint)) return v.map((p) => `${String(p.label ?? '')} (${p.position.map((x) => Number(x).toFixed(1)).join(', ')})`).join('; ')
  return typeof v === 'object' ? JSON.stringify(v) : String(v)
}

/** The columns first shown (who, what, when), then the form's values, then the rest; annotations and ids left out. */
const FIRST = ['user', 'mode', 'caseKey', 'repetition', 'stage', 'seconds', 'submittedAt']
const FIXED = new Set([...FIRST, 'id', 'pid', 'sid', 'studyPath', 'startedAt', 'annotations', 'values', 'rois'])
export function resultColumns(rows: Record<string, unknown>[], valueNames: string[]): string[] {
  const present = new Set(rows.flatMap((r) => Object.keys(r)))
  const values = valueNames.filter((n) => present.has(n))
  const rest = [...present].filter((c) => !FIXED.has(c) && !values.includes(c))
  return [...FIRST.filter((c) => present.has(c)), ...values, ...rest, ...['rois', 'startedAt', 'studyPath'].filter((c) => present.has(c))]
}

export interface ResultRoi {
  n: number
  name: string
  voxels: number
  ml: number
  url: string
}

const isRoi = (x: unknown): x is ResultRoi => !!x && typeof x === 'object' && typeof (x as ResultRoi).url === 'string' && typeof (x as ResultRoi).name === 'string'

export type OpenRoi = (roi: ResultRoi, result: Record<string, unknown>) => void

/** A result's ROIs: "name: N voxels, V ml" with a download link and, given `open`, a button that shows it on its case. */
export function roisCell(v: unknown, result: Record<string, unknown>, open?: OpenRoi): HTMLTableCellElement {
  const td = el('td', 'reading-rois')
  for (const r of Array.isArray(v) ? v.filter(isRoi) : []) {
    const line = el('div', 'reading-roi')
    line.dataset.readingRoi = r.name
    line.append(el('span', '', `${r.name}: ${r.voxels} voxels, ${Number(r.ml).toFixed(3)} ml `))
    const a = el('a', '', 'download')
    a.href = withBase(r.url)
    a.download = `${r.name}.nii.gz`
    line.append(a)
    if (open) {
      const b = el('button', 'link', 'open')
      b.type = 'button'
      b.title = "show this ROI on its case's image (viewport 1)"
      b.addEventListener('click', () => {
        td.closest('dialog')?.close()
        open(r, result)
      })
      line.append(' ', b)
    }
    td.append(line)
  }
  return td
}

export async function showResults(api: ReadingApi, r: ReadingSummary, csvHref: (url: string) => string, open?: OpenRoi): Promise<void> {
  let dialog = document.getElementById('reading-results') as HTMLDialogElement | null
  if (!dialog) {
    dialog = el('dialog', 'reading-results')
    dialog.id = 'reading-results'
    document.body.append(dialog)
  }
  const close = el('button', '', 'Close')
  close.type = 'button'
  close.addEventListener('click', () => dialog!.close())
  const csv = el('a', 'reading-csv', 'download CSV')
  csv.href = csvHref(api.csvUrl(r.id))
  csv.download = `reading-${r.id}.csv`
  csv.dataset.readingCsv = ''
  // In a blind reading only its admins export results (the server refuses readers).
  csv.hidden = r.mode === 'blind' && !r.isAdmin
  const head = el('div', 'reading-results-head')
  head.append(el('h3', '', `Results: ${r.name}`), el('span', 'muted', r.isAdmin ? 'all readers' : 'your results'), csv, close)
  const body = el('div', 'reading-results-body', 'loading…')
  dialog.replaceChildren(head, body)
  if (!dialog.open) dialog.showModal()
  try {
    const raw = await api.results(r.id)
    const rows = resultRows(raw)
    if (!rows.length) return void (body.textContent = 'No results yet.')
    const valueNames = [...new Set((Array.isArray(raw) ? raw : []).flatMap((x: { values?: unknown }) => (x?.values && typeof x.values === 'object' ? Object.keys(x.values) : [])))]
    const cols = resultColumns(rows, valueNames)
    const table = el('table', 'reading-results-table')
    const tr = el('tr')
    for (const c of cols) tr.append(el('th', '', c))
    const thead = el('thead')
    thead.append(tr)
    const tbody = el('tbody')
    for (const row of rows) {
      const line = el('tr')
      for (const c of cols) line.append(c === 'rois' ? roisCell(row[c], row, open) : el('td', '', cellText(row[c])))
      tbody.append(line)
    }
    table.append(thead, tbody)
    body.replaceChildren(table, el('p', 'muted', `${rows.length} result${rows.length === 1 ? '' : 's'}`))
  } catch (e) {
    body.textContent = `could not load the results: ${messageOf(e)}`
  }
}
