// Autoloaders: the presets dialog (GET/PUT /api/projects/P/autoloaders), and, when a study is selected in the table
// (click or ↑/↓), the active preset's files for that study (GET .../autoloaders/resolve) handed to the viewer as
// `nora:clear` then one `nora:load` event per file. Values from the server are set with textContent / value.
import { emit, on } from '../shared/bus'
import { byId, csrf, errorOf, messageOf, targetOf } from '../shared/dom'
import type { ItemRole } from '../viewer/presets'
import { withBase } from '../shared/base-path'

interface PresetItem {
  pattern: string
  viewport: number
  as: ItemRole
  colormap: string
  min?: number
  max?: number
}
interface Preset {
  name: string
  active: boolean
  items: PresetItem[]
}
interface Resolved {
  preset: string
  items: { url: string; name: string; viewport?: number; as?: ItemRole; colormap?: string; min?: number; max?: number }[]
}

const AS: ItemRole[] = ['background', 'overlay', 'mask', 'fibers', 'surface']
const BLANK: PresetItem = { pattern: '', viewport: 1, as: 'background', colormap: 'gray' }
let presets: Preset[] = []
let current = 0
/** project -> its presets, so a selection does not ask twice. */
const cache = new Map<string, Preset[]>()
let latest = 0
/** A preset named for one study (a URL call's "preset"): used for that study's next selection instead of the active one. */
let named: { psid: string; preset: string } | undefined

/** The next selection of study `psid` loads preset `preset` (by name), once. */
export function autoloadNamed(psid: string, preset: string): void {
  named = { psid, preset }
}

const dialog = () => byId<HTMLDialogElement>('autoload-dialog')
const project = () => dialog()?.dataset.project || ''
const api = (p: string) => withBase(`/api/projects/${encodeURIComponent(p)}/autoloaders`)
const field = (id: string) => byId<HTMLInputElement>(id)!
const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T

async function load(p: string): Promise<Preset[]> {
  if (!cache.has(p)) {
    const res = await fetch(api(p), { headers: { accept: 'application/json' } })
    if (!res.ok) throw new Error(`autoloaders: ${res.status}`)
    cache.set(p, ((await res.json()) as { presets: Preset[] }).presets)
  }
  return cache.get(p)!
}

function showState(list: Preset[]) {
  const el = byId('autoload-state')
  if (!el) return
  const active = list.find((x) => x.active)
  el.textContent = active ? `autoload: ${active.name}` : ''
}

/** A selected study -> the active preset's files into the viewer. */
async function autoload(psid: string, p: string) {
  const ticket = ++latest
  const name = named?.psid === psid ? named.preset : undefined
  named = undefined
  try {
    const list = await load(p)
    showState(list)
    if (!name && !list.some((x) => x.active)) return
    const res = await fetch(`${api(p)}/resolve?${new URLSearchParams(name ? { psid, name } : { psid })}`, { headers: { accept: 'application/json' } })
    if (!res.ok || ticket !== latest) return
    const body = (await res.json()) as Resolved
    if (ticket !== latest) return
    if (name && !body.preset) {
      const el = byId('autoload-state')
      if (el) el.textContent = `no autoloader preset "${name}" in ${p}`
      return
    }
    emit('nora:clear')
    for (const it of body.items) emit('nora:load', { url: it.url, name: it.name, viewport: it.viewport, as: it.as, colormap: it.colormap, min: it.min, max: it.max })
    const el = byId('autoload-state')
    if (el) el.textContent = `autoload: ${body.preset} · ${body.items.length} file${body.items.length === 1 ? '' : 's'} for ${psid}`
  } catch (e) {
    const el = byId('autoload-state')
    if (el) el.textContent = messageOf(e)
  }
}

// ---- presets dialog ----
function input(value: unknown, cls: string, attrs: Record<string, string> = {}) {
  const i = document.createElement('input')
  i.className = cls
  i.value = value === undefined || value === null ? '' : String(value)
  for (const [k, v] of Object.entries(attrs)) i.setAttribute(k, v)
  return i
}

