/**
 * The case's ROIs in a reading session's panel (readings with `"tools": {"roi": 1}`): each ROI with its voxels and
 * volume, "Draw ROI" (a new ROI on the case's image, edit on, and the ROI tool's pens opened beside the session, which
 * stays on screen), edit (more of an ROI) and remove. The list follows the ROI tool while the reader draws. ROIs with
 * voxels go with the result on Submit (session.ts).
 */
import type { CaseRoi, ReadingRois } from './roi-port'
import { button, el } from './elements'

/** Opens or closes the ROI tool's panel (its tool-bar button, as a click there does) unless it is so already. */
function showRoiPens(open: boolean): void {
  const panel = document.querySelector<HTMLElement>('[data-tool-panel="roi"]')
  if (!panel || panel.hidden !== open) return
  document.querySelector<HTMLButtonElement>('.tool-bar [data-tool="roi"], .viewer-toolbar [data-tool="roi"]')?.click()
}

export const openRoiPens = () => showRoiPens(true)
export const closeRoiPens = () => showRoiPens(false)

export class SessionRois {
  readonly element: HTMLElement
  private readonly list: HTMLElement
  private readonly note: HTMLElement
  private readonly unwatch: () => void

  constructor(private readonly rois: ReadingRois) {
    this.element = el('section', 'reading-rois')
    this.element.dataset.readingRois = ''
    const head = el('div', 'reading-rois-head')
    const draw = button('+ Draw ROI', 'draw-roi', 'a new ROI on the case\'s image: edit is on, draw in the viewer with the ROI tool\'s pens (shown below)')
    draw.classList.add('primary')
    draw.addEventListener('click', () => void this.draw())
    const pens = button('pens', 'roi-pens', 'show the ROI tool\'s pens (brush size, threshold pen, undo) below')
    pens.addEventListener('click', () => openRoiPens())
    head.append(el('strong', '', 'ROIs'), draw, pens)
    this.list = el('ul', 'reading-roi-list')
    this.note = el('p', 'reading-roi-note muted', 'ROIs with voxels are saved with the result')
    this.element.append(head, this.list, this.note)
    this.unwatch = rois.watch(() => this.render())
    this.render()
  }

  private async draw() {
    openRoiPens()
    const roi = await this.rois.draw()
    this.note.textContent = roi ? `${roi.name}: edit is on; left draws, right erases, shift navigates` : 'the case\'s image is not loaded yet: wait for it, then Draw ROI'
  }

  render() {
    const rows = this.rois.list()
    this.list.replaceChildren(...rows.map((r) => this.row(r)))
    if (!rows.length) this.list.append(el('li', 'muted', 'none yet'))
  }

  private row(r: CaseRoi): HTMLElement {
    const li = el('li', r.current ? 'current' : '')
    li.dataset.readingRoi = r.name
    const size = el('span', 'reading-roi-size', `${r.voxels} voxels, ${r.ml.toFixed(3)} ml`)
    size.dataset.roiVoxels = String(r.voxels)
    const edit = button('✎', 'edit-roi', `draw more of ${r.name} (edit on)`)
    edit.addEventListener('click', () => {
      openRoiPens()
      this.rois.edit(r.id)
    })
    const remove = button('✕', 'remove-roi', `remove ${r.name} from this case`)
    remove.addEventListener('click', () => this.rois.remove(r.id))
    li.append(el('span', 'reading-roi-name', r.name), size, edit, remove)
    return li
  }

  /** Stops following the ROI tool (the case is done or the session ends). */
  close() {
    this.unwatch()
  }
}
