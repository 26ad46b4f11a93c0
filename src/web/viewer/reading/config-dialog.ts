/**
 * The reading's configuration ("Form Designer"): Create New Reading or the Wrench. Tabs:
 * - general: name, project, admins, readers, mode (individual, joint, blind), instructions and links (Info);
 * - form: the form's JSON, with the template palette (click a name: its snippet is copied; the arrow: inserted at
 *   the cursor) and Preview (the rendered form beside the JSON, or the JSON's error with its line and column);
 * - reading: the reading JSON (`reading`, `tools`, `viewer`: cases, randomisation, repetitions, stages, modes);
 * - reading_template: a template filled with the current viewer state (GET .../template), to copy the viewer part.
 * Save: POST (new) or PUT; Delete for an existing one. Everything typed is set as text or value, never as HTML.
 */
import { messageOf } from '../../shared/dom'
import { FormSpecError, ITEM_TYPES, parseForm, type ItemType } from './form-spec'
import { renderForm } from './form-render'
import { checkJson } from './json-check'
import { insertSnippet, snippet } from './palette'
import type { ReadingApi } from './reading-api'
import { button, el } from './elements'

export const MODES = ['individual', 'joint', 'blind'] as const
const TABS = ['general', 'form', 'reading', 'reading_template'] as const
type Tab = (typeof TABS)[number]

export const EMPTY_FORM = `{
  "type": "basis",
  "name": "form",
  "items": [
  ]
}`

const labelled = (text: string, control: HTMLElement, hint = '') => {
  const l = el('label', 'rc-field')
  l.append(el('span', 'rc-label', text), control)
  if (hint) l.append(el('span', 'rc-hint', hint))
  return l
}
const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(/[\s,;]+/) : []).map((s) => s.trim()).filter(Boolean)
const pretty = (v: unknown) => (v === undefined || v === null ? '' : JSON.stringify(v, null, 2))

/** "label | url" lines -> links, and back. */
export function parseLinks(text: string): { label: string; url: string }[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const bar = line.lastIndexOf('|')
      return bar < 0 ? { label: line, url: line } : { label: line.slice(0, bar).trim() || line.slice(bar + 1).trim(), url: line.slice(bar + 1).trim() }
    })
}
const formatLinks = (links: unknown) => (Array.isArray(links) ? links.map((l: { label?: string; url?: string }) => (l.label && l.label !== l.url ? `${l.label} | ${l.url}` : l.url ?? '')).join('\n') : '')

/** Text to the clipboard: the Clipboard API (secure pages), else the older copy command; answers whether it worked. */
async function copyText(text: string, parent: HTMLElement): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text)
    return true
  } catch {
    const t = document.createElement('textarea')
    t.value = text
    t.style.position = 'fixed'
    t.style.opacity = '0'
    // Inside the open modal dialog: the page outside it is inert.
    parent.append(t)
    t.select()
    try {
      return document.execCommand('copy')
    } catch {
      return false
    } finally {
      t.remove()
    }
  }
}

export interface ConfigDeps {
  api: ReadingApi
  /** The viewer's current state for the template's viewer part. */
  viewerState(): unknown
  /** After save or delete: the list reloads. */
  saved(message: string): void
}

export class ConfigDialog {
  private dialog!: HTMLDialogElement
  private id?: number
  private readonly fields = {
    name: el('input'),
    admins: el('input'),
    readers: el('input'),
    mode: el('select'),
    instructions: el('textarea'),
    links: el('textarea'),
    form: el('textarea'),
    reading: el('textarea'),
    template: el('textarea'),
  }
  private preview = el('div', 'rc-preview')
  private formError = el('p', 'rc-json-error')
  private readingError = el('p', 'rc-json-error')
  private status = el('p', 'rc-status')
  private title = el('h3', 'rc-title')
  private deleteButton = button('Delete', 'delete', 'delete this reading and all its results')
  private copied = el('span', 'rc-copied')
  private clipboard = ''

  constructor(private readonly deps: ConfigDeps) {}

