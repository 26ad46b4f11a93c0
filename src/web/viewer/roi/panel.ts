/**
 * The ROI tool's panel: pens on the left (type, size, 2D/3D, threshold, similarity, live preview, polygon), the
 * ROI list on the right (matrix, PatientID/StudyID, voxels and mL; current, focus, visibility, opacity, outline,
 * operations, save, download, clear, delete), and the tool's menu bar (edit, undo, redo, statistics). Names from
 * files go in as text, never as markup.
 */
import { CreateDialog } from './create-dialog'
import { voxelMl } from './grid'
import { segNodes, segUrl, type SavedRoi } from './roi-seg'
import type { PenSettings, PenType } from './pen-settings'
import { roiMl, type Roi } from './roi'
import type { LoadedImage, RoiOperation, RoiTool } from './tool'

type Attrs = Record<string, string>

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) if (k === 'text') e.textContent = v
  else e.setAttribute(k, v)
  e.append(...children)
  return e
}

const btn = (action: string, text: string, title: string, extra: Attrs = {}) => el('button', { type: 'button', 'data-roi-action': action, title, 'aria-label': title, text, ...extra })

const PEN_TYPES: [PenType, string][] = [
  ['brush', 'brush'],
  ['threshold', 'threshold pen'],
  ['magic', 'magic pen'],
  ['grow3d', '3D region growing (drag left/right)'],
  ['polygon', 'polygon'],
]

const OPERATIONS: [RoiOperation, string][] = [
  ['erode', 'erosion'],
  ['dilate', 'dilation'],
  ['open', 'opening'],
  ['close', 'closing'],
  ['intersect', 'intersection with'],
  ['union', 'union with'],
  ['diff', 'difference minus'],
  ['salt', 'remove salt smaller than'],
]

export interface PanelCallbacks {
  stats(): void
  save(roi: Roi, name: string): Promise<void>
  download(roi: Roi): Promise<void>
  /** C-STORE of the saved ROI's DICOM SEG to a PACS node. */
  pushSeg(roi: Roi, node: string): Promise<void>
}

export class RoiPanel {
  private list!: HTMLElement
  private imageChoice!: HTMLSelectElement
  private opsRoi!: HTMLSelectElement
  private editButton!: HTMLButtonElement
  private saveForm!: HTMLFormElement
  private savingId?: number
  private shown = ''
  /** The ROI whose name is being edited (the list is not rebuilt under the input). */
  private renamingId?: number
  readonly createDialog: CreateDialog

  constructor(readonly root: HTMLElement, private readonly tool: RoiTool, private readonly cb: PanelCallbacks) {
    this.createDialog = new CreateDialog((c) => void this.tool.create(c.image, c.how, c.threshold))
    root.classList.add('roi-panel')
    root.replaceChildren(this.menuBar(), el('div', { class: 'roi-body' }, this.penSide(), this.listSide()))
    this.render()
  }

  private menuBar(): HTMLElement {
    this.editButton = btn('edit', '✎ edit', 'ROI edit mode (space): left draws, right erases; hold shift to navigate', { 'aria-pressed': 'false' })
    this.editButton.addEventListener('click', () => this.tool.setEditing(!this.tool.editing()))
    const undo = btn('undo', '↶ undo', 'undo (ctrl-Z)')
    undo.addEventListener('click', () => this.tool.undoEdit())
    const redo = btn('redo', '↷ redo', 'redo (shift-ctrl-Z)')
    redo.addEventListener('click', () => this.tool.redoEdit())
    const stats = btn('stats', 'statistics', 'ROI statistics of every ROI × every loaded contrast')
    stats.addEventListener('click', () => this.cb.stats())
    return el('div', { class: 'roi-menubar', role: 'toolbar', 'aria-label': 'ROI tool' }, el('strong', { text: 'ROI tool' }), this.editButton, undo, redo, stats)
  }

