/**
 * The Reading tool's panel (R in the workstation's tool bar): "Create New Reading", "Refresh from server", and each
 * reading with the current user's progress ("done of total") for training and serious, the buttons to start or
 * continue either, restart (where the reading allows it), Info (instructions and links), the Wrench (configuration,
 * for reading admins) and the List (results). Texts from the server are set with textContent; links only http(s).
 */
import { messageOf } from '../../shared/dom'
import type { Progress, ReadingApi, ReadingMode, ReadingSummary } from './reading-api'
import { restartRules } from './session-rules'
import { button, el } from './elements'

export interface PanelActions {
  start(r: ReadingSummary, mode: ReadingMode): void
  edit(r?: ReadingSummary): void
  results(r: ReadingSummary): void
}

const ICONS: Record<string, string[]> = {
  info: ['M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18z', 'M12 11v6', 'M12 7.2v.6'],
  wrench: ['M14.7 6.3a4 4 0 0 0-5.4 5.2L4 16.8 7.2 20l5.3-5.3a4 4 0 0 0 5.2-5.4l-2.6 2.6-2.5-.6-.6-2.5z'],
  list: ['M9 6h11', 'M9 12h11', 'M9 18h11', 'M4.5 6h.5', 'M4.5 12h.5', 'M4.5 18h.5'],
  refresh: ['M20 12a8 8 0 1 1-2.4-5.7', 'M20 4v5h-5'],
}

/** A button with a line icon (the system fonts of a reading room may lack emoji). */
function iconButton(icon: keyof typeof ICONS, action: string, title: string, text = ''): HTMLButtonElement {
  const b = button(text, action, title)
  const NS = 'http://www.w3.org/2000/svg'
  const svg = document.createElementNS(NS, 'svg')
  svg.setAttribute('viewBox', '0 0 24 24')
  svg.setAttribute('aria-hidden', 'true')
  svg.classList.add('reading-icon')
  for (const d of ICONS[icon]!) {
    const path = document.createElementNS(NS, 'path')
    path.setAttribute('d', d)
    svg.append(path)
  }
  b.prepend(svg)
  return b
}

/**
 * Whether the user may create readings (project admins, site admins), as the workstation's header says ("your role:
 * admin"); without that header the button shows and the server decides.
 */
function mayCreate(): boolean {
  const role = /your role: (.+)$/.exec(document.querySelector('.ws-counts')?.getAttribute('title') ?? '')?.[1]
  return role === undefined || role === 'admin' || role === 'site admin'
}

/** A link to show: only http(s) URLs (a reading's links are user input). */
export const safeUrl = (url: string) => /^https?:\/\//i.test(url.trim())

export class ReadingPanel {
  readings: ReadingSummary[] = []
  private statusText = ''
  private readonly openInfo = new Set<number>()

  constructor(
    private readonly root: HTMLElement,
    private readonly api: ReadingApi,
    private readonly actions: PanelActions,
  ) {}

  status(text: string) {
    this.statusText = text
    const s = this.root.querySelector('[data-reading-status]')
    if (s) s.textContent = text
  }

  async refresh() {
    this.status('loading the readings…')
    try {
      const list = await this.api.list()
      // Restart buttons: where the reader has results, the reading's allowRestartOf* decide (its config says).
      await Promise.all(
        list.map(async (r) => {
          if (r.allowRestart || !(r.progress?.training?.done || r.progress?.serious?.done)) return
          r.allowRestart = await this.api.get(r.id).then((c) => restartRules(c.config ?? {}), () => ({ training: false, serious: false }))
        }),
      )
      this.readings = list
      this.statusText = ''
    } catch (e) {
      this.statusText = `could not load the readings: ${messageOf(e)}`
    }
    this.render()
  }