  private build() {
    const f = this.fields
    const d = el('dialog', 'reading-config')
    d.id = 'reading-config'
    d.setAttribute('aria-labelledby', 'reading-config-title')
    this.title.id = 'reading-config-title'
    f.name.maxLength = 200
    f.admins.placeholder = 'user names, comma separated'
    f.readers.placeholder = 'user names, comma separated'
    for (const m of MODES) {
      const o = el('option', '', m)
      o.value = m
      f.mode.append(o)
    }
    f.instructions.rows = 4
    f.links.rows = 3
    f.links.placeholder = 'Slides | https://docs.google.com/presentation/…'
    for (const t of [f.form, f.reading, f.template]) {
      t.spellcheck = false
      t.className = 'rc-code'
      t.wrap = 'off'
    }
    f.template.readOnly = true
    for (const [k, v] of Object.entries(f)) v.dataset.rc = k
    const save = button('Save', 'save')
    save.classList.add('primary')
    const close = button('Close', 'close')
    const head = el('div', 'rc-head')
    head.append(this.title, this.deleteButton, save, close)
    save.addEventListener('click', () => void this.save())
    close.addEventListener('click', () => d.close())
    this.deleteButton.addEventListener('click', () => void this.remove())

    const tabs = el('div', 'rc-tabs')
    tabs.setAttribute('role', 'tablist')
    const pages = new Map<Tab, HTMLElement>()
    for (const t of TABS) {
      const b = button(t, `tab-${t}`)
      b.setAttribute('role', 'tab')
      b.dataset.tab = t
      b.addEventListener('click', () => this.show(t))
      tabs.append(b)
    }
    const general = el('div', 'rc-page rc-general')
    const project = el('input')
    project.value = this.deps.api.project
    project.readOnly = true
    general.append(
      labelled('name', f.name),
      labelled('project', project, 'the workstation’s project'),
      labelled('admins', f.admins, 'may edit the reading and see every reader’s results'),
      labelled('readers', f.readers, 'who reads; admins may read too'),
      labelled('mode', f.mode, 'individual: each reader alone · joint: several readers on one session, one result · blind: no names, IDs or dates, no patient table, no earlier results'),
      labelled('instructions', f.instructions, 'shown by the Info button'),
      labelled('links', f.links, 'one per line: label | https://…'),
    )
    pages.set('general', general)

    const formPage = el('div', 'rc-page rc-form')
    const palette = el('div', 'rc-palette')
    palette.append(el('div', 'rc-palette-title', 'Template Elements'))
    for (const type of ITEM_TYPES) palette.append(this.paletteRow(type))
    palette.append(this.copied)
    const editor = el('div', 'rc-editor')
    const previewButton = button('Preview ›', 'preview', 'check the JSON and show the form')
    previewButton.addEventListener('click', () => this.runPreview())
    editor.append(f.form, this.formError, previewButton)
    formPage.append(palette, editor, this.preview)
    pages.set('form', formPage)

    const readingPage = el('div', 'rc-page rc-reading')
    const check = button('check JSON', 'check-reading')
    check.addEventListener('click', () => this.checkReading())
    readingPage.append(el('p', 'rc-hint', 'reading: cases (mode_training, mode_serious with their condition), random (none, full, idhash), repetitions, stages, allowRestartOfTraining / allowRestartOfSerious · tools · viewer (autoloaders, layout, sortOrder, sortDirection, patientTable). Empty for a new reading: copy from reading_template.'), f.reading, this.readingError, check)
    pages.set('reading', readingPage)

    const templatePage = el('div', 'rc-page rc-template')
    const copyViewer = button('copy the viewer part', 'copy-viewer')
    copyViewer.addEventListener('click', () => void this.copyViewerPart())
    const reload = button('⟳ fill with the current viewer', 'template')
    reload.addEventListener('click', () => void this.fillTemplate())
    templatePage.append(el('p', 'rc-hint', 'A basic reading; its "viewer" holds the current viewer settings and autoloaders. Change the view, refill, then copy the viewer part into the reading tab.'), f.template, reload, copyViewer)
    pages.set('reading_template', templatePage)

    const body = el('div', 'rc-body')
    for (const [t, p] of pages) {
      p.dataset.page = t
      p.hidden = true
      body.append(p)
    }
    d.append(head, tabs, body, this.status)
    document.body.append(d)
    this.dialog = d
  }