  private penSide(): HTMLElement {
    const pen = this.tool.pen
    const set = (p: Partial<PenSettings>) => {
      Object.assign(pen, p)
      side.dataset.penType = pen.type
    }
    const type = el('select', { 'data-pen': 'type', 'aria-label': 'pen type' }, ...PEN_TYPES.map(([v, t]) => el('option', { value: v, text: t })))
    type.value = pen.type
    type.addEventListener('change', () => set({ type: type.value as PenType }))
    const size = el('input', { type: 'number', min: '0', max: '100', step: '0.5', value: String(pen.radiusMm), 'data-pen': 'radius', 'aria-label': 'pen radius (mm)' })
    size.addEventListener('change', () => Number.isFinite(size.valueAsNumber) && set({ radiusMm: Math.max(0, size.valueAsNumber) }))
    const mode = el('select', { 'data-pen': 'mode', 'aria-label': '2D or 3D' }, el('option', { value: '2d', text: '2D (slice)' }), el('option', { value: '3d', text: '3D (ball)' }))
    mode.addEventListener('change', () => set({ mode: mode.value as '2d' | '3d' }))
    const dir = el('select', { 'data-pen': 'direction', 'aria-label': 'threshold direction' }, el('option', { value: 'higher', text: 'higher' }), el('option', { value: 'lower', text: 'lower' }))
    dir.addEventListener('change', () => set({ direction: dir.value as 'higher' | 'lower' }))
    const from = el('select', { 'data-pen': 'from', 'aria-label': 'threshold from' }, el('option', { value: 'climL', text: 'window low' }), el('option', { value: 'climR', text: 'window high' }), el('option', { value: 'number', text: 'number' }))
    const value = el('input', { type: 'number', step: 'any', value: '0', 'data-pen': 'threshold', 'aria-label': 'threshold value' })
    from.addEventListener('change', () => set({ thresholdFrom: from.value as PenSettings['thresholdFrom'] }))
    value.addEventListener('change', () => {
      if (!Number.isFinite(value.valueAsNumber)) return
      from.value = 'number'
      set({ thresholdValue: value.valueAsNumber, thresholdFrom: 'number' })
    })
    const connected = el('input', { type: 'checkbox', 'data-pen': 'connected' })
    connected.addEventListener('change', () => set({ connected: connected.checked }))
    const sim = el('input', { type: 'number', min: '0', max: '100', step: '1', value: String(pen.similarity * 100), 'data-pen': 'similarity', 'aria-label': 'similarity (% of the window)' })
    sim.addEventListener('change', () => Number.isFinite(sim.valueAsNumber) && set({ similarity: Math.max(0, sim.valueAsNumber) / 100 }))
    const preview = el('input', { type: 'checkbox', 'data-pen': 'preview' })
    preview.checked = pen.preview
    preview.addEventListener('change', () => set({ preview: preview.checked }))
    const render = btn('polygon-render', '✎ render', 'fill the polygon into the current ROI')
    render.addEventListener('click', () => this.tool.renderPolygon())
    const trash = btn('polygon-trash', 'trash', 'delete the polygon')
    trash.addEventListener('click', () => this.tool.polygon.trash())
    const row = (cls: string, label: string, ...c: (Node | string)[]) => el('label', { class: `roi-field ${cls}` }, el('span', { text: label }), ...c)
    const side = el(
      'div',
      { class: 'roi-pens', 'data-pen-type': pen.type },
      row('f-type', 'pen', type),
      row('f-size', 'radius (mm)', size),
      row('f-mode', 'shape', mode),
      row('f-threshold', 'threshold', dir, from, value),
      row('f-connected', 'connected to centre (RGrow)', connected),
      row('f-similarity', 'similarity (% window)', sim),
      row('f-preview', 'live preview', preview),
      el('div', { class: 'roi-field f-polygon' }, el('span', { text: 'polygon' }), render, trash),
      el('p', { class: 'muted roi-hint', text: 'space: edit on/off · left draws, right erases · shift: navigate · ctrl-Z / shift-ctrl-Z' }),
    )
    return side
  }

