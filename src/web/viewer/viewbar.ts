import type { Item, ItemProps, Viewport } from './viewport'

export interface ViewbarActions {
  /** `onlyHere`: shift was held, so the change applies to this viewport only. */
  change(vp: Viewport, item: Item, props: Partial<ItemProps>, onlyHere: boolean): void
  remove(vp: Viewport, item: Item, onlyHere: boolean): void
  /** The ⚙ menu of a volume (the ROI tool's: new ROI on this image; for an ROI, make it current). */
  menu?(vp: Viewport, item: Item, anchor: HTMLElement): void
  /** The ▦ of a volume: its matrix becomes the Navigation tool's grid. */
  grid?(vp: Viewport, item: Item): void
}

/** What a viewbar's hand ✋ carries when dragged (onto the ROI tool: a new ROI on this image). */
export const ITEM_DRAG_TYPE = 'application/x-nora-item'

const COLORMAPS = ['gray', 'hot', 'warm', 'cool', 'red', 'green', 'blue', 'winter', 'plasma', 'viridis', 'inferno', 'jet', 'bone', 'actc', 'redyell', 'bluegrn']

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, attrs: Record<string, string> = {}): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag)
  e.className = cls
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v)
  return e
}

/** The hand icon (an outline, as the tool bar's icons; emoji fonts are not everywhere). */
function handIcon(): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg'
  const svg = document.createElementNS(ns, 'svg')
  svg.setAttribute('viewBox', '0 0 24 24')
  svg.setAttribute('aria-hidden', 'true')
  for (const d of ['M18 11V6a2 2 0 0 0-4 0', 'M14 10V4a2 2 0 0 0-4 0v2', 'M10 10.5V6a2 2 0 0 0-4 0v8', 'M18 8a2 2 0 1 1 4 0v6a8 8 0 0 1-8 8h-2c-2.8 0-4.5-.9-6-2.3l-3.6-3.6a2 2 0 0 1 2.8-2.8L7 15']) {
    const p = document.createElementNS(ns, 'path')
    p.setAttribute('d', d)
    svg.append(p)
  }
  return svg
}

/** Whether shift is held: a change event carries no modifier keys, so we track them. */
let shiftHeld = false
document.addEventListener('keydown', (e) => (shiftHeld = e.shiftKey), true)
document.addEventListener('keyup', (e) => (shiftHeld = e.shiftKey), true)
document.addEventListener('pointerdown', (e) => (shiftHeld = e.shiftKey), true)