  private paletteRow(type: ItemType): HTMLElement {
    const row = el('div', 'rc-palette-row')
    row.dataset.palette = type
    const name = button(type, 'copy-snippet', `copy the ${type} snippet (paste with Ctrl+V)`)
    name.addEventListener('click', async () => {
      this.clipboard = snippet(type)
      this.copied.textContent = (await copyText(this.clipboard, this.dialog)) ? `${type} copied (Ctrl+V pastes it)` : `${type}: the browser refused the clipboard; use the arrow`
    })
    const insert = button('›', 'insert-snippet', `insert the ${type} snippet at the cursor`)
    insert.setAttribute('aria-label', `insert ${type}`)
    // Keep the textarea's selection: the button must not take the focus on mousedown.
    insert.addEventListener('mousedown', (e) => e.preventDefault())
    insert.addEventListener('click', () => this.insert(type))
    row.append(name, insert)
    return row
  }

  private insert(type: ItemType) {
    const t = this.fields.form
    const r = insertSnippet(t.value, t.selectionStart ?? t.value.length, t.selectionEnd ?? t.value.length, snippet(type))
    t.value = r.text
    t.focus()
    t.setSelectionRange(r.cursor, r.cursor)
    this.copied.textContent = `${type} inserted`
  }

  private show(tab: Tab) {
    for (const p of Array.from(this.dialog.querySelectorAll<HTMLElement>('.rc-page'))) p.hidden = p.dataset.page !== tab
    for (const b of Array.from(this.dialog.querySelectorAll<HTMLElement>('.rc-tabs [data-tab]'))) b.setAttribute('aria-selected', String(b.dataset.tab === tab))
    if (tab === 'reading_template' && !this.fields.template.value) void this.fillTemplate()
  }

  /** Checks the form's JSON; shows the form or the error (with its position, the cursor put there). */
  runPreview(): boolean {
    const t = this.fields.form
    const r = checkJson(t.value)
    if (!r.ok) {
      this.formError.textContent = `JSON error: ${r.error.message}`
      this.preview.replaceChildren()
      t.focus()
      t.setSelectionRange(r.error.offset, r.error.offset + 1)
      return false
    }
    try {
      const form = parseForm(r.value)
      this.formError.textContent = ''
      renderForm(this.preview, form, { idPrefix: 'preview' })
      return true
    } catch (e) {
      this.formError.textContent = `form: ${e instanceof FormSpecError ? e.message : messageOf(e)}`
      this.preview.replaceChildren()
      return false
    }
  }

  private checkReading(): unknown | undefined {
    const text = this.fields.reading.value.trim()
    if (!text) {
      this.readingError.textContent = ''
      return {}
    }
    const r = checkJson(text)
    if (!r.ok) {
      this.readingError.textContent = `JSON error: ${r.error.message}`
      return undefined
    }
    if (!r.value || typeof r.value !== 'object' || Array.isArray(r.value)) {
      this.readingError.textContent = 'the reading JSON must be an object { "reading": …, "tools": …, "viewer": … }'
      return undefined
    }
    this.readingError.textContent = 'JSON ok'
    return r.value
  }

  private async fillTemplate() {
    const t = this.fields.template
    try {
      t.value = pretty(await this.deps.api.template(this.id ?? 0, this.deps.viewerState()))
    } catch (e) {
      t.value = pretty({ viewer: this.deps.viewerState() })
      this.status.textContent = `template: ${messageOf(e)} (the viewer part is filled from this page)`
    }
  }