  private listSide(): HTMLElement {
    this.imageChoice = el('select', { 'data-roi': 'reference', 'aria-label': 'reference image of a new ROI' })
    const empty = btn('new', 'New ROI', 'a new empty ROI on the grid of the chosen image')
    const thr = btn('new-threshold', 'New by threshold', 'a new ROI of the voxels at or above the lower limit of the image’s window')
    const create = (how: 'empty' | 'threshold') => void this.tool.create(this.tool.images().find((i) => i.key === this.imageChoice.value), how)
    empty.addEventListener('click', () => create('empty'))
    thr.addEventListener('click', () => create('threshold'))
    this.list = el('div', { class: 'roi-list', role: 'list', 'aria-label': 'ROIs' })
    // Operations on the current ROI.
    const op = el('select', { 'data-roi': 'operation', 'aria-label': 'operation' }, ...OPERATIONS.map(([v, t]) => el('option', { value: v, text: t })))
    this.opsRoi = el('select', { 'data-roi': 'other', 'aria-label': 'the other ROI' })
    const min = el('input', { type: 'number', min: '0', step: '1', value: '10', 'data-roi': 'salt', 'aria-label': 'smallest component kept (voxels)' })
    const apply = btn('apply-operation', 'apply', 'apply the operation to the current ROI')
    const ops = el('div', { class: 'roi-ops', 'data-op': op.value }, el('span', { text: 'operation' }), op, this.opsRoi, min, apply)
    op.addEventListener('change', () => (ops.dataset.op = op.value))
    apply.addEventListener('click', () => {
      const roi = this.tool.current()
      if (!roi) return this.tool.status('no current ROI')
      this.tool.operation(roi, op.value as RoiOperation, this.tool.byId(Number(this.opsRoi.value)), Math.max(0, Math.round(min.valueAsNumber || 0)))
    })
    // Save: the name is asked here, not in a browser dialog.
    const name = el('input', { type: 'text', required: '', pattern: '[A-Za-z0-9._\\-]+', maxlength: '100', 'data-roi': 'save-name', 'aria-label': 'name of the saved ROI' })
    const cancel = el('button', { type: 'button', class: 'link', text: 'cancel' })
    this.saveForm = el('form', { class: 'roi-save', hidden: '' }, el('span', { text: 'save as rois/' }), name, el('span', { text: '.nii.gz' }), el('button', { type: 'submit', 'data-roi-action': 'save-confirm', text: 'save' }), cancel)
    cancel.addEventListener('click', () => (this.saveForm.hidden = true))
    this.saveForm.addEventListener('submit', (e) => {
      e.preventDefault()
      const roi = this.savingId === undefined ? undefined : this.tool.byId(this.savingId)
      if (!roi) return
      this.saveForm.hidden = true
      void this.cb.save(roi, name.value)
    })
    const drop = el('span', { class: 'muted roi-drop-hint', text: 'or drop an image here (the hand of its viewbar, or a file of the file tree)' })
    return el('div', { class: 'roi-lists' }, el('div', { class: 'roi-new' }, el('span', { text: 'on' }), this.imageChoice, empty, thr, drop), this.createDialog.element, this.list, ops, this.saveForm)
  }

  /** The creation dialog for an image (dropped on the tool, or from a viewbar's ⚙). */
  askCreate(image: LoadedImage) {
    this.createDialog.open(image)
  }

