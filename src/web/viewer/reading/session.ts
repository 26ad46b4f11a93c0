/**
 * A reading session in the Reading tool's panel: the case list from the server (POST .../session), then case by
 * case: the autoloader's files for the case into the viewer, the form, the active-time clock (paused while the tab
 * is hidden or by the pause button; the images are covered while paused), Submit (POST .../results) and the next
 * case, "case k of n". Blind readings show no names: not the patient table (taken out of the page while the session
 * runs, not only hidden), not the case's IDs, not file names. A controlled session hides (or detaches: shown, not
 * clickable) the patient table while it runs. Readings that take ROIs list the case's ROIs in the panel with "Draw
 * ROI", and the ROI tool's pens open beside the session (session-rois.ts).
 */
import { emit } from '../../shared/bus'
import { messageOf } from '../../shared/dom'
import type { Viewer } from '../viewer'
import { ActiveTimer, clock } from './active-timer'
import { parseForm, type FormItem } from './form-spec'
import { renderForm, type RenderedForm } from './form-render'
import type { ReadingMarkers } from './marker-port'
import type { ReadingRois } from './roi-port'
import type { ReadingApi, ReadingCase, ReadingMode, Session } from './reading-api'
import { caseLabel, fileName, sessionRules, stageLabel, type SessionRules } from './session-rules'
import { button, el } from './elements'
import { closeRoiPens, SessionRois } from './session-rois'

export interface SessionDeps {
  api: ReadingApi
  viewer: Viewer
  markers?: ReadingMarkers
  /** The ROI tool, for readings that keep the ROIs drawn on a case with its result. */
  rois?: ReadingRois
  /** Back to the list (after the last case or on leave). */
  done(message?: string): void
}

export class ReadingSession {
  private session?: Session
  private form?: FormItem
  private rules: SessionRules = { blind: false, table: 'visible' }
  private current?: ReadingCase
  private rendered?: RenderedForm
  private timer?: ActiveTimer
  private tick?: ReturnType<typeof setInterval>
  private readonly onVisibility = () => (document.hidden ? this.timer?.pause('hidden') : this.timer?.resume('hidden'))
  private closed = false
  /** The case's ROIs in the panel (readings that take ROIs). */
  private caseRois?: SessionRois
  /** A blind session takes the patient table and file tree out of the page; they come back when it ends. */
  private tableAside?: { left: HTMLElement; placeholder: HTMLElement }
  /** Leaving the project (htmx swaps the workstation) ends the session. */
  private readonly onSwap = (ev: Event) => {
    const target = (ev as CustomEvent<{ target?: Element }>).detail?.target
    if (target && target.contains(this.deps.viewer.root)) this.close()
  }
  /**
   * ↑/↓ step through the patient table's studies (desktop/table.ts, a document listener) and the autoloader loads
   * them: during a session they must not leave the case. Keys inside the viewer reach NiiVue first and stop at its
   * root; keys elsewhere stop before they reach the document.
   */
  private readonly arrows = (e: KeyboardEvent) => e.key === 'ArrowUp' || e.key === 'ArrowDown'
  private readonly keysOutside = (e: KeyboardEvent) => {
    if (this.arrows(e) && !(e.target instanceof Node && this.deps.viewer.root.contains(e.target))) e.stopImmediatePropagation()
  }
  private readonly keysInside = (e: KeyboardEvent) => {
    if (this.arrows(e)) e.stopPropagation()
  }

  constructor(
    private readonly host: HTMLElement,
    private readonly deps: SessionDeps,
    readonly reading: { id: number; name: string },
    readonly mode: ReadingMode,
  ) {}

  async start() {
    this.host.replaceChildren(el('p', 'muted', `starting ${this.mode}…`))
    const [config, session] = await Promise.all([this.deps.api.get(this.reading.id), this.deps.api.session(this.reading.id, this.mode)])
    this.form = parseForm(config.config.form)
    this.rules = sessionRules(config.config)
    this.session = session
    this.controlled(true)
    document.addEventListener('visibilitychange', this.onVisibility)
    window.addEventListener('keydown', this.keysOutside, true)
    this.deps.viewer.root.addEventListener('keydown', this.keysInside)
    document.addEventListener('htmx:beforeSwap', this.onSwap)
    await this.show(session.next)
  }