  private async copyViewerPart() {
    await this.fillTemplate()
    try {
      const viewer = (JSON.parse(this.fields.template.value) as { viewer?: unknown }).viewer
      this.clipboard = `"viewer": ${pretty(viewer)}`
      this.status.textContent = (await copyText(this.clipboard, this.dialog)) ? 'the viewer part is copied' : 'the browser refused the clipboard: select the "viewer" part and copy it'
    } catch (e) {
      this.status.textContent = `not copied: ${messageOf(e)}`
    }
  }

  /** Opens the dialog for a new reading (no id) or an existing one. */
  async open(id?: number) {
    if (!this.dialog) this.build()
    this.id = id
    const f = this.fields
    this.status.textContent = ''
    this.formError.textContent = this.readingError.textContent = ''
    this.preview.replaceChildren()
    f.template.value = ''
    this.deleteButton.hidden = id === undefined
    let config: Record<string, unknown> = {}
    if (id !== undefined) {
      try {
        const r = await this.deps.api.get(id)
        config = r.config ?? {}
        this.title.textContent = `${r.name || String(config.name ?? '')} (id ${id})`
      } catch (e) {
        this.deps.saved(`could not open reading ${id}: ${messageOf(e)}`)
        return
      }
    } else this.title.textContent = 'New reading'
    const info = { instructions: config.instructions ?? (config.info as { instructions?: unknown } | undefined)?.instructions, links: config.links ?? (config.info as { links?: unknown } | undefined)?.links }
    f.name.value = String(config.name ?? '')
    f.admins.value = list(config.admins).join(', ')
    f.readers.value = list(config.readers).join(', ')
    f.mode.value = MODES.includes(config.mode as never) ? String(config.mode) : 'individual'
    f.instructions.value = typeof info.instructions === 'string' ? info.instructions : ''
    f.links.value = formatLinks(info.links)
    f.form.value = config.form ? pretty(config.form) : EMPTY_FORM
    f.reading.value = config.reading ? pretty(config.reading) : ''
    this.show('general')
    if (!this.dialog.open) this.dialog.showModal()
  }

  /** The config from the tabs; undefined (with the problem shown) when something is wrong. */
  collect(): Record<string, unknown> | undefined {
    const f = this.fields
    const name = f.name.value.trim()
    if (!name) {
      this.show('general')
      this.status.textContent = 'a reading needs a name'
      return undefined
    }
    if (!this.runPreview()) {
      this.show('form')
      this.status.textContent = 'the form has an error (see the form tab)'
      return undefined
    }
    const links = parseLinks(f.links.value)
    const bad = links.findIndex((l) => !/^https?:\/\/\S+$/i.test(l.url))
    if (bad >= 0) {
      this.show('general')
      this.status.textContent = `links, line ${bad + 1}: "${links[bad]!.url.slice(0, 80)}" is not an http(s) address`
      return undefined
    }
    const reading = this.checkReading()
    if (reading === undefined) {
      this.show('reading')
      this.status.textContent = 'the reading JSON has an error (see the reading tab)'
      return undefined
    }
    return {
      name,
      admins: list(f.admins.value),
      readers: list(f.readers.value),
      mode: f.mode.value,
      instructions: f.instructions.value.trim(),
      links,
      form: JSON.parse(f.form.value),
      reading,
    }
  }

  private async save() {
    const config = this.collect()
    if (!config) return
    this.status.textContent = 'saving…'
    try {
      if (this.id === undefined) {
        this.id = (await this.deps.api.create(config)).id
        this.deleteButton.hidden = false
      } else await this.deps.api.update(this.id, config)
      this.title.textContent = `${String(config.name)} (id ${this.id})`
      this.status.textContent = `saved (id ${this.id})`
      this.deps.saved(`reading ${String(config.name)} saved`)
    } catch (e) {
      this.status.textContent = `not saved: ${messageOf(e)}`
    }
  }

  private async remove() {
    if (this.id === undefined || !confirm('Delete this reading and all its results?')) return
    try {
      await this.deps.api.remove(this.id)
      this.dialog.close()
      this.deps.saved('reading deleted')
    } catch (e) {
      this.status.textContent = `not deleted: ${messageOf(e)}`
    }
  }
}