  render() {
    const head = el('div', 'reading-list-head')
    const create = button('+ Create New Reading', 'create', 'a new reading in this project (needs the admin right on the project)')
    create.addEventListener('click', () => this.actions.edit())
    const refresh = iconButton('refresh', 'refresh', 'new readings, changed settings, progress', ' Refresh from server')
    refresh.addEventListener('click', () => void this.refresh())
    create.hidden = !mayCreate()
    head.append(el('strong', '', 'Readings'), create, refresh)
    const list = el('ul', 'reading-list')
    for (const r of this.readings) list.append(this.item(r))
    const children: Node[] = [head, list]
    if (!this.readings.length)
      children.push(el('p', 'hint', mayCreate() ? 'No reading in this project yet: + Create New Reading makes one (form, cases, readers).' : 'No reading for you in this project yet. A reading admin adds you as a reader; Refresh shows it.'))
    const status = el('p', 'reading-status', this.statusText)
    status.dataset.readingStatus = ''
    status.setAttribute('role', 'status')
    children.push(status)
    this.root.replaceChildren(...children)
  }

  private item(r: ReadingSummary): HTMLElement {
    const li = el('li', 'reading-item')
    li.dataset.readingId = String(r.id)
    const title = el('div', 'reading-title')
    title.append(el('span', 'reading-id', String(r.id)), el('span', 'reading-name', r.name))
    const tools = el('span', 'reading-tools')
    const info = iconButton('info', 'info', 'Info: instructions and links')
    info.disabled = !r.info?.instructions && !r.info?.links?.length
    info.setAttribute('aria-label', `information about ${r.name}`)
    info.addEventListener('click', () => {
      if (this.openInfo.has(r.id)) this.openInfo.delete(r.id)
      else this.openInfo.add(r.id)
      this.render()
    })
    tools.append(info)
    if (r.isAdmin) {
      const wrench = iconButton('wrench', 'edit', 'Wrench: edit the reading (form, cases, readers)')
      wrench.setAttribute('aria-label', `edit ${r.name}`)
      wrench.addEventListener('click', () => this.actions.edit(r))
      tools.append(wrench)
    }
    const results = iconButton('list', 'results', r.isAdmin ? 'List: the results of all readers; CSV' : 'List: your results')
    results.setAttribute('aria-label', `results of ${r.name}`)
    results.addEventListener('click', () => this.actions.results(r))
    tools.append(results)
    title.append(tools)
    li.append(title)
    for (const mode of ['training', 'serious'] as const) li.append(this.modeRow(r, mode, r.progress?.[mode] ?? { done: 0, total: 0 }))
    if (this.openInfo.has(r.id)) li.append(this.info(r))
    return li
  }

  private modeRow(r: ReadingSummary, mode: ReadingMode, p: Progress): HTMLElement {
    const row = el('div', 'reading-mode-row')
    row.dataset.mode = mode
    const count = el('span', 'reading-count', `${p.done} of ${p.total}`)
    count.dataset.readingCount = mode
    const complete = p.total > 0 && p.done >= p.total
    const start = button(complete ? `${mode} done` : `${p.done ? 'continue' : 'start'} ${mode}`, `start-${mode}`)
    start.disabled = complete || p.total === 0
    if (p.total === 0) start.title = `no ${mode} cases (see the reading's mode_${mode} condition)`
    start.addEventListener('click', () => this.actions.start(r, mode))
    row.append(el('span', 'reading-mode-name', mode), count, start)
    if (p.done > 0 && (r.allowRestart?.[mode] ?? false)) {
      const restart = button('restart', `restart-${mode}`, `deletes your ${mode} results of this reading and starts again`)
      restart.addEventListener('click', async () => {
        if (!confirm(`Delete your ${mode} results of "${r.name}" and start again?`)) return
        try {
          await this.api.restart(r.id, mode)
          await this.refresh()
          this.status(`${mode} restarted: your results were deleted`)
        } catch (e) {
          this.status(`restart refused: ${messageOf(e)}`)
        }
      })
      row.append(restart)
    }
    return row
  }

  private info(r: ReadingSummary): HTMLElement {
    const box = el('div', 'reading-info')
    box.dataset.readingInfo = String(r.id)
    if (r.info?.instructions) for (const para of r.info.instructions.split(/\n{2,}/)) box.append(el('p', '', para))
    const links = (r.info?.links ?? []).filter((l) => safeUrl(l.url))
    if (links.length) {
      const ul = el('ul')
      for (const l of links) {
        const a = el('a', '', l.label || l.url)
        a.href = l.url
        a.target = '_blank'
        a.rel = 'noopener noreferrer'
        const item = el('li')
        item.append(a)
        ul.append(item)
      }
      box.append(ul)
    }
    return box
  }
}
