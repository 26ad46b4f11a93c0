// The table's columns: widths (drag a header's right border; double-click it for the default) and hidden columns
// (the "columns" menu), kept per project in localStorage. The filter row and the result rows are two tables with the
// same <colgroup>; both get the same widths, and their width is the sum of the visible columns, so the table scrolls
// sideways inside its pane instead of squeezing every column into an ellipsis. A column without a stored width gets
// its default, widened until its header fits; a wider pane gives its spare width to the description.
import { targetOf } from '../shared/dom'
import { trackDrag } from './drag'
import { columnsKey, load, MIN_COLUMN, parseColumns, save, type ColumnState } from './layout-state'

/** Default widths in px (the header may ask for more). */
const DEFAULTS: Record<string, number> = {
  patients_id: 96,
  name: 120,
  birth_date: 80,
  studies_id: 110,
  study_date: 80,
  description: 170,
  modality: 64,
  tags: 110,
  jobs: 48,
  check: 28,
}
const FALLBACK = 90
/** The column that takes the pane's spare width. */
const FLEX = 'description'
/** The table panes whose width is watched (a new one comes with every project). */
const watched = new WeakSet<Element>()

const project = () => document.querySelector<HTMLElement>('.workstation')?.dataset.project ?? ''
const tables = () => [...document.querySelectorAll<HTMLTableElement>('#table-region table.studies')]
const headerCell = (key: string) => document.querySelector<HTMLElement>(`#table-results thead th[data-col="${CSS.escape(key)}"]`)

function stored(): ColumnState {
  return parseColumns(load(columnsKey(project())))
}

/** How many px a header cell's text lacks to show whole (0 when it fits). */
function lacking(th: HTMLElement): number {
  let need = Math.max(0, th.scrollWidth - th.clientWidth)
  for (const el of th.querySelectorAll<HTMLElement>('.label, .th-label')) need = Math.max(need, el.scrollWidth - el.clientWidth)
  return need
}

/** Sets widths and visibility on both tables; columns without a stored width are fitted to their headers. */
export function applyColumns(state: ColumnState = stored()): void {
  const all = tables()
  if (!all.length) return
  const keys = [...all[0]!.querySelectorAll<HTMLElement>('col[data-col]')].map((c) => c.dataset.col!)
  const widths: Record<string, number> = {}
  for (const k of keys) widths[k] = state.widths[k] ?? DEFAULTS[k] ?? FALLBACK
  const hidden = new Set(state.hidden.filter((k) => k !== 'check'))
  const paint = () => {
    const total = keys.reduce((sum, k) => sum + (hidden.has(k) ? 0 : widths[k]!), 0)
    for (const t of all) {
      t.style.width = `${total}px`
      for (const col of t.querySelectorAll<HTMLElement>('col[data-col]')) {
        const k = col.dataset.col!
        col.style.width = `${widths[k]}px`
        col.style.visibility = hidden.has(k) ? 'collapse' : ''
      }
    }
  }
  paint()
  let grew = false
  for (const k of keys) {
    const th = headerCell(k)
    if (!th || k === 'check' || hidden.has(k) || state.widths[k] !== undefined) continue
    const need = lacking(th)
    if (need > 0) {
      widths[k]! += need + 2
      grew = true
    }
  }
  // Room to spare in the pane goes to the description (unless the user sized it).
  const pane = document.querySelector<HTMLElement>('#table-region .table-scroll')
  const total = keys.reduce((sum, k) => sum + (hidden.has(k) ? 0 : widths[k]!), 0)
  if (pane && !hidden.has(FLEX) && state.widths[FLEX] === undefined && widths[FLEX] !== undefined && pane.clientWidth > total) {
    widths[FLEX] += pane.clientWidth - total
    grew = true
  }
  if (grew) paint()
  if (pane && !watched.has(pane)) {
    watched.add(pane)
    let last = pane.clientWidth
    new ResizeObserver(() => {
      if (pane.clientWidth !== last) applyColumns()
      last = pane.clientWidth
    }).observe(pane)
  }
  for (const box of document.querySelectorAll<HTMLInputElement>('#col-menu [data-col-toggle]')) box.checked = !hidden.has(box.dataset.colToggle!)
  // The result header sticks below the filter row, whatever its height.
  const filters = document.querySelector<HTMLElement>('#table-region table.filters')
  if (filters) document.querySelector<HTMLElement>('#table-region')?.style.setProperty('--filters-h', `${filters.offsetHeight}px`)
}

function setWidth(key: string, px: number) {
  for (const t of tables()) {
    const col = t.querySelector<HTMLElement>(`col[data-col="${CSS.escape(key)}"]`)
    if (col) col.style.width = `${px}px`
    const total = [...t.querySelectorAll<HTMLElement>('col[data-col]')].reduce((sum, c) => sum + (c.style.visibility === 'collapse' ? 0 : parseFloat(c.style.width) || 0), 0)
    t.style.width = `${total}px`
  }
}

export function wireColumns(): void {
  document.addEventListener('pointerdown', (ev) => {
    const grip = targetOf(ev)?.closest<HTMLElement>('#table-results .col-grip')
    const th = grip?.closest<HTMLElement>('th[data-col]')
    if (!grip || !th || ev.button !== 0) return
    ev.stopPropagation()
    const key = th.dataset.col!
    const start = th.offsetWidth
    let last = start
    trackDrag(
      grip,
      ev,
      'x',
      (d) => setWidth(key, (last = Math.max(MIN_COLUMN, Math.round(start + d)))),
      () => {
        const s = stored()
        s.widths[key] = last
        save(columnsKey(project()), s)
      },
    )
  })
  // A click on the grip must not sort (the header's link is its sibling, but a click may end on the cell).
  document.addEventListener('click', (ev) => {
    if (targetOf(ev)?.closest('#table-results .col-grip')) ev.preventDefault()
  })
  document.addEventListener('dblclick', (ev) => {
    const th = targetOf(ev)?.closest('#table-results .col-grip')?.closest<HTMLElement>('th[data-col]')
    if (!th) return
    const s = stored()
    delete s.widths[th.dataset.col!]
    save(columnsKey(project()), s)
    applyColumns(s)
  })
  document.addEventListener('change', (ev) => {
    const box = targetOf(ev)?.closest<HTMLInputElement>('#col-menu [data-col-toggle]')
    if (!box) return
    const s = stored()
    const key = box.dataset.colToggle!
    s.hidden = box.checked ? s.hidden.filter((k) => k !== key) : [...new Set([...s.hidden, key])]
    save(columnsKey(project()), s)
    applyColumns(s)
  })
  document.addEventListener('click', (ev) => {
    if (!targetOf(ev)?.closest('#col-reset')) return
    save(columnsKey(project()), undefined)
    applyColumns()
  })
  // The results are swapped in by htmx on every filter, sort and page: their colgroup starts bare. Sized as soon as
  // they are in the page (no frame with default widths), and again once htmx has settled them.
  document.addEventListener('htmx:afterSwap', () => applyColumns())
  document.addEventListener('htmx:afterSettle', () => applyColumns())
}