  /** Hides or detaches the patient table (and file tree) while the session runs. */
  private controlled(on: boolean) {
    const ws = document.querySelector<HTMLElement>('.workstation')
    if (!ws) return
    ws.classList.toggle('reading-hide-table', on && this.rules.table === 'hidden')
    ws.classList.toggle('reading-detach-table', on && this.rules.table === 'detached')
    ws.classList.toggle('reading-blind', on && this.rules.blind)
    this.deps.viewer.root.classList.toggle('reading-blind', on && this.rules.blind)
    this.tableOut(ws, on && this.rules.blind)
    // The ROI tool's pens open beside the session panel (desktop/tools.ts keeps both), not instead of it.
    const panel = this.host.closest<HTMLElement>('[data-tool-panel]')
    if (panel && on && this.rules.rois) panel.dataset.toolBeside = 'roi'
    else if (panel && panel.dataset.toolBeside) {
      delete panel.dataset.toolBeside
      closeRoiPens()
    }
    // Tools the reading turns off: their buttons disabled (and their panels closed) until the session ends.
    for (const tool of this.rules.toolsOff ?? []) {
      const b = document.querySelector<HTMLButtonElement>(`.tool-bar [data-tool="${CSS.escape(tool)}"]`)
      if (!b) continue
      if (on && !b.disabled) {
        if (b.getAttribute('aria-pressed') === 'true') b.click()
        b.disabled = true
        b.dataset.readingOff = 'true'
      } else if (!on && b.dataset.readingOff) {
        b.disabled = false
        delete b.dataset.readingOff
      }
    }
    requestAnimationFrame(() => window.dispatchEvent(new Event('resize')))
  }

  /**
   * Blind: the patient table and the file tree (names, IDs, dates) leave the page while the session runs; hiding
   * them is not enough (the page's text and the element inspector would still show them). Back as they were after.
   */
  private tableOut(ws: HTMLElement, out: boolean) {
    if (out && !this.tableAside) {
      const left = ws.querySelector<HTMLElement>(':scope > .ws-left')
      if (!left) return
      const placeholder = el('div', 'ws-left reading-table-out')
      placeholder.hidden = true
      left.replaceWith(placeholder)
      this.tableAside = { left, placeholder }
    } else if (!out && this.tableAside) {
      const { left, placeholder } = this.tableAside
      this.tableAside = undefined
      if (placeholder.isConnected) placeholder.replaceWith(left)
    }
  }

  private async show(index: number | null) {
    this.stopClock()
    this.caseRois?.close()
    this.caseRois = undefined
    this.deps.markers?.reset()
    this.roiTool()?.reset()
    const cases = this.session!.cases
    const c = index === null ? undefined : cases.find((x) => x.index === index)
    if (!c) return this.finish()
    this.current = c
    // The previous case's images go at once: the new form is never shown beside them.
    this.deps.viewer.clear()
    const k = cases.indexOf(c) + 1
    const head = el('div', 'reading-head')
    head.append(el('strong', '', this.reading.name), el('span', 'reading-mode', this.mode))
    const progress = el('div', 'reading-progress')
    progress.dataset.readingProgress = `${k}/${cases.length}`
    progress.append(el('span', '', `case ${k} of ${cases.length}`))
    const label = caseLabel(c, this.rules)
    if (label) progress.append(el('span', 'reading-case-label', ` · ${label}`))
    const stage = stageLabel(c.stage, this.rules)
    if (stage) {
      const s = el('div', 'reading-stage', stage)
      s.dataset.readingStage = String(c.stage)
      progress.append(s)
    }
    const time = el('span', 'reading-clock', '0:00')
    time.dataset.readingClock = ''
    const pause = button('❚❚ pause', 'pause', 'pause the clock (the images are covered meanwhile)')
    pause.setAttribute('aria-pressed', 'false')
    const bar = el('div', 'reading-bar')
    bar.append(time, pause)
    const formHost = el('div', 'reading-form-host')
    const status = el('p', 'reading-status')
    status.setAttribute('role', 'status')
    const submit = button('Submit', 'submit')
    submit.classList.add('primary')
    const leave = button('leave', 'leave', 'stop here; the cases done so far are kept, the next start continues')
    const actions = el('div', 'reading-actions')
    actions.append(submit, leave)
    this.host.replaceChildren(head, progress, bar, formHost, status, actions)
    const rois = this.roiTool()
    if (rois) {
      this.caseRois = new SessionRois(rois)
      formHost.after(this.caseRois.element)
    }
    this.rendered = renderForm(formHost, this.form!, { markers: this.deps.markers, idPrefix: `rf${c.index}` })
    status.textContent = 'loading the images…'
    try {
      await this.load(c)
      status.textContent = ''
    } catch (e) {
      status.textContent = `images: ${messageOf(e)}`
    }
    if (this.closed || this.current !== c) return
    // The clock starts when the case is on screen.
    progress.dataset.readingReady = 'true'
    this.timer = new ActiveTimer()
    if (document.hidden) this.timer.pause('hidden')
    this.tick = setInterval(() => (time.textContent = clock(this.timer!.seconds())), 500)
    pause.addEventListener('click', () => {
      const paused = pause.getAttribute('aria-pressed') !== 'true'
      if (paused) this.timer!.pause('button')
      else this.timer!.resume('button')
      pause.setAttribute('aria-pressed', String(paused))
      pause.textContent = paused ? '▶ resume' : '❚❚ pause'
      this.deps.viewer.root.classList.toggle('reading-paused', paused)
      formHost.inert = paused
      submit.disabled = paused
    })
    submit.addEventListener('click', () => void this.submit(c, status, submit))
    leave.addEventListener('click', () => this.close('left the reading; start again to continue'))
  }

