// The workstation's splitters: table | viewer (a vertical bar), table / file tree (a horizontal bar) and the tool
// panel's left edge. Dragged with the pointer or moved with the arrow keys; double-click returns to the default. The
// sizes are CSS variables on the workstation (--ws-left, --tree-h, --panel-w) and are kept in localStorage. The
// viewports follow by themselves: NiiVue watches its canvas' box (ResizeObserver).
import { targetOf } from '../shared/dom'
import { trackDrag } from './drag'
import { clamp, load, PANES_KEY, parsePanes, save, type PaneSizes } from './layout-state'

const STEP = 24
/** What each side keeps at least, in px. */
const MIN = { left: 300, viewer: 380, tree: 40, table: 150, panel: 180, stage: 240 }

const workstation = () => document.querySelector<HTMLElement>('.workstation')

/** The px bounds of each size for the current window. */
function bounds(ws: HTMLElement): Record<keyof PaneSizes, [number, number]> {
  const left = ws.querySelector<HTMLElement>('.ws-left')
  const body = ws.querySelector<HTMLElement>('.viewer-body')
  return {
    left: [MIN.left, ws.clientWidth - MIN.viewer],
    tree: [MIN.tree, (left?.clientHeight ?? 400) - MIN.table],
    panel: [MIN.panel, (body?.clientWidth ?? 800) - MIN.stage],
  }
}

const VARS: Record<keyof PaneSizes, string> = { left: '--ws-left', tree: '--tree-h', panel: '--panel-w' }

/** Sets the stored sizes (clamped to this window) on the workstation; missing ones keep the CSS defaults. */
export function applyPanes(sizes: PaneSizes = parsePanes(load(PANES_KEY))): void {
  const ws = workstation()
  if (!ws) return
  const b = bounds(ws)
  for (const k of Object.keys(VARS) as (keyof PaneSizes)[]) {
    const v = sizes[k]
    if (v === undefined) ws.style.removeProperty(VARS[k])
    else ws.style.setProperty(VARS[k], `${clamp(v, ...b[k])}px`)
  }
}

/** The size an element has now, the start of a drag. */
function current(ws: HTMLElement, k: keyof PaneSizes): number {
  const el = ws.querySelector<HTMLElement>(k === 'left' ? '.ws-left' : k === 'tree' ? '#file-tree' : '.tool-panels')
  return el ? (k === 'tree' ? el.offsetHeight : el.offsetWidth) : 0
}

function set(ws: HTMLElement, k: keyof PaneSizes, px: number): number {
  const v = Math.round(clamp(px, ...bounds(ws)[k]))
  ws.style.setProperty(VARS[k], `${v}px`)
  return v
}

function keep(k: keyof PaneSizes, v: number | undefined) {
  const sizes = parsePanes(load(PANES_KEY))
  sizes[k] = v
  save(PANES_KEY, sizes)
}

/** Which size a handle moves, and in which direction a positive pointer delta (dx or dy) moves it. */
function handleOf(el: Element | null): { k: keyof PaneSizes; axis: 'x' | 'y'; sign: 1 | -1 } | null {
  if (!el) return null
  if (el.closest('[data-splitter="main"]')) return { k: 'left', axis: 'x', sign: 1 }
  if (el.closest('[data-splitter="tree"]')) return { k: 'tree', axis: 'y', sign: -1 }
  if (el.closest('.tool-panel-grip')) return { k: 'panel', axis: 'x', sign: -1 }
  return null
}

export function wireSplitters(): void {
  document.addEventListener('pointerdown', (ev) => {
    const h = handleOf(targetOf(ev))
    const ws = workstation()
    if (!h || !ws || ev.button !== 0) return
    const start = current(ws, h.k)
    let last = start
    trackDrag(targetOf(ev) as HTMLElement, ev, h.axis, (d) => (last = set(ws, h.k, start + h.sign * d)), () => keep(h.k, last))
  })
  document.addEventListener('dblclick', (ev) => {
    const h = handleOf(targetOf(ev))
    if (!h) return
    keep(h.k, undefined)
    applyPanes()
  })
  document.addEventListener('keydown', (ev) => {
    const h = handleOf(targetOf(ev))
    const ws = workstation()
    if (!h || !ws) return
    const keys = h.axis === 'x' ? { ArrowLeft: -1, ArrowRight: 1 } : { ArrowUp: -1, ArrowDown: 1 }
    const d = keys[ev.key as keyof typeof keys]
    if (!d) return
    ev.preventDefault()
    ev.stopImmediatePropagation() // not also a step through the table's rows (table.ts listens after us)
    keep(h.k, set(ws, h.k, current(ws, h.k) + h.sign * d * STEP))
  })
  // A smaller window: the stored sizes are clamped again so the viewer never vanishes.
  let pending = 0
  window.addEventListener('resize', () => {
    cancelAnimationFrame(pending)
    pending = requestAnimationFrame(() => applyPanes())
  })
}