function row(item: PresetItem) {
  const tr = document.createElement('tr')
  const as = document.createElement('select')
  as.className = 'al-as'
  for (const a of AS) {
    const o = document.createElement('option')
    o.value = a
    o.textContent = a
    o.selected = a === (item.as || 'background')
    as.append(o)
  }
  const rm = document.createElement('button')
  rm.type = 'button'
  rm.className = 'al-rm'
  rm.textContent = '×'
  rm.setAttribute('aria-label', 'remove item')
  const cells = [
    input(item.pattern, 'al-pattern', { placeholder: 't1*/s0*.nii', spellcheck: 'false' }),
    input(item.viewport ?? 1, 'al-viewport', { type: 'number', min: '1', max: '16' }),
    as,
    input(item.colormap || 'gray', 'al-colormap'),
    input(item.min, 'al-min', { type: 'number', step: 'any' }),
    input(item.max, 'al-max', { type: 'number', step: 'any' }),
    rm,
  ]
  tr.append(
    ...cells.map((c) => {
      const td = document.createElement('td')
      td.append(c)
      return td
    }),
  )
  return tr
}

/** The dialog's rows back into the current preset. */
function collect() {
  const p = presets[current]
  if (!p) return
  p.name = field('al-name').value.trim() || p.name
  p.active = field('al-active').checked
  p.items = [...byId('al-items')!.querySelectorAll('tr')].map((tr) => {
    const v = (c: string) => tr.querySelector<HTMLInputElement | HTMLSelectElement>(c)!.value
    const it: PresetItem = { pattern: v('.al-pattern').trim(), viewport: Number(v('.al-viewport') || 1), as: v('.al-as') as ItemRole, colormap: v('.al-colormap').trim() || 'gray' }
    if (v('.al-min') !== '') it.min = Number(v('.al-min'))
    if (v('.al-max') !== '') it.max = Number(v('.al-max'))
    return it
  })
  if (p.active) presets.forEach((x, i) => i !== current && (x.active = false))
}

function render() {
  byId('al-preset')!.replaceChildren(
    ...presets.map((p, i) => {
      const o = document.createElement('option')
      o.value = String(i)
      o.textContent = p.name + (p.active ? ' (active)' : '')
      o.selected = i === current
      return o
    }),
  )
  const p = presets[current]
  field('al-active').checked = Boolean(p && p.active)
  field('al-name').value = p ? p.name : ''
  field('al-name').disabled = !p
  byId('al-items')!.replaceChildren(...(p ? p.items.map(row) : []))
  byId<HTMLButtonElement>('al-add')!.disabled = !p
}

export function wireAutoloader(): void {
  on('nora:study-selected', (d) => {
    if (d?.psid && d.project) void autoload(d.psid, d.project)
  })
  // A re-rendered desktop shows the active preset again; a state already shown (a URL call's named preset, a
  // missing one) is not overwritten by any other request settling (the file tree, the header's bell).
  document.addEventListener('htmx:afterSettle', () => {
    if (dialog() && cache.has(project()) && !byId('autoload-state')?.textContent) showState(cache.get(project())!)
  })
  document.addEventListener('click', async (ev) => {
    const t = targetOf(ev)
    if (!t) return
    if (t.closest('#autoload-open')) {
      try {
        cache.delete(project())
        presets = copy(await load(project()))
      } catch {
        presets = []
      }
      current = Math.max(0, presets.findIndex((p) => p.active))
      byId('al-status')!.textContent = dialog()!.dataset.canWrite ? '' : 'you may look at the presets; changing them needs the write right'
      render()
      dialog()!.showModal()
    } else if (t.closest('#al-new')) {
      collect()
      const name = `preset ${presets.length + 1}`
      presets.push({ name, active: presets.length === 0, items: [{ ...BLANK }] })
      current = presets.length - 1
      render()
    } else if (t.closest('#al-add')) {
      byId('al-items')!.append(row({ ...BLANK }))
    } else if (t.closest('.al-rm')) {
      t.closest('tr')!.remove()
    } else if (t.closest('#al-close')) {
      dialog()!.close()
    }
  })
  document.addEventListener('change', (ev) => {
    if (ev.target instanceof HTMLSelectElement && ev.target.id === 'al-preset') {
      collect()
      current = Number(ev.target.value)
      render()
    }
  })
  document.addEventListener('submit', async (ev) => {
    if (!(ev.target instanceof HTMLFormElement) || ev.target.id !== 'autoload-form') return
    ev.preventDefault()
    collect()
    const res = await fetch(api(project()), {
      method: 'PUT',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf() },
      body: JSON.stringify({ presets }),
    })
    const body: unknown = await res.json().catch(() => ({}))
    if (!res.ok) return void (byId('al-status')!.textContent = `not saved: ${errorOf(body) || res.status}`)
    presets = (body as { presets: Preset[] }).presets
    cache.set(project(), copy(presets))
    showState(presets)
    byId('al-status')!.textContent = 'saved'
    render()
  })
}
