// "PACS query": select all / count of selected studies, and the Pull button enabled only with a selection.
// The result table arrives in htmx swaps, so the listener sits on the document (and is added once).
import { firstRun } from '../shared/bus'
import { byId } from '../shared/dom'

const boxes = (form: Element) => [...form.querySelectorAll<HTMLInputElement>('input[type=checkbox][name=study]')]

function update(form: Element) {
  const all = boxes(form)
  const n = all.filter((b) => b.checked).length
  const count = byId('pacs-selected')
  if (count) count.textContent = `${n} of ${all.length} selected`
  const button = byId<HTMLButtonElement>('pacs-pull-button')
  if (button) button.disabled = n === 0
  const head = byId<HTMLInputElement>('pacs-select-all')
  if (head) {
    head.checked = n > 0 && n === all.length
    head.indeterminate = n > 0 && n < all.length
  }
}

function updateForm() {
  const form = byId('pacs-pull-form')
  if (form) update(form)
}

if (firstRun('pacs')) {
  document.addEventListener('change', (ev) => {
    const t = ev.target
    if (!(t instanceof HTMLInputElement)) return
    const form = t.closest('#pacs-pull-form')
    if (!form) return
    if (t.id === 'pacs-select-all') for (const b of boxes(form)) b.checked = t.checked
    update(form)
  })
  document.addEventListener('htmx:afterSettle', updateForm)
  document.addEventListener('DOMContentLoaded', updateForm)
}