  /** The ROI's name becomes an input: Enter (or leaving it) renames, Escape keeps the old name. */
  private startRename(roi: Roi, nameEl: HTMLElement) {
    this.renamingId = roi.id
    const input = el('input', { type: 'text', value: roi.name, maxlength: '100', 'data-roi': 'rename', 'aria-label': `new name of ${roi.name}`, title: 'letters, digits, "-", "_" and "."; Enter renames, Escape cancels' })
    let done = false
    /** `leaving`: the input lost the focus; a name that is not allowed is then dropped (the status says why). */
    const finish = (commit: boolean, leaving = false) => {
      if (done) return
      if (commit && input.value !== roi.name) {
        const problem = this.tool.rename(roi, input.value)
        if (problem && !leaving) {
          input.setCustomValidity(problem)
          input.reportValidity()
          return
        }
      }
      done = true
      this.renamingId = undefined
      this.shown = ''
      this.render()
    }
    input.addEventListener('input', () => input.setCustomValidity(''))
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') finish(true)
      else if (e.key === 'Escape') finish(false)
      else return
      e.preventDefault()
      e.stopPropagation()
    })
    input.addEventListener('blur', () => finish(true, true))
    nameEl.replaceWith(input)
    input.focus()
    input.select()
  }

  askName(roi: Roi) {
    this.savingId = roi.id
    const input = this.saveForm.querySelector('input')!
    input.value = roi.name.replace(/[^A-Za-z0-9._-]+/g, '_')
    this.saveForm.hidden = false
    input.focus()
    input.select()
  }

  /** One ROI: name and facts on the first line, its tools on the second. */
  private row(roi: Roi): HTMLElement {
    const t = this.tool
    const card = el('div', { role: 'listitem', 'data-roi-id': String(roi.id), class: `roi-item${roi.id === t.currentId ? ' is-current' : ''}` })
    const current = el('input', { type: 'radio', name: 'roi-current', 'data-roi-action': 'current', title: 'current ROI (drawn on)', 'aria-label': `make ${roi.name} current` })
    current.checked = roi.id === t.currentId
    current.addEventListener('change', () => t.setCurrent(roi))
    const name = el('button', { type: 'button', class: 'roi-name-text', 'data-roi-action': 'rename', title: 'rename (click)', text: roi.name })
    name.addEventListener('click', () => this.startRename(roi, name))
    const ids = [roi.reference.patientId, roi.reference.studyId].filter(Boolean).join(' / ') || '—'
    const ml = roiMl(roi)
    const facts = el(
      'div',
      { class: 'roi-facts' },
      el('span', { class: 'roi-name', title: `on ${roi.reference.name}` }, current, el('span', { class: `roi-swatch cm-${roi.colormap}` }), name),
      el('span', { 'data-roi': 'matrix', title: 'matrix size', text: roi.grid.dims.join('×') }),
      el('span', { 'data-roi': 'ids', title: 'PatientID / StudyID', text: ids }),
      el('span', { 'data-roi': 'voxels', class: 'num', title: 'voxels', text: `${roi.voxels} vox` }),
      el('span', { 'data-roi': 'ml', class: 'num', title: `${(voxelMl(roi.grid) * 1000).toPrecision(4)} mm³ a voxel`, text: `${ml.toFixed(ml < 10 ? 3 : 1)} mL` }),
    )
    const focus = btn('focus', '⊕', 'go to the centre of gravity')
    focus.addEventListener('click', () => t.focus(roi))
    const vis = btn('visible', roi.visible ? '◉' : '○', 'show / hide in all viewports', { 'aria-pressed': String(roi.visible) })
    vis.addEventListener('click', () => t.toggleVisible(roi))
    const opacity = el('input', { type: 'range', min: '0', max: '1', step: '0.05', value: String(roi.opacity), 'data-roi-action': 'opacity', title: 'opacity', 'aria-label': 'opacity' })
    opacity.addEventListener('input', () => t.style(roi, { opacity: opacity.valueAsNumber }))
    const outline = el('input', { type: 'checkbox', 'data-roi-action': 'outline', 'aria-label': 'outline' })
    outline.checked = roi.outline
    outline.addEventListener('change', () => t.style(roi, { outline: outline.checked }))
    const ops = btn('operations', '⚙', 'operations (erode, dilate, open, close, set operations, remove salt) on this ROI')
    ops.addEventListener('click', () => {
      t.setCurrent(roi)
      this.root.querySelector<HTMLSelectElement>('[data-roi="operation"]')?.focus()
    })
    const save = btn('save', '⇪', 'save to the server (the study of its reference image)')
    save.addEventListener('click', () => this.askName(roi))
    const down = btn('download', '⇩', 'download as .nii.gz')
    down.addEventListener('click', () => void this.cb.download(roi))
    const clear = btn('clear', '⌫', 'clear: turn every voxel off')
    clear.addEventListener('click', () => t.clearRoi(roi))
    const del = btn('delete', '✕', 'delete from the workspace (not from the server)')
    del.addEventListener('click', () => t.remove(roi))
    card.append(facts, el('div', { class: 'roi-actions' }, focus, vis, opacity, el('label', { title: 'draw as outline' }, outline, 'outline'), ops, save, down, clear, del))
    if (roi.saved) card.append(this.segActions(roi, roi.saved))
    return card
  }

  /** A saved ROI's DICOM SEG: download, and send to a PACS node (the nodes are asked for when the user wants to send). */
  private segActions(roi: Roi, saved: SavedRoi): HTMLElement {
    const nodes = el('select', { 'data-roi': 'seg-node', 'aria-label': 'PACS node', hidden: '' })
    const send = btn('seg-push', 'send', 'send the DICOM SEG to the chosen PACS node', { hidden: '' })
    send.addEventListener('click', () => void this.cb.pushSeg(roi, nodes.value))
    const toPacs = btn('seg-pacs', 'to PACS…', 'send the DICOM SEG to a PACS node')
    toPacs.addEventListener('click', () =>
      void segNodes().then((names) => {
        nodes.replaceChildren(...names.map((n) => el('option', { value: n, text: n })))
        nodes.hidden = send.hidden = names.length === 0
        toPacs.hidden = names.length > 0
        if (!names.length) toPacs.textContent = 'no PACS node'
      }),
    )
    const link = el('a', { href: segUrl(saved), download: `${saved.name}.seg.dcm`, 'data-roi-action': 'seg', title: 'DICOM SEG of the saved ROI, over its original DICOM series', text: 'DICOM SEG' })
    return el('div', { class: 'roi-actions roi-seg' }, el('span', { class: 'muted', text: `rois/${saved.name}` }), link, toPacs, nodes, send)
  }

  /** Brings the list, the image choice and the edit button in line with the tool. */
  render() {
    const t = this.tool
    const images = t.images()
    // Rebuilt only when what it shows changed (not for every viewer redraw, and not under a dragged opacity slider).
    const key = JSON.stringify([t.currentId, t.editing(), images.map((i) => i.key), t.rois.map((r) => [r.id, r.name, r.voxels, r.visible, r.outline, r.saved?.name])])
    if (key === this.shown) return
    this.shown = key
    this.editButton.setAttribute('aria-pressed', String(t.editing()))
    this.root.dataset.editing = String(t.editing())
    if (this.renamingId !== undefined) return // not rebuilt under the name being typed
    const chosen = this.imageChoice.value || t.defaultImage()?.key || ''
    this.imageChoice.replaceChildren(...images.map((i) => el('option', { value: i.key, text: i.name })))
    if (images.some((i) => i.key === chosen)) this.imageChoice.value = chosen
    this.list.replaceChildren(...t.rois.map((r) => this.row(r)))
    if (!t.rois.length) this.list.append(el('p', { class: 'muted', text: 'No ROI yet: load an image, then "New ROI" (or the ⚙ of its viewbar).' }))
    const other = this.opsRoi.value
    this.opsRoi.replaceChildren(...t.rois.filter((r) => r.id !== t.currentId).map((r) => el('option', { value: String(r.id), text: r.name })))
    if ([...this.opsRoi.options].some((o) => o.value === other)) this.opsRoi.value = other
  }
}
