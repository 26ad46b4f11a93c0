/**
 * The creation dialog of the ROI tool (the seed's "decide on the type of creation"): shown when an image is dropped
 * on the tool (a viewbar's hand ✋ or a file of the file tree) or chosen in a viewbar's ⚙ menu. It names the reference
 * image and its matrix, and creates an empty ROI or one by threshold; the threshold starts at the lower limit of the
 * image's current window and can be changed. Names from files go in as text, never as markup.
 */
import type { LoadedImage } from './tool'

export interface CreateChoice {
  image: LoadedImage
  how: 'empty' | 'threshold'
  threshold: number
}

export class CreateDialog {
  readonly element: HTMLFormElement
  private image?: LoadedImage
  private readonly title: HTMLElement
  private readonly value: HTMLInputElement

  constructor(private readonly onCreate: (c: CreateChoice) => void) {
    const f = document.createElement('form')
    f.className = 'roi-create'
    f.hidden = true
    f.setAttribute('role', 'dialog')
    f.setAttribute('aria-label', 'new ROI')
    this.title = document.createElement('strong')
    this.title.dataset.roi = 'create-title'
    const empty = this.button('empty', 'empty', 'a new ROI with no voxel set')
    const thr = this.button('threshold', 'by threshold ≥', 'a new ROI of the voxels at or above the value (the lower limit of the current window)')
    this.value = document.createElement('input')
    Object.assign(this.value, { type: 'number', step: 'any', required: true })
    this.value.dataset.roi = 'create-threshold'
    this.value.setAttribute('aria-label', 'threshold of the new ROI')
    const cancel = document.createElement('button')
    cancel.type = 'button'
    cancel.className = 'link'
    cancel.textContent = 'cancel'
    cancel.addEventListener('click', () => this.close())
    f.append(this.title, empty, thr, this.value, cancel)
    f.addEventListener('submit', (e) => {
      e.preventDefault()
      this.choose('threshold')
    })
    f.addEventListener('keydown', (e) => e.key === 'Escape' && this.close())
    this.element = f
  }

  private button(how: 'empty' | 'threshold', text: string, title: string): HTMLButtonElement {
    const b = document.createElement('button')
    b.type = 'button'
    b.dataset.roiCreate = how
    b.textContent = text
    b.title = title
    b.addEventListener('click', () => this.choose(how))
    return b
  }

  private choose(how: 'empty' | 'threshold') {
    const image = this.image
    if (!image) return
    const threshold = this.value.valueAsNumber
    if (how === 'threshold' && !Number.isFinite(threshold)) {
      this.value.setCustomValidity('a number: voxels at or above it are set')
      this.value.reportValidity()
      return
    }
    this.close()
    this.onCreate({ image, how, threshold })
  }

  /** Shows the dialog for an image; the threshold is the lower limit of its window now. */
  open(image: LoadedImage) {
    this.image = image
    const dims = image.item.volume?.hdr?.dims?.slice(1, 4).map((d) => Math.max(1, d)).join('×') ?? ''
    this.title.textContent = `New ROI on ${image.name}${dims ? ` (${dims})` : ''}:`
    this.value.value = String(image.item.min)
    this.value.setCustomValidity('')
    this.element.hidden = false
    this.element.querySelector<HTMLButtonElement>('[data-roi-create="empty"]')?.focus()
  }

  close() {
    this.image = undefined
    this.element.hidden = true
  }

  get isOpen(): boolean {
    return !this.element.hidden
  }
}
