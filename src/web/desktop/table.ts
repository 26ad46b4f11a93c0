// The subject/study table: marks the study whose files are shown (kept across table swaps), Enter opens a focused
// row, ↑/↓ step through the rows (selecting and autoloading), checkboxes mark rows for tagging, and the context menu
// (right click on a row or a file) adds and removes tags. Every string from the archive is set with textContent.
import { emit, on } from '../shared/bus'
import { byId, csrf, errorOf, targetOf } from '../shared/dom'
import '../shared/vendor'
import { withBase } from '../shared/base-path'

type Target = 'subject' | 'study' | 'file'

let selected: string | null = null
/** What the context menu acts on. */
let menuFor: { target: Target; items: string[]; label: string } | null = null

const project = () => byId('ctx-menu')?.dataset.project || ''
const canWrite = () => Boolean(byId('ctx-menu')?.dataset.canWrite)
const isTyping = (el: EventTarget | null) => el instanceof Element && el.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"]') !== null
const studyRows = () => [...document.querySelectorAll<HTMLElement>('#table-body tr.study')]

function mark() {
  for (const tr of studyRows()) tr.classList.toggle('selected', tr.dataset.psid === selected)
}

/** Selects a study row: marks it, loads its files (the row's hx-get) and tells the bus (autoloader, drop zone). */
function select(tr: HTMLElement) {
  selected = tr.dataset.psid ?? null
  mark()
  emit('nora:study-selected', { psid: selected ?? '', project: project() })
}

/** The items an action on one row applies to: all checked rows when this row is checked, else the row alone. */
function targetsFor(target: string | undefined, item: string, tr: Element | null): string[] {
  if (target === 'file' || !tr) return [item]
  const box = tr.querySelector<HTMLInputElement>('.row-check')
  if (!box || !box.checked) return [item]
  const rows = [...document.querySelectorAll<HTMLElement>('#table-body tr.row')].filter((r) => r.querySelector('.row-check:checked'))
  if (target === 'subject') return [...new Set(rows.map((r) => r.dataset.psid!.split('#')[0]!))]
  return rows.filter((r) => r.dataset.target === 'study').map((r) => r.dataset.psid!)
}

function say(text: string) {
  const note = byId('table-note')
  if (note) note.textContent = text
}

/** Adds (POST) or removes (DELETE) a tag; answers the error, or null when done. */
async function changeTag(method: 'POST' | 'DELETE', target: string, items: string[], tag: string): Promise<string | null> {
  const res = await fetch(withBase(`/api/projects/${encodeURIComponent(project())}/tags`), {
    method,
    headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf() },
    body: JSON.stringify({ target, items, tag }),
  })
  const body: unknown = await res.json().catch(() => ({}))
  if (!res.ok) {
    say(`tag not ${method === 'DELETE' ? 'removed' : 'added'}: ${errorOf(body) || res.status}`)
    return errorOf(body) || String(res.status)
  }
  say('')
  refresh()
  return null
}

/** Reloads the table with its bars (and the open file tree). */
function refresh() {
  const bar = byId('bar-q')
  if (bar && window.htmx) window.htmx.trigger(bar, 'search')
  const tree = document.querySelector('#file-tree .file-tree-body')
  const row = selected && document.querySelector(`#table-body tr.study[data-psid="${CSS.escape(selected)}"]`)
  if (tree && row && window.htmx) void window.htmx.ajax('GET', row.getAttribute('hx-get')!, { target: '#file-tree', swap: 'innerHTML' })
}

function hideMenu() {
  const m = byId('ctx-menu')
  if (m) m.hidden = true
}

function openMenu(ev: MouseEvent) {
  const t = targetOf(ev)
  const file = t?.closest<HTMLElement>('#file-tree li.file')
  const tr = t?.closest<HTMLElement>('#table-body tr.row')
  const menu = byId('ctx-menu')
  if ((!file && !tr) || !menu || !canWrite()) return
  ev.preventDefault()
  let chips: HTMLElement[]
  if (file) {
    menuFor = { target: 'file', items: [file.dataset.path!], label: `file ${file.dataset.noraName || file.dataset.path}` }
    chips = [...file.querySelectorAll<HTMLElement>('.chip')]
  } else {
    const target = tr!.dataset.target as Target
    const item = target === 'study' ? tr!.dataset.psid! : tr!.dataset.psid!.split('#')[0]!
    const items = targetsFor(target, item, tr!)
    menuFor = { target, items, label: items.length > 1 ? `${items.length} checked ${target === 'study' ? 'studies' : 'subjects'}` : `${target} ${item}` }
    chips = [...tr!.querySelectorAll<HTMLElement>('td.tags .chip')].filter((c) => c.dataset.target === target)
  }
  byId('ctx-title')!.textContent = menuFor.label
  byId('ctx-remove')!.replaceChildren(
    ...[...new Set(chips.map((c) => c.dataset.tag!))].map((tag) => {
      const b = document.createElement('button')
      b.type = 'button'
      b.setAttribute('role', 'menuitem')
      b.className = 'ctx-rm'
      b.dataset.tag = tag
      b.textContent = `Remove tag “${tag}”`
      return b
    }),
  )
  menu.hidden = false
  const w = menu.offsetWidth
  const h = menu.offsetHeight
  menu.style.left = `${Math.min(ev.clientX, window.innerWidth - w - 4)}px`
  menu.style.top = `${Math.min(ev.clientY, window.innerHeight - h - 4)}px`
  byId('ctx-add')!.focus()
}

