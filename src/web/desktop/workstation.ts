// The workstation's header and windows: the project switcher (a menu of the user's projects, filtered by typing),
// the upload dialog (the "Upload dicoms" form and the drop zone; drops on the table open the drop dialog), and the
// settings window (key s). Viewer settings travel on the bus (`nora:settings`) and are kept in localStorage.
import { emit, on } from '../shared/bus'
import { byId, targetOf } from '../shared/dom'
import { columnsKey, load, PANES_KEY, save } from './layout-state'
import { applyColumns } from './columns'
import { applyPanes } from './splitters'

const SETTINGS_KEY = 'nora.settings'
const MENUS = '.project-switcher, .col-menu'

interface Settings {
  scrollSpeed?: number
}

function storedSettings(): Settings {
  try {
    const v: unknown = JSON.parse(load(SETTINGS_KEY) ?? '{}')
    const s = v && typeof v === 'object' ? (v as Record<string, unknown>) : {}
    return typeof s.scrollSpeed === 'number' && s.scrollSpeed >= 1 && s.scrollSpeed <= 10 ? { scrollSpeed: Math.round(s.scrollSpeed) } : {}
  } catch {
    return {}
  }
}

const isTyping = (el: EventTarget | null) => el instanceof Element && el.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"]') !== null

function showScrollSpeed(n: number) {
  const range = byId<HTMLInputElement>('set-scroll-speed')
  const out = byId('set-scroll-speed-out')
  if (range) range.value = String(n)
  if (out) out.textContent = String(n)
}

/** A menu under its button, in the window (the table pane clips what overflows it, so the menu is fixed). */
function placeBelow(anchor: Element, menu: HTMLElement) {
  const r = anchor.getBoundingClientRect()
  menu.style.top = `${r.bottom + 2}px`
  menu.style.left = `${Math.max(4, Math.min(r.left, window.innerWidth - menu.offsetWidth - 4))}px`
}

function openSettings() {
  const d = byId<HTMLDialogElement>('settings-dialog')
  if (!d || d.open) return
  showScrollSpeed(storedSettings().scrollSpeed ?? 1)
  d.showModal()
}

/** A workstation appeared (page load or an htmx project switch): its stored layout and settings. */
function arrive() {
  if (!document.querySelector('.workstation')) return
  applyPanes()
  applyColumns()
  const s = storedSettings()
  if (s.scrollSpeed) emit('nora:settings', s)
}

export function wireWorkstation(): void {
  document.addEventListener('click', (ev) => {
    const t = targetOf(ev)
    if (!t) return
    // Open menus close on a click elsewhere; a project chosen in the switcher closes it too.
    for (const d of document.querySelectorAll<HTMLDetailsElement>(`${MENUS}`)) if (d.open && (!d.contains(t) || t.closest('a'))) d.open = false
    if (t.closest('#open-upload')) byId<HTMLDialogElement>('upload-dialog')?.showModal()
    else if (t.closest('#upload-close')) byId<HTMLDialogElement>('upload-dialog')?.close()
    else if (t.closest('#open-settings')) openSettings()
    else if (t.closest('#set-reset-layout')) {
      save(PANES_KEY, undefined)
      const p = document.querySelector<HTMLElement>('.workstation')?.dataset.project
      if (p) save(columnsKey(p), undefined)
      applyPanes()
      applyColumns()
    }
  })
  document.addEventListener(
    'toggle',
    (ev) => {
      const d = ev.target
      if (!(d instanceof HTMLDetailsElement) || !d.open) return
      if (d.matches('.project-switcher')) d.querySelector<HTMLInputElement>('.ps-filter')?.focus()
      if (d.matches('.col-menu')) placeBelow(d.querySelector('summary')!, d.querySelector<HTMLElement>('.col-menu-list')!)
    },
    true,
  )
  document.addEventListener('input', (ev) => {
    const t = targetOf(ev)
    if (t instanceof HTMLInputElement && t.matches('.ps-filter')) {
      const q = t.value.trim().toLowerCase()
      for (const li of document.querySelectorAll<HTMLElement>('.project-switcher .project-list li')) li.hidden = q !== '' && !(li.textContent ?? '').toLowerCase().includes(q)
    } else if (t instanceof HTMLInputElement && t.id === 'set-scroll-speed') {
      const n = Number(t.value)
      showScrollSpeed(n)
      save(SETTINGS_KEY, { ...storedSettings(), scrollSpeed: n })
      emit('nora:settings', { scrollSpeed: n })
    }
  })
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') for (const d of document.querySelectorAll<HTMLDetailsElement>(MENUS)) d.open = false
    if (ev.key !== 's' || ev.ctrlKey || ev.metaKey || ev.altKey || isTyping(ev.target) || document.querySelector('dialog[open]')) return
    if (!document.querySelector('.workstation')) return
    ev.preventDefault()
    openSettings()
  })
  // The viewer's own keys (x / y) change the scroll speed: keep it, and show it when the window is open.
  on('nora:settings', (d) => {
    if (typeof d?.scrollSpeed !== 'number') return
    if (storedSettings().scrollSpeed !== d.scrollSpeed) save(SETTINGS_KEY, { ...storedSettings(), scrollSpeed: d.scrollSpeed })
    showScrollSpeed(d.scrollSpeed)
  })
  document.addEventListener('htmx:afterSettle', (ev) => {
    if ((ev.target as Element | null)?.id === 'main') arrive()
  })
  arrive()
}