/** One viewbar: every string from the file (its name) goes in as text, never as markup. */
function bar(vp: Viewport, item: Item, act: ViewbarActions): HTMLElement {
  const root = el('div', `viewbar role-${item.role}`, { 'data-item': String(item.id) })
  if (item.volume && item.roi === undefined) {
    const hand = el('span', 'vb-hand', { draggable: 'true', role: 'button', title: 'drag onto the ROI tool: a new ROI on this image', 'aria-label': 'drag onto the ROI tool' })
    hand.append(handIcon())
    hand.addEventListener('dragstart', (e) => {
      if (!e.dataTransfer) return
      e.dataTransfer.setData(ITEM_DRAG_TYPE, JSON.stringify({ viewport: vp.index, item: item.id }))
      e.dataTransfer.setData('text/plain', item.name)
      e.dataTransfer.effectAllowed = 'copy'
    })
    root.append(hand)
  }
  const name = el('span', 'vb-name')
  name.textContent = item.name
  name.title = item.name
  const role = el('span', 'vb-role muted')
  role.textContent = item.role
  root.append(name, role)
  const change = (props: Partial<ItemProps>) => act.change(vp, item, props, shiftHeld)
  if (item.volume) {
    const cm = el('select', 'vb-colormap', { 'aria-label': 'colormap', title: 'colormap (shift: this viewport only)' })
    const maps = vp.nv.colormaps()
    for (const c of COLORMAPS.filter((c) => maps.includes(c) || c === item.colormap)) {
      const o = document.createElement('option')
      o.value = c
      o.textContent = c
      cm.append(o)
    }
    cm.value = item.colormap
    cm.addEventListener('change', () => change({ colormap: cm.value }))
    const min = el('input', 'vb-min', { type: 'number', step: 'any', 'aria-label': 'window min', title: 'window min' })
    const max = el('input', 'vb-max', { type: 'number', step: 'any', 'aria-label': 'window max', title: 'window max' })
    min.addEventListener('change', () => Number.isFinite(min.valueAsNumber) && change({ min: min.valueAsNumber }))
    max.addEventListener('change', () => Number.isFinite(max.valueAsNumber) && change({ max: max.valueAsNumber }))
    root.append(cm, min, max)
  }
  const opacity = el('input', 'vb-opacity', { type: 'range', min: '0', max: '1', step: '0.05', 'aria-label': 'opacity', title: 'opacity' })
  opacity.addEventListener('input', () => change({ opacity: opacity.valueAsNumber }))
  root.append(opacity)
  if (item.volume && item.role !== 'background') {
    const label = el('label', 'vb-outline-label', { title: 'draw as outline' })
    const outline = el('input', 'vb-outline', { type: 'checkbox' })
    outline.addEventListener('change', () => change({ outline: outline.checked }))
    label.append(outline, document.createTextNode(' outline'))
    root.append(label)
  }
  if (item.volume && act.menu) {
    const cog = el('button', 'vb-menu', { type: 'button', title: item.roi === undefined ? 'ROI: new ROI on this image' : 'ROI: make current and edit', 'aria-label': 'ROI menu' })
    cog.textContent = item.roi === undefined ? '⚙' : '✎'
    cog.addEventListener('click', () => act.menu!(vp, item, cog))
    root.append(cog)
  }
  if (item.volume && item.roi === undefined && act.grid) {
    const grid = el('button', 'vb-grid', { type: 'button', title: 'Navigation: show results on this image’s matrix (grid)', 'aria-label': 'use as grid' })
    grid.textContent = '▦'
    grid.addEventListener('click', () => act.grid!(vp, item))
    root.append(grid)
  }
  const hide = el('button', 'vb-hide', { type: 'button', title: 'hide / show' })
  hide.addEventListener('click', (e) => act.change(vp, item, { hidden: !item.hidden }, e.shiftKey))
  const remove = el('button', 'vb-remove', { type: 'button', title: 'remove (shift: this viewport only)', 'aria-label': 'remove' })
  remove.textContent = '✕'
  remove.addEventListener('click', (e) => act.remove(vp, item, e.shiftKey))
  root.append(hide, remove)
  return root
}

/** Brings a viewport's viewbars in line with its items; inputs being edited keep their focus. */
export function syncViewbars(vp: Viewport, container: HTMLElement, act: ViewbarActions) {
  const ids = vp.items.map((i) => String(i.id))
  const shown = Array.from(container.children).map((c) => (c as HTMLElement).dataset.item ?? '')
  if (ids.join(',') !== shown.join(',')) container.replaceChildren(...vp.items.map((i) => bar(vp, i, act)))
  for (const item of vp.items) {
    const root = container.querySelector<HTMLElement>(`[data-item="${item.id}"]`)
    if (!root) continue
    const set = (sel: string, apply: (e: HTMLInputElement & HTMLSelectElement) => void) => {
      const e = root.querySelector(sel) as (HTMLInputElement & HTMLSelectElement) | null
      if (e && e !== document.activeElement) apply(e)
    }
    set('.vb-colormap', (e) => (e.value = item.colormap))
    set('.vb-min', (e) => (e.value = String(round(item.min))))
    set('.vb-max', (e) => (e.value = String(round(item.max))))
    set('.vb-opacity', (e) => (e.value = String(item.opacity)))
    set('.vb-outline', (e) => (e.checked = item.outline))
    const name = root.querySelector<HTMLElement>('.vb-name')
    if (name && name.textContent !== item.name) name.textContent = name.title = item.name // a renamed ROI
    const hand = root.querySelector<HTMLElement>('.vb-hand')
    if (hand) hand.hidden = item.roi !== undefined // an ROI is marked as one after its load
    const hide = root.querySelector('.vb-hide')
    if (hide) hide.textContent = item.hidden ? 'show' : 'hide'
    const menu = root.querySelector('.vb-menu')
    if (menu) menu.textContent = item.roi === undefined ? '⚙' : '✎'
    root.classList.toggle('is-hidden', item.hidden)
  }
}

const round = (n: number) => (Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 1000) / 1000)