export function wireTable(): void {
  // Checkboxes and chip buttons act on their own: the row's click (file tree, autoload) must not fire.
  document.addEventListener(
    'click',
    (ev) => {
      const t = targetOf(ev)
      if (!t) return
      if (t.matches('#table-results .check-all')) {
        ev.stopPropagation()
        for (const box of document.querySelectorAll<HTMLInputElement>('#table-body .row-check')) box.checked = (t as HTMLInputElement).checked
        return
      }
      if (t.matches('#table-body .row-check')) {
        ev.stopPropagation()
        return
      }
      const x = t.closest('.chip-x')
      if (x) {
        ev.stopPropagation()
        ev.preventDefault()
        const chip = x.closest<HTMLElement>('.chip')!
        const items = targetsFor(chip.dataset.target, chip.dataset.item!, chip.closest('#table-body tr'))
        void changeTag('DELETE', chip.dataset.target!, items, chip.dataset.tag!)
      }
    },
    true,
  )

  document.addEventListener('click', (ev) => {
    const t = targetOf(ev)
    if (t && !t.closest('#ctx-menu')) hideMenu()
    const tr = t?.closest<HTMLElement>('#table-body tr.study')
    if (tr) select(tr)
  })

  document.addEventListener('contextmenu', openMenu)

  document.addEventListener('click', (ev) => {
    const t = targetOf(ev)
    if (!t || !menuFor) return
    if (t.closest('#ctx-add')) {
      hideMenu()
      byId('tag-what')!.textContent = `on ${menuFor.label}`
      byId('tag-error')!.textContent = ''
      byId<HTMLInputElement>('tag-name')!.value = ''
      byId<HTMLDialogElement>('tag-dialog')!.showModal()
      byId('tag-name')!.focus()
    } else if (t.closest('.ctx-rm')) {
      hideMenu()
      void changeTag('DELETE', menuFor.target, menuFor.items, t.closest<HTMLElement>('.ctx-rm')!.dataset.tag!)
    } else if (t.closest('#tag-cancel')) {
      byId<HTMLDialogElement>('tag-dialog')!.close()
    }
  })

  document.addEventListener('submit', async (ev) => {
    if (!(ev.target instanceof HTMLFormElement) || ev.target.id !== 'tag-form') return
    ev.preventDefault()
    const tag = byId<HTMLInputElement>('tag-name')!.value.trim()
    if (!tag) return void (byId('tag-error')!.textContent = 'type a tag name')
    if (!menuFor) return
    const error = await changeTag('POST', menuFor.target, menuFor.items, tag)
    if (error) byId('tag-error')!.textContent = error
    else byId<HTMLDialogElement>('tag-dialog')!.close()
  })

  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') hideMenu()
    if (ev.key === 'Enter') {
      const tr = targetOf(ev)?.closest<HTMLElement>('#table-body tr.study')
      if (tr) tr.click()
      return
    }
    if ((ev.key !== 'ArrowDown' && ev.key !== 'ArrowUp') || isTyping(ev.target) || document.querySelector('dialog[open]')) return
    const rows = studyRows()
    if (!rows.length) return
    const at = rows.findIndex((r) => r.dataset.psid === selected)
    const next = at < 0 ? 0 : Math.max(0, Math.min(rows.length - 1, at + (ev.key === 'ArrowDown' ? 1 : -1)))
    ev.preventDefault()
    if (next === at) return
    const row = rows[next]!
    row.click()
    row.focus({ preventScroll: true })
    row.scrollIntoView({ block: 'nearest' })
  })
  document.addEventListener('htmx:afterSettle', mark)
  // Files were uploaded into the project (the drop zone): reload what the table shows.
  on('nora:table-changed', refresh)
}