  /** The case's files (the reading's autoloader, resolved by the server) into a cleared viewer. */
  private async load(c: ReadingCase) {
    const files = await this.deps.api.files(this.reading.id, c.caseKey, c.stage)
    const v = this.deps.viewer
    if (this.rules.layout) v.setLayout(this.rules.layout)
    let n = 0
    for (const f of files) {
      n++
      void v.load({ url: f.url, name: fileName(f.path, n, this.rules), viewport: f.viewport, as: f.as as never, colormap: f.colormap, min: f.min, max: f.max })
    }
    await v.idle()
    if (!files.length) throw new Error('the reading\'s autoloader found no file for this case (see the reading\'s "viewer" settings)')
  }

  private async submit(c: ReadingCase, status: HTMLElement, submit: HTMLButtonElement) {
    const { values, errors } = this.rendered!.collect()
    if (errors.length) return void (status.textContent = `please complete the form: ${errors.map((e) => e.message).join('; ')}`)
    submit.disabled = true
    status.textContent = 'saving…'
    try {
      const rois = await this.roiTool()?.uploads()
      if (rois?.length) status.textContent = `saving with ${rois.length} ROI${rois.length === 1 ? '' : 's'}…`
      const r = await this.deps.api.submit(this.reading.id, {
        sessionId: this.session!.sessionId,
        caseKey: c.caseKey,
        repetition: c.repetition,
        stage: c.stage,
        mode: this.mode,
        values,
        annotations: this.deps.markers?.annotations() ?? [],
        activeSeconds: this.timer!.seconds(),
        startedAt: this.timer!.startedAt.toISOString(),
        ...(rois ? { rois } : {}),
      })
      c.done = true
      if (this.form && formTags(this.form)) emit('nora:table-changed')
      await this.show(r.next ?? this.nextOpen())
    } catch (e) {
      submit.disabled = false
      status.textContent = `not saved: ${messageOf(e)}`
    }
  }

  /** The ROI tool when this reading keeps ROIs with its results. */
  private roiTool(): ReadingRois | undefined {
    return this.rules.rois ? this.deps.rois : undefined
  }

  private nextOpen(): number | null {
    return this.session!.cases.find((x) => !x.done)?.index ?? null
  }

  private finish() {
    this.close(`${this.mode}: all ${this.session!.cases.length} cases done`)
  }

  private stopClock() {
    if (this.tick) clearInterval(this.tick)
    this.tick = undefined
    this.timer = undefined
    this.deps.viewer.root.classList.remove('reading-paused')
  }

  /** Ends the session view: the patient table back, markers off, the list again. */
  close(message?: string) {
    if (this.closed) return
    this.closed = true
    this.stopClock()
    this.deps.markers?.reset()
    this.caseRois?.close()
    this.caseRois = undefined
    this.roiTool()?.reset()
    document.removeEventListener('visibilitychange', this.onVisibility)
    document.removeEventListener('htmx:beforeSwap', this.onSwap)
    window.removeEventListener('keydown', this.keysOutside, true)
    this.deps.viewer.root.removeEventListener('keydown', this.keysInside)
    this.controlled(false)
    this.deps.done(message)
  }
}

/** True when an item of the form tags studies (the table should reload after a submit). */
function formTags(form: FormItem): boolean {
  return (form.items ?? []).some((i) => i.useastag || (i.items ? formTags(i) : false))
}
