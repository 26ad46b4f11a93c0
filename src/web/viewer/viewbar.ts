import type { Item, ItemProps, Viewport } from './viewport'

export interface ViewbarActions {
  /** `onlyHere`: shift was held, so the change applies to this viewport only. */
  change(vp: Viewport, item: Item, props: Partial<ItemProps>, onlyHere: boolean): void
  remove(vp: Viewport, item: Item, onlyHere: boolean): void
}

const COLORMAPS = ['gray', 'hot', 'warm', 'cool', 'red', 'green', 'blue', 'winter', 'plasma', 'viridis', 'inferno', 'jet', 'bone', 'actc', 'redyell', 'bluegrn']

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, attrs: Record<string, string> = {}): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag)
  e.className = cls
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v)
  return e
}

/** Whether shift is held: a change event carries no modifier keys, so we track them. */
let shiftHeld = false
document.addEventListener('keydown', (e) => (shiftHeld = e.shiftKey), true)
document.addEventListener('keyup', (e) => (shiftHeld = e.shiftKey), true)
document.addEventListener('pointerdown', (e) => (shiftHeld = e.shiftKey), true)

/** One viewbar: every string from the file (its name) goes in as text, never as markup. */
function bar(vp: Viewport, item: Item, act: ViewbarActions): HTMLElement {
  const root = el('div', `viewbar role-${item.role}`, { 'data-item': String(item.id) })
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
    const hide = root.querySelector('.vb-hide')
    if (hide) hide.textContent = item.hidden ? 'show' : 'hide'
    root.classList.toggle('is-hidden', item.hidden)
  }
}

const round = (n: number) => (Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 1000) / 1000)
