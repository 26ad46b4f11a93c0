// "PACS query": select all / count of selected studies, and the Pull button enabled only with a selection.
// The result table arrives in htmx swaps, so the listener sits on the document (and is added once).
;(function () {
  if (window.noraPacs) return
  window.noraPacs = true
  const boxes = (form) => [...form.querySelectorAll('input[type=checkbox][name=study]')]

  function update(form) {
    const all = boxes(form)
    const n = all.filter((b) => b.checked).length
    const count = document.getElementById('pacs-selected')
    if (count) count.textContent = `${n} of ${all.length} selected`
    const button = document.getElementById('pacs-pull-button')
    if (button) button.disabled = n === 0
    const head = document.getElementById('pacs-select-all')
    if (head) {
      head.checked = n > 0 && n === all.length
      head.indeterminate = n > 0 && n < all.length
    }
  }

  document.addEventListener('change', (ev) => {
    const t = ev.target
    if (!(t instanceof HTMLInputElement)) return
    const form = t.closest('#pacs-pull-form')
    if (!form) return
    if (t.id === 'pacs-select-all') for (const b of boxes(form)) b.checked = t.checked
    update(form)
  })
  document.addEventListener('htmx:afterSettle', () => {
    const form = document.getElementById('pacs-pull-form')
    if (form) update(form)
  })
  document.addEventListener('DOMContentLoaded', () => {
    const form = document.getElementById('pacs-pull-form')
    if (form) update(form)
  })
})()
