/**
 * The workstation's layout as kept in the browser (localStorage): the table's width, the file tree's height and the
 * tool panel's width (one for all projects), and per project the table's column widths and hidden columns. Pure
 * parsing and clamping here; what is stored is read back defensively (it may be old, edited or from another version).
 */

export interface PaneSizes {
  /** Width of the table side in px. */
  left?: number
  /** Height of the file tree in px. */
  tree?: number
  /** Width of the tool panel in px. */
  panel?: number
}

export interface ColumnState {
  /** Column key -> width in px, for the columns the user resized. */
  widths: Record<string, number>
  /** Keys of the hidden columns. */
  hidden: string[]
}

export const PANES_KEY = 'nora.ws.panes'
export const columnsKey = (project: string) => `nora.ws.columns.${project}`

/** The narrowest a column may be dragged. */
export const MIN_COLUMN = 28

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0

/** Stored pane sizes; anything that is not a positive number is dropped. */
export function parsePanes(text: string | null): PaneSizes {
  const v = parse(text)
  const out: PaneSizes = {}
  for (const k of ['left', 'tree', 'panel'] as const) if (finite(v[k])) out[k] = Math.round(v[k])
  return out
}

/** Stored column state; widths below the minimum are raised to it, unknown shapes dropped. */
export function parseColumns(text: string | null): ColumnState {
  const v = parse(text)
  const widths: Record<string, number> = {}
  if (v.widths && typeof v.widths === 'object' && !Array.isArray(v.widths)) {
    for (const [k, w] of Object.entries(v.widths as Record<string, unknown>)) if (finite(w)) widths[k] = Math.max(MIN_COLUMN, Math.round(w))
  }
  const hidden = Array.isArray(v.hidden) ? [...new Set(v.hidden.filter((k): k is string => typeof k === 'string'))] : []
  return { widths, hidden }
}

/** `value` clamped into [lo, hi]; when the range is empty (a tiny window) the lower bound wins. */
export function clamp(value: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, value))
}

function parse(text: string | null): Record<string, unknown> {
  if (!text) return {}
  try {
    const v: unknown = JSON.parse(text)
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

/** localStorage, or nothing when the browser refuses it (private mode, quota): the layout is then not kept. */
export function load(key: string): string | null {
  try {
    return localStorage.getItem(key)
  } catch {
    return null
  }
}

export function save(key: string, value: unknown): void {
  try {
    if (value === undefined) localStorage.removeItem(key)
    else localStorage.setItem(key, JSON.stringify(value))
  } catch {
    /* not kept */
  }
}
